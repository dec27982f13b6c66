package main

import _ "embed"

// actionYAML is action.yml, the inputs' one source: --help prints them from it.
//
//go:embed action.yml
var actionYAML []byte

// version is set by the build: go build -ldflags "-X main.version=v1.2.3".
// Empty: the module's build info says it.
var version string
