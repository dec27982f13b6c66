package codedeploy

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"

	"gopkg.in/yaml.v3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// cdRevision is a deployment's revision in its wire shape (revisionLocation).
type cdRevision struct {
	RevisionType   string          `json:"revisionType"`
	S3Location     *cdS3Location   `json:"s3Location,omitempty"`
	GitHubLocation json.RawMessage `json:"gitHubLocation,omitempty"`
	AppSpecContent *cdRawString    `json:"appSpecContent,omitempty"`
	String         *cdRawString    `json:"string,omitempty"` // Lambda only
}

// cdRawString is an AppSpec given inline (AppSpecContent or RawString).
type cdRawString struct {
	Content string `json:"content,omitempty"`
	Sha256  string `json:"sha256,omitempty"`
}

type cdS3Location struct {
	Bucket     string `json:"bucket,omitempty"`
	Key        string `json:"key,omitempty"`
	BundleType string `json:"bundleType,omitempty"`
	Version    string `json:"version,omitempty"`
	ETag       string `json:"eTag,omitempty"`
}

// public returns the revision as GetDeployment shows it: AppSpec content
// replaced by its SHA-256.
func (r *cdRevision) public() *cdRevision {
	if r == nil || r.AppSpecContent == nil && r.String == nil {
		return r
	}
	out := *r
	hide := func(c *cdRawString) *cdRawString {
		if c == nil {
			return nil
		}
		sum := sha256.Sum256([]byte(c.Content))
		return &cdRawString{Sha256: hex.EncodeToString(sum[:])}
	}
	out.AppSpecContent, out.String = hide(r.AppSpecContent), hide(r.String)
	return &out
}

// cdSpec is what the engine needs from a revision's AppSpec.
type cdSpec struct {
	hooks     map[string][]string // event -> script locations (Server) or Lambda functions (ECS)
	bundleErr string              // Server: why DownloadBundle fails
	taskDef   string              // ECS
	container string
	port      int
	lambda    *cdLambdaSpec
	network   json.RawMessage // ECS: the AppSpec's NetworkConfiguration in ECS's wire shape
}

// cdParseRevision checks a revision for a compute platform and reads its AppSpec.
func (s *Service) cdParseRevision(platform string, rev *cdRevision) (cdSpec, error) {
	invalid := func(format string, args ...any) (cdSpec, error) {
		return cdSpec{}, awssim.Errorf("InvalidRevisionException", format, args...)
	}
	switch rev.RevisionType {
	case "S3":
		loc := rev.S3Location
		if loc == nil || loc.Bucket == "" || loc.Key == "" {
			return invalid("The S3 revision must name a bucket and a key.")
		}
		data, ok := s.Peers.Objects.Object(loc.Bucket, loc.Key)
		if platform == "ECS" {
			if loc.BundleType != "YAML" && loc.BundleType != "JSON" {
				return invalid("An ECS revision in S3 must have bundle type YAML or JSON, not %q.", loc.BundleType)
			}
			if !ok {
				return invalid("The AppSpec file s3://%s/%s does not exist.", loc.Bucket, loc.Key)
			}
			return cdECSSpec(data)
		}
		if !ok {
			return cdSpec{bundleErr: fmt.Sprintf("The specified key does not exist: s3://%s/%s", loc.Bucket, loc.Key)}, nil
		}
		hooks, err := cdServerHooks(data, loc.BundleType)
		if err != nil {
			return cdSpec{bundleErr: fmt.Sprintf("The revision s3://%s/%s cannot be used: %v", loc.Bucket, loc.Key, err)}, nil
		}
		return cdSpec{hooks: hooks}, nil
	case "GitHub":
		if platform != "Server" {
			return invalid("GitHub revisions are for the Server compute platform only.")
		}
		return cdSpec{}, nil
	case "AppSpecContent", "String":
		c := rev.AppSpecContent
		if rev.RevisionType == "String" {
			c = rev.String
		}
		if platform == "Lambda" {
			return cdLambdaAppSpec(c)
		}
		if platform != "ECS" || rev.RevisionType == "String" {
			return invalid("AppSpecContent revisions are for the ECS and Lambda compute platforms only.")
		}
		if c == nil || c.Content == "" {
			return invalid("The AppSpec content is empty.")
		}
		if sum := sha256.Sum256([]byte(c.Content)); c.Sha256 != "" && c.Sha256 != hex.EncodeToString(sum[:]) {
			return invalid("The AppSpec content's SHA-256 %s does not match the content's %x.", c.Sha256, sum)
		}
		return cdECSSpec([]byte(c.Content))
	}
	return invalid("The revision type %q is not supported.", rev.RevisionType)
}

