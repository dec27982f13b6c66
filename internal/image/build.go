package image

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

// BuildSpec is what to build.
type BuildSpec struct {
	Context    string // directory
	Dockerfile string // file, inside or outside Context
	Target     string
	Args       map[string]string
	Labels     map[string]string
	NoCache    bool
	Secrets    map[string][]byte // BuildKit secrets by id (RUN --mount=type=secret,id=...)
	Names      []string          // references to tag the image with in the engine, e.g. host/repo:tag

	cache Cache // cache from and to ECR: see BuildCached
}

// Build builds spec in the engine, tags the image with spec.Names and
// returns its ID, writing plain progress to w (the runner's log: see
// withoutCommands). It uses BuildKit when the engine has it, and the classic
// build API otherwise.
func (e *Engine) Build(ctx context.Context, spec BuildSpec, w io.Writer) (string, error) {
	if fi, err := os.Stat(spec.Context); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("build context %q is not a directory", spec.Context)
	}
	if fi, err := os.Stat(spec.Dockerfile); err != nil || fi.IsDir() {
		return "", fmt.Errorf("the Dockerfile %q is not a file", spec.Dockerfile)
	}
	if len(spec.Names) == 0 {
		return "", errors.New("building an image: no name to tag it with")
	}
	if e.bk == nil {
		if len(spec.Secrets) > 0 {
			return "", fmt.Errorf("building %s: %w (%v)", spec.Context, ErrSecretsNeedBuildKit, e.NoBuildKit)
		}
		return e.buildClassic(ctx, spec, w)
	}
	return e.buildKit(ctx, spec, w)
}

// buildKit solves the Dockerfile with the dockerfile.v0 frontend and
// exports the image into the engine's image store ("moby" exporter, as
// buildx does for its docker driver). The frontend reads .dockerignore from
// the context and the session sends only what it keeps.
func (e *Engine) buildKit(ctx context.Context, spec BuildSpec, w io.Writer) (string, error) {
	contextFS, err := fsutil.NewFS(spec.Context)
	if err != nil {
		return "", fmt.Errorf("opening build context %q: %w", spec.Context, err)
	}
	dockerfileFS, err := fsutil.NewFS(filepath.Dir(spec.Dockerfile))
	if err != nil {
		return "", fmt.Errorf("opening the Dockerfile's directory %q: %w", filepath.Dir(spec.Dockerfile), err)
	}
	attrs := map[string]string{"filename": filepath.Base(spec.Dockerfile)}
	if spec.Target != "" {
		attrs["target"] = spec.Target
	}
	if spec.NoCache {
		attrs["no-cache"] = ""
	}
	for k, v := range spec.Args {
		attrs["build-arg:"+k] = v
	}
	for k, v := range spec.Labels {
		attrs["label:"+k] = v
	}
	secrets := spec.Secrets
	if secrets == nil {
		secrets = map[string][]byte{}
	}
	opt := bkclient.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": contextFS, "dockerfile": dockerfileFS},
		Session:       []session.Attachable{secretsprovider.FromMap(secrets)},
		Exports:       []bkclient.ExportEntry{{Type: "moby", Attrs: map[string]string{"name": strings.Join(spec.Names, ",")}}},
	}
	opt.CacheImports, opt.CacheExports = spec.cache.cacheOptions()
	if spec.cache.ECR() {
		opt.Session = append(opt.Session, spec.cache.authSession())
	}

	var res *bkclient.SolveResponse
	err = withoutCommands(w, func(w io.Writer) error {
		display, err := progressui.NewDisplay(w, progressui.PlainMode)
		if err != nil {
			return err
		}
		ch := make(chan *bkclient.SolveStatus)
		eg, gctx := errgroup.WithContext(ctx)
		eg.Go(func() error {
			var err error
			res, err = e.bk.Solve(gctx, nil, opt, ch)
			return err
		})
		eg.Go(func() error {
			_, err := display.UpdateFrom(context.WithoutCancel(gctx), ch)
			return err
		})
		return eg.Wait()
	})
	if err != nil {
		return "", &BuildError{Dockerfile: spec.Dockerfile, Line: sourceLine(err), Err: err}
	}
	id := res.ExporterResponse["containerimage.digest"]
	if id == "" {
		return "", fmt.Errorf("building %s: BuildKit did not report the image ID", spec.Context)
	}
	return id, nil
}

// BuildError is a failed build, with the Dockerfile line to blame when
// BuildKit names one.
type BuildError struct {
	Dockerfile string
	Line       int // 0: unknown
	Err        error
}

func (e *BuildError) Error() string { return "building the image: " + e.Err.Error() }

func (e *BuildError) Unwrap() error { return e.Err }

// Location is the Dockerfile and line to blame (line 0: the whole file).
func (e *BuildError) Location() (file string, line int) { return e.Dockerfile, e.Line }

// parseErrorLine finds the line in the Dockerfile parse errors of BuildKit
// versions without source ranges (such as Docker 20.10's).
var parseErrorLine = regexp.MustCompile(`dockerfile parse error (?:on )?line (\d+)`)

