package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// lambdaReadyDelay is how long a function's code takes to be ready (State
// Pending, LastUpdateStatus InProgress) before it is Active or Failed.
const lambdaReadyDelay = 5 * time.Second

// lambdaState holds the Lambda functions, by name.
type lambdaState struct {
	functions map[string]*lambdaFunction
}

func newLambdaState() *lambdaState {
	return &lambdaState{functions: map[string]*lambdaFunction{}}
}

// lambdaFunction is a function: its $LATEST configuration, its published
// versions and its aliases.
type lambdaFunction struct {
	name, arn   string
	latest      *lambdaVersion
	versions    []*lambdaVersion // published, in order
	aliases     map[string]*lambdaAlias
	lastVersion int
}

// lambdaVersion is $LATEST or a published version: its configuration and code.
type lambdaVersion struct {
	fn          *lambdaFunction
	version     string // $LATEST, 1, 2, ...
	packageType string
	role        string
	runtime     string
	handler     string
	description string
	timeout     int
	memory      int
	imageURI    string
	resolved    string // repo@digest
	codeSha256  string
	codeSize    int64
	modified    time.Time
	revisionID  string

	// The code's readiness: Pending (creating) or InProgress (updating)
	// until readyAt, then Active/Successful.
	creating bool
	readyAt  time.Time
}

// lambdaAlias is an alias of a function, with its traffic weights.
type lambdaAlias struct {
	name, description, version, revisionID string
	weights                                map[string]float64 // additional version -> weight (0..1)
}

