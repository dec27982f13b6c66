package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the S3 calls the Server revision makes; *s3.Client has them.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// ServerInput is what a Server (EC2/on-premises) revision is made from.
type ServerInput struct {
	Bundle          string // folder with appspec.yml at its root; "": the default bundle
	Bucket          string
	Prefix          string // key prefix, without slashes at either end
	Region          string // for the instance's ECR login and secret reads
	ImageURI        string // by digest
	ContainerName   string
	ContainerPort   int
	HealthCheckPath string
	Secrets         []SecretRef
}

// EnvFile is the file added at the bundle's root for its hook scripts.
const EnvFile = "deploy.env"

// ServerRevision zips the bundle (or the default one) with deploy.env,
// uploads it to S3 under a key made of its content hash (an identical
// bundle is not uploaded again) and returns the S3 revision with its ETag.
func ServerRevision(ctx context.Context, api S3API, in ServerInput) (Revision, error) {
	data, err := Bundle(in)
	if err != nil {
		return Revision{}, err
	}
	sum := sha256.Sum256(data)
	key := "bundle-" + hex.EncodeToString(sum[:]) + ".zip"
	if in.Prefix != "" {
		key = in.Prefix + "/" + key
	}
	where := "s3://" + in.Bucket + "/" + key

	var etag string
	head, err := api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(key)})
	var notFound *s3types.NotFound
	switch {
	case err == nil:
		etag = aws.ToString(head.ETag)
	case errors.As(err, &notFound):
		put, err := api.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(in.Bucket),
			Key:         aws.String(key),
			Body:        bytes.NewReader(data),
			ContentType: aws.String("application/zip"),
		})
		if err != nil {
			return Revision{}, fmt.Errorf("uploading the bundle to %s: %w", where, err)
		}
		etag = aws.ToString(put.ETag)
	default:
		return Revision{}, fmt.Errorf("checking for the bundle at %s: %w", where, err)
	}
	return Revision{
		Where: where,
		Location: types.RevisionLocation{
			RevisionType: types.RevisionLocationTypeS3,
			S3Location: &types.S3Location{
				Bucket:     aws.String(in.Bucket),
				Key:        aws.String(key),
				BundleType: types.BundleTypeZip,
				ETag:       aws.String(strings.Trim(etag, `"`)),
			},
		},
	}, nil
}

//go:embed serverbundle
var defaultBundle embed.FS

// zipTime is every entry's modification time, so that an identical bundle
// zips to identical bytes.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Bundle returns the zipped revision: the bundle folder's files (or the
// default bundle) plus deploy.env, in a stable order with fixed times.
func Bundle(in ServerInput) ([]byte, error) {
	files, err := bundleFiles(in)
	if err != nil {
		return nil, err
	}
	env, err := envFile(in)
	if err != nil {
		return nil, err
	}
	files = append(files, bundleFile{name: EnvFile, mode: 0o644, data: env})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("zipping %s: %w", f.name, err)
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, fmt.Errorf("zipping %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zipping the bundle: %w", err)
	}
	return buf.Bytes(), nil
}

type bundleFile struct {
	name string // slash-separated, relative to the bundle's root
	mode fs.FileMode
	data []byte
}

// CheckBundle checks a bundle folder before anything is sent to AWS: its
// files stay inside it and its appspec.yml is sound (an *AppSpecError
// names the line).
func CheckBundle(dir string) error {
	_, err := bundleFiles(ServerInput{Bundle: dir})
	return err
}

// bundleFiles reads the bundle folder, or the default bundle, and checks
// its appspec.yml.
func bundleFiles(in ServerInput) ([]bundleFile, error) {
	if in.Bundle == "" {
		if in.ContainerPort == 0 {
			return nil, fmt.Errorf("input %q: is required to generate the default bundle (the port the container listens on)", "container-port")
		}
		return embeddedFiles()
	}
	files, err := readBundle(in.Bundle)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.name == "appspec.yml" {
			return files, CheckAppSpec(filepath.Join(in.Bundle, "appspec.yml"), f.data, names(files))
		}
	}
	return nil, fmt.Errorf("bundle %s has no appspec.yml at its root", in.Bundle)
}

func names(files []bundleFile) map[string]bool {
	m := make(map[string]bool, len(files))
	for _, f := range files {
		m[f.name] = true
	}
	return m
}

func embeddedFiles() ([]bundleFile, error) {
	root, err := fs.Sub(defaultBundle, "serverbundle")
	if err != nil {
		return nil, err
	}
	var files []bundleFile
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(p, ".sh") {
			mode = 0o755
		}
		files = append(files, bundleFile{name: p, mode: mode, data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the default bundle: %w", err)
	}
	return files, nil
}

// readBundle reads every file under dir. A symbolic link is followed when
// it stays inside dir and names a file; any other link is refused.
func readBundle(dir string) ([]bundleFile, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", dir, err)
	}
	var files []bundleFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			return nil
		}
		real := p
		if d.Type()&fs.ModeSymlink != 0 {
			real, err = filepath.EvalSymlinks(p)
			if err != nil {
				return fmt.Errorf("bundle file %s is a broken symbolic link", name)
			}
			if !inside(root, real) {
				return fmt.Errorf("bundle file %s is a symbolic link that leaves the bundle folder (to %s)", name, real)
			}
		}
		fi, err := os.Stat(real)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("bundle file %s is not a regular file (a symbolic link to a folder, or a device)", name)
		}
		if name == EnvFile {
			return fmt.Errorf("bundle has its own %s: the action writes that file, remove it", EnvFile)
		}
		data, err := os.ReadFile(real)
		if err != nil {
			return err
		}
		files = append(files, bundleFile{name: name, mode: fi.Mode().Perm(), data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", dir, err)
	}
	return files, nil
}

func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// envFile renders deploy.env: shell assignments of the image, the
// container and the secrets' references, for the hook scripts to source.
func envFile(in ServerInput) ([]byte, error) {
	name := in.ContainerName
	if name == "" {
		name = "app"
	}
	healthPath := in.HealthCheckPath
	if healthPath == "" {
		healthPath = "/"
	}
	var b strings.Builder
	b.WriteString("# Written by bluegreen-deploy for the hook scripts. Secrets are references\n")
	b.WriteString("# (ARNs): the instance reads their values with its own role.\n")
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	line("IMAGE_URI", in.ImageURI)
	line("AWS_REGION", in.Region)
	line("CONTAINER_NAME", name)
	if in.ContainerPort > 0 {
		line("CONTAINER_PORT", fmt.Sprint(in.ContainerPort))
	} else {
		line("CONTAINER_PORT", "")
	}
	line("HEALTH_CHECK_PATH", healthPath)
	var secretNames []string
	for _, s := range in.Secrets {
		if err := s.check(); err != nil {
			return nil, err
		}
		secretNames = append(secretNames, s.Name)
	}
	line("SECRET_NAMES", strings.Join(secretNames, " "))
	for _, s := range in.Secrets {
		line("SECRET_ARN_"+s.Name, s.ValueFrom)
	}
	return []byte(b.String()), nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cleanLocation turns an AppSpec path into a bundle file name ("" for the
// root), and reports false when it leaves the bundle.
func cleanLocation(p string) (string, bool) {
	p = strings.TrimSpace(p)
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", false
		}
	}
	return strings.TrimPrefix(path.Clean("/"+p), "/"), true
}
