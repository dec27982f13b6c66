package server

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/hostscripts"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/s3bundle"
)

//go:embed defaultbundle
var defaultBundle embed.FS

// Bundle returns the zipped revision: the bundle folder's files (or the
// default bundle with the shared host scripts) plus deploy.env, in a stable
// order with fixed times.
func Bundle(in Input) ([]byte, error) {
	files, err := bundleFiles(in)
	if err != nil {
		return nil, err
	}
	env, err := hostscripts.EnvFile(hostscripts.Env{
		ImageURI: in.ImageURI, Region: in.Region, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort,
		HealthCheckPath: in.HealthCheckPath, HealthCheckTimeout: in.HealthTimeout, Secrets: in.Secrets,
	})
	if err != nil {
		return nil, err
	}
	return s3bundle.Zip(append(files, s3bundle.File{Name: hostscripts.EnvFileName, Mode: 0o644, Data: env}))
}

// CheckBundle checks a bundle folder before anything is sent to AWS: its
// files stay inside it and its appspec.yml is sound (an *deploy.AppSpecError
// names the line).
func CheckBundle(dir string) error {
	_, err := bundleFiles(Input{Bundle: dir})
	return err
}

// bundleFiles reads the bundle folder, or the default bundle, and checks
// its appspec.yml.
func bundleFiles(in Input) ([]s3bundle.File, error) {
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
		if f.Name == "appspec.yml" {
			return files, CheckAppSpec(filepath.Join(in.Bundle, "appspec.yml"), f.Data, names(files))
		}
	}
	return nil, fmt.Errorf("bundle %s has no appspec.yml at its root", in.Bundle)
}

func names(files []s3bundle.File) map[string]bool {
	m := make(map[string]bool, len(files))
	for _, f := range files {
		m[f.Name] = true
	}
	return m
}

// embeddedFiles is the default bundle and the shared host scripts.
func embeddedFiles() ([]s3bundle.File, error) {
	root, err := fs.Sub(defaultBundle, "defaultbundle")
	if err != nil {
		return nil, err
	}
	files, err := s3bundle.EmbeddedFiles(root)
	if err != nil {
		return nil, fmt.Errorf("reading the default bundle: %w", err)
	}
	return hostscripts.Add(files)
}

// readBundle reads every file under dir. A symbolic link is followed when
// it stays inside dir and names a file; any other link is refused.
func readBundle(dir string) ([]s3bundle.File, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", dir, err)
	}
	var files []s3bundle.File
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
		if name == hostscripts.EnvFileName {
			return fmt.Errorf("bundle has its own %s: the action writes that file, remove it", hostscripts.EnvFileName)
		}
		data, err := os.ReadFile(real)
		if err != nil {
			return err
		}
		files = append(files, s3bundle.File{Name: name, Mode: fi.Mode().Perm(), Data: data})
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
