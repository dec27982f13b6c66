package agent

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	Permissions []struct {
		Object string   `yaml:"object"`
		Mode   string   `yaml:"mode"`
		Type   []string `yaml:"type"`
	} `yaml:"permissions"`
	Hooks map[string][]hookScript `yaml:"hooks"`
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
// the group's previous install copied first, as the agent does), sets their
// permissions' modes, and records root as the last successful install.
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
	in := &installer{fileExists: fileExists}
	if in.fileExists == "" {
		in.fileExists = "DISALLOW"
	}
	for _, f := range spec.Files {
		if err := in.copy(filepath.Join(archive, f.Source), f.Destination); err != nil {
			return err
		}
	}
	if err := os.WriteFile(cleanup, []byte(strings.Join(in.created, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	for _, p := range spec.Permissions {
		mode, err := strconv.ParseUint(p.Mode, 8, 32)
		if p.Mode == "" {
			continue
		}
		if err != nil {
			return fmt.Errorf("permissions of %s: mode %q is not octal", p.Object, p.Mode)
		}
		if err := in.chmod(p.Object, fs.FileMode(mode), p.Type); err != nil {
			return err
		}
	}
	return os.WriteFile(a.instructions(groupID, "_last_successful_install"), []byte(root+"\n"), 0o644)
}

// agentMessage is an error in the agent's own words.
type agentMessage string

func (m agentMessage) Error() string { return string(m) }

// installer copies files as the agent's Installer does and remembers what
// it created, for the next install's clean-up.
type installer struct {
	fileExists string
	created    []string
}

// copy copies a file to dest/<its name>, or a folder's content into dest.
func (in *installer) copy(src, dest string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("the source %s is not in the bundle", src)
	}
	if !info.IsDir() {
		dest = filepath.Join(dest, filepath.Base(src))
	}
	if err := in.mkdirs(filepath.Dir(dest)); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dest, rel)
		if e.IsDir() {
			return in.mkdirs(target)
		}
		if _, err := os.Lstat(target); err == nil {
			switch in.fileExists {
			case "DISALLOW":
				return agentMessage("The deployment failed because a specified file already exists at this location: " + target)
			case "RETAIN":
				return nil
			}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := e.Info()
		if err := os.WriteFile(target, data, fi.Mode().Perm()); err != nil {
			return err
		}
		in.created = append(in.created, target)
		return nil
	})
}

// mkdirs creates dir and its missing parents, remembering each.
func (in *installer) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := in.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	in.created = append(in.created, dir)
	return nil
}

// chmod sets mode on object, or on what a folder holds of the given types
// (file, directory; default both), the folder itself excluded.
func (in *installer) chmod(object string, mode fs.FileMode, types []string) error {
	info, err := os.Stat(object)
	if err != nil {
		return fmt.Errorf("permissions: %w", err)
	}
	if !info.IsDir() {
		return os.Chmod(object, mode)
	}
	if len(types) == 0 {
		types = []string{"file", "directory"}
	}
	return filepath.WalkDir(object, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == object {
			return err
		}
		if e.IsDir() && slices.Contains(types, "directory") || !e.IsDir() && slices.Contains(types, "file") {
			return os.Chmod(p, mode)
		}
		return nil
	})
}
