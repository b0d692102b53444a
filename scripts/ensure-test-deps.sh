#!/usr/bin/env bash
# Installs or starts what the test suite needs on a fresh Debian machine:
# ffmpeg (Debian's package), a running PostgreSQL on 127.0.0.1:5432, Chromium for browser tests,
# Go with sprig for the chart tests.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; return 1; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { echo "installing ffmpeg"; apt_install ffmpeg; }
# The chart tests render the chart with Go's text/template and sprig (no Helm binary is packaged).
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/Masterminds/sprig ] || [ ! -d /usr/share/gocode/src/sigs.k8s.io/yaml ]; then
  echo "installing go, sprig and sigs.k8s.io/yaml for the chart tests"
  apt_install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
fi
command -v chromium >/dev/null || { echo "installing chromium"; apt_install chromium || echo "chromium unavailable: browser tests will be skipped" >&2; }

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null; then echo "installing postgresql"; apt_install postgresql; fi
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  echo "starting postgresql $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi
