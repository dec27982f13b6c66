package report

import (
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
)

// ImageLog is image.Publish's Observer for a run: log groups for the build
// and the push, their spans on the timeline of res, and the ECR password
// masked.
type ImageLog struct {
	rep   *Reporter
	res   *Result
	start time.Time
}

// NewImageLog returns the ImageLog of res.
func NewImageLog(rep *Reporter, res *Result) *ImageLog { return &ImageLog{rep: rep, res: res} }

func (l *ImageLog) Write(p []byte) (int, error) { return l.rep.out.Write(p) }
func (l *ImageLog) LoggedIn(a image.Auth)       { l.rep.Mask(a.Password) }
func (l *ImageLog) Built(id string)             { l.rep.Infof("Built %s", id) }

func (l *ImageLog) Cached(c image.Cache) {
	if c.Warning != nil {
		l.rep.Warningf("Build cache: %v", c.Warning)
	}
	l.rep.Infof("Build cache: %s", c)
}

func (l *ImageLog) RepositoryCreated(repo image.Repository) {
	l.rep.Noticef("Created ECR repository %s (scan on push, immutable tags)", repo.URI)
}

func (l *ImageLog) Found(ref, digest string) {
	l.rep.Infof("%s is already in ECR as %s: nothing to build or push", ref, digest)
}

func (l *ImageLog) ClassicBuilder(version string, why error) {
	l.rep.Noticef("Building with the Docker engine's classic builder (engine %s): %v", version, why)
}

func (l *ImageLog) Begin(s image.Step, names []string) {
	l.start = time.Now()
	if s == image.StepBuild {
		l.rep.Group("Building " + names[0])
	} else {
		l.rep.Group("Pushing " + strings.Join(names, ", "))
	}
}

func (l *ImageLog) End(s image.Step, err error) {
	l.rep.EndGroup()
	if s == image.StepBuild || err == nil {
		l.res.AddSpan(string(s), l.start, time.Now())
	}
}