var (
	lambdaNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)
	// lambdaARN is a function ARN, with an optional qualifier.
	lambdaARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9-_$]+))?$`)
)

// lambdaSplitName splits a FunctionName parameter (a name, name:qualifier,
// or a function ARN) into name and qualifier.
func lambdaSplitName(ref string) (name, qualifier string, err error) {
	if m := lambdaARN.FindStringSubmatch(ref); m != nil {
		return m[1], m[2], nil
	}
	name, qualifier, _ = strings.Cut(ref, ":")
	if !lambdaNamePattern.MatchString(name) {
		return "", "", lambdaInvalid("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", ref)
	}
	return name, qualifier, nil
}

// lambdaFunctionOf finds the function a FunctionName parameter names, and
// the qualifier it carries.
func (s *Service) lambdaFunctionOf(ref, region string) (*lambdaFunction, string, error) {
	name, qualifier, err := lambdaSplitName(ref)
	if err != nil {
		return nil, "", err
	}
	fn, ok := s.lambda.functions[name]
	if !ok {
		return nil, "", lambdaNotFound("Function not found: arn:aws:lambda:%s:%s:function:%s", region, awssim.Account, name)
	}
	return fn, qualifier, nil
}

// version returns $LATEST, a published version or the version an alias
// points to.
func (fn *lambdaFunction) version(qualifier string) (*lambdaVersion, error) {
	switch {
	case qualifier == "" || qualifier == "$LATEST":
		return fn.latest, nil
	case fn.aliases[qualifier] != nil:
		qualifier = fn.aliases[qualifier].version
	}
	for _, v := range fn.versions {
		if v.version == qualifier {
			return v, nil
		}
	}
	return nil, lambdaNotFound("Function not found: %s:%s", fn.arn, qualifier)
}

type lambdaCode struct {
	ImageURI string `json:"ImageUri"`
	ZipFile  []byte `json:"ZipFile"`
	S3Bucket string `json:"S3Bucket"`
	S3Key    string `json:"S3Key"`
}

func (s *Service) lambdaCreateFunction(ic *awssim.IAMCall, region string, body []byte) (int, any, error) {
	var in struct {
		FunctionName string     `json:"FunctionName"`
		Role         string     `json:"Role"`
		PackageType  string     `json:"PackageType"`
		Runtime      string     `json:"Runtime"`
		Handler      string     `json:"Handler"`
		Description  string     `json:"Description"`
		Timeout      int        `json:"Timeout"`
		MemorySize   int        `json:"MemorySize"`
		Publish      bool       `json:"Publish"`
		Code         lambdaCode `json:"Code"`
	}
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	if !lambdaNamePattern.MatchString(in.FunctionName) {
		return 0, nil, lambdaInvalid("The function name %q is not valid.", in.FunctionName)
	}
	if in.Role == "" {
		return 0, nil, lambdaInvalid("1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null")
	}
	if _, ok := s.lambda.functions[in.FunctionName]; ok {
		return 0, nil, lambdaConflict("Function already exist: %s", in.FunctionName)
	}
	if in.PackageType == "" {
		in.PackageType = "Zip"
	}
	now := s.Clock.Now()
	fn := &lambdaFunction{name: in.FunctionName, arn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, awssim.Account, in.FunctionName), aliases: map[string]*lambdaAlias{}}
	v := &lambdaVersion{
		fn: fn, version: "$LATEST", packageType: in.PackageType, role: in.Role, description: in.Description,
		timeout: cmpOr(in.Timeout, 3), memory: cmpOr(in.MemorySize, 128), creating: true,
	}
	switch in.PackageType {
	case "Image":
		if in.Code.ImageURI == "" {
			return 0, nil, lambdaInvalid("Please provide ImageUri when PackageType is Image.")
		}
		if err := s.setImage(ic, v, in.Code.ImageURI, now); err != nil {
			return 0, nil, err
		}
	case "Zip":
		if in.Runtime == "" || in.Handler == "" {
			return 0, nil, lambdaInvalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
		}
		if len(in.Code.ZipFile) == 0 && in.Code.S3Key == "" {
			return 0, nil, lambdaInvalid("Please provide a source for function code.")
		}
		sum := sha256.Sum256(in.Code.ZipFile)
		v.runtime, v.handler = in.Runtime, in.Handler
		v.codeSha256, v.codeSize = base64.StdEncoding.EncodeToString(sum[:]), int64(len(in.Code.ZipFile))
		v.modified, v.readyAt, v.revisionID = now, now.Add(lambdaReadyDelay), awssim.RequestID()
	default:
		return 0, nil, lambdaInvalid("1 validation error detected: Value '%s' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]", in.PackageType)
	}
	fn.latest = v
	s.lambda.functions[fn.name] = fn
	if in.Publish {
		fn.publish(v.description, now)
	}
	return http.StatusCreated, v.config(now), nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// publish makes a version of $LATEST.
func (fn *lambdaFunction) publish(description string, now time.Time) *lambdaVersion {
	fn.lastVersion++
	v := *fn.latest
	v.version = strconv.Itoa(fn.lastVersion)
	v.description = description
	v.revisionID = awssim.RequestID()
	v.creating = true
	if ready := now.Add(lambdaReadyDelay); v.readyAt.Before(ready) {
		v.readyAt = ready
	}
	fn.versions = append(fn.versions, &v)
	return &v
}

func (s *Service) lambdaGetFunction(region string, body []byte) (int, any, error) {
	v, err := s.lambdaVersionFromInput(region, body)
	if err != nil {
		return 0, nil, err
	}
	code := map[string]string{"RepositoryType": "S3"}
	if v.packageType == "Image" {
		code = map[string]string{"RepositoryType": "ECR", "ImageUri": v.imageURI}
		if v.resolved != "" {
			code["ResolvedImageUri"] = v.resolved
		}
	}
	return http.StatusOK, map[string]any{"Configuration": v.config(s.Clock.Now()), "Code": code}, nil
}

func (s *Service) lambdaGetFunctionConfiguration(region string, body []byte) (int, any, error) {
	v, err := s.lambdaVersionFromInput(region, body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v.config(s.Clock.Now()), nil
}

// lambdaVersionFromInput returns the version named by FunctionName and
// Qualifier.
func (s *Service) lambdaVersionFromInput(region string, body []byte) (*lambdaVersion, error) {
	var in struct {
		FunctionName string `json:"FunctionName"`
		Qualifier    string `json:"Qualifier"`
	}
	if err := lambdaDecode(body, &in); err != nil {
		return nil, err
	}
	fn, qualifier, err := s.lambdaFunctionOf(in.FunctionName, region)
	if err != nil {
		return nil, err
	}
	if in.Qualifier != "" {
		qualifier = in.Qualifier
	}
	return fn.version(qualifier)
}

// lambdaIdleFunction finds the function a FunctionName parameter names, and
// refuses it while its code is still being created or updated; now is the
// time of that check.
func (s *Service) lambdaIdleFunction(ref, region string) (fn *lambdaFunction, now time.Time, err error) {
	fn, _, err = s.lambdaFunctionOf(ref, region)
	if err != nil {
		return nil, now, err
	}
	now = s.Clock.Now()
	return fn, now, fn.busy(now)
}

// busy returns the conflict error of an operation on $LATEST while its
// code is still being created or updated.
func (fn *lambdaFunction) busy(now time.Time) error {
	if now.Before(fn.latest.readyAt) {
		return lambdaConflict("The operation cannot be performed at this time. An update is in progress for resource: %s", fn.arn)
	}
	return nil
}

func (s *Service) lambdaUpdateFunctionCode(ic *awssim.IAMCall, region string, body []byte) (int, any, error) {
	var in struct {
		FunctionName string `json:"FunctionName"`
		ImageURI     string `json:"ImageUri"`
		ZipFile      []byte `json:"ZipFile"`
		Publish      bool   `json:"Publish"`
		RevisionID   string `json:"RevisionId"`
	}
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, now, err := s.lambdaIdleFunction(in.FunctionName, region)
	if err != nil {
		return 0, nil, err
	}
	v := fn.latest
	if err := lambdaCheckRevision(in.RevisionID, v.revisionID); err != nil {
		return 0, nil, err
	}
	switch {
	case v.packageType == "Image" && in.ImageURI == "":
		return 0, nil, lambdaInvalid("Please provide ImageUri when updating a function with packageType Image.")
	case v.packageType == "Image":
		if err := s.setImage(ic, v, in.ImageURI, now); err != nil {
			return 0, nil, err
		}
	case in.ImageURI != "":
		return 0, nil, lambdaInvalid("Please don't provide ImageUri when updating a function with packageType Zip.")
	default:
		sum := sha256.Sum256(in.ZipFile)
		v.codeSha256, v.codeSize = base64.StdEncoding.EncodeToString(sum[:]), int64(len(in.ZipFile))
		v.modified, v.readyAt, v.revisionID = now, now.Add(lambdaReadyDelay), awssim.RequestID()
	}
	v.creating = false
	if in.Publish {
		return http.StatusOK, fn.publish(v.description, now).config(now), nil
	}
	return http.StatusOK, v.config(now), nil
}

func (s *Service) lambdaPublishVersion(region string, body []byte) (int, any, error) {
	var in struct {
		FunctionName string `json:"FunctionName"`
		CodeSha256   string `json:"CodeSha256"`
		Description  string `json:"Description"`
		RevisionID   string `json:"RevisionId"`
	}
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, now, err := s.lambdaIdleFunction(in.FunctionName, region)
	if err != nil {
		return 0, nil, err
	}
	v := fn.latest
	if in.CodeSha256 != "" && in.CodeSha256 != v.codeSha256 {
		return 0, nil, lambdaInvalid("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, v.codeSha256)
	}
	if err := lambdaCheckRevision(in.RevisionID, v.revisionID); err != nil {
		return 0, nil, err
	}
	// Publishing code unchanged since the last version returns that version.
	if n := len(fn.versions); n > 0 && fn.versions[n-1].codeSha256 == v.codeSha256 && fn.versions[n-1].modified.Equal(v.modified) {
		return http.StatusCreated, fn.versions[n-1].config(now), nil
	}
	return http.StatusCreated, fn.publish(in.Description, now).config(now), nil
}

func (s *Service) lambdaListVersions(region string, body []byte) (int, any, error) {
	var in struct {
		FunctionName string `json:"FunctionName"`
	}
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, _, err := s.lambdaFunctionOf(in.FunctionName, region)
	if err != nil {
		return 0, nil, err
	}
	now := s.Clock.Now()
	out := []any{fn.latest.config(now)}
	for _, v := range fn.versions {
		out = append(out, v.config(now))
	}
	return http.StatusOK, map[string]any{"Versions": out}, nil
}

// lambdaConfiguration is FunctionConfiguration on the wire.
type lambdaConfiguration struct {
	FunctionName               string            `json:"FunctionName"`
	FunctionArn                string            `json:"FunctionArn"`
	Runtime                    string            `json:"Runtime,omitempty"`
	Role                       string            `json:"Role"`
	Handler                    string            `json:"Handler,omitempty"`
	CodeSize                   int64             `json:"CodeSize"`
	Description                string            `json:"Description"`
	Timeout                    int               `json:"Timeout"`
	MemorySize                 int               `json:"MemorySize"`
	LastModified               string            `json:"LastModified"`
	CodeSha256                 string            `json:"CodeSha256"`
	Version                    string            `json:"Version"`
	TracingConfig              map[string]string `json:"TracingConfig"`
	RevisionID                 string            `json:"RevisionId"`
	State                      string            `json:"State"`
	StateReason                string            `json:"StateReason,omitempty"`
	StateReasonCode            string            `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string            `json:"LastUpdateStatus"`
	LastUpdateStatusReason     string            `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string            `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string            `json:"PackageType"`
	Architectures              []string          `json:"Architectures"`
	EphemeralStorage           map[string]int    `json:"EphemeralStorage"`
}

