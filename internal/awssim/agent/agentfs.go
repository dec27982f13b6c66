package agent

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"gopkg.in/yaml.v3"
)

// serverAppSpec is what the exec agent reads from an EC2/On-Premises AppSpec.
type serverAppSpec struct {
	Files []struct {
		Source      string `yaml:"source"`
		Destination string `yaml:"destination"`
	} `yaml:"files"`
	Permissions        []permission            `yaml:"permissions"`
	Hooks              map[string][]hookScript `yaml:"hooks"`
	FileExistsBehavior string                  `yaml:"file_exists_behavior"`
}

// permission is an entry of the AppSpec's permissions section, with the
// agent's defaults (LinuxPermissionInfo): pattern "**", type file and
// directory.
type permission struct {
	Object  string   `yaml:"object"`
	Pattern string   `yaml:"pattern"`
	Except  []string `yaml:"except"`
	Mode    string   `yaml:"mode"`
	Type    []string `yaml:"type"`
}

type hookScript struct {
	Location string `yaml:"location"`
	Timeout  int    `yaml:"timeout"` // seconds; 0: the default 3600
	Runas    string `yaml:"runas"`
}

// readAppSpec reads appspec.yml (or appspec.yaml) from an unpacked archive.
func readAppSpec(archive string) (*serverAppSpec, error) {
	data, err := os.ReadFile(filepath.Join(archive, "appspec.yml"))
	if errors.Is(err, fs.ErrNotExist) {
		data, err = os.ReadFile(filepath.Join(archive, "appspec.yaml"))
	}
	if err != nil {
		return nil, awssim.ErrNoAppSpec
	}
	var spec serverAppSpec
	if err := yaml.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("invalid appspec.yml: %v", err)
	}
	return &spec, nil
}

// instructions returns the path of a group's file in deployment-instructions.
func (a *execAgent) instructions(groupID, name string) string {
	return filepath.Join(a.root, "deployment-instructions", groupID+name)
}

// lastInstall returns the deployment root of the group's last successful
// install on this host, or "".
func (a *execAgent) lastInstall(groupID string) string {
	data, _ := os.ReadFile(a.instructions(groupID, "_last_successful_install"))
	return strings.TrimSpace(string(data))
}

// download unpacks a bundle (zip, tar or tgz) into root/deployment-archive
// and records root as the group's most recent install.
func (a *execAgent) download(groupID, root string, bundle []byte, bundleType string) error {
	archive := filepath.Join(root, "deployment-archive")
	if err := os.RemoveAll(archive); err != nil {
		return err
	}
	if err := unpack(archive, bundle, bundleType); err != nil {
		return fmt.Errorf("unpacking the bundle: %w", err)
	}
	return os.WriteFile(a.instructions(groupID, "_most_recent_install"), []byte(root+"\n"), 0o644)
}

