package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/sandbox"
)

// frontClient is an ECR client that reaches the front, signing for region.
func frontClient(sb *awssimtest.Sandbox, front, region string) *ecr.Client {
	cfg := sb.Config()
	cfg.BaseEndpoint, cfg.Region = aws.String(front), region
	return ecr.NewFromConfig(cfg)
}

// operations returns the operations of service in a call log.
func operations(calls []awssim.Call, service string) []string {
	var ops []string
	for _, c := range calls {
		if c.Service == service {
			ops = append(ops, c.Operation)
		}
	}
	return ops
}

// TestRegionsRouteBySigningRegion: the front sends each call to the sandbox
// of the region it is signed for, and each region has its own state, call
// log and registry host.
func TestRegionsRouteBySigningRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	front, sbs := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
	us, eu := sbs["us-east-1"], sbs["eu-west-1"]
	if us.URL != front || eu.URL == front || eu.Host == us.Host {
		t.Fatalf("URLs: front %s, us-east-1 %s, eu-west-1 %s: want the default region at the front and eu-west-1 on a port of its own", front, us.URL, eu.URL)
	}

	out, err := frontClient(eu, front, "eu-west-1").CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Repository.RepositoryUri), eu.Host+"/app"; got != want {
		t.Errorf("repositoryUri = %s, want %s (eu-west-1's registry)", got, want)
	}
	if got, want := aws.ToString(out.Repository.RepositoryArn), "arn:aws:ecr:eu-west-1:123456789012:repository/app"; got != want {
		t.Errorf("repositoryArn = %s, want %s", got, want)
	}
	_, err = frontClient(us, front, "us-east-1").DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"app"}})
	if code, _ := awssimtest.ErrorCode(t, err); code != "RepositoryNotFoundException" {
		t.Errorf("us-east-1 DescribeRepositories app: got %v, want RepositoryNotFoundException", err)
	}
	tok, err := frontClient(eu, front, "eu-west-1").GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(tok.AuthorizationData[0].ProxyEndpoint), eu.URL; got != want {
		t.Errorf("eu-west-1 proxyEndpoint = %s, want %s", got, want)
	}

	if got, want := operations(eu.Calls(), "ecr"), []string{"CreateRepository", "GetAuthorizationToken"}; !slices.Equal(got, want) {
		t.Errorf("eu-west-1 call log: %v, want %v", got, want)
	}
	if got, want := operations(us.Calls(), "ecr"), []string{"DescribeRepositories"}; !slices.Equal(got, want) {
		t.Errorf("us-east-1 call log: %v, want %v", got, want)
	}

	_, err = frontClient(us, front, "ap-south-1").DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if code, msg := awssimtest.ErrorCode(t, err); code != "InvalidSignatureException" || !strings.Contains(msg, "ap-south-1") {
		t.Errorf("a region the sandbox does not serve: got %v, want InvalidSignatureException naming ap-south-1", err)
	}
	if n := len(us.Calls()) + len(eu.Calls()); n != 3 {
		t.Errorf("%d calls logged in all, want 3: the refused call is in no region's log", n)
	}

	resp, err := http.Get(front + "/_awssim/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /_awssim/health at the front: %s", resp.Status)
	}
}

// TestRegionsSeedInTheirRegion: a scenario's seed call that names no region
// is made in the region of the sandbox it is applied to.
func TestRegionsSeedInTheirRegion(t *testing.T) {
	t.Parallel()
	_, sbs := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
	eu := sbs["eu-west-1"]
	err := eu.Apply(awssim.Scenario{Seed: []awssim.SeedCall{{Service: "ecr", Operation: "CreateRepository", Input: map[string]any{"repositoryName": "app"}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ecr.NewFromConfig(eu.Config()).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Repositories[0].RepositoryArn), "arn:aws:ecr:eu-west-1:123456789012:repository/app"; got != want {
		t.Errorf("seeded repositoryArn = %s, want %s", got, want)
	}
}

// TestRegionsRoutePresignedURLs: a presigned URL goes to the region in its
// X-Amz-Credential.
func TestRegionsRoutePresignedURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	front, sbs := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
	s3For := func(region string) *s3.Client {
		cfg := sbs["us-east-1"].Config()
		cfg.Region = region
		return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	}
	eu := s3For("eu-west-1")
	if _, err := eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bundles")}); err != nil {
		t.Fatal(err)
	}
	if _, err := eu.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String("k"), Body: strings.NewReader("eu data")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		region     string
		wantStatus int
	}{{"eu-west-1", 200}, {"us-east-1", 404}} {
		req, err := s3.NewPresignClient(s3For(tt.region)).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bundles"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(req.URL, front) {
			t.Fatalf("presigned URL %s is not at the front %s", req.URL, front)
		}
		resp, err := http.Get(req.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || (tt.wantStatus == 200 && string(body) != "eu data") {
			t.Errorf("GET presigned for %s: %s %q, want %d", tt.region, resp.Status, body, tt.wantStatus)
		}
	}
}

