package secrets

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// fakeSM answers BatchGetSecretValue for one region the way Secrets Manager
// does: at most 20 ids, filters paged by MaxResults, per-secret errors in
// Errors. The sandbox tests run the same cases against the real SDK.
type fakeSM struct {
	region  string
	secrets []fakeSecret
	denied  []string
	callErr error // answer every call with this error

	mu    sync.Mutex
	calls []*secretsmanager.BatchGetSecretValueInput
}

type fakeSecret struct {
	name   string
	str    *string
	binary []byte
}

func (f *fakeSM) arn(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:123456789012:secret:%s-AbCdEf", f.region, name)
}

func (f *fakeSM) add(name, value string) *fakeSM {
	f.secrets = append(f.secrets, fakeSecret{name: name, str: &value})
	return f
}

func (f *fakeSM) BatchGetSecretValue(_ context.Context, in *secretsmanager.BatchGetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.callErr != nil {
		return nil, f.callErr
	}
	if (len(in.SecretIdList) == 0) == (len(in.Filters) == 0) || len(in.SecretIdList) > 20 {
		return nil, fmt.Errorf("fake: bad request %+v", in)
	}
	out := &secretsmanager.BatchGetSecretValueOutput{}
	ids := in.SecretIdList
	if len(in.Filters) > 0 {
		if len(in.Filters) != 1 || in.Filters[0].Key != types.FilterNameStringTypeName || len(in.Filters[0].Values) > 10 {
			return nil, fmt.Errorf("fake: unsupported filters")
		}
		var names []string
		for _, s := range f.secrets {
			// Like the service, match a prefix of any '/'-separated word.
			if slices.ContainsFunc(in.Filters[0].Values, func(p string) bool {
				return slices.ContainsFunc(strings.Split(s.name, "/"), func(w string) bool { return strings.HasPrefix(w, p) }) ||
					strings.HasPrefix(s.name, p)
			}) {
				names = append(names, s.name)
			}
		}
		start, _ := strconv.Atoi(aws.ToString(in.NextToken))
		end := min(start+int(aws.ToInt32(in.MaxResults)), len(names))
		ids = names[start:end]
		if end < len(names) {
			out.NextToken = aws.String(strconv.Itoa(end))
		}
	}
	for _, id := range ids {
		i := slices.IndexFunc(f.secrets, func(s fakeSecret) bool { return id == s.name || id == f.arn(s.name) || id+"-AbCdEf" == f.arn(s.name) })
		switch {
		case slices.Contains(f.denied, id):
			out.Errors = append(out.Errors, types.APIErrorType{SecretId: aws.String(id), ErrorCode: aws.String("AccessDeniedException"), Message: aws.String("not authorized")})
		case i < 0:
			out.Errors = append(out.Errors, types.APIErrorType{SecretId: aws.String(id), ErrorCode: aws.String("ResourceNotFoundException"), Message: aws.String("Secrets Manager can't find the specified secret.")})
		default:
			s := f.secrets[i]
			out.SecretValues = append(out.SecretValues, types.SecretValueEntry{
				ARN: aws.String(f.arn(s.name)), Name: aws.String(s.name), SecretString: s.str, SecretBinary: s.binary,
			})
		}
	}
	return out, nil
}

func (f *fakeSM) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}
