// Package awscfg is the one place the action configures AWS: region,
// credentials (the default chain, or a role assumed with the GitHub OIDC
// token and refreshed as it nears expiry), the adaptive retryer and endpoint
// overrides from AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
package awscfg

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sethvargo/go-githubactions"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// oidcAudience is the audience AWS STS expects in GitHub's OIDC token.
const oidcAudience = "sts.amazonaws.com"

// Clients are the SDK clients of one run, all sharing one configuration.
type Clients struct {
	Config         aws.Config
	SecretsManager *secretsmanager.Client
	ECR            *ecr.Client
	S3             *s3.Client
	ECS            *ecs.Client
	CodeDeploy     *codedeploy.Client
	Lambda         *lambda.Client
	STS            *sts.Client
}

// Load builds the clients for in. getenv supplies the environment (the
// credentials, endpoints and OIDC variables).
func Load(ctx context.Context, in config.AWS, getenv func(string) string) (*Clients, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(in.Region),
		awsconfig.WithRetryer(func() aws.Retryer { return retry.NewAdaptiveMode() }),
	}
	if id := getenv("AWS_ACCESS_KEY_ID"); id != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			id, getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))))
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(u))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}

	endpoint := func(service string) *string {
		if u := getenv("AWS_ENDPOINT_URL_" + service); u != "" {
			return aws.String(u)
		}
		return cfg.BaseEndpoint
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = endpoint("STS") })

	if in.RoleToAssume != "" {
		gha := githubactions.New(githubactions.WithGetenv(getenv))
		if getenv("ACTIONS_ID_TOKEN_REQUEST_URL") == "" || getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN") == "" {
			return nil, fmt.Errorf("input %q: the GitHub OIDC token is not available: give the job `permissions: id-token: write`", "role-to-assume")
		}
		provider := stscreds.NewWebIdentityRoleProvider(stsClient, in.RoleToAssume, oidcToken{ctx: ctx, gha: gha},
			func(o *stscreds.WebIdentityRoleOptions) {
				o.RoleSessionName = in.RoleSessionName
				o.Duration = in.RoleDuration
			})
		// The cache refreshes the role's credentials before they expire, so
		// long deployment waits outlive one role session.
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = 5 * time.Minute
			o.ExpiryWindowJitterFrac = 0.5
		})
		stsClient = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = endpoint("STS") })
	}

	return &Clients{
		Config:         cfg,
		SecretsManager: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = endpoint("SECRETS_MANAGER") }),
		ECR:            ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = endpoint("ECR") }),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = endpoint("S3")
			o.UsePathStyle = o.BaseEndpoint != nil // custom endpoints (the sandbox) serve path-style
		}),
		ECS:        ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = endpoint("ECS") }),
		CodeDeploy: codedeploy.NewFromConfig(cfg, func(o *codedeploy.Options) { o.BaseEndpoint = endpoint("CODEDEPLOY") }),
		Lambda:     lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = endpoint("LAMBDA") }),
		STS:        stsClient,
	}, nil
}

// SecretsManagerIn returns the Secrets Manager client for region: the run's
// own, or one configured like it for another region (a secret given by the
// ARN of another region). Its type is what secrets.Fetch takes.
func (c *Clients) SecretsManagerIn(region string) secretsmanager.BatchGetSecretValueAPIClient {
	return c.SecretsManagerClient(region)
}

// SecretsManagerClient is SecretsManagerIn as the client itself, for a
// caller that makes other calls (a plan's DescribeSecret).
func (c *Clients) SecretsManagerClient(region string) *secretsmanager.Client {
	if region == c.SecretsManager.Options().Region {
		return c.SecretsManager
	}
	return secretsmanager.New(c.SecretsManager.Options(), func(o *secretsmanager.Options) { o.Region = region })
}

// oidcToken fetches a fresh GitHub OIDC token each time the role's
// credentials are refreshed.
type oidcToken struct {
	ctx context.Context
	gha *githubactions.Action
}

func (t oidcToken) GetIdentityToken() ([]byte, error) {
	token, err := t.gha.GetIDToken(t.ctx, oidcAudience)
	if err != nil {
		return nil, fmt.Errorf("getting the GitHub OIDC token: %w", err)
	}
	return []byte(token), nil
}
