package server_test

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

const (
	imageURI  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf"
)

// sandbox is a sandbox seeded with testdata/sandbox/server.yaml and an S3
// client pointed at it.
type sandbox struct {
	sb *awssimtest.Sandbox
	s3 *s3.Client
}

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sc, err := awssim.LoadScenario("../../../testdata/sandbox/server.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	return &sandbox{sb: sb, s3: s3.NewFromConfig(sb.Config(), func(o *s3.Options) { o.UsePathStyle = true })}
}

// calls counts the sandbox's recorded calls of an operation.
func (f *sandbox) calls(op string) int {
	n := 0
	for _, c := range f.sb.Calls() {
		if c.Operation == op {
			n++
		}
	}
	return n
}

func unzip(t testing.TB, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
	}
	return files
}