// cdECSSpec reads an ECS AppSpec (YAML or JSON).
func cdECSSpec(data []byte) (cdSpec, error) {
	type service struct {
		Type       string `yaml:"Type"`
		Properties struct {
			TaskDefinition   string `yaml:"TaskDefinition"`
			LoadBalancerInfo struct {
				ContainerName string `yaml:"ContainerName"`
				ContainerPort int    `yaml:"ContainerPort"`
			} `yaml:"LoadBalancerInfo"`
			NetworkConfiguration *struct {
				AwsvpcConfiguration struct {
					Subnets        []string `yaml:"Subnets" json:"subnets"`
					SecurityGroups []string `yaml:"SecurityGroups" json:"securityGroups,omitempty"`
					AssignPublicIP string   `yaml:"AssignPublicIp" json:"assignPublicIp,omitempty"`
				} `yaml:"AwsvpcConfiguration" json:"awsvpcConfiguration"`
			} `yaml:"NetworkConfiguration"`
		} `yaml:"Properties"`
	}
	var doc struct {
		Resources []map[string]service `yaml:"Resources"`
		Hooks     []map[string]string  `yaml:"Hooks"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cdSpec{}, awssim.Errorf("InvalidRevisionException", "The AppSpec file cannot be parsed: %v", err)
	}
	var spec cdSpec
	for _, res := range doc.Resources {
		for _, svc := range res {
			if svc.Type == "AWS::ECS::Service" {
				p := svc.Properties
				spec.taskDef, spec.container, spec.port = p.TaskDefinition, p.LoadBalancerInfo.ContainerName, p.LoadBalancerInfo.ContainerPort
				if nc := p.NetworkConfiguration; nc != nil {
					if len(nc.AwsvpcConfiguration.Subnets) == 0 {
						return cdSpec{}, awssim.Errorf("InvalidRevisionException", "The AppSpec's NetworkConfiguration.AwsvpcConfiguration must list Subnets.")
					}
					spec.network, _ = json.Marshal(nc)
				}
			}
		}
	}
	if spec.taskDef == "" || spec.container == "" || spec.port == 0 {
		return cdSpec{}, awssim.Errorf("InvalidRevisionException", "The AppSpec file must have an AWS::ECS::Service resource with TaskDefinition, LoadBalancerInfo.ContainerName and LoadBalancerInfo.ContainerPort.")
	}
	spec.hooks = map[string][]string{}
	for _, h := range doc.Hooks {
		for event, fn := range h {
			spec.hooks[event] = append(spec.hooks[event], fn)
		}
	}
	return spec, nil
}

// cdServerHooks reads the hook script locations from the appspec.yml at the
// root of a bundle (zip, tar or tgz).
func cdServerHooks(bundle []byte, bundleType string) (map[string][]string, error) {
	appspec, err := cdAppSpecFile(bundle, bundleType)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Hooks map[string][]struct {
			Location string `yaml:"location"`
		} `yaml:"hooks"`
	}
	if err := yaml.Unmarshal(appspec, &doc); err != nil {
		return nil, fmt.Errorf("invalid appspec.yml: %v", err)
	}
	hooks := map[string][]string{}
	for event, scripts := range doc.Hooks {
		for _, sc := range scripts {
			hooks[event] = append(hooks[event], sc.Location)
		}
	}
	return hooks, nil
}

// cdAppSpecFile extracts appspec.yml (or appspec.yaml) from a bundle's root.
func cdAppSpecFile(bundle []byte, bundleType string) ([]byte, error) {
	isAppSpec := func(name string) bool {
		name = path.Clean(name)
		return name == "appspec.yml" || name == "appspec.yaml"
	}
	if bundleType == "zip" || bundleType == "" && bytes.HasPrefix(bundle, []byte("PK")) {
		zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
		if err != nil {
			return nil, fmt.Errorf("bundle is not a valid zip archive: %v", err)
		}
		for _, f := range zr.File {
			if isAppSpec(f.Name) {
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				defer rc.Close()
				return io.ReadAll(rc)
			}
		}
		return nil, awssim.ErrNoAppSpec
	}
	var r io.Reader = bytes.NewReader(bundle)
	if bundleType == "tgz" || bundleType == "" && bytes.HasPrefix(bundle, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("bundle is not a valid tgz archive: %v", err)
		}
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, awssim.ErrNoAppSpec
		}
		if err != nil {
			return nil, fmt.Errorf("bundle is not a valid %s archive: %v", bundleType, err)
		}
		if isAppSpec(h.Name) {
			return io.ReadAll(tr)
		}
	}
}
