# restrack: per-process heap and open-file quotas for Linux 6.1 and 6.12.
# 'make help' lists the targets.

# The host's own series: 6.1 on Debian 12, 6.12 on Debian 13.
KVER ?= $(shell bash -c '. scripts/lib.sh && host_series')
ARCH ?= $(shell uname -m | sed -e 's/aarch64/arm64/')
SERIES ?= 6.1 6.12
ARCHES ?= x86_64 arm64
FLAVOUR ?= test

export SERIES ARCHES FLAVOUR

.PHONY: help check check-full deps kernel kernels vm-run fuzz stress bench debs debs-trixie e2e e2e-trixie qemu-modules e2e-sb repo-test repro patches clean

help:
	@echo 'restrack targets:'
	@echo '  make check                 build the four test kernels, boot each in QEMU and run'
	@echo '                             the guest suite with and without the modules; lint;'
	@echo '                             ends with "N passed, N failed"'
	@echo '  make check-full            what CI leaves out for time: the KCSAN kernel and the 2nd debug'
	@echo '                             kernel, make repro, make e2e-sb with the generic 6.12 kernel,'
	@echo '                             make e2e-trixie with the stock kernel installed in the guest'
	@echo '                             [CHECK_FULL_STEPS="extra repro sb stock" CHECK_FULL_LANES=1|2]'
	@echo '  make deps                  install the build and test dependencies (apt)'
	@echo '  make kernel KVER= ARCH= [FLAVOUR=test|debug|kcsan|bench|baseline]'
	@echo '                             build one test kernel and its modules into build/obj/'
	@echo '  make kernels               build all four test kernels'
	@echo '  make vm-run KVER= ARCH= PROG=static-binary [MODULES=1]'
	@echo '                             boot a test kernel with PROG run as root; exit with its status'
	@echo '  make fuzz KVER= ARCH= [SEED=] [CALLS=]'
	@echo '                             run the syscall fuzzer on the debug kernel'
	@echo '  make stress KVER= ARCH= [SECONDS=]'
	@echo '                             run the race and pid-reuse stress on the debug kernel'
	@echo '  make bench                 overhead and scaling against the unpatched kernel (QEMU icount),'
	@echo '                             and against rlimit and memcg on it; tables and plot in out/bench/'
	@echo '  make debs [KVER= ARCH= FLAVOUR=generic|virt KSRC= LOCALMODCONFIG=1 SB_KEY= SB_CERT=]'
	@echo '                             kernel packages (bindeb-pkg), restrack packages, out/repo'
	@echo '  make debs-trixie [KVER= FLAVOUR=virt|generic ...]'
	@echo '                             make debs inside a Debian 13 root (mmdebstrap), as on a trixie'
	@echo '                             host (KVER: 6.12 there); packages in build/debs-trixie/'
	@echo '  make e2e                   install into a Debian root, boot it through GRUB (x86_64):'
	@echo '                             6.1, upgrade to 6.12, remove the DKMS package'
	@echo '  make e2e-trixie            Debian 13: the generic 6.12 kernel (localmodconfig) from the'
	@echo '                             signed repository, booted through its initramfs and GRUB;'
	@echo '                             no-initrd panic, signer, restrack-dkms, a higher stock kernel,'
	@echo '                             removal (one vCPU; in CI beside make check)'
	@echo '  make qemu-modules          rewrite config-fragments/qemu-modules.list (LOCALMODCONFIG=1)'
	@echo '                             from Debian 13 booted in the e2e-trixie QEMU machine'
	@echo '  make e2e-sb [SB_KEY= SB_CERT= SB_KERNEL_DEB= SB_HEADERS_DEB= SB_RESTRACK_DEBS=]'
	@echo '                             Secure Boot in QEMU (OVMF, shim, GRUB, Debian 13): a kernel signed'
	@echo '                             with a MOK-enrolled key boots, lockdown, restrack-dkms signed by'
	@echo '                             DKMS'"'"'s MOK; unsigned kernel and foreign-key module refused'
	@echo '  make repo-test             the signed apt repository (publish-repo.sh) with a throwaway'
	@echo '                             key in a fresh Debian root: signatures, tampering, republishing'
	@echo '  make repro [KVER= ARCH= FLAVOUR=virt]'
	@echo '                             build the packages twice from scratch; compare byte for byte'
	@echo '  make patches               write out/patches/<series>/res_usage.patch'
	@echo '  make clean                 remove build/ and out/'
	@echo 'Variables: KVER=$(KVER) ARCH=$(ARCH) SERIES="$(SERIES)" ARCHES="$(ARCHES)" KSRC=<tree or tarball>'

check:
	scripts/check.sh

check-full:
	scripts/check-full.sh

deps:
	scripts/install-deps.sh

kernel: deps
	scripts/build-test-kernel.sh $(KVER) $(ARCH)

kernels: deps
	set -e; for s in $(SERIES); do for a in $(ARCHES); do \
		scripts/build-test-kernel.sh $$s $$a; done; done

vm-run:
	@test -n "$(PROG)" || { echo 'make vm-run: give PROG=path/to/static-binary' >&2; exit 2; }
	scripts/build-test-kernel.sh $(KVER) $(ARCH)
	scripts/vm-run.sh $(if $(filter 1,$(MODULES)),-m) $(KVER) $(ARCH) $(PROG)

GUEST_CC = $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu-gcc,gcc)
DEBUG_OBJ = build/obj/$(KVER)-$(ARCH)-debug

$(DEBUG_OBJ)/%: tests/guest/%.c FORCE
	FLAVOUR=debug scripts/build-test-kernel.sh $(KVER) $(ARCH)
	$(GUEST_CC) -static -O2 -Wall -Wextra -Werror -pthread -I$(DEBUG_OBJ)/usr/include -o $@ $<

fuzz: $(DEBUG_OBJ)/restrack_fuzz
	FLAVOUR=debug scripts/vm-run.sh $(if $(SEED),-a -s -a $(SEED)) $(if $(CALLS),-a -n -a $(CALLS)) \
		$(KVER) $(ARCH) $<

stress: $(DEBUG_OBJ)/restrack_stress
	FLAVOUR=debug scripts/vm-run.sh -m $(if $(SECONDS),-a -t -a $(SECONDS)) $(KVER) $(ARCH) $<

FORCE:

bench:
	scripts/bench.sh

debs:
	FLAVOUR=$(if $(filter test,$(FLAVOUR)),generic,$(FLAVOUR)) KVER=$(KVER) ARCH=$(ARCH) scripts/build-debs.sh

debs-trixie:
	$(if $(filter command line,$(origin KVER)),KVER=$(KVER)) FLAVOUR=$(if $(filter test,$(FLAVOUR)),virt,$(FLAVOUR)) \
		scripts/debs-in-root.sh trixie

e2e:
	scripts/e2e.sh

e2e-trixie:
	scripts/e2e-trixie.sh

qemu-modules:
	scripts/qemu-modules.sh

e2e-sb:
	scripts/e2e-sb.sh

repo-test:
	tests/repo/test-publish-repo.sh

repro:
	KVER=$(KVER) ARCH=$(ARCH) FLAVOUR=$(if $(filter test,$(FLAVOUR)),virt,$(FLAVOUR)) scripts/repro-check.sh

patches:
	scripts/make-patches.sh $(SERIES)

clean:
	rm -rf build out
