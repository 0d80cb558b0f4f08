#!/bin/bash
# make debs: the restrack kernel as Debian packages, and everything else.
#
#  - linux-image and linux-headers from the kernel's own `make bindeb-pkg`,
#    on a tree patched by prepare-tree.sh, with a config merged by
#    merge_config.sh from a base and config-fragments/ (its linux-libc-dev
#    is not published: librestrack-dev has <linux/resource_tracker.h>);
#  - restrack-dkms, restrack-tools, librestrack0 and librestrack-dev from
#    debian/ with dpkg-buildpackage;
#  - metapackages linux-image-restrack and linux-headers-restrack that depend
#    on the newest image and headers built, so upgrading is `apt upgrade`;
#  - out/repo: all of them in restrack's signed apt repository
#    (scripts/publish-repo.sh: reprepro, codename restrack, component main,
#    signed with the key RESTRACK_SIGN_KEY names, or, when it is unset, with
#    a throwaway key kept in build/sign-key), with restrack-archive-keyring.
#
# Variables: KVER=6.1|6.12 (default: the host's series, 6.1 on Debian 12,
# 6.12 on Debian 13), ARCH=x86_64|arm64, or amd64|aarch64 (default: this machine),
# FLAVOUR=generic|virt, KSRC=tree or tarball, LOCALMODCONFIG=1, DEBUG=1,
# RESTRACK_SIGN_KEY=fingerprint of the repository's key (in GNUPGHOME).
# FLAVOUR=generic starts from /boot/config-$(uname -r) when it exists, else
# from Debian's own config (linux-config-KVER); FLAVOUR=virt from tinyconfig
# and config-fragments/virt*.config, a kernel that builds in minutes.
# LOCALMODCONFIG=1 (generic only) trims that config with localmodconfig to
# the modules LOCALMODCONFIG_LIST names (default
# config-fragments/qemu-modules.list, the QEMU machine of e2e-trixie.sh, made
# by scripts/qemu-modules.sh), never to what this host has loaded.
# A distribution config signs its modules (MODULE_SIG_ALL): with a key made
# for the build in the object directory (certs/signing_key.pem, never in a
# package), named "restrack build-time module signing key".
# Inputs fixed, outputs fixed: the kernel's timestamps (and its package
# version) come from the last commit; restrack's own packages, whose version
# is debian/changelog's, take that changelog entry's time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The kernel's make runs on its own terms: a calling make's flags would
# reach it through MAKEFLAGS, and with -w (any make -C) its sub-makes print
# "Entering directory" into what mkdebian reads as the kernel version.
unset MAKEFLAGS MFLAGS MAKELEVEL

kver=${KVER:-$(host_series)}
arch=$(canon_arch "${ARCH:-$(uname -m)}")
# Debian's names (amd64) are not the kernel's: every make here is given
# ARCH from $arch, and none may take it from the environment.
unset ARCH
flavour=${FLAVOUR:-generic}
check_series "$kver"
check_arch "$arch"
case $flavour in generic | virt) ;; *) die "FLAVOUR must be generic or virt, not '$flavour'" ;; esac
debarch=$(case $arch in x86_64) echo amd64 ;; arm64) echo arm64 ;; esac)
# The module list of LOCALMODCONFIG=1 is checked before anything is
# installed: an empty or missing list would drop every module (ext4 and
# virtio_blk included) and make a kernel that cannot mount its root.
modlist=''
if [ "${LOCALMODCONFIG:-0}" = 1 ]; then
	[ "$flavour" = generic ] || die "LOCALMODCONFIG=1 trims Debian's config: give FLAVOUR=generic (FLAVOUR=$flavour has no modules to trim)"
	modlist=${LOCALMODCONFIG_LIST:-$RESTRACK_ROOT/config-fragments/qemu-modules.list}
	how="make it with scripts/qemu-modules.sh (the QEMU machine's modules), or name a list of the target machine's modules with LOCALMODCONFIG_LIST=FILE (there: lsmod | awk 'NR > 1 { print \$1 }' >FILE)"
	[ -f "$modlist" ] || die "LOCALMODCONFIG=1: no module list $modlist: $how"
	grep -qv '^[[:space:]]*\(#\|$\)' "$modlist" || die "LOCALMODCONFIG=1: the module list $modlist names no module: $how"
