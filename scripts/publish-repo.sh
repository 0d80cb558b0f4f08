#!/bin/bash
# Publish Debian packages into restrack's signed apt repository.
#
#   scripts/publish-repo.sh [--throwaway-key] REPO [DEB...]
#
# REPO is a reprepro repository (made on first use): distribution (codename)
# "restrack", component "main", architectures amd64 and arm64, Release
# signed (InRelease, Release.gpg) with the key RESTRACK_SIGN_KEY names (a
# fingerprint or key id of a secret key in the caller's GNUPGHOME, ~/.gnupg
# by default).  Each DEB is added to it, as is restrack-archive-keyring, a
# package made here from the public half of that key: it installs
# /usr/share/keyrings/restrack-archive-keyring.gpg, which the repository's
# apt sources name with Signed-By.  The public key is also left at the top
# of REPO (restrack-archive-keyring.gpg and .asc) for a first install.
#
# The repository keeps the newest version of each package; an older one is
# passed over (reprepro says so).  A version is never published twice with
# different bytes: a DEB whose package, version and architecture are, or
# ever were, in REPO with another checksum (db/published keeps every one
# published) is refused, and nothing is changed.
#
# --throwaway-key: when RESTRACK_SIGN_KEY is unset, sign with a throwaway
# key made once in RESTRACK_THROWAWAY_GNUPGHOME (default build/sign-key,
# outside anything packaged), and say so loudly.  For local builds and
# tests; a repository anyone else uses needs the project's key.
#
# The new state is built in a temporary directory next to REPO and renamed
# into place, so REPO is either the old repository or the new one, never a
# half-written one; publishers of one REPO take turns (flock).  An old flat
# repository (Packages and .deb files at its top, as make debs wrote before
# this script) is converted: its packages are published into the new one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

codename=restrack
component=main
architectures="amd64 arm64"
keyring_pkg=restrack-archive-keyring

usage() {
	echo "usage: ${0##*/} [--throwaway-key] REPO [DEB...]" >&2
	exit 2
}
throwaway=0
while [ $# -gt 0 ]; do
	case $1 in
	--throwaway-key) throwaway=1; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
