#!/bin/bash
# Install, with apt, what building and testing restrack needs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(build-essential bc bison flex libssl-dev libelf-dev cpio kmod xz-utils
	patch git ccache shellcheck man-db groff-base qemu-system-x86 qemu-system-arm
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
for series in ${SERIES:-$SERIES_SUPPORTED}; do
	pkgs+=("linux-source-$series")
done
need_pkgs "${pkgs[@]}"
