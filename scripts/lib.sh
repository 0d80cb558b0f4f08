# shellcheck shell=bash
# Helpers shared by the restrack scripts.  Source it; do not run it.

RESTRACK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RESTRACK_ROOT
SERIES_SUPPORTED="6.1 6.12"
ARCHES_SUPPORTED="x86_64 arm64"

info() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Install the Debian packages named, those that are missing only.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
	info "installing ${missing[*]}"
	# Two scripts at once (make check-full's lanes) wait for dpkg's lock
	# instead of failing on it.
	local wait=(-o DPkg::Lock::Timeout=900)
	if ! DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null 2>&1; then
		apt-get "${wait[@]}" update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -q --no-install-recommends \
			"${missing[@]}" >/dev/null ||
			die "could not install ${missing[*]}"
	fi
}

check_series() {
	case " $SERIES_SUPPORTED " in
	*" $1 "*) ;;
	*) die "unsupported kernel series '$1' (supported: $SERIES_SUPPORTED)" ;;
	esac
}

# The series a host's own release ships: 6.1 on Debian 12, 6.12 on
# Debian 13 and on anything else.
host_series() {
	local id
	id=$(sed -n 's/^VERSION_ID="\{0,1\}\([0-9]*\).*/\1/p' /etc/os-release 2>/dev/null || true)
	if [ "$id" = 12 ]; then echo 6.1; else echo 6.12; fi
}

# An architecture by the kernel's, Debian's or uname's name (x86_64, amd64;
# arm64, aarch64), as the scripts name it: x86_64 or arm64.
canon_arch() {
	case $1 in
	amd64 | x86_64) echo x86_64 ;;
	arm64 | aarch64) echo arm64 ;;
	*) echo "$1" ;;
	esac
}

check_arch() {
	case " $ARCHES_SUPPORTED " in
	*" $1 "*) ;;
	*) die "unsupported architecture '$1' (supported: $ARCHES_SUPPORTED, or Debian's amd64, arm64)" ;;
	esac
}

# The time every build output is stamped with: SOURCE_DATE_EPOCH when it is
# set, else the time of the last commit (outside a git checkout, of
# debian/changelog).
project_epoch() {
	echo "${SOURCE_DATE_EPOCH:-$(git -C "$RESTRACK_ROOT" log -1 --format=%ct 2>/dev/null ||
		stat -c %Y "$RESTRACK_ROOT/debian/changelog")}"
}

# The lines of config fragments that a .config lacks: every CONFIG_X=...
# and "# CONFIG_X is not set" the fragments ask for, the last fragment to
# name an option having the last word on it.
fragments_unmet() { # .config fragment...
	local config=$1 line opt
	shift
	sed -n -e 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1 &/p' \
		-e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1 &/p' "$@" |
		awk '{ opt = $1; sub(/^[^ ]* /, ""); want[opt] = $0 } END { for (o in want) print want[o] }' |
		sort | while read -r line; do
			case $line in
			"# "*) opt=${line#\# }; opt=${opt%% *}
				! grep -q "^$opt=" "$config" || echo "$line" ;;
			*) grep -qxF "$line" "$config" || echo "$line" ;;
			esac
		done
}

# Copy the project's files (committed or not, less what .gitignore leaves
# out; outside a git checkout, all but build/ and out/) to a new directory.
copy_project() { # dest
	need_pkgs rsync
	mkdir -p "$1"
	if [ "$(git -C "$RESTRACK_ROOT" rev-parse --show-toplevel 2>/dev/null)" = "$RESTRACK_ROOT" ]; then
		(cd "$RESTRACK_ROOT" && git ls-files -z -co --exclude-standard) |
			rsync -a --from0 --files-from=- "$RESTRACK_ROOT/" "$1/"
	else
		rsync -a --exclude=/build --exclude=/out "$RESTRACK_ROOT/" "$1/"
	fi
}

# Kernel ARCH= value, cross compiler prefix and boot image of an arch.
karch() { case $1 in x86_64) echo x86 ;; arm64) echo arm64 ;; esac; }
cross_compile() {
	if [ "$1" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
		echo aarch64-linux-gnu-
	elif [ "$1" = x86_64 ] && [ "$(uname -m)" != x86_64 ]; then
		echo x86_64-linux-gnu-
	fi
}
boot_image() { case $1 in x86_64) echo arch/x86/boot/bzImage ;; arm64) echo arch/arm64/boot/Image ;; esac; }

# The compiler of kernel builds: through ccache (Debian's) unless
# RESTRACK_CCACHE=0.  The cache lives outside the checkout (CCACHE_DIR,
# ccache's default ~/.cache/ccache) and hashes paths relative to the
# checkout, so that a clean clone elsewhere (CI) reuses what a session
# built from the same sources and config.
kernel_cc() { # arch
	local cc
	cc="$(cross_compile "$1")gcc"
	if [ "${RESTRACK_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
		cc="ccache $cc"
	fi
	echo "$cc"
}
export CCACHE_BASEDIR=$RESTRACK_ROOT CCACHE_NOHASHDIR=true
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-25G}