repo=$1
shift
debs=("$@")
case $repo in /*) ;; *) repo=$PWD/$repo ;; esac
repo=${repo%/}

for deb in "${debs[@]}"; do
	[ -f "$deb" ] || die "no such package: $deb"
done
need_pkgs reprepro gnupg gpgv dpkg-dev

# --- the signing key ------------------------------------------------------------------
own_agent=0
if [ -n "${RESTRACK_SIGN_KEY:-}" ]; then
	key=$RESTRACK_SIGN_KEY
	keysrc="RESTRACK_SIGN_KEY in ${GNUPGHOME:-$HOME/.gnupg}"
elif [ "$throwaway" = 1 ]; then
	GNUPGHOME=${RESTRACK_THROWAWAY_GNUPGHOME:-$RESTRACK_ROOT/build/sign-key}
	export GNUPGHOME
	mkdir -p "$GNUPGHOME"
	chmod 700 "$GNUPGHOME"
	(
		flock 9
		if ! gpg --batch --list-secret-keys 2>/dev/null | grep -q .; then
			info "making a throwaway signing key in $GNUPGHOME"
			gpg --batch --quiet --passphrase '' --quick-gen-key \
				"restrack throwaway repository key (local builds only) <restrack@example.org>" \
				ed25519 sign never 2>/dev/null || die "gpg could not make a key in $GNUPGHOME"
		fi
	) 9>"$GNUPGHOME.lock"
	key=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr:/ { print $10; exit }')
	keysrc="the throwaway key in $GNUPGHOME"
	# gpg starts an agent for this key; it is ours to stop.
	own_agent=1
	trap 'gpgconf --kill gpg-agent 2>/dev/null || true' EXIT
	info '************************************************************************'
	info "RESTRACK_SIGN_KEY is unset: signing with a THROWAWAY key ($key),"
	info "kept in $GNUPGHOME.  Fine for local tests; for a repository that anyone"
	info 'else installs from, set RESTRACK_SIGN_KEY to the project key (README).'
	info '************************************************************************'
else
	die "RESTRACK_SIGN_KEY is not set: give the fingerprint of the repository's signing key, a secret key in GNUPGHOME (${GNUPGHOME:-$HOME/.gnupg}); list them with 'gpg --list-secret-keys', make one with: gpg --quick-gen-key 'restrack archive <you@example.org>' ed25519 sign 2y (see README, Debian packages)"
fi
listing=$(gpg --batch --with-colons --fixed-list-mode --list-secret-keys -- "$key" 2>/dev/null) ||
	die "no secret key '$key' ($keysrc): 'gpg --list-secret-keys' lists those there; set GNUPGHOME to the keyring that holds it, or import it with 'gpg --import'"
[ "$(grep -c '^sec:' <<<"$listing")" -eq 1 ] ||
	die "'$key' names more than one secret key ($keysrc): give a full fingerprint"
fpr=$(awk -F: '/^fpr:/ { print $10; exit }' <<<"$listing")
caps=$(awk -F: '/^sec:/ { print $12 }' <<<"$listing")
validity=$(awk -F: '/^sec:/ { print $2 }' <<<"$listing")
case $caps in *S*) ;; *) die "key $fpr cannot sign (capabilities '$caps'): add a signing subkey (gpg --quick-add-key $fpr ed25519 sign 2y) or give another key" ;; esac
case $validity in
e) die "key $fpr has expired: extend it (gpg --quick-set-expire $fpr 2y, and the subkeys' with '*'), then publish: clients get the extended key in $keyring_pkg" ;;
r) die "key $fpr is revoked: make a new key and give it in RESTRACK_SIGN_KEY" ;;
esac

# --- scratch space, the lock and the new repository -------------------------------------
parent=$(dirname "$repo")
base=$(basename "$repo")
mkdir -p "$parent"
scratch=$(mktemp -d)
new=''
cleanup() {
	rm -rf "$scratch"
	[ -z "$new" ] || rm -rf "$new"
	[ "$own_agent" = 0 ] || gpgconf --kill gpg-agent 2>/dev/null || true
}
trap cleanup EXIT
exec 9<"$parent"
flock -n 9 || { info "waiting for another publish into $repo"; flock 9; }
new=$(mktemp -d "$parent/.$base.new.XXXXXX")

old_flat=()
if [ -f "$repo/conf/distributions" ]; then
	# The pool's files are never changed in place: link them, copy the rest.
	for f in "$repo"/* "$repo"/.[!.]*; do
		[ -e "$f" ] || continue
		if [ "${f##*/}" = pool ]; then cp -al "$f" "$new/"; else cp -a "$f" "$new/"; fi
	done
elif [ -f "$repo/Packages" ] && [ ! -e "$repo/pool" ]; then
	mapfile -t old_flat < <(find "$repo" -maxdepth 1 -name '*.deb' | sort)
	info "converting the flat repository $repo (${#old_flat[@]} packages) into a signed one"
elif [ -e "$repo" ] && [ -n "$(ls -A "$repo")" ]; then
	die "$repo is not a repository this script made (no conf/distributions): move it away, or give another REPO"
fi
mkdir -p "$new/conf" "$new/db"
cat >"$new/conf/distributions" <<EOF
Origin: restrack
Label: restrack
Codename: $codename
Architectures: $architectures
Components: $component
Description: restrack kernels, modules and tools
SignWith: $fpr
EOF
previous_key=''
[ ! -f "$new/$keyring_pkg.gpg" ] ||
	previous_key=$(gpg --batch --with-colons --show-keys "$new/$keyring_pkg.gpg" 2>/dev/null |
		awk -F: '/^fpr:/ { print $10; exit }')

# --- restrack-archive-keyring -------------------------------------------------------------
# Made from the public key alone, so that one key always gives the same
# bytes: its version and timestamps are those of the newest packet of the
# exported key (a new key, or a key whose expiry is extended, is a newer
# version).
gpg --batch --export --export-options export-minimal "$fpr" >"$scratch/key.gpg"
gpg --batch --armor --export --export-options export-minimal "$fpr" >"$scratch/key.asc"
[ -s "$scratch/key.gpg" ] || die "could not export the public key $fpr"
key_epoch=$(gpg --batch --list-packets "$scratch/key.gpg" |
	sed -n 's/.*[ ,]created \([0-9][0-9]*\).*/\1/p' | sort -n | tail -n 1)
