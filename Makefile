# Checks CI runs (bash .ci/run runs `make ci` after installing the tools).
GO      ?= go
FUZZTIME ?= 10s

.PHONY: ci fmt vet staticcheck test fuzz demo sandbox

ci: fmt vet staticcheck test fuzz

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	staticcheck ./...

# The README's test command.
test:
	$(GO) test -race -shuffle=on ./...

fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzLines$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzParseKeyValues$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config -run '^$$' -fuzz '^FuzzParseSecretSpec$$' -fuzztime $(FUZZTIME)

demo:
	$(GO) run ./internal/demo

sandbox:
	$(GO) run ./internal/awssim/cmd/awssim -addr 127.0.0.1:4566
