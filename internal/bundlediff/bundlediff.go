// Package bundlediff shows how a CodeDeploy bundle (a zip of an AppSpec
// and its scripts) would change: each file that differs between the live
// bundle and the one a deploy would upload, as a unified diff.
package bundlediff

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// maxFile is the largest file read from a bundle; a larger one is compared
// by its digest only.
const maxFile = 1 << 20

// Diff compares two zipped bundles file by file, in the order of their
// names: a text file that changed, appeared or went is a unified diff from
// "live/<name>" to "next/<name>"; a binary or large one is a line naming
// its digests. Files that are the same are left out.
func Diff(live, next []byte) ([]plan.Diff, error) {
	a, err := Files(live)
	if err != nil {
		return nil, fmt.Errorf("reading the live bundle: %w", err)
	}
	b, err := Files(next)
	if err != nil {
		return nil, fmt.Errorf("reading the new bundle: %w", err)
	}
	names := slices.Sorted(maps.Keys(a))
	for name := range b {
		if _, ok := a[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var diffs []plan.Diff
	for _, name := range names {
		x, inLive := a[name]
		y, inNext := b[name]
		if inLive == inNext && x == y {
			continue
		}
		diffs = append(diffs, plan.Diff{Title: name, Unified: unified(name, x, y)})
	}
	return diffs, nil
}

// unified is the diff of one file's contents ("" when it is absent).
func unified(name, x, y string) string {
	if text(x) && text(y) {
		return udiff.Unified("live/"+name, "next/"+name, x, y)
	}
	return fmt.Sprintf("--- live/%s\n+++ next/%s\n-%s\n+%s\n", name, name, digest(x), digest(y))
}

// Files reads a zipped bundle's regular files: name to contents (a file
// over 1 MiB is a placeholder naming its CRC).
func Files(data []byte) (map[string]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > maxFile {
			m[f.Name] = fmt.Sprintf("\x00large file, crc32 %08x", f.CRC32) // compared, never shown as text
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		m[f.Name] = string(content)
	}
	return m, nil
}

// text reports whether s reads as text: UTF-8 without NUL.
func text(s string) bool { return utf8.ValidString(s) && !bytes.ContainsRune([]byte(s), 0) }

// digest names a binary file's contents ("absent" for none).
func digest(s string) string {
	if s == "" {
		return "absent"
	}
	return fmt.Sprintf("binary, sha256:%x", sha256.Sum256([]byte(s)))
}
