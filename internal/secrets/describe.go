package secrets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// DescribeAPI is the Secrets Manager calls Describe makes: metadata only,
// never a value.
type DescribeAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	secretsmanager.ListSecretsAPIClient
}

// Describe says, for each secret in asks for, whether Fetch would find it,
// without reading a value: DescribeSecret for a name or ARN, ListSecrets
// with a name filter for a prefix (one entry per match). A secret that is
// missing, refused or scheduled for deletion is an entry with that status;
// any other failure is an error. Names and prefixes are looked up in
// defaultRegion, an ARN in its own region.
func Describe(ctx context.Context, clientFor func(region string) DescribeAPI, in config.Secrets, defaultRegion string) ([]plan.Secret, error) {
	var out []plan.Secret
	var errs []error
	for _, spec := range in.Specs {
		region := cmp.Or(spec.Region(), defaultRegion)
		api := clientFor(region)
		var got []plan.Secret
		var err error
		if spec.Prefix {
			got, err = describePrefix(ctx, api, spec.ID, region)
		} else {
			got, err = describeOne(ctx, api, spec.ID, region)
		}
		for i := range got {
			if got[i].Fetchable() {
				got[i].Env = baseName(spec, got[i].Name)
			}
		}
		out = append(out, got...)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func describeOne(ctx context.Context, api DescribeAPI, id, region string) ([]plan.Secret, error) {
	s := plan.Secret{ID: id, Region: region}
	d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	switch {
	case err == nil && d.DeletedDate != nil:
		s.Name, s.ARN, s.Status = aws.ToString(d.Name), aws.ToString(d.ARN), plan.SecretDeleted
		s.Detail = "deleted on " + d.DeletedDate.UTC().Format("2006-01-02")
	case err == nil:
		s.Name, s.ARN, s.Status = aws.ToString(d.Name), aws.ToString(d.ARN), plan.SecretFound
	default:
		if !refusedOrMissing(&s, err) {
			return nil, fmt.Errorf("describing secret %q: %w", id, err)
		}
	}
	return []plan.Secret{s}, nil
}

func describePrefix(ctx context.Context, api DescribeAPI, prefix, region string) ([]plan.Secret, error) {
	pages := secretsmanager.NewListSecretsPaginator(api, &secretsmanager.ListSecretsInput{
		Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{prefix}}},
	})
	var out []plan.Secret
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			s := plan.Secret{ID: prefix + "*", Region: region}
			if refusedOrMissing(&s, err) {
				return []plan.Secret{s}, nil
			}
			return nil, fmt.Errorf("listing secrets with prefix %q: %w", prefix, err)
		}
		for _, e := range page.SecretList {
			// The name filter may match more than a plain prefix; Fetch keeps
			// what the prefix says, and so does this.
			if name := aws.ToString(e.Name); strings.HasPrefix(name, prefix) {
				out = append(out, plan.Secret{ID: prefix + "*", Name: name, ARN: aws.ToString(e.ARN), Region: region, Status: plan.SecretFound})
			}
		}
	}
	if len(out) == 0 {
		out = []plan.Secret{{ID: prefix + "*", Region: region, Status: plan.SecretNoMatch, Detail: "no secret's name starts with it"}}
	}
	return out, nil
}

// refusedOrMissing sets s's status from an AccessDenied or ResourceNotFound
// answer and reports whether err was one.
func refusedOrMissing(s *plan.Secret, err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ResourceNotFoundException":
		s.Status = plan.SecretMissing
	case "AccessDeniedException":
		s.Status = plan.SecretDenied
	default:
		return false
	}
	s.Detail = api.ErrorMessage()
	return true
}

// PlannedReferences are the references a deploy would pass for the
// described secrets: each found secret's whole value by its ARN. With
// parse-json-secrets the references name JSON keys, which only the values
// show: there are none (ok false).
func PlannedReferences(in config.Secrets, described []plan.Secret) (refs []Reference, ok bool) {
	if in.ParseJSON {
		return nil, false
	}
	for _, s := range described {
		if s.Fetchable() && s.Env != "" {
			refs = append(refs, Reference{Name: s.Env, ValueFrom: s.ARN})
		}
	}
	return refs, true
}