# One kernel build at a time on this machine: two on 2 cores thrash, and
# builds of a series share its tree in build/src.  Every kernel build takes
# this lock (held until the script exits or calls kbuild_unlock), waiting
# for one under way.  RESTRACK_BUILD_FIRST=1 (run-lanes.sh, for the lane
# that ends last) puts a build ahead of the others waiting: it leaves a
# marker, LOCK.first.PID, while it waits, and the others let the lock go
# again while a live one is there.
kbuild_lock() {
	local lock=${RESTRACK_BUILD_LOCK:-${TMPDIR:-/tmp}/restrack-kbuild.lock} m
	exec 8>>"$lock"
	if flock -n 8 && ! kbuild_first_waiting "$lock"; then
		return 0
	fi
	flock -u 8
	info "waiting for another kernel build to end (lock $lock)"
	if [ "${RESTRACK_BUILD_FIRST:-0}" = 1 ]; then
		m=$lock.first.$$
		: >"$m"
		flock 8
		rm -f "$m"
		return 0
	fi
	while flock 8 && kbuild_first_waiting "$lock"; do
		flock -u 8
		sleep 2
	done
}
# Is a build that goes first (RESTRACK_BUILD_FIRST=1) waiting for LOCK?
kbuild_first_waiting() { # lock
	local m pid
	[ "${RESTRACK_BUILD_FIRST:-0}" != 1 ] || return 1
	for m in "$1".first.*; do
		[ -e "$m" ] || continue
		pid=${m##*.}
		if kill -0 "$pid" 2>/dev/null; then
			return 0
		fi
		rm -f "$m"
	done
	return 1
}
# A lane whose builds go first and come one after another (run-lanes.sh)
# holds the others back for all of them, not only while one of them waits:
# otherwise a build of the other lane slips into each gap between two of
# them.  The marker names the holder, the calling shell's pid: a holder
# that died holds nothing.  Sets kbuild_hold, the marker, for
# kbuild_first_release.
kbuild_first_hold() {
	kbuild_hold=${RESTRACK_BUILD_LOCK:-${TMPDIR:-/tmp}/restrack-kbuild.lock}.first.$BASHPID
	: >"$kbuild_hold"
}
kbuild_first_release() { # marker
	rm -f "$1"
}
# The kernel tree is no longer needed: let the next build start.
kbuild_unlock() {
	exec 8>&-
}

# Stop a background job and everything it started: the job first, so that
# it starts nothing more, then its children; nothing when it has ended.
kill_tree() { # pid
	local children child
	children=$(pgrep -P "$1" 2>/dev/null || true)
	kill "$1" 2>/dev/null || true
	for child in $children; do
		kill_tree "$child"
	done
}

# C compiler for static guest programs of an arch.
guest_cc() {
	local cross
	cross=$(cross_compile "$1")
	echo "${cross}gcc"
}

# Object directory of a test kernel: FLAVOUR test (the default), debug,
# kcsan, bench or baseline (bench without the tracker).
obj_dir() {
	case ${3:-test} in
	test) echo "$RESTRACK_ROOT/build/obj/$1-$2" ;;
	debug | kcsan | bench | baseline) echo "$RESTRACK_ROOT/build/obj/$1-$2-$3" ;;
	*) die "unknown FLAVOUR '$3' (test, debug, kcsan, bench or baseline)" ;;
	esac
}

# Secure Boot key (make debs, make e2e-sb): sets sb_key and sb_cert (PEM
# paths) and sb_key_kind: "given" from SB_KEY= and SB_CERT= (checked: both
# readable, the key the certificate's), else "test": the test key of
# $RESTRACK_CACHE/sb-key (~/.cache/restrack/sb-key), outside the checkout,
# made once (in a temporary directory renamed into place).  Not for
# production: only a machine that enrolled it as a MOK boots what it signs.
# shellcheck disable=SC2034 # sb_key_kind: for the callers
sb_signing_key() {
	local cache keydir
	if [ -n "${SB_KEY:-}${SB_CERT:-}" ]; then
		{ [ -n "${SB_KEY:-}" ] && [ -n "${SB_CERT:-}" ]; } || die "give both SB_KEY= (private key, PEM) and SB_CERT= (certificate, PEM)"
		[ -r "$SB_KEY" ] || die "cannot read SB_KEY=$SB_KEY"
		[ -r "$SB_CERT" ] || die "cannot read SB_CERT=$SB_CERT"
		sb_key=$(realpath "$SB_KEY") sb_cert=$(realpath "$SB_CERT") sb_key_kind=given
		openssl x509 -in "$sb_cert" -noout 2>/dev/null || die "SB_CERT=$SB_CERT is not a PEM certificate"
		[ "$(openssl x509 -in "$sb_cert" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$sb_key" -pubout | sha256sum)" ] ||
			die "SB_KEY=$SB_KEY is not the private key of SB_CERT=$SB_CERT"
		return
	fi
	cache=${RESTRACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/restrack}
	keydir=$cache/sb-key sb_key=$cache/sb-key/restrack-sb-test.key sb_cert=$cache/sb-key/restrack-sb-test.crt sb_key_kind=test
	case $(realpath -m "$keydir")/ in "$RESTRACK_ROOT"/*) die "the Secure Boot test key would be made in the checkout ($keydir): set RESTRACK_CACHE= elsewhere" ;; esac
	if [ ! -s "$sb_key" ] || [ ! -s "$sb_cert" ]; then
		info "generating a Secure Boot test key in $keydir (kept for the next runs; not for production)"
		rm -rf "$keydir.new"
		(umask 077 && mkdir -p "$keydir.new")
		openssl req -new -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
			-subj "/CN=restrack Secure Boot test key $(hostname -s)" \
			-addext "extendedKeyUsage=codeSigning" \
			-keyout "$keydir.new/${sb_key##*/}" -out "$keydir.new/${sb_cert##*/}" >/dev/null 2>&1 ||
			die "openssl could not make the test key"
		rm -rf "$keydir"
		mv "$keydir.new" "$keydir"
	fi
}
