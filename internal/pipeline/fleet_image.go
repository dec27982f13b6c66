package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// replicaLimit is how long a region's replica may take before the image is
// pushed there instead: ECR replicates most images within minutes.
var replicaLimit = 10 * time.Minute

// regionImages gives each member the image in its own region: the one the
// image stage made in the run's region, and in every other region the
// same digest, waited for when ECR replication brings it there, else
// copied from the run's region. An existing image (input image) is
// deployed as given everywhere.
func (r *run) regionImages(ctx context.Context) error {
	home := r.result.Image
	uris := map[string]string{r.cfg.AWS.Region: home.URI}
	if r.cfg.BuildEnabled() {
		for _, region := range r.fleet.regions() {
			if uris[region] != "" {
				continue
			}
			img, err := r.imageIn(ctx, region)
			if err != nil {
				return fmt.Errorf("image in %s: %w", region, err)
			}
			uris[region] = img.URI()
		}
	}
	for _, m := range r.fleet.members {
		m.image = cmp.Or(uris[m.cfg.AWS.Region], home.URI)
	}
	return nil
}

// imageIn makes the run's image available in region's repository of the
// same name.
func (r *run) imageIn(ctx context.Context, region string) (image.Image, error) {
	home := r.result.Image
	repo, _, _ := strings.Cut(home.URI, "@")
	src := image.Image{Repository: repo, Digest: home.Digest, Tags: home.Tags}
	dst := r.fleet.clientsIn(region).ECR
	name := r.cfg.Image.Repository

	replicated, err := image.ReplicatesTo(ctx, r.clients.ECR, name, region)
	switch {
	case err != nil:
		r.rep.Infof("%v: pushing to %s", err, region)
	case replicated:
		r.rep.Infof("ECR replicates %s from %s to %s: waiting for %s there", name, r.cfg.AWS.Region, region, home.Digest)
		img, err := image.WaitReplica(ctx, dst, name, home.Digest, home.Tags, replicaLimit)
		if err == nil {
			r.rep.Infof("Replicated to %s: %s", region, img.URI())
			r.result.Image.Regions = append(r.result.Image.Regions, report.RegionImage{Region: region, URI: img.URI(), Replicated: true})
			return img, nil
		}
		if !errors.Is(err, image.ErrNoReplica) {
			return image.Image{}, err
		}
		r.rep.Warningf("ECR replication did not bring %s to %s within %s: pushing it there", home.Digest, region, replicaLimit)
	}
	from, err := image.Login(ctx, r.clients.ECR)
	if err != nil {
		return image.Image{}, err
	}
	req := image.RequestFor(r.cfg, nil, time.Now())
	img, err := image.CopyTo(ctx, src, from, dst, req, report.NewImageLog(r.rep, r.result))
	if err != nil {
		return image.Image{}, err
	}
	if img.Pushed {
		r.rep.Infof("Pushed %s", img.URI())
	}
	r.result.Image.Regions = append(r.result.Image.Regions, report.RegionImage{Region: region, URI: img.URI()})
	return img, nil
}
