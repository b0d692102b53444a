#!/usr/bin/env bash
# `make run` needs ffmpeg for render nodes: install Debian's when missing and we may.
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ffmpeg" && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null && exit 0
fi
echo "warning: ffmpeg is not installed; ingest and renders will fail until it is (apt-get install ffmpeg, or set FFMPEG_PATH)" >&2