fi
# A kernel source given by path is checked before anything is installed.
if [ -n "${KSRC:-}" ]; then
	[ -e "$KSRC" ] || die "KSRC '$KSRC' does not exist: give a Linux $kver tree or tarball, or leave KSRC unset for Debian's linux-source-$kver"
	if [ -d "$KSRC" ] && { [ ! -f "$KSRC/Makefile" ] || [ ! -d "$KSRC/kernel" ]; }; then
		die "KSRC '$KSRC' is not a kernel tree (no Makefile and kernel/ at its top)"
	fi
fi

pkgs=(build-essential bc bison flex libssl-dev libelf-dev cpio kmod rsync xz-utils
	ccache dpkg-dev debhelper dh-dkms lintian reprepro gnupg gpgv)
# A series' source package only when it is the source, its config package
# only when the generic flavour starts from Debian's config.
[ -n "${KSRC:-}" ] || pkgs+=("linux-source-$kver")
[ -n "$(cross_compile "$arch")" ] && pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
# The generic flavour starts from the running kernel's config when it is
# of this arch, else from Debian's (linux-config-KVER).
host_config=/boot/config-$(uname -r)
if [ ! -f "$host_config" ] || [ "$(canon_arch "$(uname -m)")" != "$arch" ]; then
	host_config=''
fi
[ "$flavour" != generic ] || [ -n "$host_config" ] || pkgs+=("linux-config-$kver")
[ "${DEBUG:-0}" = 1 ] && pkgs+=(dwarves)
[ "$arch" != x86_64 ] || pkgs+=(sbsigntool openssl faketime)
need_pkgs "${pkgs[@]}"
# The Secure Boot key too (sign_kernel_deb, x86_64): SB_KEY=/SB_CERT= or the test key.
[ "$arch" != x86_64 ] || sb_signing_key
# The signing key is looked for now, not after the long build.
if [ -n "${RESTRACK_SIGN_KEY:-}" ] &&
	! gpg --batch --list-secret-keys -- "$RESTRACK_SIGN_KEY" >/dev/null 2>&1; then
	die "RESTRACK_SIGN_KEY: no secret key '$RESTRACK_SIGN_KEY' in ${GNUPGHOME:-$HOME/.gnupg} ('gpg --list-secret-keys' lists them; unset it to sign with a throwaway key)"
fi

root=$RESTRACK_ROOT
tree=$root/build/src/$kver
work=$root/build/debs/$kver-$arch-$flavour
obj=$work/obj
out=$root/out
kbuild_lock
"$root/scripts/prepare-tree.sh" "$kver" "$tree" "${KSRC:-}"
mkdir -p "$obj"

# Reproducible: every timestamp and name comes from the inputs: the time of
# the last commit, or SOURCE_DATE_EPOCH when it is set (restrack's own
# packages: debian/changelog's, below).
epoch=$(project_epoch)
export SOURCE_DATE_EPOCH=$epoch
export KBUILD_BUILD_TIMESTAMP="@$epoch"
export KBUILD_BUILD_USER=restrack KBUILD_BUILD_HOST=restrack
# The "#N" of uname -v, else a count of the builds in this object directory.
export KBUILD_BUILD_VERSION=${KBUILD_BUILD_VERSION:-1}
# The kernel packages' Maintainer and changelog signature.
export DEBFULLNAME="restrack developers" DEBEMAIL=restrack@example.org
export KDEB_CHANGELOG_DIST=${KDEB_CHANGELOG_DIST:-bookworm}
# gzip: xz takes half a minute more of CPU on the headers for 25% less.
export KDEB_COMPRESS=${KDEB_COMPRESS:-gzip}
# Each flavour is a kernel of its own (its own release string and package
# names), so both can be installed side by side.
suffix=$([ "$flavour" = generic ] || echo "-$flavour")
localversion=-restrack$suffix
kernelversion=$(make -s -C "$tree" kernelversion)
KDEB_PKGVERSION="$kernelversion-restrack.$(date -u -d "@$epoch" +%Y%m%d%H%M)"
export KDEB_PKGVERSION

kmake() {
	make -s -C "$tree" O="$obj" ARCH="$(karch "$arch")" \
		CROSS_COMPILE="$(cross_compile "$arch")" CC="$(kernel_cc "$arch")" LOCALVERSION="$localversion" "$@"
}

