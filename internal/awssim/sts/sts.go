// Package sts is the sandbox's STS: GetCallerIdentity, AssumeRole and
// AssumeRoleWithWebIdentity over the query protocol (form-encoded
// Action=..., XML answers).
package sts

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// stsNamespace is the XML namespace of STS responses.
const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// stsCredentials is the Credentials element of the AssumeRole* results.
type stsCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// assumedRoleUser is the AssumedRoleUser element of the AssumeRole* results.
type assumedRoleUser struct {
	Arn           string
	AssumedRoleId string
}

// Register adds STS to the sandbox: the query protocol's requests
// (form-encoded, with an Action) are its own.
func Register(core *awssim.Server) {
	core.Register(&awssim.Service{
		Name:  "sts",
		Match: match,
		Serve: func(w http.ResponseWriter, r *http.Request, operation string, req *awssim.Request) {
			serve(core, w, operation, req)
		},
		WriteError: writeQueryError,
		Authorize: func(operation string, _ *http.Request, req *awssim.Request) *awssim.Error {
			if operation != "AssumeRole" {
				return nil
			}
			checks := []awssim.IAMCheck{{Action: "sts:AssumeRole", Resource: formValue(string(req.Body), "RoleArn")}}
			return core.Check(req.IAM, checks, "AccessDenied", 403)
		},
	})
}

// match takes a query-protocol request, peeking at Action without
// consuming the body for the handler.
func match(r *http.Request) (string, bool) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "", false
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	action := formValue(string(body), "Action")
	return action, action != ""
}

// serve answers an STS query-protocol request.
func serve(core *awssim.Server, w http.ResponseWriter, operation string, req *awssim.Request) {
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		writeQueryError(w, awssim.Errorf("MalformedQueryString", "%v", err))
		return
	}
	var result any
	switch operation {
	case "GetCallerIdentity":
		result = struct {
			Arn     string
			UserId  string
			Account string
		}{awssim.CallerARN, "AIDASANDBOXUSER00000", awssim.Account}
	case "AssumeRole":
		result, err = assumeRole(core, form, false)
	case "AssumeRoleWithWebIdentity":
		result, err = assumeRole(core, form, true)
	default:
		err = &awssim.Error{Status: 400, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version 2011-06-15", operation)}
	}
	if err != nil {
		writeQueryError(w, err.(*awssim.Error))
		return
	}
	awssim.WriteQueryResult(w, stsNamespace, operation, result)
}

// assumeRole answers AssumeRole, or AssumeRoleWithWebIdentity when web is
// set, with fresh credentials valid for DurationSeconds of wall time. When
// the role is one of the sandbox's (a CloudFormation stack made it), a web
// identity must satisfy its trust policy, and the credentials act with the
// role's policies; other roles are assumed as before, with the sandbox
// user's policy. The token's signature cannot be verified here: its claims
// are read as they are.
func assumeRole(core *awssim.Server, form url.Values, web bool) (any, error) {
	required := []string{"RoleArn", "RoleSessionName"}
	if web {
		required = append(required, "WebIdentityToken")
	}
	for _, p := range required {
		if form.Get(p) == "" {
			return nil, awssim.Errorf("ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(p))
		}
	}
	roleARN, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	_, roleName, ok := strings.Cut(roleARN, ":role/")
	if !ok || !strings.HasPrefix(roleARN, "arn:aws:iam::") {
		return nil, awssim.Errorf("ValidationError", "%s is invalid", roleARN)
	}
	roleName = roleName[strings.LastIndex(roleName, "/")+1:]
	duration := 3600
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return nil, awssim.Errorf("ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", d)
		}
		duration = n
	}
	creds := stsCredentials{
		AccessKeyId:     "ASIA" + strings.ToUpper(awssim.RandomAlnum(16)),
		SecretAccessKey: awssim.RandomAlnum(40),
		SessionToken:    base64.StdEncoding.EncodeToString([]byte(awssim.RandomAlnum(120))),
		Expiration:      time.Now().UTC().Add(time.Duration(duration) * time.Second).Format(time.RFC3339),
	}
	roleID := "AROASANDBOX" + strings.ToUpper(awssim.RandomAlnum(10))
	user := assumedRoleUser{
		Arn:           fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", awssim.Account, roleName, session),
		AssumedRoleId: roleID + ":" + session,
	}
	core.Lock()
	defer core.Unlock()
	claims := tokenClaims(form.Get("WebIdentityToken"))
	if role, known := core.RoleLocked(roleARN); known {
		if role == nil || web && !role.TrustAllows("sts:AssumeRoleWithWebIdentity", claims.Iss, claims.Aud, claims.Sub) {
			return nil, &awssim.Error{Status: 403, Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
		}
		core.AddSession(creds.AccessKeyId, roleARN, user.Arn)
	}
	if !web {
		return struct {
			Credentials     stsCredentials
			AssumedRoleUser assumedRoleUser
		}{creds, user}, nil
	}
	return struct {
		Credentials                 stsCredentials
		SubjectFromWebIdentityToken string
		AssumedRoleUser             assumedRoleUser
		Provider                    string
		Audience                    string
	}{creds, claims.Sub, user, claims.Iss, claims.Aud}, nil
}

// webClaims are the claims of a web identity token STS reports back.
type webClaims struct {
	Sub string `json:"sub"`
	Iss string `json:"iss"`
	Aud string `json:"aud"`
}

// tokenClaims reads the claims of a JWT without verifying it. Tokens that are
// not JWTs get the sandbox's own subject, provider and audience.
func tokenClaims(token string) webClaims {
	c := webClaims{Sub: "sandbox", Iss: "token.actions.githubusercontent.com", Aud: "sts.amazonaws.com"}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c
	}
	var claims webClaims
	if json.Unmarshal(payload, &claims) != nil {
		return c
	}
	if claims.Sub != "" {
		c.Sub = claims.Sub
	}
	if claims.Iss != "" {
		c.Iss = strings.TrimPrefix(claims.Iss, "https://")
	}
	if claims.Aud != "" {
		c.Aud = claims.Aud
	}
	return c
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// writeQueryError writes e as a query-protocol ErrorResponse.
func writeQueryError(w http.ResponseWriter, e *awssim.Error) {
	awssim.WriteQueryError(w, stsNamespace, e)
}

// formValue returns the value of key in a form-encoded body.
func formValue(body, key string) string {
	form, err := url.ParseQuery(body)
	if err != nil {
		return ""
	}
	return form.Get(key)
}
