// Package secrets owns the Secrets Manager side of the action: it resolves
// secret ids, ARNs and name prefixes, fetches their values in batches with
// BatchGetSecretValue, flattens JSON values, derives environment variable
// names, and lists every string the runner must mask. It returns values and
// prints nothing.
package secrets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// Limits of BatchGetSecretValue.
const (
	maxIDs          = 20 // secret ids per call
	maxResults      = 20 // secrets per page with filters
	maxFilterValues = 10 // values of one filter
)

// Value is a secret value. It prints as [redacted] with every fmt verb;
// convert with string(v).
type Value string

// Format implements fmt.Formatter.
func (Value) Format(f fmt.State, _ rune) { fmt.Fprint(f, "[redacted]") }

// Var is one environment variable made from a fetched secret: the whole
// value, or one leaf of a JSON object when parse-json-secrets is on.
type Var struct {
	Name   string   // env name
	Value  Value    // SecretString, or SecretBinary as text (UTF-8 without NUL) or else base64
	Secret string   // the secret's name
	ARN    string   // the secret's full ARN
	Key    []string // JSON key path from the top-level object; nil for a whole value

	raw []byte    // the value as fetched: SecretBinary's bytes for a binary secret
	ref Reference // how ECS and instances can fetch it themselves; zero when they cannot
}

// Format implements fmt.Formatter: a Var prints as its name and source with
// every verb, never its value. (fmt prints unexported fields without their
// methods, so the raw value would show through a Value field.)
func (v Var) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "{%s from %s}", v.Name, v.source()) }

// source names where the variable comes from, for error messages.
func (v Var) source() string {
	if v.Key == nil {
		return fmt.Sprintf("secret %q", v.Secret)
	}
	return fmt.Sprintf("secret %q key %q", v.Secret, strings.Join(v.Key, "."))
}

// Reference lets the deployed service fetch a secret itself: an ECS
// container definition's secrets entry, or a line of a Server bundle's
// deploy.env.
type Reference struct {
	Name      string // env name
	ValueFrom string // the secret's ARN, or <arn>:<json-key>:: for one top-level key
}

// Result is what Fetch got: the variables in input order (a prefix's matches
// by name, a JSON object's keys sorted) and what to mask.
type Result struct {
	Vars  []Var
	masks []string
}

// Format implements fmt.Formatter: a Result prints as its variables, never
// their values or the masks.
func (r Result) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.Vars) }

// Names returns the env names, sorted.
func (r *Result) Names() []string {
	names := make([]string, len(r.Vars))
	for i, v := range r.Vars {
		names[i] = v.Name
	}
	slices.Sort(names)
	return names
}

// Masks returns every string the runner must mask, longest first: each
// secret's whole value, each line of a multi-line value, each JSON leaf, and
// their encoded forms.
func (r *Result) Masks() []string { return r.masks }

// References returns, for the deploy stage, how each variable can be fetched
// by the service itself: the secret's ARN for a whole value, and for a JSON
// leaf the ECS form <arn>:<top-level-key>:: (ECS addresses top-level keys
// only, so the leaves of a nested object share one reference, named after
// the top-level key, whose value is the object's JSON text). Keys holding
// ":" cannot be addressed and have none.
func (r *Result) References() []Reference {
	var refs []Reference
	seen := map[string]bool{}
	for _, v := range r.Vars {
		if v.ref.Name == "" || seen[v.ref.Name] {
			continue
		}
		seen[v.ref.Name] = true
		refs = append(refs, v.ref)
	}
	return refs
}

// SecretError is a secret that could not be fetched.
type SecretError struct {
	ID      string // as asked for, or as Secrets Manager named it for a prefix match
	Code    string // e.g. ResourceNotFoundException, AccessDeniedException
	Message string
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("secret %q: %s: %s", e.ID, e.Code, e.Message)
}

// Fetch gets the secrets in asks for: ids and ARNs in batches of 20 per
// call, prefixes through name filters, paged. Names and prefixes are looked
// up in defaultRegion, an ARN in its own region; clientFor returns the
// client for a region. Either every secret is fetched and turned into
// variables, or the error lists every secret that failed and nothing is
// returned. Retries are the client's (its retryer), not Fetch's.
func Fetch(ctx context.Context, clientFor func(region string) secretsmanager.BatchGetSecretValueAPIClient, in config.Secrets, defaultRegion string) (*Result, error) {
	var regions []string
	byRegion := map[string][]config.SecretSpec{}
	for _, spec := range in.Specs {
		region := cmp.Or(spec.Region(), defaultRegion)
		if _, ok := byRegion[region]; !ok {
			regions = append(regions, region)
		}
		byRegion[region] = append(byRegion[region], spec)
	}
	var found []match
	var errs []error
	for _, region := range regions {
		f := &fetcher{client: clientFor(region)}
		found = append(found, f.fetch(ctx, byRegion[region])...)
		errs = append(errs, f.errs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newResult(found, in)
}

// match is a fetched secret and the line of the input that asked for it.
type match struct {
	spec  config.SecretSpec
	entry types.SecretValueEntry
}

// fetcher fetches the secrets of one region and collects what failed.
type fetcher struct {
	client secretsmanager.BatchGetSecretValueAPIClient
	errs   []error
}

func (f *fetcher) fetch(ctx context.Context, specs []config.SecretSpec) []match {
	var ids, prefixes []string
	for _, spec := range specs {
		list := &ids
		if spec.Prefix {
			list = &prefixes
		}
		if !slices.Contains(*list, spec.ID) {
			*list = append(*list, spec.ID)
		}
	}
	var entries []types.SecretValueEntry
	failed := map[string]bool{} // ids already reported
	for chunk := range slices.Chunk(ids, maxIDs) {
		got, apiErrs, err := f.batch(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: chunk})
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("fetching secrets %s: %w", quoteAll(chunk), err))
			for _, id := range chunk {
				failed[id] = true
			}
			continue
		}
		entries = append(entries, got...)
		for _, e := range apiErrs {
			f.errs = append(f.errs, e)
			failed[e.ID] = true
		}
	}
	for chunk := range slices.Chunk(prefixes, maxFilterValues) {
		got, apiErrs, err := f.batch(ctx, &secretsmanager.BatchGetSecretValueInput{
			Filters:    []types.Filter{{Key: types.FilterNameStringTypeName, Values: chunk}},
			MaxResults: aws.Int32(maxResults),
		})
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("fetching secrets with prefix %s: %w", quoteAll(chunk), err))
			for _, p := range chunk {
				failed[p] = true
			}
			continue
		}
		// Secrets Manager's name filter may match more than a plain prefix;
		// keep what the prefixes say.
		entries = append(entries, slices.DeleteFunc(got, func(e types.SecretValueEntry) bool {
			return !hasAnyPrefix(aws.ToString(e.Name), chunk)
		})...)
		for _, e := range apiErrs {
			for _, p := range chunk {
				if strings.HasPrefix(nameOf(e.ID), p) {
					failed[p] = true
				}
			}
			if hasAnyPrefix(nameOf(e.ID), chunk) {
				f.errs = append(f.errs, e)
			}
		}
	}

	var found []match
	for _, spec := range specs {
		n := len(found)
		for _, e := range entries {
			if spec.Prefix && strings.HasPrefix(aws.ToString(e.Name), spec.ID) || !spec.Prefix && isID(e, spec.ID) {
				found = append(found, match{spec: spec, entry: e})
			}
		}
		switch {
		case len(found) > n || failed[spec.ID]:
		case spec.Prefix:
			f.errs = append(f.errs, fmt.Errorf("prefix %q: no secret's name starts with it", spec.ID+"*"))
		default:
			f.errs = append(f.errs, fmt.Errorf("secret %q: not returned by BatchGetSecretValue", spec.ID))
		}
	}
	return found
}

// batch makes one paged BatchGetSecretValue request.
func (f *fetcher) batch(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput) ([]types.SecretValueEntry, []*SecretError, error) {
	var entries []types.SecretValueEntry
	var errs []*SecretError
	pages := secretsmanager.NewBatchGetSecretValuePaginator(f.client, in, func(o *secretsmanager.BatchGetSecretValuePaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, out.SecretValues...)
		for _, e := range out.Errors {
			errs = append(errs, &SecretError{ID: aws.ToString(e.SecretId), Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.Message)})
		}
	}
	return entries, errs, nil
}

