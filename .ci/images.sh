#!/usr/bin/env bash
# Prepares, without pulling anything, the base images the end-to-end tests need
# on a Docker engine that cannot reach a registry:
#   golang:1.26-bookworm               the Dockerfile's build stage: this machine's Go
#                                      toolchain, CA certificates and a busybox shell
#   bluegreen-deploy/act-runner:local  act's job container: busybox (sh, tail)
#   bluegreen-deploy/caddy:2.11.9      the single-host blue/green proxy: a static
#                                      Caddy built from its Go module (the binary
#                                      is cached), run as the official image runs
#                                      it: caddy run, admin API on localhost:2019
#                                      (CADDY_ADMIN=0.0.0.0:2019 to publish it)
#   bluegreen-deploy/testapp:local     the tests' app (internal/e2e/testapp):
#                                      its APP_VERSION on /, /health, on $PORT
# Each image is imported from a root filesystem and labelled with what it was
# made from; it is imported again only when that changes.
set -euo pipefail
cd "$(dirname "$0")/.."

GO_IMAGE=$(sed -n 's/^ARG GO_IMAGE=//p' Dockerfile)
RUNNER_IMAGE=bluegreen-deploy/act-runner:local
CADDY_VERSION=v2.11.9
CADDY_IMAGE=bluegreen-deploy/caddy:${CADDY_VERSION#v}
APP_IMAGE=bluegreen-deploy/testapp:local
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/bluegreen-deploy
LABEL=io.github.bluegreen-deploy.rootfs

if ! dpkg -s busybox-static ca-certificates >/dev/null 2>&1; then
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static ca-certificates >/dev/null
fi
busybox_version=$(dpkg-query -W -f '${Version}' busybox-static)
goroot=$(go env GOROOT)
go_version=$(go env GOVERSION)

# current prints the label of an image, or nothing when it is missing.
current() {
  docker image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true
}

# busybox_rootfs fills $1 with a minimal root: busybox and its applets, CA
# certificates, /tmp and /root.
busybox_rootfs() {
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/ssl/certs,root,tmp}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

want="busybox $busybox_version, $go_version"
if [ "$(current "$GO_IMAGE")" != "$want" ]; then
  start=$SECONDS
  busybox_rootfs "$work/go"
  mkdir -p "$work/go/usr/local" "$work/go/go"
  cp -a "$goroot" "$work/go/usr/local/go"
  tar -C "$work/go" -c . | docker import \
    --change "ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV GOPATH=/go" \
    --change "ENV GOTOOLCHAIN=local" \
    --change "WORKDIR /go" \
    --change "LABEL $LABEL=\"$want\"" \
    - "$GO_IMAGE" >/dev/null
  rm -rf "$work/go"
  echo "imported $GO_IMAGE ($want) in $((SECONDS - start))s"
fi

want="busybox $busybox_version"
if [ "$(current "$RUNNER_IMAGE")" != "$want" ]; then
  start=$SECONDS
  busybox_rootfs "$work/runner"
  tar -C "$work/runner" -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL $LABEL=\"$want\"" \
    - "$RUNNER_IMAGE" >/dev/null
  echo "imported $RUNNER_IMAGE ($want) in $((SECONDS - start))s"
fi

# certs_rootfs fills $1 with the least a static Go binary needs: CA
# certificates, /tmp, and root in /etc/passwd.
certs_rootfs() {
  local root=$1
  mkdir -p "$root"/{etc/ssl/certs,tmp}
  chmod 1777 "$root/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/:/sbin/nologin\n' >"$root/etc/passwd"
}

caddy_bin=$CACHE/bin/caddy-$CADDY_VERSION/caddy
want="caddy $CADDY_VERSION"
if [ "$(current "$CADDY_IMAGE")" != "$want" ]; then
  start=$SECONDS
  if [ ! -x "$caddy_bin" ]; then
    mkdir -p "$(dirname "$caddy_bin")"
    GOBIN=$(dirname "$caddy_bin") CGO_ENABLED=0 GOFLAGS=-trimpath \
      go install -ldflags='-s -w' "github.com/caddyserver/caddy/v2/cmd/caddy@$CADDY_VERSION"
    echo "built caddy $CADDY_VERSION in $((SECONDS - start))s (cached in $caddy_bin)"
  fi
  root=$work/caddy
  certs_rootfs "$root"
  mkdir -p "$root"/{usr/bin,etc/caddy,config,data,srv}
  cp "$caddy_bin" "$root/usr/bin/caddy"
  printf ':80 {\n\trespond "no colour is serving yet" 503\n}\n' >"$root/etc/caddy/Caddyfile"
  tar -C "$root" -c . | docker import \
    --change "ENV XDG_CONFIG_HOME=/config" \
    --change "ENV XDG_DATA_HOME=/data" \
    --change "EXPOSE 80 443 2019" \
    --change "WORKDIR /srv" \
    --change 'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]' \
    --change "ENV PATH=/usr/bin" \
    --change "LABEL $LABEL=\"$want\"" \
    - "$CADDY_IMAGE" >/dev/null
  echo "imported $CADDY_IMAGE ($want) in $((SECONDS - start))s"
fi

app_src=$(sha256sum internal/e2e/testapp/main.go | cut -c1-12)
want="testapp $app_src, $go_version"
if [ "$(current "$APP_IMAGE")" != "$want" ]; then
  start=$SECONDS
  root=$work/testapp
  certs_rootfs "$root"
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$root/testapp" ./internal/e2e/testapp
  tar -C "$root" -c . | docker import \
    --change "ENV PORT=8080" \
    --change "ENV APP_VERSION=dev" \
    --change "EXPOSE 8080" \
    --change 'ENTRYPOINT ["/testapp"]' \
    --change "LABEL $LABEL=\"$want\"" \
    - "$APP_IMAGE" >/dev/null
  echo "imported $APP_IMAGE ($want) in $((SECONDS - start))s"
fi

docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$GO_IMAGE"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$RUNNER_IMAGE"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$CADDY_IMAGE"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$APP_IMAGE"
