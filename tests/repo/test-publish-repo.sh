#!/bin/bash
# The signed apt repository (scripts/publish-repo.sh), end to end, with no
# kernel built: a throwaway key in a temporary GNUPGHOME, small packages
# made here with dpkg-deb (and restrack-tools and librestrack0 when out/repo
# has them), published; a fresh Debian 12 root (mmdebstrap --variant=apt)
# that installs restrack-archive-keyring and has the repository in a deb822
# .sources file with Signed-By must update and install from it, and must
# refuse a tampered InRelease, a tampered Release, a Release signed by
# another key and tampered packages; the publish script must refuse to
# publish other bytes under a version the repository has, or had.
#
# Prints "ok N - ..." or "not ok N - ..." per check, then "N passed, N
# failed"; exits 1 when any failed.  Root (chroot); Debian's mirror for the
# root.  KEEP=1 keeps the scratch directory.  Run: make repo-test.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the test installs packages in a chroot"
need_pkgs mmdebstrap reprepro gnupg gpgv dpkg-dev lintian
publish=$RESTRACK_ROOT/scripts/publish-repo.sh
start=$SECONDS
tmp=$(mktemp -d /tmp/restrack-repo-test.XXXXXX)
export GNUPGHOME=$tmp/gnupg
cleanup() {
	for h in "$GNUPGHOME" "$tmp/evil-gnupg"; do
		[ ! -d "$h" ] || gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null || true
	done
	if [ "${KEEP:-0}" = 1 ]; then info "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

passed=0 failed=0 n=0
ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION COMMAND...: ok when it succeeds; its output goes to
# $tmp/last.log and is shown when it fails.
check() {
	local what=$1
	shift
	if "$@" >"$tmp/last.log" 2>&1; then ok "$what"; else
		not_ok "$what"
		sed 's/^/#   /' "$tmp/last.log" | tail -n 20
	fi
}
# refuses DESCRIPTION PATTERN COMMAND...: ok when it fails and says PATTERN.
refuses() {
	local what=$1 pattern=$2
	shift 2
	if "$@" >"$tmp/last.log" 2>&1; then
		not_ok "$what (it succeeded)"
		sed 's/^/#   /' "$tmp/last.log" | tail -n 20
	elif grep -qE "$pattern" "$tmp/last.log"; then
		ok "$what"
	else
		not_ok "$what (it failed, but without /$pattern/)"
		sed 's/^/#   /' "$tmp/last.log" | tail -n 20
	fi
}

# A small package: name, version, content, output file.
mkdeb() {
	local d
	d=$(mktemp -d "$tmp/deb.XXXXXX")
	mkdir -p "$d/DEBIAN" "$d/usr/share/restrack-test"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $1
		Version: $2
		Architecture: all
		Maintainer: restrack developers <restrack@example.org>
		Section: misc
		Priority: optional
		Description: restrack repository test package
		 A package of the repository test.
	EOF
	echo "$3" >"$d/usr/share/restrack-test/$1"
	dpkg-deb --root-owner-group --build "$d" "$4" >/dev/null
	rm -rf "$d"
}

# --- a throwaway key and a repository ------------------------------------------------
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'restrack repository test <test@example.org>' \
	ed25519 sign never 2>/dev/null
RESTRACK_SIGN_KEY=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr:/ { print $10; exit }')
export RESTRACK_SIGN_KEY
gpg --batch --export "$RESTRACK_SIGN_KEY" >"$tmp/signer.gpg"
mkdir -p "$tmp/debs"
mkdeb restrack-test-a 1.0 'package a, as built' "$tmp/debs/restrack-test-a_1.0_all.deb"
mkdeb restrack-test-b 1.0 'package b, as built' "$tmp/debs/restrack-test-b_1.0_all.deb"
mkdeb restrack-test-b 1.0 'package b, rebuilt with a change' "$tmp/restrack-test-b_1.0_all.changed.deb"
mkdeb restrack-test-b 1.1 'package b, the next version' "$tmp/restrack-test-b_1.1_all.deb"
real=()
if [ -d "$RESTRACK_ROOT/out/repo" ]; then
	mapfile -t real < <(find "$RESTRACK_ROOT/out/repo" \( -name 'restrack-tools_*.deb' -o \
		-name 'librestrack0_*.deb' \) | sort -V | tail -n 2)
fi
[ ${#real[@]} -eq 0 ] || info "also publishing ${real[*]##*/} from out/repo"
repo=$tmp/repo
dists=$repo/dists/restrack

# Every file of a directory with its checksum.
sums() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
keyring_fprs() { # keyring file: the fingerprints of its primary keys
	gpg --batch --with-colons --show-keys "$1" |
		awk -F: '/^pub:/ { p = 1; next } /^fpr:/ && p { print $10; p = 0 }'
}
keyring_is_signer() { # deb
	rm -rf "$tmp/kr"
	dpkg-deb -x "$1" "$tmp/kr"
	[ "$(keyring_fprs "$tmp/kr/usr/share/keyrings/restrack-archive-keyring.gpg")" = "$RESTRACK_SIGN_KEY" ]
}
lintian_clean() { # deb
	local out
	out=$(lintian --tag-display-limit 0 "$1" 2>&1 | grep -E '^[EW]: ' || true)
	echo "$out"
	[ -z "$out" ]
}
no_scratch_left() { ! compgen -G "$tmp/.repo.*" >/dev/null; }
republish_same() {
	sums "$repo" >"$tmp/before"
	"$publish" "$repo" "$tmp"/debs/*.deb "${real[@]}"
	# The indices are exported and signed again; the pool is unchanged.
	diff <(grep ' ./pool/' "$tmp/before") <(sums "$repo" | grep ' ./pool/')
}
unchanged() { sums "$repo" | diff "$tmp/before" - && no_scratch_left; }

refuses "publish without RESTRACK_SIGN_KEY is refused, saying what to set" 'RESTRACK_SIGN_KEY is not set' \
	env -u RESTRACK_SIGN_KEY "$publish" "$repo" "$tmp"/debs/*.deb
refuses "publish with a key not in GNUPGHOME is refused" 'no secret key' \
	env RESTRACK_SIGN_KEY=0123456789ABCDEF0123456789ABCDEF01234567 "$publish" "$repo" "$tmp"/debs/*.deb
no_repo() { [ ! -e "$repo" ] && no_scratch_left; }
check "a refused publish leaves no repository and no scratch directory" no_repo
check "publish the test packages${real:+, and ${#real[@]} of out/repo}" \
	"$publish" "$repo" "$tmp"/debs/*.deb "${real[@]}"
keyring_deb=$(find "$repo/pool" -name 'restrack-archive-keyring_*_all.deb' | head -n 1)
check "InRelease verifies with the signing key alone (gpgv)" gpgv --keyring "$tmp/signer.gpg" "$dists/InRelease"
check "Release.gpg verifies Release" gpgv --keyring "$tmp/signer.gpg" "$dists/Release.gpg" "$dists/Release"
check "restrack-archive-keyring is published and holds the signing key, and only it" \
	keyring_is_signer "$keyring_deb"
check "lintian: restrack-archive-keyring has no error or warning" lintian_clean "$keyring_deb"
check "republishing the same packages succeeds and leaves the pool as it was" republish_same

# --- a fresh Debian 12 that trusts the key through Signed-By only ----------------------------
info "mmdebstrap --variant=apt bookworm"
root=$tmp/root
if ! mmdebstrap --variant=apt bookworm "$root" >"$tmp/mmdebstrap.log" 2>&1; then
	tail -n 20 "$tmp/mmdebstrap.log"
	die "mmdebstrap failed (above; it needs Debian's mirror)"
fi
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
served=$root/srv/repo
serve() { rm -rf "$served" && mkdir -p "$root/srv" && cp -a "$repo" "$served"; }
serve
cat >"$root/etc/apt/sources.list.d/restrack.sources" <<EOF
Types: deb
URIs: file:/srv/repo
Suites: restrack
Components: main
Signed-By: /usr/share/keyrings/restrack-archive-keyring.gpg
EOF
in_root() { chroot "$root" env LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"; }
# apt-get update from nothing: no list is left from an earlier update.
apt_update() {
	local rc=0
	rm -rf "$root"/var/lib/apt/lists/*
	in_root apt-get update >"$tmp/update.log" 2>&1 || rc=$?
	cat "$tmp/update.log"
	return $rc
}
update_clean() { apt_update && ! grep -qE '^(W|E|Err):' "$tmp/update.log"; }
installs() { # package, file it must install
	in_root apt-get install -y "$1" && [ -f "$root$2" ]
}
install_fails() { # package, file: apt-get install must fail, and install nothing
	in_root apt-get clean
	if in_root apt-get install -y "$1"; then return 0; fi
	if [ -e "$root$2" ]; then echo "$2 was installed"; return 0; fi
	return 1
}
# Add one to the byte at an offset of a file: same size, other bytes.
bump_byte() { # file, offset
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte
	printf "\\$(printf %03o $(((b + 1) % 256)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
upgrades_b() {
	apt_update && in_root apt-get install -y restrack-test-b &&
		grep -q 'next version' "$root/usr/share/restrack-test/restrack-test-b"
}

# The first install is by hand, as a user's is: the keyring package.
check "dpkg -i restrack-archive-keyring (from the repository's pool) in the root" \
	in_root dpkg -i "/srv/repo/${keyring_deb#"$repo"/}"
check "it installs /usr/share/keyrings/restrack-archive-keyring.gpg" \
	test -s "$root/usr/share/keyrings/restrack-archive-keyring.gpg"
# Signed-By only: the key is in no keyring apt trusts for every source.
only_signed_by() {
	local f
	! in_root dpkg -L restrack-archive-keyring | grep -E '^/etc/apt/trusted\.gpg' || return 1
	for f in "$root"/etc/apt/trusted.gpg "$root"/etc/apt/trusted.gpg.d/*; do
		[ -f "$f" ] || continue
		if keyring_fprs "$f" 2>/dev/null | grep -qx "$RESTRACK_SIGN_KEY"; then echo "in $f"; return 1; fi
	done
}
check "the key is trusted through Signed-By only (not in trusted.gpg, trusted.gpg.d)" only_signed_by
check "apt-get update (restrack.sources, Signed-By) succeeds with no warning" update_clean
check "apt-get install restrack-test-a from the signed repository" \
	installs restrack-test-a /usr/share/restrack-test/restrack-test-a
if [ ${#real[@]} -gt 0 ]; then
	check "apt-get install restrack-tools (and librestrack0) from it" installs restrack-tools /usr/bin/restrack
fi

# (a) tampered Release files.
# One byte of the signed text of InRelease.
sed -i '0,/^Origin: restrack$/s//Origin: restracK/' "$served/dists/restrack/InRelease"
refuses "(a) apt-get update refuses an InRelease with one byte changed" \
	'BADSIG|signatures were invalid|is not signed' apt_update
serve
# No InRelease: apt takes Release and Release.gpg; one byte of Release changed.
rm "$served/dists/restrack/InRelease"
sed -i '0,/^Codename: restrack$/s//Codename: restracK/' "$served/dists/restrack/Release"
refuses "(a) apt-get update refuses a Release with one byte changed (Release.gpg)" \
	'BADSIG|signatures were invalid|is not signed' apt_update
serve
# A well-formed InRelease signed by a key the root does not trust.
mkdir -m 700 "$tmp/evil-gnupg"
GNUPGHOME=$tmp/evil-gnupg gpg --batch --quiet --passphrase '' --quick-gen-key \
	'not restrack <evil@example.org>' ed25519 sign never 2>/dev/null
sed -i 's/^Description: .*/&, and more/' "$served/dists/restrack/Release"
GNUPGHOME=$tmp/evil-gnupg gpg --batch --yes --clearsign \
	-o "$served/dists/restrack/InRelease" "$served/dists/restrack/Release"
rm "$served/dists/restrack/Release.gpg"
refuses "(a) apt-get update refuses a Release signed by another key" 'NO_PUBKEY|is not signed' apt_update
serve
check "apt-get update succeeds again with the repository as published" update_clean

# (b) tampered packages, with the signed indices as published.
pool_b=$(cd "$served" && find pool -name 'restrack-test-b_1.0_all.deb')
cp "$tmp/restrack-test-b_1.0_all.changed.deb" "$served/$pool_b"
refuses "(b) apt-get install refuses another restrack-test-b 1.0 (same name and version, other bytes)" \
	'Hash Sum mismatch|unexpected size|Size mismatch' \
	install_fails restrack-test-b /usr/share/restrack-test/restrack-test-b
serve
bump_byte "$served/$pool_b" $(($(stat -c %s "$served/$pool_b") - 10))
refuses "(b) apt-get install refuses restrack-test-b with one byte changed (same size)" \
	'Hash Sum mismatch' install_fails restrack-test-b /usr/share/restrack-test/restrack-test-b
serve
check "apt-get install restrack-test-b as published succeeds" \
	installs restrack-test-b /usr/share/restrack-test/restrack-test-b

# (c) the publisher never publishes other bytes under a version.
sums "$repo" >"$tmp/before"
refuses "(c) publish-repo.sh refuses a changed restrack-test-b under the same version 1.0" \
	'refusing to publish different bytes' "$publish" "$repo" "$tmp/restrack-test-b_1.0_all.changed.deb"
check "(c) ... and leaves the repository as it was, with no scratch directory" unchanged
cp -a "$repo" "$tmp/repo-copy"
refuses "(c) reprepro alone refuses it too (its pool has the other checksum)" \
	'Already existing files can only be included again, if they are the same' \
	reprepro -b "$tmp/repo-copy" includedeb restrack "$tmp/restrack-test-b_1.0_all.changed.deb"
check "a new version, restrack-test-b 1.1, is published" "$publish" "$repo" "$tmp/restrack-test-b_1.1_all.deb"
refuses "(c) with 1.1 in place of 1.0, the changed 1.0 is still refused (db/published)" \
	'refusing to publish different bytes' "$publish" "$repo" "$tmp/restrack-test-b_1.0_all.changed.deb"
serve
check "the root upgrades to restrack-test-b 1.1" upgrades_b

echo "$passed passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