func TestNewRegionsRefusesBadLists(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		regions []string
		want    string
	}{
		{nil, "none given"},
		{[]string{"us-east-1", "EU"}, `region "EU"`},
		{[]string{"us-east-1", "us-east-1"}, "given twice"},
	} {
		if _, err := sandbox.NewRegions(awssim.Options{}, tt.regions...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewRegions(%q): got %v, want an error with %q", tt.regions, err, tt.want)
		}
	}
}

// replicate is a replication configuration of one rule.
func replicate(filter string, regions ...string) *ecrtypes.ReplicationConfiguration {
	rule := ecrtypes.ReplicationRule{}
	for _, r := range regions {
		rule.Destinations = append(rule.Destinations, ecrtypes.ReplicationDestination{Region: aws.String(r), RegistryId: aws.String(awssim.Account)})
	}
	if filter != "" {
		rule.RepositoryFilters = []ecrtypes.RepositoryFilter{{Filter: aws.String(filter), FilterType: ecrtypes.RepositoryFilterTypePrefixMatch}}
	}
	return &ecrtypes.ReplicationConfiguration{Rules: []ecrtypes.ReplicationRule{rule}}
}

// TestReplication: a push to a repository a rule matches reaches each
// destination region 30 simulated seconds later (manifest, blobs, digest,
// tag; the repository created there); pushes before the configuration and
// to repositories no rule matches stay where they are.
func TestReplication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sbs := awssimtest.StartRegions(t, "us-east-1", "eu-west-1", "ap-southeast-2")
	us, eu, ap := sbs["us-east-1"], sbs["eu-west-1"], sbs["ap-southeast-2"]
	us.Clock.SetScale(0) // one clock for every region: only Advance moves it
	src := ecr.NewFromConfig(us.Config())

	before := us.PushImage(t, "team/early")
	if _, err := src.PutReplicationConfiguration(ctx, &ecr.PutReplicationConfigurationInput{ReplicationConfiguration: replicate("team/", "eu-west-1")}); err != nil {
		t.Fatal(err)
	}
	us.PushImageTag(t, "team/early", "v2")
	uri := us.PushImage(t, "team/app")
	digest := uri[strings.Index(uri, "@")+1:]
	img := awssimtest.RandomImage(t)
	if err := awssimtest.Push(us, awssimtest.RegistryPassword(t, src), "team/app:layers", img); err != nil {
		t.Fatal(err)
	}
	us.PushImage(t, "other/app")

	status := func(repo, d string) []string {
		t.Helper()
		out, err := src.DescribeImageReplicationStatus(ctx, &ecr.DescribeImageReplicationStatusInput{RepositoryName: aws.String(repo), ImageId: &ecrtypes.ImageIdentifier{ImageDigest: aws.String(d)}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range out.ReplicationStatuses {
			got = append(got, aws.ToString(s.Region)+" "+string(s.Status))
		}
		return got
	}
	if got := status("team/app", digest); !slices.Equal(got, []string{"eu-west-1 IN_PROGRESS"}) {
		t.Errorf("replication status at once: %v, want [eu-west-1 IN_PROGRESS]", got)
	}
	dst := ecr.NewFromConfig(eu.Config())
	if _, err := dst.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/app")}); err == nil {
		t.Error("team/app is in eu-west-1 before the replication delay")
	}
	us.Clock.Advance(30 * time.Second)
	if got := status("team/app", digest); !slices.Equal(got, []string{"eu-west-1 COMPLETE"}) {
		t.Errorf("replication status after 30 s: %v, want [eu-west-1 COMPLETE]", got)
	}

	out, err := dst.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/app")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range out.ImageDetails {
		got[aws.ToString(d.ImageDigest)] = d.ImageTags
	}
	imgDigest, _ := img.Digest()
	if len(got) != 2 || !slices.Equal(got[digest], []string{"v1"}) || !slices.Equal(got[imgDigest.String()], []string{"layers"}) {
		t.Errorf("eu-west-1 team/app images: %v, want %s [v1] and %s [layers]", got, digest, imgDigest)
	}
	layers, _ := img.Layers()
	cfgName, _ := img.ConfigName()
	blobs := []string{cfgName.String()}
	for _, l := range layers {
		d, _ := l.Digest()
		blobs = append(blobs, d.String())
	}
	password := awssimtest.RegistryPassword(t, dst)
	for _, b := range blobs {
		if code := registryGet(t, eu.URL+"/v2/team/app/blobs/"+b, password); code != http.StatusOK {
			t.Errorf("GET eu-west-1 blob %s: %d, want 200", b, code)
		}
	}
	if code := registryGet(t, eu.URL+"/v2/team/app/manifests/"+digest, password); code != http.StatusOK {
		t.Errorf("GET eu-west-1 manifest %s: %d, want 200", digest, code)
	}

	early, err := dst.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/early")})
	if err != nil {
		t.Fatal(err)
	}
	if n, d := len(early.ImageDetails), before[strings.Index(before, "@")+1:]; n != 1 || aws.ToString(early.ImageDetails[0].ImageDigest) == d {
		t.Errorf("eu-west-1 team/early: %d images, want only v2 (v1 was pushed before the configuration)", n)
	}
	for _, tt := range []struct {
		sb   *awssimtest.Sandbox
		repo string
	}{{eu, "other/app"}, {ap, "team/app"}} {
		_, err := ecr.NewFromConfig(tt.sb.Config()).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{tt.repo}})
		if code, _ := awssimtest.ErrorCode(t, err); code != "RepositoryNotFoundException" {
			t.Errorf("%s %s: got %v, want RepositoryNotFoundException (no rule sends it there)", tt.sb.Region, tt.repo, err)
		}
	}
	// The early DescribeImages, then what the service-linked role did
	// (team/early:v2, team/app:v1, team/app:layers), then the call that
	// found the images due.
	want := []string{"DescribeImages", "CreateRepository", "ReplicateImage", "CreateRepository", "ReplicateImage", "ReplicateImage", "DescribeImages"}
	if got := operations(eu.Calls(), "ecr"); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("eu-west-1 call log %v, want it to start %v", got, want)
	}
}

