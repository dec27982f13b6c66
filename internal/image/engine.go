package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
)

// probeTimeout bounds the check for the engine's BuildKit endpoint.
const probeTimeout = 15 * time.Second

// Engine is a connection to a Docker engine.
type Engine struct {
	api *client.Client
	bk  *bkclient.Client // nil: builds use the classic API

	Version    string // the engine's version
	NoBuildKit error  // why BuildKit is not used, or nil
}

// Connect connects to the Docker engine at host (a DOCKER_HOST value; ""
// for the default socket), and to its BuildKit endpoint where it has one.
func Connect(ctx context.Context, host string) (*Engine, error) {
	var opts []client.Opt // the client negotiates the API version itself
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to the Docker engine at %q: %w", host, err)
	}
	v, err := api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		api.Close()
		return nil, fmt.Errorf("connecting to the Docker engine at %s: %w", api.DaemonHost(), err)
	}
	e := &Engine{api: api, Version: v.Version}
	e.bk, e.NoBuildKit = connectBuildKit(ctx, api)
	return e, nil
}

// connectBuildKit opens BuildKit over the engine's /grpc and /session
// endpoints, as buildx's docker driver does, and checks it answers.
func connectBuildKit(ctx context.Context, api *client.Client) (*bkclient.Client, error) {
	bk, err := bkclient.New(ctx, "",
		bkclient.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return api.DialHijack(ctx, "/grpc", "h2c", nil)
		}),
		bkclient.WithSessionDialer(func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return api.DialHijack(ctx, "/session", proto, meta)
		}))
	if err != nil {
		return nil, fmt.Errorf("opening the engine's BuildKit endpoint: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := bk.ListWorkers(ctx); err != nil {
		bk.Close()
		return nil, fmt.Errorf("the engine's BuildKit endpoint does not answer: %w", err)
	}
	return bk, nil
}

// Close closes the connections.
func (e *Engine) Close() error {
	var err error
	if e.bk != nil {
		err = e.bk.Close()
	}
	return errors.Join(err, e.api.Close())
}

// pushOnce asks the engine to push ref (repository:tag) to its registry
// with auth, writing progress to w, and returns the pushed manifest's digest
// and whether the engine gave up on a layer upload after its own retries.
func (e *Engine) pushOnce(ctx context.Context, ref string, auth Auth, w io.Writer) (digest string, gaveUp bool, err error) {
	header, err := encodeAuth(auth)
	if err != nil {
		return "", false, err
	}
	resp, err := e.api.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: header})
	if err != nil {
		return "", false, err
	}
	defer resp.Close()
	var p pushProgress
	digest, err = p.read(resp, w)
	return digest, p.gaveUp(), err
}

// encodeAuth encodes auth for the engine's X-Registry-Auth header.
func encodeAuth(auth Auth) (string, error) {
	buf, err := json.Marshal(registry.AuthConfig{Username: auth.Username, Password: auth.Password, ServerAddress: auth.Server})
	if err != nil {
		return "", fmt.Errorf("encoding the registry login: %w", err)
	}
	return base64.URLEncoding.EncodeToString(buf), nil
}

// pushProgress is what a push's progress stream said about its layers.
type pushProgress struct {
	retried map[string]bool // layers whose upload the engine retried ("Retrying in 5 seconds")
	done    map[string]bool // layers in the registry ("Pushed", "Layer already exists", "Mounted from")
}

// gaveUp reports whether the engine retried a layer's upload and never got
// it into the registry: it has had its attempts.
func (p *pushProgress) gaveUp() bool {
	for id := range p.retried {
		if !p.done[id] {
			return true
		}
	}
	return false
}

// track records a layer's status.
func (p *pushProgress) track(m jsonstream.Message) {
	switch {
	case m.ID == "":
	case strings.HasPrefix(m.Status, "Retrying in "):
		if p.retried == nil {
			p.retried = map[string]bool{}
		}
		p.retried[m.ID] = true
	case m.Status == "Pushed" || m.Status == "Layer already exists" || strings.HasPrefix(m.Status, "Mounted from "):
		if p.done == nil {
			p.done = map[string]bool{}
		}
		p.done[m.ID] = true
	}
}

// read decodes the engine's JSON progress stream to its end, writing status
// lines (not progress bars) to w, and returns the digest from the stream's
// aux {Tag, Digest, Size} message.
func (p *pushProgress) read(r io.Reader, w io.Writer) (string, error) {
	var aux struct{ Tag, Digest string }
	err := readStream(r, &aux, func(m jsonstream.Message) {
		p.track(m)
		switch {
		case m.Progress != nil && m.Progress.Total > 0:
			// a progress bar update
		case m.ID != "":
			fmt.Fprintf(w, "%s: %s\n", m.ID, m.Status)
		case m.Status != "":
			fmt.Fprintln(w, m.Status)
		}
	})
	return aux.Digest, required(err, aux.Digest, "the engine's progress ended without the pushed digest")
}

// readStream decodes the engine's JSON message stream to its end: it stops
// at the stream's error, decodes aux messages into aux (one of another
// shape is passed over), and hands every other message to show.
func readStream(r io.Reader, aux any, show func(jsonstream.Message)) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's progress: %w", err)
		}
		switch {
		case m.Error != nil && isImmutableRejection(m.Error.Message):
			return fmt.Errorf("%w: %s", ErrImmutableTag, m.Error.Message)
		case m.Error != nil:
			return errors.New(strings.TrimSpace(m.Error.Message))
		case m.Aux != nil:
			json.Unmarshal(*m.Aux, aux)
		default:
			show(m)
		}
	}
}

// required is err, or when the stream ended without the value it carries,
// an error saying so.
func required(err error, value, missing string) error {
	if err == nil && value == "" {
		return errors.New(missing)
	}
	return err
}