// config renders v as it is at now.
func (v *lambdaVersion) config(now time.Time) *lambdaConfiguration {
	c := &lambdaConfiguration{
		FunctionName: v.fn.name, FunctionArn: v.fn.arn, Runtime: v.runtime, Role: v.role, Handler: v.handler,
		CodeSize: v.codeSize, Description: v.description, Timeout: v.timeout, MemorySize: v.memory,
		LastModified: v.modified.UTC().Format("2006-01-02T15:04:05.000-0700"), CodeSha256: v.codeSha256,
		Version: v.version, TracingConfig: map[string]string{"Mode": "PassThrough"}, RevisionID: v.revisionID,
		PackageType: v.packageType, Architectures: []string{"x86_64"}, EphemeralStorage: map[string]int{"Size": 512},
		State: "Active", LastUpdateStatus: "Successful",
	}
	if v.version != "$LATEST" {
		c.FunctionArn += ":" + v.version
	}
	switch {
	case now.Before(v.readyAt) && v.creating:
		c.State, c.StateReason, c.StateReasonCode = "Pending", "The function is being created.", "Creating"
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "InProgress", "The function is being created.", "Creating"
	case now.Before(v.readyAt):
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "InProgress", "The function is being created.", "Creating"
	}
	return c
}

// lambdaSeed makes a Lambda call from a scenario's seed. Seeded code is
// ready at once: a seed describes what exists already.
func (s *Service) lambdaSeed(operation, region string, input map[string]any) error {
	op, ok := s.lambdaOps(nil)[operation]
	if !ok || !slices.Contains([]string{"CreateFunction", "UpdateFunctionCode", "PublishVersion", "CreateAlias", "UpdateAlias"}, operation) {
		return fmt.Errorf("unknown operation")
	}
	body, err := json.Marshal(input)
	if err != nil {
		return err
	}
	if _, _, err = op(region, body); err != nil {
		return err
	}
	now := s.Clock.Now()
	for _, fn := range s.lambda.functions {
		for _, v := range append([]*lambdaVersion{fn.latest}, fn.versions...) {
			if v.readyAt.After(now) {
				v.readyAt = now
			}
		}
	}
	return nil
}