// isID reports whether id (a name, full ARN, or ARN without the 6-character
// suffix) names the secret of e.
func isID(e types.SecretValueEntry, id string) bool {
	arn := aws.ToString(e.ARN)
	return id == aws.ToString(e.Name) || id == arn ||
		strings.HasPrefix(id, "arn:") && len(arn) == len(id)+7 && strings.HasPrefix(arn, id+"-")
}

// nameOf returns the secret name in an ARN (without the random suffix), or
// id itself when it is a name.
func nameOf(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	_, name, _ := strings.Cut(id, ":secret:")
	if i := len(name) - 7; i > 0 && name[i] == '-' {
		return name[:i]
	}
	return name
}

func hasAnyPrefix(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}

// newResult turns the fetched secrets into variables, refusing two that
// map to one env name and, when they are to be exported, unsafe names; and
// collects what to mask.
func newResult(found []match, in config.Secrets) (*Result, error) {
	r := &Result{}
	masks := map[string]bool{}
	byName := map[string]Var{}
	var errs []error
	for _, m := range found {
		vars, err := toVars(m, in.ParseJSON)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, form := range maskForms(wholeValue(m.entry)) {
			masks[form] = true
		}
		for _, v := range vars {
			if prev, ok := byName[v.Name]; ok {
				if prev.ARN != v.ARN || !slices.Equal(prev.Key, v.Key) {
					errs = append(errs, fmt.Errorf("env name %s comes from both %s and %s: give one of them an alias", v.Name, prev.source(), v.source()))
				}
				continue
			}
			if why := unsafeEnv(v.Name); in.Export && why != "" {
				errs = append(errs, unsafeError(v.source(), v.Name, why))
			}
			byName[v.Name] = v
			r.Vars = append(r.Vars, v)
			for _, form := range maskForms(string(v.Value)) {
				masks[form] = true
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for m := range masks {
		r.masks = append(r.masks, m)
	}
	sort.Slice(r.masks, func(i, j int) bool {
		a, b := r.masks[i], r.masks[j]
		return len(a) > len(b) || len(a) == len(b) && a < b
	})
	return r, nil
}

// wholeValue is the secret's value as exported when it is not flattened.
func wholeValue(e types.SecretValueEntry) string {
	if e.SecretString != nil {
		return *e.SecretString
	}
	return binaryValue(e.SecretBinary)
}

// toVars makes the variables of one fetched secret.
func toVars(m match, parseJSON bool) ([]Var, error) {
	name, arn := aws.ToString(m.entry.Name), aws.ToString(m.entry.ARN)
	base := baseName(m.spec, name)
	whole := Var{Name: base, Value: Value(wholeValue(m.entry)), Secret: name, ARN: arn, raw: m.entry.SecretBinary,
		ref: Reference{Name: base, ValueFrom: arn}}
	if m.entry.SecretString == nil {
		return []Var{whole}, nil
	}
	whole.raw = []byte(*m.entry.SecretString)
	if !parseJSON {
		return []Var{whole}, nil
	}
	leaves, err := flatten(*m.entry.SecretString)
	switch {
	case errors.Is(err, errNotObject):
		return []Var{whole}, nil
	case err != nil:
		return nil, fmt.Errorf("secret %q: parse-json-secrets is on and %w", name, err)
	}
	vars := make([]Var, 0, len(leaves))
	for _, l := range leaves {
		v := Var{
			Name:   EnvName(base + "_" + strings.Join(l.path, "_")),
			Value:  Value(l.value),
			Secret: name,
			ARN:    arn,
			Key:    l.path,
			raw:    []byte(l.value),
		}
		if top := l.path[0]; !strings.Contains(top, ":") {
			v.ref = Reference{Name: EnvName(base + "_" + top), ValueFrom: arn + ":" + top + "::"}
		}
		vars = append(vars, v)
	}
	return vars, nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