# --- configuration -----------------------------------------------------------
case $flavour in
generic)
	frags=("$root/config-fragments/restrack.config" "$root/config-fragments/deb.config")
	debcfg=$(case $arch in x86_64) echo amd64_none_amd64 ;; arm64) echo arm64_none_arm64 ;; esac)
	if [ -n "$host_config" ]; then
		base=$host_config
		cp "$base" "$obj/.config.base"
	else
		base=/usr/src/linux-config-$kver/config.$debcfg.xz
		[ -f "$base" ] || die "no Debian config $base (is linux-config-$kver installed?)"
		xz -dc "$base" >"$obj/.config.base"
	fi
	info "generic flavour from $base"
	cp "$obj/.config.base" "$obj/.config"
	# Debian's certificates (debian/certs/) live in its packaging tree, not
	# in the source: empty the key lists that name them, where there are any.
	for opt in SYSTEM_TRUSTED_KEYS SYSTEM_REVOCATION_KEYS; do
		if grep -q "^CONFIG_$opt=" "$obj/.config"; then
			"$tree/scripts/config" --file "$obj/.config" --set-str "$opt" ""
		fi
	done
	if [ -n "$modlist" ]; then
		# localmodconfig reads lsmod's output, or a file of it, from
		# LSMOD: the list without its comments.
		grep -v '^[[:space:]]*\(#\|$\)' "$modlist" | awk '{ print $1 }' >"$work/localmod.list"
		info "localmodconfig: the $(wc -l <"$work/localmod.list") modules of $modlist"
		kmake olddefconfig
		LSMOD=$work/localmod.list kmake localmodconfig </dev/null >"$work/localmodconfig.log" 2>&1 || {
			cat "$work/localmodconfig.log"
			die "make localmodconfig failed"
		}
	fi
	;;
virt)
	kmake tinyconfig >/dev/null
	frags=("$root/config-fragments/virt.config" "$root/config-fragments/virt-$arch.config"
		"$root/config-fragments/restrack.config")
	;;
esac
if [ "${DEBUG:-0}" = 1 ]; then
	sed -i '/^CONFIG_DEBUG_INFO_NONE=/d' "$obj/.config"
	mapfile -t frags < <(printf '%s\n' "${frags[@]}" | grep -v '/deb.config$')
fi
KCONFIG_CONFIG=$obj/.config "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" \
	"$obj/.config" "${frags[@]}" >"$work/merge.log"
kmake olddefconfig
unset_opts=$(fragments_unmet "$obj/.config" "${frags[@]}")
[ -z "$unset_opts" ] ||
	die "options not set as asked (check their dependencies in $obj/.config): $(echo "$unset_opts" | tr '\n' ' ')"

# A config that signs modules with the generated key gets a key of the
# build's own, made by the kernel's certs/Makefile from this x509.genkey
# (its default one would name it "Build time autogenerated kernel key"),
# kept in the object directory across builds, never packaged (checked below).
if grep -qx 'CONFIG_MODULE_SIG_KEY="certs/signing_key.pem"' "$obj/.config" &&
	[ ! -f "$obj/certs/x509.genkey" ]; then
	mkdir -p "$obj/certs"
	cat >"$obj/certs/x509.genkey.new" <<-'EOF'
		[ req ]
		default_bits = 4096
		distinguished_name = req_distinguished_name
		prompt = no
		string_mask = utf8only
		x509_extensions = myexts

		[ req_distinguished_name ]
		O = restrack
		CN = restrack build-time module signing key
		emailAddress = restrack@example.org

		[ myexts ]
		basicConstraints=critical,CA:FALSE
		keyUsage=digitalSignature
		subjectKeyIdentifier=hash
		authorityKeyIdentifier=keyid
	EOF
	mv "$obj/certs/x509.genkey.new" "$obj/certs/x509.genkey"
fi

# --- kernel packages ------------------------------------------------------------
info "building Linux $kernelversion$localversion ($flavour, $arch) packages; this is the long part"
start=$SECONDS
rm -f "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes
kmake -j"$(nproc)" bindeb-pkg >"$work/bindeb-pkg.log" 2>&1 || {
	tail -40 "$work/bindeb-pkg.log"
	die "make bindeb-pkg failed: see $work/bindeb-pkg.log"
}
info "kernel packages built in $((SECONDS - start)) s"

# The generated module signing key never leaves the build tree.
for deb in "$work"/linux-image-*.deb "$work"/linux-headers-*.deb; do
	if dpkg-deb -c "$deb" | grep -q 'signing_key\.pem'; then
		die "$deb contains the module signing key"
	fi
