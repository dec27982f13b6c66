// Package s3bundle makes the revision bundles of the Server and in-place
// revision sources: files zipped in a stable order with fixed times, and
// uploaded to S3 by content hash.
package s3bundle

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// File is one file of a revision bundle.
type File struct {
	Name string // slash-separated, relative to the bundle's root
	Mode fs.FileMode
	Data []byte
}

// zipTime is every entry's modification time, so that an identical bundle
// zips to identical bytes.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// EmbeddedFiles reads every file of fsys (an embedded bundle folder);
// scripts (.sh) are executable.
func EmbeddedFiles(fsys fs.FS) ([]File, error) {
	var files []File
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
		files = append(files, File{Name: p, Mode: mode, Data: data})
		return nil
	})
	return files, err
}

// Zip zips files in the order of their names, with fixed times.
func Zip(files []File) ([]byte, error) {
	files = append([]File(nil), files...)
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
