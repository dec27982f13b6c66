package bundlediff

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDiff(t *testing.T) {
	t.Parallel()
	appspec := "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n"
	live := zipOf(t, map[string]string{
		"appspec.yml":      appspec,
		"deploy.env":       "IMAGE_URI='repo@sha256:1111'\nAWS_REGION='us-east-1'\n",
		"scripts/old.sh":   "#!/bin/sh\necho old\n",
		"scripts/start.sh": "#!/bin/sh\ndocker run\n",
		"bin/tool":         "\x00\x01\x02",
	})
	next := zipOf(t, map[string]string{
		"appspec.yml":      appspec,
		"deploy.env":       "IMAGE_URI='repo@sha256:2222'\nAWS_REGION='us-east-1'\n",
		"scripts/start.sh": "#!/bin/sh\ndocker run\n",
		"scripts/new.sh":   "#!/bin/sh\necho new\n",
		"bin/tool":         "\x00\x01\x03",
	})
	diffs, err := Diff(live, next)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, d := range diffs {
		titles = append(titles, d.Title)
	}
	if got, want := strings.Join(titles, " "), "bin/tool deploy.env scripts/new.sh scripts/old.sh"; got != want {
		t.Fatalf("changed files %q, want %q", got, want)
	}
	for i, want := range []string{
		"-binary, sha256:",
		"--- live/deploy.env\n+++ next/deploy.env\n@@ -1,2 +1,2 @@\n-IMAGE_URI='repo@sha256:1111'\n+IMAGE_URI='repo@sha256:2222'\n AWS_REGION='us-east-1'\n",
		"+echo new\n",
		"-echo old\n",
	} {
		if !strings.Contains(diffs[i].Unified, want) {
			t.Errorf("diff of %s lacks %q:\n%s", diffs[i].Title, want, diffs[i].Unified)
		}
	}
	if same, err := Diff(live, live); err != nil || len(same) != 0 {
		t.Errorf("Diff of a bundle with itself = %v, %v; want nothing", same, err)
	}
	if _, err := Diff([]byte("not a zip"), next); err == nil || !strings.Contains(err.Error(), "reading the live bundle") {
		t.Errorf("Diff of a broken live bundle: err = %v", err)
	}
}
