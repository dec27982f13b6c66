#!/usr/bin/env bash
# Prepares, without pulling anything, the base images the end-to-end tests need
# on a Docker engine that cannot reach a registry:
#   golang:1.26-bookworm               the Dockerfile's build stage: this machine's Go
#                                      toolchain, CA certificates and a busybox shell
#   bluegreen-deploy/act-runner:local  act's job container: busybox (sh, tail)
# Each image is imported from a root filesystem and labelled with what it was
# made from; it is imported again only when that changes.
set -euo pipefail
cd "$(dirname "$0")/.."

GO_IMAGE=$(sed -n 's/^ARG GO_IMAGE=//p' Dockerfile)
RUNNER_IMAGE=bluegreen-deploy/act-runner:local
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
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$GO_IMAGE"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$RUNNER_IMAGE"