// unpack writes a bundle's regular files and folders under dir, refusing
// names that leave it.
func unpack(dir string, bundle []byte, bundleType string) error {
	write := func(name string, mode fs.FileMode, isDir bool, r io.Reader) error {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if !strings.HasPrefix(target, dir+string(filepath.Separator)) && target != dir {
			return fmt.Errorf("entry %q leaves the archive", name)
		}
		if isDir {
			return os.MkdirAll(target, 0o755)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm()|0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		return errors.Join(err, f.Close())
	}
	if bundleType == "zip" || bundleType == "" && bytes.HasPrefix(bundle, []byte("PK")) {
		zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
		if err != nil {
			return err
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			mode := f.Mode()
			if mode.Perm() == 0 {
				mode = 0o644
			}
			err = write(f.Name, mode, f.FileInfo().IsDir(), rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
		return os.MkdirAll(dir, 0o755)
	}
	var r io.Reader = bytes.NewReader(bundle)
	if bundleType == "tgz" || bundleType == "" && bytes.HasPrefix(bundle, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeDir {
			if err := write(h.Name, fs.FileMode(h.Mode), h.Typeflag == tar.TypeDir, tr); err != nil {
				return err
			}
		}
	}
}

// install copies the AppSpec's files to their destinations (removing what
// the group's previous install copied first), sets their permissions'
// modes, and records root as the last successful install, as the agent's
// Installer does: it plans every copy first, so a file that exists under
// DISALLOW fails the install before anything is copied; the AppSpec's
// file_exists_behavior wins over the deployment's (generate_instructions).
func (a *execAgent) install(groupID, root, fileExists string) error {
	archive := filepath.Join(root, "deployment-archive")
	spec, err := readAppSpec(archive)
	if err != nil {
		return err
	}
	cleanup := a.instructions(groupID, "-cleanup")
	if data, err := os.ReadFile(cleanup); err == nil {
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		for _, p := range slices.Backward(lines) {
			os.Remove(p) // folders only when empty, as the agent's rmdir
		}
		os.Remove(cleanup)
	}
	behavior := cmp.Or(spec.FileExistsBehavior, fileExists, "DISALLOW")
	in := &installer{behavior: behavior, copies: map[string]string{}, dirs: map[string]bool{}}
	for _, f := range spec.Files {
		if err := in.plan(filepath.Join(archive, f.Source), f.Destination); err != nil {
			return err
		}
	}
	created, err := in.run()
	if werr := os.WriteFile(cleanup, []byte(strings.Join(created, "\n")+"\n"), 0o644); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	for _, p := range spec.Permissions {
		if err := in.chmod(p); err != nil {
			return err
		}
	}
	return os.WriteFile(a.instructions(groupID, "_last_successful_install"), []byte(root+"\n"), 0o644)
}

// agentMessage is an error in the agent's own words.
type agentMessage string

func (m agentMessage) Error() string { return string(m) }

// installer plans an install as the agent's InstallInstruction does: the
// folders to make and the files to copy, in order; then runs it.
type installer struct {
	behavior string
	steps    []installStep
	copies   map[string]string // destination -> source
	dirs     map[string]bool   // folders the install makes
}

// installStep makes dest (src "") or copies src to dest.
type installStep struct{ src, dest string }

// plan adds the copy of a file to dest/<its name>, or of a folder's
// content into dest, with the folders they need.
func (in *installer) plan(src, dest string) error {
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("the source %s is not in the bundle", src)
	}
	if !info.IsDir() {
		dest = filepath.Join(dest, filepath.Base(src))
		in.ancestors(dest)
		return in.planFile(src, dest)
	}
	in.ancestors(dest)
	return in.planDir(src, dest)
}

// ancestors plans the missing folders above dest (fill_in_missing_ancestors).
func (in *installer) ancestors(dest string) {
	var missing []string
	for dir := filepath.Dir(dest); dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		missing = append(missing, dir)
	}
	for _, dir := range slices.Backward(missing) {
		in.mkdir(dir)
	}
}

func (in *installer) mkdir(dir string) {
	if !in.dirs[dir] {
		in.dirs[dir] = true
		in.steps = append(in.steps, installStep{dest: dir})
	}
}

// planDir plans a folder's copy (generate_directory_copy).
func (in *installer) planDir(src, dest string) error {
	if info, err := os.Stat(dest); err != nil || !info.IsDir() {
		in.mkdir(dest)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dest, e.Name())
		if e.IsDir() {
			err = in.planDir(s, d)
		} else {
			err = in.planFile(s, d)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// planFile plans a file's copy under the file-exists behavior
// (generate_normal_copy).
func (in *installer) planFile(src, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		switch in.behavior {
		case "DISALLOW":
			return agentMessage("The deployment failed because a specified file already exists at this location: " + dest)
		case "RETAIN":
			return nil
		case "OVERWRITE":
		default:
			return agentMessage(fmt.Sprintf("The deployment failed because an invalid option was specified for fileExistsBehavior: %s. Valid options include OVERWRITE, RETAIN, and DISALLOW.", in.behavior))
		}
	}
	if other, ok := in.copies[dest]; ok {
		return agentMessage(fmt.Sprintf("The deployment failed because the application specification file specifies two source files named %s and %s for the same destination (%s). Remove one of the source file paths from the AppSpec file, and then try again.", src, other, dest))
	}
	in.copies[dest] = src
	in.steps = append(in.steps, installStep{src: src, dest: dest})
	return nil
}

// run makes the planned folders and copies the planned files, and returns
// what it created, for the next install's clean-up.
func (in *installer) run() ([]string, error) {
	var created []string
	for _, st := range in.steps {
		if st.src == "" {
			if err := os.Mkdir(st.dest, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return created, err
			}
			created = append(created, st.dest)
			continue
		}
		data, err := os.ReadFile(st.src)
		if err != nil {
			return created, err
		}
		info, err := os.Stat(st.src)
		if err != nil {
			return created, err
		}
		if err := os.WriteFile(st.dest, data, info.Mode().Perm()); err != nil {
			return created, err
		}
		created = append(created, st.dest)
	}
	return created, nil
}

// chmod sets a permission's mode as the agent's Installer does: on the
// object when the install copied it (and type includes file), else, when
// the object is a folder, on what the install copied or made under it that
// matches the pattern and type; anything else (a missing object, files the
// install did not copy) is left alone.
func (in *installer) chmod(p permission) error {
	if p.Mode == "" {
		return nil
	}
	mode, err := strconv.ParseUint(p.Mode, 8, 32)
	if err != nil {
		return fmt.Errorf("permissions of %s: mode %q is not octal", p.Object, p.Mode)
	}
	types := p.Type
	if len(types) == 0 {
		types = []string{"file", "directory"}
	}
	object := filepath.Clean(p.Object)
	if _, ok := in.copies[object]; ok {
		if slices.Contains(types, "file") {
			return os.Chmod(object, fs.FileMode(mode))
		}
		return nil
	}
	if info, err := os.Stat(object); !in.dirs[object] && (err != nil || !info.IsDir()) {
		return nil
	}
	var matches []string
	if slices.Contains(types, "file") {
		matches = append(matches, slices.Sorted(maps.Keys(in.copies))...)
	}
	if slices.Contains(types, "directory") {
		matches = append(matches, slices.Sorted(maps.Keys(in.dirs))...)
	}
	for _, m := range matches {
		if p.matches(object, m) {
			if err := os.Chmod(m, fs.FileMode(mode)); err != nil {
				return err
			}
		}
	}
	return nil
}

// matches reports whether name, under object, matches the permission's
// pattern and none of its except patterns (LinuxPermissionInfo's
// matches_pattern? and matches_except?: "**" is anything below, another
// pattern a name directly in object with * as its one wildcard).
func (p permission) matches(object, name string) bool {
	rel, ok := strings.CutPrefix(name, strings.TrimSuffix(object, "/")+"/")
	if !ok {
		return false
	}
	for _, e := range p.Except {
		if simpleGlob(e, rel) {
			return false
		}
	}
	pattern := cmp.Or(p.Pattern, "**")
	return pattern == "**" || simpleGlob(pattern, rel)
}

// simpleGlob matches a name without "/" against a pattern whose only
// wildcard is * (matches_simple_glob).
func simpleGlob(pattern, name string) bool {
	if strings.Contains(name, "/") {
		return false
	}
	head, rest, star := strings.Cut(pattern, "*")
	if !star {
		return pattern == name
	}
	if !strings.HasPrefix(name, head) {
		return false
	}
	name = name[len(head):]
	for i := 0; i <= len(name); i++ {
		if simpleGlob(rest, name[i:]) {
			return true
		}
	}
	return false
}