// sourceLine returns the Dockerfile line a BuildKit error points at, or 0.
func sourceLine(err error) int {
	for _, src := range errdefs.Sources(err) {
		for _, r := range src.Ranges {
			if r.Start != nil && r.Start.Line > 0 {
				return int(r.Start.Line)
			}
		}
	}
	if m := parseErrorLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// classicDockerfile is the Dockerfile's name in a classic build's context
// tar when it lives outside the context.
const classicDockerfile = ".bluegreen-deploy.Dockerfile"

// buildClassic builds with the engine's classic /build API: the context,
// without what .dockerignore excludes, is streamed as a tar.
func (e *Engine) buildClassic(ctx context.Context, spec BuildSpec, w io.Writer) (string, error) {
	excludes, err := readDockerignore(spec.Context)
	if err != nil {
		return "", err
	}
	contextFS, err := fsutil.NewFS(spec.Context)
	if err != nil {
		return "", fmt.Errorf("opening build context %q: %w", spec.Context, err)
	}
	dockerfile, err := filepath.Rel(spec.Context, spec.Dockerfile)
	outside := err != nil || strings.HasPrefix(dockerfile, "..")
	if outside {
		// As the docker CLI does: the Dockerfile leads the tar, and a
		// .dockerignore that names it keeps it out of COPY.
		dockerfile = classicDockerfile
		excludes = append(excludes, ".dockerignore")
	}
	filtered, err := fsutil.NewFilterFS(contextFS, &fsutil.FilterOpt{ExcludePatterns: excludes})
	if err != nil {
		return "", fmt.Errorf("reading %s/.dockerignore: %w", spec.Context, err)
	}

	pr, pw := io.Pipe()
	go func() {
		var lead []tarFile
		if outside {
			data, err := os.ReadFile(spec.Dockerfile)
			if err != nil {
				pw.CloseWithError(fmt.Errorf("reading the Dockerfile: %w", err))
				return
			}
			ignore := strings.Join(append(excludes[:len(excludes)-1], classicDockerfile, ".dockerignore"), "\n") + "\n"
			lead = []tarFile{{classicDockerfile, data}, {".dockerignore", []byte(ignore)}}
		}
		pw.CloseWithError(writeContextTar(ctx, pw, filtered, lead))
	}()
	defer pr.Close()

	args := make(map[string]*string, len(spec.Args))
	for k, v := range spec.Args {
		args[k] = &v
	}
	res, err := e.api.ImageBuild(ctx, pr, client.ImageBuildOptions{
		Version:     build.BuilderV1,
		Tags:        spec.Names,
		Dockerfile:  filepath.ToSlash(dockerfile),
		Target:      spec.Target,
		BuildArgs:   args,
		Labels:      spec.Labels,
		NoCache:     spec.NoCache,
		Remove:      true,
		ForceRemove: true,
	})
	if err != nil {
		return "", fmt.Errorf("building %s: %w", spec.Context, err)
	}
	defer res.Body.Close()
	var id string
	err = withoutCommands(w, func(w io.Writer) (err error) {
		id, err = readBuildStream(res.Body, w)
		return err
	})
	if err != nil {
		return "", &BuildError{Dockerfile: spec.Dockerfile, Err: err}
	}
	return id, nil
}

// readDockerignore returns the context's .dockerignore patterns.
func readDockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	return patterns, nil
}

// tarFile is a file added to a classic build's context tar.
type tarFile struct {
	name string
	data []byte
}

// writeContextTar streams the context to w as a tar, led by the files lead.
func writeContextTar(ctx context.Context, w io.Writer, fs fsutil.FS, lead []tarFile) error {
	tw := tar.NewWriter(w)
	for _, f := range lead {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil { // no trailer: the context's entries follow
		return err
	}
	return fsutil.WriteTar(ctx, fs, w)
}

// readBuildStream decodes the classic build's JSON stream to its end,
// writing its output to w, and returns the image ID from its aux message.
func readBuildStream(r io.Reader, w io.Writer) (string, error) {
	var aux struct{ ID string }
	err := readStream(r, &aux, func(m jsonstream.Message) {
		if m.Stream != "" {
			io.WriteString(w, m.Stream)
		} else if m.Status != "" {
			fmt.Fprintln(w, m.Status)
		}
	})
	return aux.ID, required(err, aux.ID, "the engine's build output ended without an image ID")
}

// withoutCommands runs fn with a writer to w, the runner's log, whose lines
// the runner cannot take for workflow commands (a RUN step may print
// "::add-mask::" or "::error::"; the classic builder passes its output on as
// is): they go between ::stop-commands::<token> and ::<token>::, with a
// random token the build cannot know. The resume line is written, on a line
// of its own, whatever fn returns.
func withoutCommands(w io.Writer, fn func(io.Writer) error) error {
	token := rand.Text()
	fmt.Fprintf(w, "::stop-commands::%s\n", token)
	lw := &lineWriter{w: w}
	err := fn(lw)
	if lw.open {
		io.WriteString(w, "\n")
	}
	fmt.Fprintf(w, "::%s::\n", token)
	return err
}

// lineWriter writes to w and records whether the last line written is open,
// without its newline.
type lineWriter struct {
	w    io.Writer
	open bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.open = p[len(p)-1] != '\n'
	}
	return l.w.Write(p)
}
