# SIP user agent (src/sip: sofia-sip nua on its own thread, RFC 6193 SDP)
# and the VPN-SIP session orchestrator (src/vpnsip).  See docs/sip.md.
#
# libsofia-sip-ua-dev: the nua library and headers (pkg-config sofia-sip-ua),
# libsofia-sip-ua0 at run time; sofia-sip-bin: sip-options/sip-date etc.
# for poking at a UA by hand; sip-tester (SIPp) and kamailio: the
# independent peers of tests/test_sip*.py (also listed by tests/lab/lab.mk).
DEB_BUILD_PACKAGES   += libsofia-sip-ua-dev
DEB_RUNTIME_PACKAGES += libsofia-sip-ua0
DEB_TEST_PACKAGES    += sofia-sip-bin sip-tester kamailio

# sofia-sip's headers are not -Wstrict-prototypes clean: include them as
# system headers, and only in the SIP user agent's objects and the unit
# tests that use sofia-sip (tests/unit/test_sip_msg.c parses messages,
# tests/unit/test_sip_log.c logs through su_log).
# Recursive (=): expanded when an object is compiled, after `make deps`.
SOFIA_CFLAGS = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags sofia-sip-ua 2>/dev/null))
SOFIA_LIBS   = $(shell pkg-config --libs sofia-sip-ua 2>/dev/null)
$(BUILD)/obj/src/sip/%.o: CPPFLAGS += $(SOFIA_CFLAGS)
$(BUILD)/obj/tests/unit/test_sip_msg.o: CPPFLAGS += $(SOFIA_CFLAGS)
$(BUILD)/obj/tests/unit/test_sip_log.o: CPPFLAGS += $(SOFIA_CFLAGS)
build/fuzz/obj/src/sip/%.o: FUZZ_CPPFLAGS += $(SOFIA_CFLAGS)
FEATURE_LIBS += $(SOFIA_LIBS)
PKG_CHECK    += sofia-sip-ua