done
if [ -f "$obj/certs/signing_key.x509" ]; then
	info "modules signed by: $(openssl x509 -inform DER -in "$obj/certs/signing_key.x509" -noout -subject -serial |
		tr '\n' ' ')(key $obj/certs/signing_key.pem)"
fi
# Every module of the list is built, as a module (the trimmed kernel's root
# is mounted by them, from the initramfs).
if [ -n "$modlist" ]; then
	unbuilt=$(comm -23 <(tr - _ <"$work/localmod.list" | sort -u) \
		<(sed 's|.*/||; s|\.k\{0,1\}o$||' "$obj/modules.order" | tr - _ | sort -u))
	[ -z "$unbuilt" ] || die "modules of $modlist not built as modules: $(echo "$unbuilt" | tr '\n' ' ')(built in, or not in the base config? see $obj/.config)"
	info "localmodconfig: $(wc -l <"$obj/modules.order") modules built, every one of the list's among them"
fi

# Fixes to what bindeb-pkg makes, applied to the packages afterwards (and
# the relations of Debian's kernel packages, below):
#  - /lib/modules shipped as /usr/lib/modules;
#  - every package's changelog is dated with the time of the build (the
#    kernel's scripts/package/mkdebian runs "date -R"), which makes no two
#    builds alike: date it with the inputs' timestamp instead;
#  - linux-headers ships the tree's .gitignore files, the atomic fallback
#    templates (sourced, not run) as executables, and its host programs
#    (fixdep, modpost, objtool, sign-file, ...) unstripped, and declares no
#    dependencies though they are dynamically linked: objtool needs libelf1,
#    sign-file libssl3, all of them libc6, and DKMS fails where libelf1 is
#    missing.  Strip them and add what dpkg-shlibdeps finds, as Debian's own
#    packages do.  (Cross builds: the libraries of another architecture
#    cannot be looked up here, so no dependencies are added; see README.)
changelog_date=$(date -u -R -d "@$epoch")
# DKMS builds modules for this kernel with the compiler that built it.
kernel_gcc=gcc-$("$(cross_compile "$arch")gcc" -dumpversion | cut -d. -f1)
for deb in "$work"/linux-image-*"$localversion"_*.deb "$work"/linux-headers-*"$localversion"_*.deb \
	"$work"/linux-libc-dev_*.deb; do
	x=$work/deb-fix
	rm -rf "$x" "$x.src"
	dpkg-deb -R "$deb" "$x"
	# Files under /usr/lib, not its alias /lib (trixie's lintian rejects
	# those as aliased-location; a merged /usr is a given since Debian 12,
	# and dpkg sees a file moved within a package as the same file).
	if [ -d "$x/lib" ]; then
		mkdir -p "$x/usr/lib"
		cp -a "$x/lib/." "$x/usr/lib/"
		rm -rf "${x:?}/lib"
	fi
	# Inside /usr a symlink is relative (lintian: absolute-symlink-in-
	# top-level-folder): the headers' modules/<release>/build.
	while IFS= read -r link; do
		target=$(readlink "$link")
		case $target in /usr/*)
			ln -sfn "$(realpath -ms --relative-to="$(dirname "${link#"$x"}")" "$target")" "$link" ;;
		esac
	done < <(find "$x/usr" -type l)
	for cl in "$x"/usr/share/doc/*/changelog.Debian.gz; do
		zcat "$cl" | sed "s/^\( -- .*>  \).*/\1$changelog_date/" | gzip -9n >"$cl.new"
		mv "$cl.new" "$cl"
	done
	case ${deb##*/} in linux-headers-*)
		find "$x/usr/src" -name .gitignore -delete
		find "$x/usr/src" -path '*/scripts/atomic/fallbacks/*' -type f -exec chmod a-x {} +
		mapfile -t elfs < <(find "$x/usr/src" -type f -perm -u+x -exec sh -c \
			'[ "$(head -c 4 "$1" | od -An -c | tr -d " ")" = 177ELF ]' _ {} \; -print | sort)
		for f in "${elfs[@]}"; do
			"$(cross_compile "$arch")strip" --strip-unneeded "$f" 2>/dev/null ||
				strip --strip-unneeded "$f"
		done
		deps=''
		if [ ${#elfs[@]} -gt 0 ] && [ -z "$(cross_compile "$arch")" ]; then
			# dpkg-shlibdeps wants a source package's debian/control.
			mkdir -p "$x.src/debian"
			printf 'Source: linux-upstream\n\nPackage: headers\nArchitecture: any\n' \
				>"$x.src/debian/control"
			deps=$(cd "$x.src" && dpkg-shlibdeps -O "${elfs[@]}" | sed -n 's/^shlibs:Depends=//p')
			[ -n "$deps" ] || die "dpkg-shlibdeps found no dependencies for ${elfs[*]}"
			deps="$deps, "
		fi
		sed -i "/^Description:/i Depends: $deps$kernel_gcc, make" "$x/DEBIAN/control"
		# Modules are built with the compiler that built the kernel,
		# not whatever "gcc" is (another version on a later release, or
		# none: trixie's is gcc-14, and the headers depend on gcc-12).
		# As Debian's linux-headers do it: .kernelvariables, which the
		# Makefile includes after its CC default (Debian's linux-source
		# has that line; a kernel.org tree gets it here) and dkms 3.2
		# reads for its own CC.  The compiler's name is not the one in
		# CONFIG_CC_VERSION_TEXT ("gcc"), so the version warning is off,
		# as in Debian's headers.
		hdir=$(find "$x/usr/src" -mindepth 1 -maxdepth 1 -type d -name 'linux-headers-*')
		[ -f "$hdir/Makefile" ] || die "${deb##*/} has no usr/src/linux-headers-*/Makefile"
		printf '%s\n' "# restrack (make debs): modules are built with the compiler that built the kernel." \
			"CC = \$(CROSS_COMPILE)$kernel_gcc" "HOSTCC = $kernel_gcc" \
			"DEBIAN_KERNEL_NO_CC_VERSION_CHECK = y" >"$hdir/.kernelvariables"
		grep -qx -- '-include .kernelvariables' "$hdir/Makefile" ||
			sed -i '0,/^LDFLAGS_vmlinux =$/s//&\n-include .kernelvariables/' "$hdir/Makefile"
		grep -qx -- '-include .kernelvariables' "$hdir/Makefile" ||
			die "the Makefile of ${deb##*/} has no 'LDFLAGS_vmlinux =' line to include .kernelvariables after (has the kernel's Makefile changed?)"
		# As Debian's linux-headers: the hooks (DKMS) that build modules
		# for the kernel run when its headers come after its image.
		hrelease=$(sed -n 's/^Package: linux-headers-//p' "$x/DEBIAN/control")
		# shellcheck disable=SC2016 # $1 and $* are the postinst's
		printf '%s\n' '#!/bin/sh' 'set -e' \
			'if [ "$1" = configure ] && [ -d /etc/kernel/header_postinst.d ]; then' \
			"	DEB_MAINT_PARAMS=\"\$*\" run-parts --report --exit-on-error --arg=$hrelease /etc/kernel/header_postinst.d" \
			'fi' 'exit 0' >"$x/DEBIAN/postinst"
		chmod 0755 "$x/DEBIAN/postinst" ;;
	linux-image-*)
		# A kernel whose root needs modules cannot boot without them
		# in an initramfs, nor load them without kmod (as Debian's).
		sed -i "/^Description:/i Depends: kmod, initramfs-tools | linux-initramfs-tool" \
			"$x/DEBIAN/control" ;;
	esac
	# What changed: the checksums and, as dpkg-gencontrol counts it, the size.
	(cd "$x" && find . -type f ! -path './DEBIAN/*' -print0 | sort -z | xargs -0 md5sum |
		sed 's|  \./|  |') >"$x/DEBIAN/md5sums"
	size=$(find "$x" -path "$x/DEBIAN" -prune -o ! -path "$x" -printf '%y %s\n' |
		awk '{ n += ($1 == "f") ? int(($2 + 1023) / 1024) : 1 } END { print n }')
	sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$x/DEBIAN/control"
	dpkg-deb --root-owner-group -Z"$KDEB_COMPRESS" --build "$x" "$deb" >/dev/null
	rm -rf "$x" "$x.src"
done

# --- Secure Boot: the kernel image signed ------------------------------------------
# sign_kernel_deb DEB: the linux-image package DEB repacked with its
# boot/vmlinuz-* signed for UEFI Secure Boot (sbsign), with SB_KEY= and
# SB_CERT= (PEM), else the test key of ~/.cache/restrack/sb-key
# (sb_signing_key, lib.sh; the one make e2e-sb enrols as a MOK).  Only the
# certificate's signature goes into the image, never the key.  A signature
# already there (a second run) is replaced.  Reproducible: the image keeps
# its time stamp, the package is built with the build's SOURCE_DATE_EPOCH,
# and sbsign runs under faketime at that time (its PKCS#7 has a signing
# time).  Written to DEB.new, then renamed over DEB.  arm64: not signed
# (said).
sign_kernel_deb() {
	local deb=$1 x=$work/deb-sign img imgs mtime size subject
	if [ "$arch" != x86_64 ]; then
		info "Secure Boot: the $arch kernel image is not signed (only x86_64 is): it will not boot where Secure Boot is on"
		return 0
	fi
	if ! grep -q '^CONFIG_EFI_STUB=y' "$obj/.config"; then
		info "Secure Boot: the $flavour kernel has no EFI stub (CONFIG_EFI_STUB): its image is not signed; it boots by direct kernel boot or BIOS GRUB, not under UEFI Secure Boot"
		return 0
	fi
	sb_signing_key
	rm -rf "$x" "$deb.new"
	dpkg-deb -R "$deb" "$x"
	imgs=("$x"/boot/vmlinuz-*)
	{ [ ${#imgs[@]} -eq 1 ] && [ -f "${imgs[0]}" ]; } || die "${deb##*/} has no single boot/vmlinuz-*"
	img=${imgs[0]} mtime=$(stat -c %Y "${imgs[0]}")
	while sbverify --list "$img" 2>/dev/null | grep -q '^signature [0-9]'; do
		sbattach --remove "$img" >/dev/null 2>&1 || die "sbattach --remove failed on ${img#"$x"}"
	done
	# The PKCS#7 signing time is the build's (faketime), not the clock's.
	TZ=UTC faketime -f "@$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S')" \
		sbsign --key "$sb_key" --cert "$sb_cert" --output "$img.signed" "$img" >"$work/sbsign.log" 2>&1 ||
		{ cat "$work/sbsign.log" >&2; die "sbsign failed on ${img#"$x"} (key $sb_key, certificate $sb_cert)"; }
	sbverify --cert "$sb_cert" "$img.signed" >/dev/null 2>&1 || die "sbverify does not accept ${img#"$x"} just signed"
	touch -d "@$mtime" "$img.signed"
	chmod --reference="$img" "$img.signed"
	mv "$img.signed" "$img"
	(cd "$x" && find . -type f ! -path './DEBIAN/*' -print0 | sort -z | xargs -0 md5sum |
		sed 's|  \./|  |') >"$x/DEBIAN/md5sums"
	size=$(find "$x" -path "$x/DEBIAN" -prune -o ! -path "$x" -printf '%y %s\n' |
		awk '{ n += ($1 == "f") ? int(($2 + 1023) / 1024) : 1 } END { print n }')
	sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$x/DEBIAN/control"
	touch -d "@$SOURCE_DATE_EPOCH" "$x/DEBIAN/md5sums" "$x/DEBIAN/control"
	SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH dpkg-deb --root-owner-group -Z"$KDEB_COMPRESS" --build "$x" "$deb.new" >/dev/null
	rm -rf "$x"
	mv "$deb.new" "$deb"
	subject=$(openssl x509 -in "$sb_cert" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
	if [ "$sb_key_kind" = test ]; then
		info "Secure Boot: ${img##*/} signed with the TEST key $sb_cert ($subject), not SB_KEY=: it boots under Secure Boot only where that certificate is enrolled as a MOK (mokutil --import; make e2e-sb does it); elsewhere it will not boot under Secure Boot"
	else
		info "Secure Boot: ${img##*/} signed with SB_KEY=$SB_KEY ($subject)"
	fi
}
for deb in "$work"/linux-image-*"$localversion"_*.deb; do
	case $deb in *-dbg_*) continue ;; esac
	sign_kernel_deb "$deb"
done

# The kernel side is done: restrack's packages and lintian need neither the
# tree nor the build lock, so the next kernel build can start.
kbuild_unlock

# --- restrack's own packages ------------------------------------------------------
# They read nothing of the kernel side (src/kernel, src/include/linux,
# patches, config-fragments), so after a change there the packages of the
# last build are reused when everything else they are built from is the same.
rm -rf "$work/pkg.new"
pkgsrc=$work/pkg.new/restrack
copy_project "$pkgsrc"
# Their version is debian/changelog's, and so is their time stamp, never
# the last commit's (which moves with every commit): one version is the
# same bytes whenever and wherever it is built, so a rebuild after a commit
# publishes into a repository that already has it.  Every source file gets
# that time too (a checkout's file times are those of its clone or its
# last edit; dpkg-deb only clamps the newer ones).
pkg_epoch=$(dpkg-parsechangelog -l "$pkgsrc/debian/changelog" -STimestamp) ||
	die "cannot read the time stamp of debian/changelog (dpkg-parsechangelog)"
find "$pkgsrc" -exec touch -h -d "@$pkg_epoch" {} +
pkg_inputs=$(
	cd "$pkgsrc" && find . -type f ! -path './src/kernel/*' ! -path './src/include/linux/*' \
		! -path './patches/*' ! -path './config-fragments/*' -print0 | sort -z | xargs -0 sha256sum
	echo "arch=$debarch epoch=$pkg_epoch"
	dpkg-query -W dpkg-dev debhelper dh-dkms gcc "$(cross_compile "$arch")gcc" 2>/dev/null || true
)
if [ -f "$work/pkg/.inputs" ] && [ "$(cat "$work/pkg/.inputs")" = "$pkg_inputs" ] &&
	compgen -G "$work/pkg/*.deb" >/dev/null; then
	info "restrack packages: inputs unchanged, reusing $work/pkg"
	rm -rf "$work/pkg.new"
else
	cross_opt=()
	[ "$(dpkg --print-architecture)" = "$debarch" ] || cross_opt=(-a"$debarch")
	(cd "$pkgsrc" && SOURCE_DATE_EPOCH=$pkg_epoch dpkg-buildpackage -us -uc -b "${cross_opt[@]}" >"$work/pkg.new/build.log" 2>&1) || {
		tail -40 "$work/pkg.new/build.log"
		die "dpkg-buildpackage of debian/ failed: see $work/pkg.new/build.log"
	}
	printf '%s\n' "$pkg_inputs" >"$work/pkg.new/.inputs"
	rm -rf "$work/pkg"
	mv "$work/pkg.new" "$work/pkg"
fi

# --- metapackages -----------------------------------------------------------------
release=$(cat "$obj/include/config/kernel.release")
# The image metapackage keeps the newest restrack kernel GRUB's default when
# a stock kernel of a higher version is installed (a Debian point release
# sorts above it): /etc/default/grub.d/restrack.cfg, which grub-mkconfig
# sources after /etc/default/grub, names its entry in GRUB_DEFAULT while
# GRUB_DEFAULT is Debian's 0 and RESTRACK_GRUB_DEFAULT is not "no".
grub_default_files() { # package root
	mkdir -p "$1/etc/default/grub.d"
	cat >"$1/etc/default/grub.d/restrack.cfg" <<-'EOF'
		# restrack: boot the newest restrack kernel by default, even when a
		# kernel of a higher version is installed.  From the package
		# linux-image-restrack (or -virt).  To let GRUB boot the newest kernel
		# again, whichever it is:
		#   echo RESTRACK_GRUB_DEFAULT=no | sudo tee -a /etc/default/grub && sudo update-grub
		# A GRUB_DEFAULT of your own (anything but 0) is left alone too.
		if [ "${GRUB_DEFAULT:-0}" = 0 ] && [ "${RESTRACK_GRUB_DEFAULT:-yes}" != no ]; then
		    restrack_k=$(for restrack_f in /boot/vmlinuz-*-restrack*; do
		        [ -e "$restrack_f" ] && echo "${restrack_f#/boot/vmlinuz-}"
		    done | sort -V | tail -n 1)
		    if [ "x${GRUB_DISABLE_UUID}" != xtrue ] && [ -n "${GRUB_DEVICE_UUID}" ]; then
		        restrack_id=$GRUB_DEVICE_UUID
		    else
		        restrack_id=$(echo "$GRUB_DEVICE" | sed 's, ,_,g')
		    fi
		    if [ -n "$restrack_k" ] && [ -n "$restrack_id" ]; then
		        case ${GRUB_DISABLE_SUBMENU:-} in
		        y | yes | true) GRUB_DEFAULT="gnulinux-$restrack_k-advanced-$restrack_id" ;;
		        *) GRUB_DEFAULT="gnulinux-advanced-$restrack_id>gnulinux-$restrack_k-advanced-$restrack_id" ;;
		        esac
		    fi
		    unset restrack_k restrack_f restrack_id
		fi
	EOF
	echo /etc/default/grub.d/restrack.cfg >"$1/DEBIAN/conffiles"
	# In the transaction that installs it, the image's own update-grub
	# may have run before this file was unpacked.
	# shellcheck disable=SC2016 # $1 is the postinst's
	printf '%s\n' '#!/bin/sh' 'set -e' \
		'if [ "$1" = configure ] && command -v update-grub >/dev/null && [ -e /boot/grub/grub.cfg ]; then' \
		'	update-grub' 'fi' >"$1/DEBIAN/postinst"
	chmod 0755 "$1/DEBIAN/postinst"
}

meta() { # name, depends, description, [recommends]
	local d=$work/meta/$1 doc=$work/meta/$1/usr/share/doc/$1
	mkdir -p "$d/DEBIAN" "$doc"
	case $1 in linux-image-*) grub_default_files "$d" ;; esac
	cp "$root/debian/copyright" "$doc/copyright"
	cat >"$doc/changelog.Debian" <<-EOF
		$1 ($KDEB_PKGVERSION) $KDEB_CHANGELOG_DIST; urgency=low

		  * Depends on $2, built from this version.

		 -- $DEBFULLNAME <$DEBEMAIL>  $(date -u -R -d "@$epoch")
	EOF
	gzip -9n "$doc/changelog.Debian"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $1
		Version: $KDEB_PKGVERSION
		Architecture: $debarch
		Maintainer: restrack developers <restrack@example.org>
		Depends: $2${4:+
		Recommends: $4}
		Section: kernel
		Priority: optional
		Description: $3
		 This meta-package depends on the newest restrack kernel built
		 ($release), so that apt upgrade moves to the next one.
	EOF
	find "$d" -exec touch -h -d "@$epoch" {} +
	dpkg-deb --root-owner-group -Z"$KDEB_COMPRESS" --build "$d" "$work/${1}_${KDEB_PKGVERSION}_$debarch.deb" >/dev/null
}
rm -rf "$work/meta"
meta "linux-image-restrack$suffix" "linux-image-$release" "restrack$suffix kernel image (meta-package)" \
	"linux-headers-restrack$suffix"
meta "linux-headers-restrack$suffix" "linux-headers-$release" "restrack$suffix kernel headers (meta-package)"

# --- lintian ------------------------------------------------------------------------
# Every package of this build (LINTIAN=0: none, for a quick iteration); an
# error fails the build.  The warnings that stay are the kernel's own
# package naming (see README: Debian packages).
# Results are kept per package checksum, so an unchanged package is not
# checked again.
lintian_all() {
	local cache=$work/lintian-cache errors=0 deb sum
	mkdir -p "$cache"
	for deb in "$work"/*.deb "$work"/pkg/*.deb; do
		sum=$(sha256sum "$deb" | cut -d' ' -f1)
		if [ ! -f "$cache/$sum" ]; then
			lintian --tag-display-limit 0 "$deb" >"$cache/$sum.new" 2>&1 || true
			mv "$cache/$sum.new" "$cache/$sum"
		fi
		grep -v 'running with root privileges\|no-tag-display-limit' "$cache/$sum" || true
		if grep -q '^E: ' "$cache/$sum"; then errors=1; fi
	done >"$work/lintian.log"
	info "lintian: $(grep -c '^E: ' "$work/lintian.log") errors, $(grep -c '^W: ' "$work/lintian.log") warnings (see $work/lintian.log)"
	if [ "$errors" = 1 ]; then
		grep '^E: ' "$work/lintian.log" >&2
		die "lintian found errors in the packages"
	fi
}
if [ "${LINTIAN:-1}" = 0 ]; then
	info "lintian: skipped (LINTIAN=0)"
	rm -f "$work/lintian.log"
else
	lintian_all
fi

# --- the apt repository -----------------------------------------------------------
# Signed, with the key RESTRACK_SIGN_KEY names, or a throwaway one (and the
# script says so); a package already there with other bytes under the same
# version stops the build here (see README: Debian packages).
# bindeb-pkg's linux-libc-dev stays out: it would replace every client's
# user-space API headers (its version sorts above Debian's); programs get
# <linux/resource_tracker.h> from librestrack-dev.
mapfile -t publish < <(find "$work" "$work/pkg" -maxdepth 1 -name '*.deb' ! -name 'linux-libc-dev_*' | sort)
"$root/scripts/publish-repo.sh" --throwaway-key "$out/repo" "${publish[@]}"
