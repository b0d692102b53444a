#!/bin/sh
# Configures the control plane's ffmpeg: only what on-demand timeline thumbnails use, as one
# static program (no shared FFmpeg libraries: Debian's ffmpeg package brings about 450 MB of
# them, for encoders, devices and filters the control plane never runs). Run in an FFmpeg
# source tree (control-plane/Dockerfile builds Debian's source package with it); installs to
# $1 (default /opt/ffmpeg).
#
# What runs: a warm decoder fed the scrub copy's H.264 on a pipe (h264 demuxer, parser and
# decoder, scale, PNG out); and, for media without a scrub copy, a seek in the original or its
# proxy, read from a file or a signed URL (http, https with GnuTLS): the containers and codecs
# that play in browsers (the others have an H.264 proxy), and the common ones a file still in
# ingest may be. ffprobe too, with the same parts: before a long render is split into segments,
# the control plane probes its stored sources (a source it cannot probe keeps the render whole).
set -eu
prefix="${1:-/opt/ffmpeg}"
./configure \
  --prefix="$prefix" \
  --disable-everything --disable-autodetect --disable-doc --disable-debug \
  --disable-ffplay --disable-avdevice --disable-postproc \
  --enable-static --disable-shared \
  --enable-zlib --enable-gnutls --enable-libdav1d \
  --enable-protocol=file,pipe,http,https,tcp,tls \
  --enable-demuxer=mov,matroska,h264,hevc,mpegts,mpegps,avi,asf,flv,mxf \
  --enable-parser=h264,hevc,vp8,vp9,av1,mpeg4video,mpegvideo,vc1,mjpeg,dnxhd \
  --enable-decoder=h264,hevc,vp8,vp9,libdav1d,mpeg1video,mpeg2video,mpeg4,h263,msmpeg4v3,wmv3,vc1,prores,dnxhd,mjpeg \
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,vp9_superframe_split \
  --enable-filter=scale,format,null,trim,setpts \
  --enable-encoder=png \
  --enable-muxer=image2,image2pipe