[ -n "$key_epoch" ] || die "could not read the creation time of key $fpr"
key_version=$(date -u -d "@$key_epoch" +%Y.%m.%d.%H%M%S)
k=$scratch/$keyring_pkg
doc=$k/usr/share/doc/$keyring_pkg
mkdir -p "$k/DEBIAN" "$k/usr/share/keyrings" "$doc"
# A binary keyring, as trixie's debian-archive-keyring ships them: .pgp,
# the name current practice (and lintian) prefers, and .gpg, the name the
# apt sources use and bookworm's apt knows.
install -m 644 "$scratch/key.gpg" "$k/usr/share/keyrings/$keyring_pkg.pgp"
ln -s "$keyring_pkg.pgp" "$k/usr/share/keyrings/$keyring_pkg.gpg"
install -m 644 "$RESTRACK_ROOT/debian/copyright" "$doc/copyright"
cat >"$scratch/changelog" <<EOF
$keyring_pkg ($key_version) $codename; urgency=medium

  * The repository's signing key, $fpr.

 -- restrack developers <restrack@example.org>  $(date -u -R -d "@$key_epoch")
EOF
gzip -9n <"$scratch/changelog" >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"
size=$(du -k -s --apparent-size "$k/usr" | cut -f1)
cat >"$k/DEBIAN/control" <<EOF
Package: $keyring_pkg
Version: $key_version
Architecture: all
Maintainer: restrack developers <restrack@example.org>
Installed-Size: $size
Section: misc
Priority: optional
Multi-Arch: foreign
Description: OpenPGP key of the restrack apt repository
 The public key that signs the restrack apt repository, for apt's
 Signed-By: /usr/share/keyrings/$keyring_pkg.gpg.  Key fingerprint:
 $fpr.
EOF
(cd "$k" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$k/DEBIAN/md5sums"
chmod 644 "$k/DEBIAN/control" "$k/DEBIAN/md5sums"
find "$k" -type d -exec chmod 755 {} +
find "$k" -exec touch -h -d "@$key_epoch" {} +
SOURCE_DATE_EPOCH=$key_epoch dpkg-deb --root-owner-group -Zxz --build "$k" \
	"$scratch/${keyring_pkg}_${key_version}_all.deb" >/dev/null
debs+=("$scratch/${keyring_pkg}_${key_version}_all.deb")

# --- what may be published ------------------------------------------------------------------
# Every package, version, architecture and checksum ever published here.
# reprepro's list formats (its own ${field}s, not the shell's).
# shellcheck disable=SC2016
fmt_sum='${package} ${version} ${Architecture} ${SHA256}\n' fmt_id='${package} ${version} ${Architecture}\n' \
	fmt_file='${Filename}\n'
list_repo() { # repo: one "package version arch sha256" line per package in it
	[ -f "$1/db/packages.db" ] || return 0
	reprepro -b "$1" --list-format "$fmt_sum" listmatched "$codename" '*' | sort -u
}
touch "$new/db/published"
{ cat "$new/db/published"; list_repo "$new"; } | sort -u >"$scratch/published"
: >"$scratch/incoming"
for deb in "${old_flat[@]}" "${debs[@]}"; do
	fields=$(dpkg-deb -f "$deb" Package Version Architecture Section Priority 2>/dev/null) ||
		die "$deb is not a Debian package (dpkg-deb cannot read it)"
	for f in Package Version Architecture Section Priority; do
		grep -q "^$f: ." <<<"$fields" || die "$deb has no $f field: reprepro needs one (set it in its DEBIAN/control)"
	done
	arch=$(sed -n 's/^Architecture: //p' <<<"$fields")
	case " all $architectures " in *" $arch "*) ;; *)
		die "$deb is for $arch: the repository carries $architectures and all" ;;
	esac
	printf '%s %s %s %s %s\n' "$(sed -n 's/^Package: //p' <<<"$fields")" \
		"$(sed -n 's/^Version: //p' <<<"$fields")" "$arch" \
		"$(sha256sum "$deb" | cut -d' ' -f1)" "$deb" >>"$scratch/incoming"
