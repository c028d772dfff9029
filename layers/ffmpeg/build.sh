#!/usr/bin/env bash
# Build the ffmpeg Lambda layer: ffmpeg and ffprobe under bin/ (/opt/bin in Lambda).
#
#   layers/ffmpeg/build.sh [OUT_DIR]      → OUT_DIR/ffmpeg-layer.zip (default: build/layers)
#
# From this machine's Debian ffmpeg: each binary, every shared library ldd finds for it (glibc
# and the dynamic loader included) into lib/, and a wrapper in bin/ that starts the binary with
# the bundled loader and lib/ as its only library path. The bundled loader makes the layer
# independent of the Lambda runtime's own glibc (Amazon Linux 2023 has 2.34; Debian 12's ffmpeg
# needs 2.36). Fails if the unzipped layer would exceed Lambda's 250 MB limit.
#
# Environment: FFMPEG / FFPROBE (binaries to package; default: the ones on PATH),
# ZIP_LEVEL (0-9, default 6; tests use 1 for speed).
set -euo pipefail
trap 'echo "build.sh: line $LINENO exited with status $?" >&2' ERR

out_dir=${1:-build/layers}
ffmpeg_bin=${FFMPEG:-$(command -v ffmpeg)}
ffprobe_bin=${FFPROBE:-$(command -v ffprobe)}
zip_level=${ZIP_LEVEL:-6}
limit=$((250 * 1024 * 1024))

command -v ldd >/dev/null || { echo "build.sh: ldd is required" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"

loader=""
for bin in "$ffmpeg_bin" "$ffprobe_bin"; do
  name=$(basename "$bin")
  cp -L "$bin" "$stage/lib/$name.bin"
  # ldd once, into a variable: an awk that stops reading early (`exit`) makes ldd's own printf
  # die of SIGPIPE, and ldd then exits 1 without a word (seen once in CI).
  listing=$(ldd "$bin")
  # lines "libx.so.1 => /path/libx.so.1 (0x...)": copy each under its soname
  while read -r soname path; do
    [ -e "$stage/lib/$soname" ] || cp -L "$path" "$stage/lib/$soname"
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' <<<"$listing")
  # and the dynamic loader's line "/lib64/ld-linux-x86-64.so.2 (0x...)"; it sits mid-listing
  found=$(awk '$1 ~ /^\/.*ld-linux/ && !seen++ {print $1}' <<<"$listing")
  if [ -n "$found" ]; then
    loader=$(basename "$found")
    [ -e "$stage/lib/$loader" ] || cp -L "$found" "$stage/lib/$loader"
  fi
done
[ -n "$loader" ] && [ -e "$stage/lib/$loader" ] || { echo "build.sh: no dynamic loader found" >&2; exit 1; }

for name in "$(basename "$ffmpeg_bin")" "$(basename "$ffprobe_bin")"; do
  cat >"$stage/bin/$name" <<WRAPPER
#!/bin/sh
# $name from the Viewra ffmpeg layer: the bundled loader and libraries, not the system's.
lib="\$(dirname "\$(readlink -f "\$0")")/../lib"
exec "\$lib/$loader" --library-path "\$lib" "\$lib/$name.bin" "\$@"
WRAPPER
  chmod 755 "$stage/bin/$name"
done
chmod 755 "$stage/lib/"*

size=$(du -sb "$stage" | cut -f1)
if [ "$size" -gt "$limit" ]; then
  echo "build.sh: layer is $size bytes unzipped, over Lambda's $limit" >&2
  exit 1
fi

mkdir -p "$out_dir"
zip_path="$(cd "$out_dir" && pwd)/ffmpeg-layer.zip"
rm -f "$zip_path"
if command -v zip >/dev/null; then
  (cd "$stage" && zip -q -r "-$zip_level" "$zip_path" bin lib)
else  # Python's zipfile keeps the mode bits too
  (cd "$stage" && python3 -m zipfile -c "$zip_path" bin lib)
fi
echo "$zip_path ($size bytes unzipped, $(stat -c %s "$zip_path") zipped)"
