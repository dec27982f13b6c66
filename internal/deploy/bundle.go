package deploy

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// BundleFile is one file of a revision bundle.
type BundleFile struct {
	Name string // slash-separated, relative to the bundle's root
	Mode fs.FileMode
	Data []byte
}

// zipTime is every entry's modification time, so that an identical bundle
// zips to identical bytes.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// EmbeddedFiles reads every file of fsys (an embedded bundle folder);
// scripts (.sh) are executable.
func EmbeddedFiles(fsys fs.FS) ([]BundleFile, error) {
	var files []BundleFile
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(p, ".sh") {
			mode = 0o755
		}
		files = append(files, BundleFile{Name: p, Mode: mode, Data: data})
		return nil
	})
	return files, err
}

// ZipBundle zips files in the order of their names, with fixed times.
func ZipBundle(files []BundleFile) ([]byte, error) {
	files = append([]BundleFile(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(f.Mode)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write(f.Data)
		}
		if err != nil {
			return nil, fmt.Errorf("zipping %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zipping the bundle: %w", err)
	}
	return buf.Bytes(), nil
}
