#!/usr/bin/env bash
set -euo pipefail
. "$(dirname "$0")/../deploy.env"
docker pull "$IMAGE_URI"
