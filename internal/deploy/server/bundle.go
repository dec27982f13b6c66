package server

import (
	"archive/zip"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed defaultbundle
var defaultBundle embed.FS

// zipTime is every entry's modification time, so that an identical bundle
// zips to identical bytes.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Bundle returns the zipped revision: the bundle folder's files (or the
// default bundle) plus deploy.env, in a stable order with fixed times.
func Bundle(in Input) ([]byte, error) {
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
// files stay inside it and its appspec.yml is sound (an *deploy.AppSpecError
// names the line).
func CheckBundle(dir string) error {
	_, err := bundleFiles(Input{Bundle: dir})
	return err
}

// bundleFiles reads the bundle folder, or the default bundle, and checks
// its appspec.yml.
func bundleFiles(in Input) ([]bundleFile, error) {
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
	root, err := fs.Sub(defaultBundle, "defaultbundle")
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
