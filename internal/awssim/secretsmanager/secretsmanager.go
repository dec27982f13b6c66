package secretsmanager

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// smState holds the Secrets Manager secrets, in creation order.
type smState struct {
	secrets []*secret
}

func newSMState() *smState { return &smState{} }

// secret is one Secrets Manager secret and its versions.
type secret struct {
	arn, name, description, kmsKeyID string
	tags                             []smTag
	created, changed, accessed       time.Time
	versions                         []*secretVersion
}

// secretVersion is one value of a secret, with its staging labels.
type secretVersion struct {
	id      string
	str     *string
	binary  []byte
	stages  []string
	created time.Time
}

type smTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type smFilter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

// secretValue is the wire shape of GetSecretValue's output and of each
// entry of BatchGetSecretValue's SecretValues.
type secretValue struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId"`
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"`
}

// smError is an entry of BatchGetSecretValue's Errors.
type smError struct {
	SecretId  string `json:"SecretId"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

// Secrets Manager's messages for a missing secret and a missing version.
const (
	msgSecretNotFound = "Secrets Manager can't find the specified secret."
	msgValueNotFound  = "Secrets Manager can't find the specified secret value for staging label: %s"
)

func (s *Service) secretsManagerOps() map[string]awssim.JSONOp {
	return map[string]awssim.JSONOp{
		"CreateSecret":        s.createSecret,
		"PutSecretValue":      s.putSecretValue,
		"GetSecretValue":      s.getSecretValue,
		"BatchGetSecretValue": s.batchGetSecretValue,
		"ListSecrets":         s.listSecrets,
		"DescribeSecret":      s.describeSecret,
	}
}

func (s *Service) createSecret(r *awssim.Request) (any, error) {
	var in struct {
		Name               string
		ClientRequestToken string
		Description        string
		KmsKeyId           string
		SecretString       *string
		SecretBinary       []byte
		Tags               []smTag
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, awssim.Errorf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if s.findSecret(in.Name) != nil {
		return nil, awssim.Errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	if in.SecretString != nil && in.SecretBinary != nil {
		return nil, awssim.Errorf("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	now := s.Clock.Now()
	sec := &secret{
		arn:         fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", r.Region, awssim.Account, in.Name, awssim.RandomAlnum(6)),
		name:        in.Name,
		description: in.Description,
		kmsKeyID:    in.KmsKeyId,
		tags:        in.Tags,
		created:     now,
		changed:     now,
	}
	s.sm.secrets = append(s.sm.secrets, sec)
	out := map[string]any{"ARN": sec.arn, "Name": sec.name}
	if in.SecretString != nil || in.SecretBinary != nil {
		v := sec.addVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary, now)
		out["VersionId"] = v.id
	}
	return out, nil
}

func (s *Service) putSecretValue(r *awssim.Request) (any, error) {
	var in struct {
		SecretId           string
		ClientRequestToken string
		SecretString       *string
		SecretBinary       []byte
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	sec := s.findSecret(in.SecretId)
	if sec == nil {
		return nil, awssim.Errorf("ResourceNotFoundException", msgSecretNotFound)
	}
	if (in.SecretString == nil) == (in.SecretBinary == nil) {
		return nil, awssim.Errorf("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
	}
	v := sec.version(in.ClientRequestToken, "")
	if v == nil || in.ClientRequestToken == "" {
		now := s.Clock.Now()
		v = sec.addVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary, now)
		sec.changed = now
	} else if !v.holds(in.SecretString, in.SecretBinary) {
		return nil, awssim.Errorf("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
	}
	return map[string]any{"ARN": sec.arn, "Name": sec.name, "VersionId": v.id, "VersionStages": v.stages}, nil
}

func (s *Service) getSecretValue(r *awssim.Request) (any, error) {
	var in struct {
		SecretId     string
		VersionId    string
		VersionStage string
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	v, err := s.readSecret(in.SecretId, "GetSecretValue", in.VersionId, in.VersionStage)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// readSecret returns a version of the secret named by id (its current one
// unless versionID or stage say otherwise), as GetSecretValue does.
func (s *Service) readSecret(id, action, versionID, stage string) (*secretValue, error) {
	sec := s.findSecret(id)
	if s.secretDenied(id, sec) {
		return nil, &awssim.Error{Status: 400, Code: "AccessDeniedException", Message: deniedMessage(action, id)}
	}
	if sec == nil {
		return nil, awssim.Errorf("ResourceNotFoundException", msgSecretNotFound)
	}
	v := sec.version(versionID, stage)
	if v == nil {
		if versionID != "" {
			return nil, awssim.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", versionID)
		}
		if stage == "" {
			stage = "AWSCURRENT"
		}
		return nil, awssim.Errorf("ResourceNotFoundException", msgValueNotFound, stage)
	}
	sec.accessed = s.Clock.Now().Truncate(24 * time.Hour)
	return &secretValue{
		ARN:           sec.arn,
		Name:          sec.name,
		VersionId:     v.id,
		SecretString:  v.str,
		SecretBinary:  v.binary,
		VersionStages: v.stages,
		CreatedDate:   awssim.EpochSeconds(v.created),
	}, nil
}

// batchGetPageSize is the most secrets BatchGetSecretValue returns at once.
const batchGetPageSize = 20

func (s *Service) batchGetSecretValue(r *awssim.Request) (any, error) {
	var in struct {
		SecretIdList []string
		Filters      []smFilter
		MaxResults   int
		NextToken    string
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if (len(in.SecretIdList) == 0) == (len(in.Filters) == 0) {
		return nil, awssim.Errorf("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	}
	if len(in.SecretIdList) > batchGetPageSize {
		return nil, awssim.Errorf("ValidationException", "1 validation error detected: Value at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to %d", batchGetPageSize)
	}
	if in.MaxResults > batchGetPageSize {
		return nil, awssim.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", in.MaxResults, batchGetPageSize)
	}
	ids := in.SecretIdList
	var next string
	if len(in.Filters) > 0 {
		if in.MaxResults == 0 {
			in.MaxResults = batchGetPageSize
		}
		matched, tok, err := awssim.Page(s.matchSecrets(in.Filters), in.MaxResults, in.NextToken)
		if err != nil {
			return nil, err
		}
		next = tok
		ids = nil
		for _, sec := range matched {
			ids = append(ids, sec.name)
		}
	}
	out := struct {
		SecretValues []*secretValue `json:"SecretValues"`
		Errors       []smError      `json:"Errors"`
		NextToken    string         `json:"NextToken,omitempty"`
	}{SecretValues: []*secretValue{}, Errors: []smError{}, NextToken: next}
	for _, id := range ids {
		if msg := s.Allow(r.IAM, "secretsmanager:GetSecretValue", s.secretARN(r.Region, id)); msg != "" {
			out.Errors = append(out.Errors, smError{SecretId: id, ErrorCode: "AccessDeniedException", Message: msg})
			continue
		}
		v, err := s.readSecret(id, "GetSecretValue", "", "")
		if err != nil {
			e := err.(*awssim.Error)
			out.Errors = append(out.Errors, smError{SecretId: id, ErrorCode: e.Code, Message: e.Message})
			continue
		}
		out.SecretValues = append(out.SecretValues, v)
	}
	return out, nil
}

func (s *Service) listSecrets(r *awssim.Request) (any, error) {
	var in struct {
		Filters    []smFilter
		MaxResults int
		NextToken  string
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	matched, next, err := awssim.Page(s.matchSecrets(in.Filters), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, len(matched))
	for _, sec := range matched {
		list = append(list, sec.describe("SecretVersionsToStages"))
	}
	out := map[string]any{"SecretList": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) describeSecret(r *awssim.Request) (any, error) {
	var in struct{ SecretId string }
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	sec := s.findSecret(in.SecretId)
	if s.secretDenied(in.SecretId, sec) {
		return nil, &awssim.Error{Status: 400, Code: "AccessDeniedException", Message: deniedMessage("DescribeSecret", in.SecretId)}
	}
	if sec == nil {
		return nil, awssim.Errorf("ResourceNotFoundException", msgSecretNotFound)
	}
	return sec.describe("VersionIdsToStages"), nil
}

// describe returns the secret's metadata as DescribeSecret and ListSecrets
// show it; versionsKey names the map of version ids to stages.
func (sec *secret) describe(versionsKey string) map[string]any {
	stages := map[string][]string{}
	for _, v := range sec.versions {
		if len(v.stages) > 0 {
			stages[v.id] = v.stages
		}
	}
	out := map[string]any{
		"ARN":             sec.arn,
		"Name":            sec.name,
		"CreatedDate":     awssim.EpochSeconds(sec.created),
		"LastChangedDate": awssim.EpochSeconds(sec.changed),
		versionsKey:       stages,
	}
	if sec.description != "" {
		out["Description"] = sec.description
	}
	if sec.kmsKeyID != "" {
		out["KmsKeyId"] = sec.kmsKeyID
	}
	if len(sec.tags) > 0 {
		out["Tags"] = sec.tags
	}
	if !sec.accessed.IsZero() {
		out["LastAccessedDate"] = awssim.EpochSeconds(sec.accessed)
	}
	return out
}

// findSecret looks a secret up by name, full ARN or partial ARN (the ARN
// without its random suffix).
func (s *Service) findSecret(id string) *secret {
	for _, sec := range s.sm.secrets {
		if sec.matches(id) {
			return sec
		}
	}
	return nil
}

func (sec *secret) matches(id string) bool {
	return id == sec.name || id == sec.arn || id == sec.arn[:len(sec.arn)-7]
}

// secretDenied reports whether the scenario denies reading the secret
// requested as id (sec is nil when it does not exist).
func (s *Service) secretDenied(id string, sec *secret) bool {
	for _, d := range s.Scenario().DeniedSecrets {
		if d == id || (sec != nil && sec.matches(d)) {
			return true
		}
	}
	return false
}

func deniedMessage(action, resource string) string {
	return fmt.Sprintf("User: arn:aws:iam::%s:user/sandbox is not authorized to perform: secretsmanager:%s on resource: %s because no identity-based policy allows the secretsmanager:%s action", awssim.Account, action, resource, action)
}

// matchSecrets returns the secrets every filter matches. Within a filter
// any value may match; a value starting with "!" negates.
func (s *Service) matchSecrets(filters []smFilter) []*secret {
	var out []*secret
	for _, sec := range s.sm.secrets {
		if !slices.ContainsFunc(filters, func(f smFilter) bool { return !sec.matchesFilter(f) }) {
			out = append(out, sec)
		}
	}
	return out
}

func (sec *secret) matchesFilter(f smFilter) bool {
	var fields []string
	fold := false
	switch f.Key {
	case "name":
		fields = []string{sec.name}
	case "description":
		fields, fold = []string{sec.description}, true
	case "tag-key":
		for _, t := range sec.tags {
			fields = append(fields, t.Key)
		}
	case "tag-value":
		for _, t := range sec.tags {
			fields = append(fields, t.Value)
		}
	case "all":
		fields, fold = append(strings.Fields(sec.description), sec.name), true
		for _, t := range sec.tags {
			fields = append(fields, t.Key, t.Value)
		}
	}
	for _, v := range f.Values {
		value, negate := strings.CutPrefix(v, "!")
		hit := slices.ContainsFunc(fields, func(field string) bool {
			if fold {
				return strings.HasPrefix(strings.ToLower(field), strings.ToLower(value))
			}
			return strings.HasPrefix(field, value)
		})
		if hit != negate {
			return true
		}
	}
	return false
}

// addVersion makes a new AWSCURRENT version; the old current one becomes
// AWSPREVIOUS.
func (sec *secret) addVersion(id string, str *string, binary []byte, now time.Time) *secretVersion {
	if id == "" {
		id = awssim.RequestID()
	}
	for _, v := range sec.versions {
		v.stages = slices.DeleteFunc(v.stages, func(st string) bool { return st == "AWSPREVIOUS" })
		for i, st := range v.stages {
			if st == "AWSCURRENT" {
				v.stages[i] = "AWSPREVIOUS"
			}
		}
	}
	v := &secretVersion{id: id, str: str, binary: binary, stages: []string{"AWSCURRENT"}, created: now}
	sec.versions = append(sec.versions, v)
	return v
}

// version finds a version by id, else by staging label (default AWSCURRENT).
func (sec *secret) version(id, stage string) *secretVersion {
	if stage == "" && id == "" {
		stage = "AWSCURRENT"
	}
	for _, v := range sec.versions {
		if (id == "" || v.id == id) && (stage == "" || slices.Contains(v.stages, stage)) {
			return v
		}
	}
	return nil
}

func (v *secretVersion) holds(str *string, binary []byte) bool {
	return (str == nil) == (v.str == nil) && (str == nil || *str == *v.str) && string(binary) == string(v.binary)
}
