# vpnsip: SIP-triggered VPN router daemon.
#
#   make deps      install every Debian package below and the strongSwan headers
#   make deps-build | deps-runtime | deps-test   one set only (see below)
#   make deps-list the three package sets
#   make           build/vpnsipd and build/vpnsipsh (-Wall -Wextra -Werror)
#   make SANITIZE=1   the same with ASan+UBSan, into build/asan/
#   make test      every test (unit, CLI, daemon, lab), normal and sanitizer builds
#   make demo      the main end-to-end job
#   make bench     benchmarks (figures, never pass/fail); SESSIONS=N (default 1000)
#   make fuzz      libFuzzer targets (FUZZ_SECONDS each)
#   make fresh-check  make demo on a clean Debian 12 root (tools/fresh-check.sh)
#   make deb       the Debian package, into build/deb/ (mk/package.mk)
#   make install   PREFIX=/usr/local DESTDIR= (the example configurations go to
#                  PREFIX/share/doc/vpnsip/examples; no live configuration)

PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc

ifeq ($(SANITIZE),1)
BUILD    ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Programming errors the code can detect abort here (e.g. cli_arg() asked
# for a name its command does not define); release builds carry on.
CPPFLAGS += -DVPNSIP_DEBUG
else
BUILD    ?= build
SAN_FLAGS :=
endif

CC       ?= cc
PKGS     := libnl-3.0 libnl-route-3.0 libcrypto libsystemd
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral \
            -fno-strict-aliasing $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

all: $(BUILD)/vpnsipd $(BUILD)/vpnsipsh

# ---------------------------------------------------------------------------
# Debian packages, in three sets; each component's fragment adds to them.
#   DEB_BUILD_PACKAGES    compile and link vpnsipd/vpnsipsh, make deb
#   DEB_RUNTIME_PACKAGES  what the built programs need on a router (the
#                         .deb's Depends: debian/control, ${shlibs:Depends})
#   DEB_TEST_PACKAGES     the tests, the lab, the fuzzers, the benchmarks
# `make deps` installs all three.  A router running the .deb needs none of
# them: apt installs the package's own dependencies.
DEB_BUILD_PACKAGES   := make gcc pkg-config libreadline-dev libnl-3-dev \
                        libnl-route-3-dev libssl-dev libcrypt-dev libsystemd-dev
DEB_RUNTIME_PACKAGES := libreadline8 libnl-3-200 libnl-route-3-200 libssl3 \
                        libcrypt1 libsystemd0
DEB_TEST_PACKAGES    := python3 python3-pytest python3-pytest-xdist python3-pexpect openssl mmdebstrap \
                        iproute2 procps util-linux
-include mk/*.mk
-include tests/lab/lab.mk
DEB_PACKAGES = $(DEB_BUILD_PACKAGES) $(DEB_RUNTIME_PACKAGES) $(DEB_TEST_PACKAGES)

deps:
	@sh tools/deps.sh $(sort $(DEB_PACKAGES))
	@$(MAKE) --no-print-directory deps-extra

deps-build:
	@sh tools/deps.sh $(sort $(DEB_BUILD_PACKAGES))
	@$(MAKE) --no-print-directory deps-extra

deps-runtime:
	@sh tools/deps.sh $(sort $(DEB_RUNTIME_PACKAGES))

deps-test:
	@sh tools/deps.sh $(sort $(DEB_TEST_PACKAGES))

deps-list:
	@echo "build: $(sort $(DEB_BUILD_PACKAGES))"
	@echo "runtime: $(sort $(DEB_RUNTIME_PACKAGES))"
	@echo "test: $(sort $(DEB_TEST_PACKAGES))"

# Build steps after the packages (e.g. the strongSwan headers) hook onto this.
deps-extra::
	@:

# ---------------------------------------------------------------------------
# Sources.  One folder per component; see docs/architecture.md.
UTIL_SRC    := $(wildcard src/util/*.c)
LOG_SRC     := $(wildcard src/log/*.c)
CLI_SRC     := $(wildcard src/cli/*.c)
CONFIG_SRC  := $(wildcard src/config/*.c)
NET_SRC     := $(wildcard src/net/*.c)
CTL_SRC     := $(wildcard src/ctl/*.c)
DAEMON_SRC  := $(wildcard src/daemon/*.c)
SHELL_SRC   := $(wildcard src/shell/*.c)
# Feature components, one folder each (docs/architecture.md says who talks
# to whom).  A component's mk/<name>.mk adds its Debian packages, its
# libraries to FEATURE_LIBS and, where needed, per-folder compiler flags.
FEATURE_DIRS := sip vpnsip crypto ike dataplane route track acl nat dhcp qos snmp
FEATURE_SRC  := $(foreach d,$(FEATURE_DIRS),$(wildcard src/$(d)/*.c))

# Everything the daemon links except its main(): unit tests and fuzzers use it.
CORE_SRC := $(UTIL_SRC) $(LOG_SRC) $(CLI_SRC) $(CONFIG_SRC) $(NET_SRC) $(CTL_SRC) \
            $(FEATURE_SRC) $(filter-out src/daemon/main.c,$(DAEMON_SRC))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)

# `make` on a machine without the build packages: one clear line instead of
# a missing header.  PKG_CHECK: pkg-config modules the build needs (fragments add).
PKG_CHECK += $(PKGS)
OBJ_PREREQS += $(BUILD)/.build-deps
$(BUILD)/.build-deps:
	@command -v pkg-config >/dev/null && pkg-config --exists $(PKG_CHECK) || \
	    { echo "vpnsip: build packages missing (pkg-config $(PKG_CHECK)): run 'make deps' (or make deps-build) as root" >&2; exit 1; }
	@mkdir -p $(dir $@) && touch $@

# OBJ_PREREQS: generated headers every object may need (fragments add).
$(BUILD)/obj/%.o: %.c | $(OBJ_PREREQS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvpnsipcore.a: $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

CORE_LIBS = $(PKG_LIBS) $(FEATURE_LIBS) -lcrypt -lpthread

$(BUILD)/vpnsipd: $(BUILD)/obj/src/daemon/main.o $(BUILD)/libvpnsipcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

SHELL_OBJ := $(SHELL_SRC:%.c=$(BUILD)/obj/%.o) $(CTL_SRC:%.c=$(BUILD)/obj/%.o) \
             $(BUILD)/obj/src/util/strbuf.o $(BUILD)/obj/src/util/xalloc.o \
             $(BUILD)/obj/src/cli/render.o
$(BUILD)/vpnsipsh: $(SHELL_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lreadline

# Unit tests: tests/unit/test_*.c, each its own binary linked against the core.
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/harness.o $(BUILD)/libvpnsipcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

# The session state machine's test replaces the SIP user agent and the
# event loop's timers and clock at link time (recording fakes, virtual time).
SESSION_TEST_WRAPS := sip_ua_start sip_ua_stop sip_ua_configure sip_call_place_from \
                      sip_call_answer sip_call_reject sip_call_hangup \
                      ev_timer_add ev_timer_del evloop_now_ms
$(BUILD)/tests/test_vpnsip_session: LDFLAGS += $(SESSION_TEST_WRAPS:%=-Wl,--wrap=%)

unit: $(UNIT_BIN)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------------------
PYTEST := /usr/bin/python3 -m pytest

# The builds that test, demo and bench start use every core (make -j),
# whatever jobs the caller gave make.
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: deps
	$(MAKE) -j$(BUILD_JOBS) all unit
	$(MAKE) -j$(BUILD_JOBS) SANITIZE=1 all unit
	$(MAKE) -j$(BUILD_JOBS) fuzz-build
	@sh tools/run-tests.sh tests $(PYTEST_ARGS)

# Targets that install packages build in a sub-make after `deps`: this make
# read its fragments (and ran their pkg-config) before the packages were there.
demo: deps
	@$(MAKE) --no-print-directory -j$(BUILD_JOBS) all
	@sh tools/demo.sh

SESSIONS ?= 1000
bench: deps
	@$(MAKE) --no-print-directory -j$(BUILD_JOBS) all
	@SESSIONS=$(SESSIONS) bash tools/bench.sh

# A clean Debian 12 root (mmdebstrap, from this machine's apt sources) runs
# `make demo` from `git archive HEAD`: what a newcomer gets.  FRESH_ARGS:
# --test (also make test there), --deb (the package on a second clean root).
fresh-check:
	@sh tools/deps.sh mmdebstrap util-linux git
	@sh tools/fresh-check.sh $(FRESH_ARGS)

# The unit's ExecStart names SBINDIR (the package's is /usr/sbin).
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/vpnsip
# where net-snmp's tools look for MIB files (docs/snmp.md)
MIBDIR  ?= $(PREFIX)/share/snmp/mibs
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSTEMDUNITDIR) \
	    $(DESTDIR)$(MIBDIR)
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/vpnsip
	install -m 0755 $(BUILD)/vpnsipd $(DESTDIR)$(SBINDIR)/vpnsipd
	install -m 0755 $(BUILD)/vpnsipsh $(DESTDIR)$(BINDIR)/vpnsipsh
	install -m 0644 conf/examples/*.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 mib/VPNSIP-MIB.txt $(DESTDIR)$(MIBDIR)/VPNSIP-MIB.txt
	install -m 0644 docs/vpnsipd.8 $(DESTDIR)$(MANDIR)/man8/vpnsipd.8
	install -m 0644 docs/vpnsipsh.1 $(DESTDIR)$(MANDIR)/man1/vpnsipsh.1
	sed 's,/usr/sbin/vpnsipd,$(SBINDIR)/vpnsipd,' conf/systemd/vpnsipd.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/vpnsipd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vpnsipd.service

clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

.PHONY: all deps deps-build deps-runtime deps-test deps-list deps-extra unit test demo bench fresh-check install clean format