// registryGet makes a registry GET with a password and returns the status.
func registryGet(t *testing.T, url, password string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("AWS", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReplicationAWSCLI: the AWS CLI sets and reads the configuration
// through the front, per region.
func TestReplicationAWSCLI(t *testing.T) {
	t.Parallel()
	_, sbs := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
	us := sbs["us-east-1"]
	cfg := `{"rules":[{"destinations":[{"region":"eu-west-1","registryId":"123456789012"}],"repositoryFilters":[{"filter":"team/","filterType":"PREFIX_MATCH"}]}]}`
	if out, err := us.CLI(t, "ecr", "put-replication-configuration", "--replication-configuration", cfg); err != nil {
		t.Fatalf("put-replication-configuration: %v\n%s", err, out)
	}
	type registry struct {
		RegistryID               string          `json:"registryId"`
		ReplicationConfiguration json.RawMessage `json:"replicationConfiguration"`
	}
	for _, tt := range []struct{ region, want string }{
		{"us-east-1", cfg},
		{"eu-west-1", `{"rules":[]}`},
	} {
		out, err := us.CLI(t, "ecr", "describe-registry", "--region", tt.region, "--output", "json")
		if err != nil {
			t.Fatalf("describe-registry --region %s: %v\n%s", tt.region, err, out)
		}
		var got registry
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("describe-registry --region %s: %v\n%s", tt.region, err, out)
		}
		if got.RegistryID != awssim.Account || !sameJSON(t, got.ReplicationConfiguration, tt.want) {
			t.Errorf("describe-registry --region %s: %s %s, want %s %s", tt.region, got.RegistryID, got.ReplicationConfiguration, awssim.Account, tt.want)
		}
	}
	if got := operations(sbs["eu-west-1"].Calls(), "ecr"); !slices.Equal(got, []string{"DescribeRegistry"}) {
		t.Errorf("eu-west-1 call log: %v, want [DescribeRegistry]", got)
	}
}

func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
