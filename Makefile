# The checks CI runs; bash .ci/run installs the tools they need first.
GO      ?= go
FUZZTIME ?= 10s
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: build ci fmt tidy vet staticcheck lint test bench bench-targets fuzz demo sandbox

ci: fmt tidy vet staticcheck lint test fuzz

# The action as a plain binary, with the version --version prints.
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bluegreen-deploy .

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# go.mod and go.sum exactly as go mod tidy leaves them.
tidy:
	@out=$$($(GO) mod tidy -diff) || { echo "go mod tidy would change:"; echo "$$out"; exit 1; }

vet:
	$(GO) vet ./...

staticcheck:
	staticcheck ./...

# The workflows, the act test workflows (checked against action.yml), the CI
# scripts, the generated Server and in-place bundles' hook scripts (which
# source the shared ones in internal/deploy/hostscripts/scripts) and the
# CloudFormation examples (any finding fails; the .cfnlintrc says what is
# ignored where, and why).
lint:
	actionlint .github/workflows/*.yml testdata/workflows/*.yml
	cfn-lint --config-file examples/cloudformation/.cfnlintrc --non-zero-exit-code informational
	shellcheck .ci/run .ci/images.sh
	shellcheck --external-sources --source-path=SCRIPTDIR --source-path=internal/deploy/hostscripts/scripts --severity=style \
		internal/deploy/hostscripts/scripts/*.sh internal/deploy/server/defaultbundle/scripts/*.sh internal/deploy/inplace/bundle/scripts/*.sh

# The README's test command: go test's usual output, then the tests that
# skipped and why (.ci/gotest.go); its exit status is go test's.
test:
	$(GO) run .ci/gotest.go -race -shuffle=on ./...

# The action's image size and its start-to-first-AWS-request time (needs Docker).
bench:
	$(GO) test -run '^$$' -bench '^BenchmarkActionContainer$$' -benchtime 5x ./internal/e2e

# One Server target alone, then 20 in 4 waves of 5 and in 1 wave of 20,
# against the sandbox: wall time, each wave's span against its slowest
# deployment, API calls per target, the binary's peak RSS (about a minute;
# not in CI's bench).
bench-targets:
	$(GO) test -run '^$$' -bench '^BenchmarkTargets$$' -benchtime 1x .

fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzLines$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzParseKeyValues$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzParseSecretSpec$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzTargets$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/secrets -run '^$$' -fuzz '^FuzzFlatten$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/deploy/ecs -run '^$$' -fuzz '^FuzzParseTaskDefinition$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/deploy/server -run '^$$' -fuzz '^FuzzCheckAppSpec$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/deploy/ecs -run '^$$' -fuzz '^FuzzParseECSTemplate$$' -fuzztime $(FUZZTIME)

demo:
	$(GO) run ./internal/demo

sandbox:
	$(GO) run ./internal/awssim/cmd/awssim -addr 127.0.0.1:4566
