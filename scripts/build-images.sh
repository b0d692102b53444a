#!/usr/bin/env bash
# Builds the three images from the repository root, where a container engine runs (CI with one,
# a release machine). Where none does, test/images/dockerfiles.test.ts checks the Dockerfiles.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${IMAGE_TAG:-dev}
registry=${IMAGE_PREFIX:-ghcr.io/cutroom}
args=()
[ -n "${NODE_DIGEST:-}" ] && args+=(--build-arg "NODE_DIGEST=$NODE_DIGEST")
docker build "${args[@]}" -f control-plane/Dockerfile -t "$registry/control-plane:$tag" .
docker build "${args[@]}" -f render-node/Dockerfile -t "$registry/render-node:$tag" .
docker build "${args[@]}" -f render-node/Dockerfile --target nvidia -t "$registry/render-node:$tag-nvidia" .
# The images start on the supported Node, and the render node finds ffmpeg.
docker run --rm --entrypoint node "$registry/control-plane:$tag" --version
docker run --rm --entrypoint ffmpeg "$registry/render-node:$tag" -hide_banner -version | head -n1
