package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Regions is a sandbox of several regions: one Sandbox per region, each
// with its own state (and, once the caller gives each its own listener and
// SetHost, its own registry host), sharing one clock, and a front handler
// that sends each API request to its region's sandbox. ECR replication
// crosses between them (Regions is their awssim.Registries).
type Regions struct {
	names     []string // in the order given; the first is the default
	sandboxes map[string]*Sandbox
}

var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// NewRegions returns a sandbox of each region, the first being the default
// one, with opts (but each its own Region, and one clock for all).
func NewRegions(opts awssim.Options, regions ...string) (*Regions, error) {
	if len(regions) == 0 {
		return nil, errors.New("regions: none given, want at least one (e.g. us-east-1)")
	}
	if opts.Clock == nil {
		scale := opts.TimeScale
		if scale == 0 {
			scale = awssim.DefaultTimeScale
		}
		opts.Clock = awssim.NewClock(scale)
	}
	rs := &Regions{sandboxes: map[string]*Sandbox{}}
	for _, region := range regions {
		if !regionName.MatchString(region) {
			return nil, fmt.Errorf("region %q: not a region name (e.g. eu-west-1)", region)
		}
		if rs.sandboxes[region] != nil {
			return nil, fmt.Errorf("region %q: given twice", region)
		}
		o := opts
		o.Region = region
		sb := New(o)
		sb.Peers.Registries = rs
		rs.names = append(rs.names, region)
		rs.sandboxes[region] = sb
	}
	return rs, nil
}

// Names returns the regions, the default first.
func (rs *Regions) Names() []string { return slices.Clone(rs.names) }

// Sandbox returns the sandbox of region, or nil.
func (rs *Regions) Sandbox(region string) *Sandbox { return rs.sandboxes[region] }

// Default returns the sandbox of the first region, which answers the
// requests that name no region.
func (rs *Regions) Default() *Sandbox { return rs.sandboxes[rs.names[0]] }

// Registry returns the ECR of region (awssim.Registries).
func (rs *Regions) Registry(region string) (awssim.ImageInbox, bool) {
	sb := rs.sandboxes[region]
	if sb == nil {
		return nil, false
	}
	return sb.images, true
}

// ServeHTTP sends a request to the sandbox of the region it is signed for
// (awssim.RequestRegion: the credential scope of its Authorization header
// or of a presigned URL's X-Amz-Credential); a request that names no
// region goes to the default region. A region the sandbox does not serve is
// refused as AWS refuses a credential scoped to an unknown region.
func (rs *Regions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	region, ok := awssim.RequestRegion(r)
	if !ok {
		rs.Default().ServeHTTP(w, r)
		return
	}
	sb := rs.sandboxes[region]
	if sb == nil {
		rs.Default().Refuse(w, r, &awssim.Error{Status: http.StatusForbidden, Code: "InvalidSignatureException",
			Message: fmt.Sprintf("Credential should be scoped to a valid region. The sandbox serves %v, not %q.", rs.names, region)})
		return
	}
	sb.ServeHTTP(w, r)
}

// Close closes every region's sandbox.
func (rs *Regions) Close() error {
	var errs []error
	for _, name := range rs.names {
		errs = append(errs, rs.sandboxes[name].Close())
	}
	return errors.Join(errs...)
}

var _ awssim.Registries = (*Regions)(nil)
