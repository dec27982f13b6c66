# The action's image: a static Go binary on scratch with CA certificates.
# Offline builds (CI, where the engine cannot pull) put the modules in vendor/
# in the build context and a local image under the GO_IMAGE name (.ci/images.sh);
# otherwise the modules are downloaded.
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
# The version --version prints (a release sets it: --build-arg VERSION=v1.2.3);
# empty: the module's build info.
ARG VERSION=
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN if [ -f vendor/modules.txt ]; then export GOFLAGS=-mod=vendor GOPROXY=off; else go mod download; fi && \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /bluegreen-deploy .

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /bluegreen-deploy /bluegreen-deploy
ENTRYPOINT ["/bluegreen-deploy"]
