package awssimtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// Push writes img to the sandbox's registry as ref (repo:tag) the way a
// registry client does: each blob in a POST, PATCH, PUT upload, then the
// manifest. (go-containerregistry's remote package would need
// github.com/docker/cli in go.sum.)
func Push(sb *Sandbox, password, ref string, img v1.Image) error {
	repo, tag, _ := strings.Cut(ref, ":")
	do := func(method, url, contentType string, body []byte, want int) (*http.Response, error) {
		if !strings.HasPrefix(url, "http") {
			url = sb.URL + url
		}
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth("AWS", password)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return nil, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(msg))
		}
		return resp, nil
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	config, err := partial.ConfigLayer(img)
	if err != nil {
		return err
	}
	for _, l := range append(layers, config) {
		digest, _ := l.Digest()
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		resp, err := do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", "", nil, http.StatusAccepted)
		if err != nil {
			return err
		}
		if resp, err = do(http.MethodPatch, resp.Header.Get("Location"), "application/octet-stream", data, http.StatusAccepted); err != nil {
			return err
		}
		if _, err := do(http.MethodPut, resp.Header.Get("Location")+"?digest="+digest.String(), "", nil, http.StatusCreated); err != nil {
			return err
		}
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	mediaType, err := img.MediaType()
	if err != nil {
		return err
	}
	_, err = do(http.MethodPut, "/v2/"+repo+"/manifests/"+tag, string(mediaType), manifest, http.StatusCreated)
	return err
}

// RandomImage returns a random image of two 1 KiB layers.
func RandomImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
