package ecr_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func rule(filter, filterType string, regions ...string) ecrtypes.ReplicationRule {
	r := ecrtypes.ReplicationRule{}
	for _, region := range regions {
		r.Destinations = append(r.Destinations, ecrtypes.ReplicationDestination{Region: aws.String(region), RegistryId: aws.String(awssim.Account)})
	}
	if filter != "" {
		r.RepositoryFilters = []ecrtypes.RepositoryFilter{{Filter: aws.String(filter), FilterType: ecrtypes.RepositoryFilterType(filterType)}}
	}
	return r
}

// TestReplicationSingleRegion: a sandbox of one region stores the
// configuration and replicates nothing.
func TestReplicationSingleRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(0)
	client := ecr.NewFromConfig(sb.Config())

	reg, err := client.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(reg.RegistryId) != awssim.Account || reg.ReplicationConfiguration == nil || len(reg.ReplicationConfiguration.Rules) != 0 {
		t.Errorf("DescribeRegistry before any configuration: %+v, want the account and no rules", reg)
	}
	cfg := &ecrtypes.ReplicationConfiguration{Rules: []ecrtypes.ReplicationRule{rule("team/", "PREFIX_MATCH", "eu-west-1")}}
	put, err := client.PutReplicationConfiguration(ctx, &ecr.PutReplicationConfigurationInput{ReplicationConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if got := put.ReplicationConfiguration.Rules; len(got) != 1 || aws.ToString(got[0].Destinations[0].Region) != "eu-west-1" {
		t.Errorf("PutReplicationConfiguration answered rules %+v, want the one sent", got)
	}
	reg, err = client.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.ReplicationConfiguration.Rules; len(got) != 1 || aws.ToString(got[0].RepositoryFilters[0].Filter) != "team/" || got[0].RepositoryFilters[0].FilterType != ecrtypes.RepositoryFilterTypePrefixMatch {
		t.Errorf("DescribeRegistry rules %+v, want the stored rule", got)
	}

	uri := sb.PushImage(t, "team/app")
	sb.Clock.Advance(time.Hour)
	st, err := client.DescribeImageReplicationStatus(ctx, &ecr.DescribeImageReplicationStatusInput{
		RepositoryName: aws.String("team/app"), ImageId: &ecrtypes.ImageIdentifier{ImageTag: aws.String("v1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ReplicationStatuses) != 0 || aws.ToString(st.ImageId.ImageDigest) != uri[strings.Index(uri, "@")+1:] {
		t.Errorf("DescribeImageReplicationStatus: %+v for %s, want no statuses (one region) and the image's digest", st.ReplicationStatuses, aws.ToString(st.ImageId.ImageDigest))
	}
	if slices.Contains(calls(sb, "ecr"), "ReplicateImage") {
		t.Errorf("call log %v: a single-region sandbox replicated", calls(sb, "ecr"))
	}

	if _, err := client.PutReplicationConfiguration(ctx, &ecr.PutReplicationConfigurationInput{ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: []ecrtypes.ReplicationRule{}}}); err != nil {
		t.Errorf("removing the rules: %v", err)
	}
	if reg, err = client.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{}); err != nil || len(reg.ReplicationConfiguration.Rules) != 0 {
		t.Errorf("DescribeRegistry after removing the rules: %v, %+v, want no rules", err, reg)
	}
}

func calls(sb *awssimtest.Sandbox, service string) []string {
	var ops []string
	for _, c := range sb.Calls() {
		if c.Service == service {
			ops = append(ops, c.Operation)
		}
	}
	return ops
}

func TestPutReplicationConfigurationValidation(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	client := ecr.NewFromConfig(sb.Config())
	eleven := make([]ecrtypes.ReplicationRule, 11)
	for i := range eleven {
		eleven[i] = rule("", "", "eu-west-1")
	}
	badAccount := rule("", "", "eu-west-1")
	badAccount.Destinations[0].RegistryId = aws.String("12345")
	for _, tt := range []struct {
		name  string
		rules []ecrtypes.ReplicationRule
		want  string // the field the message names
	}{
		{"filter type", []ecrtypes.ReplicationRule{rule("team/", "SUFFIX_MATCH", "eu-west-1")}, "rules.1.member.repositoryFilters.1.member.filterType"},
		{"filter", []ecrtypes.ReplicationRule{rule("Team", "PREFIX_MATCH", "eu-west-1")}, "rules.1.member.repositoryFilters.1.member.filter"},
		{"region", []ecrtypes.ReplicationRule{rule("", "", "EU_WEST_1")}, "rules.1.member.destinations.1.member.region"},
		{"registry id", []ecrtypes.ReplicationRule{badAccount}, "rules.1.member.destinations.1.member.registryId"},
		{"eleven rules", eleven, "replicationConfiguration.rules'"},
	} {
		_, err := client.PutReplicationConfiguration(context.Background(), &ecr.PutReplicationConfigurationInput{ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: tt.rules}})
		if code, msg := awssimtest.ErrorCode(t, err); code != "ValidationException" || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: got %v, want ValidationException naming %s", tt.name, err, tt.want)
		}
	}
	if reg, err := client.DescribeRegistry(context.Background(), &ecr.DescribeRegistryInput{}); err != nil || len(reg.ReplicationConfiguration.Rules) != 0 {
		t.Errorf("DescribeRegistry after refused configurations: %v, %+v, want no rules", err, reg)
	}
}

// TestReplicationIAM: the configuration calls are checked as
// ecr:PutReplicationConfiguration and ecr:DescribeRegistry on "*".
func TestReplicationIAM(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	p, err := awssim.ParsePolicy([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:DescribeRegistry", "Resource": "*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	sb.SetPolicy(p)
	client := ecr.NewFromConfig(sb.Config())
	if _, err := client.DescribeRegistry(context.Background(), &ecr.DescribeRegistryInput{}); err != nil {
		t.Errorf("allowed DescribeRegistry: %v", err)
	}
	_, err = client.PutReplicationConfiguration(context.Background(), &ecr.PutReplicationConfigurationInput{
		ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: []ecrtypes.ReplicationRule{rule("", "", "eu-west-1")}},
	})
	if code, msg := awssimtest.ErrorCode(t, err); code != "AccessDeniedException" || !strings.Contains(msg, "ecr:PutReplicationConfiguration") {
		t.Errorf("PutReplicationConfiguration outside the policy: got %v, want AccessDeniedException naming ecr:PutReplicationConfiguration", err)
	}
	var got []string
	for _, c := range sb.Calls() {
		got = append(got, c.Operation+" "+strings.Join(c.IAMActions, ","))
	}
	if want := []string{"DescribeRegistry ecr:DescribeRegistry", "PutReplicationConfiguration ecr:PutReplicationConfiguration"}; !slices.Equal(got, want) {
		t.Errorf("call log %q, want %q", got, want)
	}
}