done
# A package, version and architecture offered, or published before, with
# other bytes: refuse it.
conflicts=$(awk 'NR == FNR { known[$1 " " $2 " " $3] = $4; next }
	{ id = $1 " " $2 " " $3
	  if (id in known && known[id] != $4)
		printf "  %s %s (%s): %s has sha256 %s, already offered or published with %s\n", $1, $2, $3, $5, $4, known[id]
	  else known[id] = $4 }' "$scratch/published" "$scratch/incoming")
if [ -n "$conflicts" ]; then
	printf '%s\n' "$conflicts" >&2
	die "refusing to publish different bytes under a version $repo already has (above; nothing was changed): give the rebuilt package a new version (kernel packages take the last commit's time: commit; restrack's own packages: add a debian/changelog entry), or, if nothing installed from $repo needs it, publish into a new repository"
fi

# --- publish, sign, check ----------------------------------------------------------------------
if [ -s "$scratch/incoming" ]; then
	cut -d' ' -f5- "$scratch/incoming" | tr '\n' '\0' |
		xargs -0 reprepro -b "$new" --export=never includedeb "$codename" \
			>"$scratch/reprepro.log" 2>&1 || {
		cat "$scratch/reprepro.log" >&2
		die "reprepro could not add the packages (above); $repo is unchanged"
	}
	sed -n "s/^Skipping inclusion of '\\(.*\\)' '\\(.*\\)' in .*, as it has already '\\(.*\\)'\\.\$/\\1 \\2 \\3/p" \
		"$scratch/reprepro.log" | awk '$2 != $3 { print $1 " " $2 " (the repository has " $3 ")" }' |
		sort -u | sed "s/^/${0##*/}: passed over, older: /" >&2
fi
# Export every index and sign it, with the key of this run.
reprepro -b "$new" export "$codename" >"$scratch/export.log" 2>&1 || {
	cat "$scratch/export.log" >&2
	die "reprepro could not export or sign the repository (above; is the key's passphrase available to gpg-agent?); $repo is unchanged"
}
install -m 644 "$scratch/key.gpg" "$new/$keyring_pkg.gpg"
install -m 644 "$scratch/key.asc" "$new/$keyring_pkg.asc"
dists=$new/dists/$codename
for f in InRelease Release.gpg; do
	[ -s "$dists/$f" ] || die "reprepro left no $f: the repository is not signed; $repo is unchanged"
done
if ! gpgv --keyring "$new/$keyring_pkg.gpg" "$dists/InRelease" 2>"$scratch/gpgv.log" ||
	! gpgv --keyring "$new/$keyring_pkg.gpg" "$dists/Release.gpg" "$dists/Release" 2>>"$scratch/gpgv.log"; then
	cat "$scratch/gpgv.log" >&2
	die "the signatures do not verify with the exported key; $repo is unchanged"
fi
{ cat "$scratch/published"; list_repo "$new"; } | sort -u >"$new/db/published"
chmod -R u+rwX,go+rX,go-w "$new"

# --- into place ------------------------------------------------------------------------------------
if [ -e "$repo" ]; then
	old=$(mktemp -d "$parent/.$base.old.XXXXXX")
	mv -T "$repo" "$old/repo"
	mv -T "$new" "$repo"
	new=''
	rm -rf "$old"
else
	mv -T "$new" "$repo"
	new=''
fi

if [ -n "$previous_key" ] && [ "$previous_key" != "$fpr" ]; then
	info "WARNING: $repo was signed with $previous_key and is now signed with $fpr:"
	info "WARNING: systems that trust the old key must install the new $keyring_pkg by hand"
fi
info "published $repo, signed by $fpr:"
reprepro -b "$repo" --list-format "$fmt_id" listmatched "$codename" '*' | sort -u | sed 's/^/  /' >&2
info "apt source (/etc/apt/sources.list.d/restrack.sources), after installing $repo/$(
	reprepro -b "$repo" --list-format "$fmt_file" list "$codename" "$keyring_pkg" | head -n 1):"
printf '  %s\n' 'Types: deb' "URIs: file:$repo" "Suites: $codename" "Components: $component" \
	"Signed-By: /usr/share/keyrings/$keyring_pkg.gpg" >&2
