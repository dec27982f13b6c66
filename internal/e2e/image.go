package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildImage builds the action's image from root's Dockerfile through the
// Docker engine and tags it. It needs no network: the build context is a copy
// of the repository's files (tracked and untracked, not ignored) with the
// modules vendored into it, which the Dockerfile then builds with; its
// build-stage image must be local (.ci/images.sh) or pullable.
func BuildImage(ctx context.Context, root, tag string, log io.Writer) error {
	dir, err := os.MkdirTemp("", "bluegreen-deploy-context-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	files, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("listing the files of %s: %w", root, err)
	}
	for name := range bytes.SplitSeq(bytes.TrimRight(files, "\x00"), []byte{0}) {
		if err := copyFile(filepath.Join(root, string(name)), filepath.Join(dir, string(name))); err != nil {
			return err
		}
	}
	vendor := exec.CommandContext(ctx, "go", "mod", "vendor", "-o", filepath.Join(dir, "vendor"))
	vendor.Dir, vendor.Stdout, vendor.Stderr = root, log, log
	if err := vendor.Run(); err != nil {
		return fmt.Errorf("vendoring the modules: %w", err)
	}
	build := exec.CommandContext(ctx, "docker", "build", "--tag", tag, dir)
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return fmt.Errorf("building %s from %s/Dockerfile (offline, the build-stage image must be local: bash .ci/images.sh): %w", tag, root, err)
	}
	return nil
}

// RemoveImages untags the local images named under prefix, such as those the
// action built for a sandbox's registry (prefix "127.0.0.1:port/").
func RemoveImages(ctx context.Context, prefix string) error {
	out, err := exec.CommandContext(ctx, "docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}").Output()
	if err != nil {
		return fmt.Errorf("listing images: %w", err)
	}
	var refs []string
	for ref := range strings.FieldsSeq(string(out)) {
		if strings.HasPrefix(ref, prefix) {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	if out, err := exec.CommandContext(ctx, "docker", append([]string{"image", "rm"}, refs...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("removing %v: %w: %s", refs, err, bytes.TrimSpace(out))
	}
	return nil
}

// copyFile copies a regular file with its mode; files deleted from the
// working tree are skipped.
func copyFile(src, dst string) error {
	fi, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) || err == nil && !fi.Mode().IsRegular() {
		return nil
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, fi.Mode().Perm())
}

// Size is an image's size: its layers as stored, and gzip-compressed as a
// registry serves them (what a runner pulls).
type Size struct {
	Uncompressed int64
	Compressed   int64
}

// ImageSize measures a local image's layers from docker save, compressing
// each one as it streams by.
func ImageSize(ctx context.Context, ref string) (Size, error) {
	cmd := exec.CommandContext(ctx, "docker", "save", ref)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Size{}, err
	}
	if err := cmd.Start(); err != nil {
		return Size{}, err
	}
	sizes, layers, err := readSave(out)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return Size{}, fmt.Errorf("reading docker save %s: %w", ref, err)
	}
	if err := cmd.Wait(); err != nil {
		return Size{}, fmt.Errorf("docker save %s: %w: %s", ref, err, stderr.Bytes())
	}
	var total Size
	for _, layer := range layers {
		s, ok := sizes[layer]
		if !ok {
			return Size{}, fmt.Errorf("docker save %s: layer %s is missing", ref, layer)
		}
		total.Uncompressed += s.Uncompressed
		total.Compressed += s.Compressed
	}
	return total, nil
}

// readSave reads a docker save archive: the size of each file in it, and
// the layer files its manifest lists.
func readSave(r io.Reader) (map[string]Size, []string, error) {
	sizes := map[string]Size{}
	var layers []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Name == "manifest.json" {
			var manifest []struct{ Layers []string }
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return nil, nil, fmt.Errorf("manifest.json: %w", err)
			}
			if len(manifest) != 1 {
				return nil, nil, fmt.Errorf("manifest.json lists %d images, want 1", len(manifest))
			}
			layers = manifest[0].Layers
			continue
		}
		var compressed countWriter
		zw := gzip.NewWriter(&compressed)
		if _, err := io.Copy(zw, tr); err != nil {
			return nil, nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, nil, err
		}
		sizes[h.Name] = Size{Uncompressed: h.Size, Compressed: int64(compressed)}
	}
	if layers == nil {
		return nil, nil, errors.New("no manifest.json")
	}
	return sizes, layers, nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
