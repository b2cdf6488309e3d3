# libFuzzer targets (clang, libclang-rt-14-dev), one per parser; each
# asserts invariants of its own (see the comment atop tests/fuzz/fuzz_*.c):
#   cli   configuration lines; the running-config reads back as itself
#   sdp   RFC 6193 SDP; our answer to an accepted offer passes the caller
#   sip   datagrams through sofia-sip's parser into the UA's request path
#   dhcp  option 120 and the dhclient hook's lease messages (round trips)
#   ctl   control-socket frames, and the daemon's side of the socket
#   esp   ESP decapsulation against a model of the replay window; MSS clamping
#
#   make fuzz-build            build/fuzz/fuzz_<name>
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="sip esp"] [FUZZ_ARGS=...]
#                              run each target for FUZZ_SECONDS on its seed
#                              corpus (tests/fuzz/corpus/<name>/, read only)
#                              plus a scratch corpus in build/fuzz/corpus/<name>/;
#                              findings go to build/fuzz/artifacts/<name>/
#   make fuzz FUZZ_SIP_CORPORA=DIR
#                              fuzz_sip also starts from the RFC 4475 torture
#                              messages and the PROTOS c07-sip cases kept in
#                              DIR (rfc4475/, protos-c07-sip/; not part of the
#                              project), turned into seeds under build/fuzz/
#                              by tools/sip-corpus.py
#
# make test runs each target briefly (tests/test_fuzz_smoke.py).
#
# The targets link the project's core sources (CORE_SRC from the Makefile:
# every src/**/*.c but the daemon's main() and the shell), compiled again
# with clang and the sanitizers into build/fuzz/obj/.  This fragment is read
# before the Makefile defines CORE_SRC, so fuzz-build hands it to a sub-make.

DEB_TEST_PACKAGES += clang libclang-rt-14-dev

FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_SIP_CORPORA ?=
FUZZ_TARGETS := cli sdp sip dhcp ctl esp
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
# The project's warning flags (see CFLAGS in the Makefile), as errors.
FUZZ_WARN    := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 \
                -Wno-format-nonliteral -fno-strict-aliasing
FUZZ_CFLAGS  := -g -O1 $(FUZZ_WARN) $(FUZZ_SAN)
FUZZ_CPPFLAGS = -Iinclude -Isrc -D_GNU_SOURCE -DVPNSIP_DEBUG $(PKG_CFLAGS)
FUZZ_LIBS     = $(PKG_LIBS) $(FEATURE_LIBS) -lcrypt -lpthread

# Set by fuzz-build from the Makefile's CORE_SRC; the fallback is the same
# rule spelled out, for "make build/fuzz/fuzz_cli" typed directly.
FUZZ_SRCS ?= $(filter-out src/daemon/main.c src/shell/%,$(wildcard src/*/*.c))
FUZZ_OBJS  = $(FUZZ_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)

fuzz-build:
	@$(MAKE) --no-print-directory FUZZ_SRCS="$(CORE_SRC)" \
	    $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

# Library objects: coverage instrumentation without libFuzzer's main().
$(FUZZ_DIR)/obj/%.o: %.c | $(OBJ_PREREQS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# Each run: new inputs go to the scratch corpus (first directory), the seed
# corpus is only read; tests/fuzz/<name>.dict, when present, is the
# dictionary; crashes, leaks and slow units land in build/fuzz/artifacts/.
fuzz: fuzz-build
	@set -e; extra=; \
	if [ -n "$(FUZZ_SIP_CORPORA)" ]; then \
	    python3 tools/sip-corpus.py "$(FUZZ_SIP_CORPORA)" $(FUZZ_DIR)/sip-corpora; \
	    extra=$(FUZZ_DIR)/sip-corpora; \
	fi; \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS)s"; \
	    dict=; [ ! -f tests/fuzz/$$t.dict ] || dict=-dict=tests/fuzz/$$t.dict; \
	    more=; [ $$t != sip ] || more=$$extra; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -timeout=10 -rss_limit_mb=2048 $$dict $(FUZZ_ARGS) \
	        -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
	        $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t $$more; \
	done

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)

# Targets that include a library's headers (see mk/sip.mk, mk/strongswan.mk).
$(FUZZ_DIR)/obj/tests/fuzz/fuzz_sip.o: FUZZ_CPPFLAGS += $(SOFIA_CFLAGS)
$(FUZZ_DIR)/obj/tests/fuzz/fuzz_esp.o: FUZZ_CPPFLAGS += $(STRONGSWAN_CPPFLAGS)
$(FUZZ_DIR)/obj/tests/fuzz/fuzz_esp.o: FUZZ_CFLAGS += -Wno-unused-variable

# Keep the objects (they are intermediate files of the pattern rules).
.PRECIOUS: $(FUZZ_DIR)/obj/%.o

.PHONY: fuzz fuzz-build
