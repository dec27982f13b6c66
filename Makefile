# The checks CI runs; bash .ci/run installs the tools they need first.
GO      ?= go
FUZZTIME ?= 10s

.PHONY: ci fmt vet staticcheck lint test bench fuzz demo sandbox

ci: fmt vet staticcheck lint test fuzz

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	staticcheck ./...

# The workflows, the act test workflows (checked against action.yml), the CI
# scripts and the generated Server bundle's hook scripts.
lint:
	actionlint .github/workflows/*.yml testdata/workflows/*.yml
	shellcheck .ci/run .ci/images.sh
	cd internal/deploy/server/defaultbundle/scripts && shellcheck --external-sources --severity=style *.sh

# The README's test command.
test:
	$(GO) test -race -shuffle=on ./...

# The action's image size and its start-to-first-AWS-request time (needs Docker).
bench:
	$(GO) test -run '^$$' -bench '^BenchmarkActionContainer$$' -benchtime 5x ./internal/e2e

fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzLines$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzParseKeyValues$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzParseSecretSpec$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/secrets -run '^$$' -fuzz '^FuzzFlatten$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/deploy/ecs -run '^$$' -fuzz '^FuzzParseTaskDefinition$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/deploy/server -run '^$$' -fuzz '^FuzzCheckAppSpec$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/deploy/ecs -run '^$$' -fuzz '^FuzzParseECSTemplate$$' -fuzztime $(FUZZTIME)

demo:
	$(GO) run ./internal/demo

sandbox:
	$(GO) run ./internal/awssim/cmd/awssim -addr 127.0.0.1:4566
