# strongSwan (libcharon from Debian, in-process).  See docs/strongswan-build.md.
#
# Exports for the daemon:
#   STRONGSWAN_CPPFLAGS  headers (-isystem, so our warning flags ignore them)
#                        and -include of the generated config.h
#   STRONGSWAN_LIBS      libcharon/libstrongswan/libipsec in /usr/lib/ipsec
#   STRONGSWAN_STAMP     file to depend on: exists once the headers are there
#   STRONGSWAN_PLUGINS   plugin list for charon->initialize()

# Runtime: libstrongswan and libcharon with the plugins STRONGSWAN_PLUGINS
# loads: libstrongswan (random ... kdf, kernel-netlink), -standard-plugins
# (openssl), strongswan-libcharon (socket-default), libcharon-extra-plugins
# (libipsec, kernel-libipsec, eap-md5, eap-identity).  Build: the same
# libraries to link and to take the build IDs of; libcap-dev for
# <sys/capability.h> (Debian built with --with-capabilities=libcap, so
# config.h has HAVE_SYS_CAPABILITY_H); the header fetch needs dpkg-dev
# (dpkg-source), bzip2/xz-utils (tarballs) and binutils (nm, readelf).
# Tests: a stock charon/swanctl peer (tests/lib/ike_peer.py).
STRONGSWAN_RUNTIME := strongswan-libcharon libcharon-extra-plugins libstrongswan \
                      libstrongswan-standard-plugins
DEB_BUILD_PACKAGES   += $(STRONGSWAN_RUNTIME) bzip2 xz-utils dpkg-dev binutils libcap-dev
DEB_RUNTIME_PACKAGES += $(STRONGSWAN_RUNTIME)
DEB_TEST_PACKAGES    += strongswan-charon strongswan-swanctl

STRONGSWAN_DIR   := build/strongswan
STRONGSWAN_STAMP := $(STRONGSWAN_DIR)/stamp
# The build IDs of the libraries linked (src/ike/ike_library.c checks them
# at start); looked at on every make run, rewritten when they change.
STRONGSWAN_IDS   := $(STRONGSWAN_DIR)/library-ids.h

# config.h must come first (library.h checks CONFIG_H_INCLUDED), hence
# -include; the source trees use <library.h>, <daemon.h>, <ipsec.h> style
# includes relative to these three roots.
STRONGSWAN_CPPFLAGS := -include $(STRONGSWAN_DIR)/config.h -iquote $(STRONGSWAN_DIR) \
                       -isystem $(STRONGSWAN_DIR)/include/libstrongswan \
                       -isystem $(STRONGSWAN_DIR)/include/libcharon \
                       -isystem $(STRONGSWAN_DIR)/include/libipsec
STRONGSWAN_LIBS := -L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec \
                   -lcharon -lipsec -lstrongswan -lpthread -ldl

# IKEv2 with PSK and RSA certificates, EAP-MD5, ESP in user space
# (kernel-libipsec must come before kernel-netlink so that it is the IPsec
# backend and kernel-netlink only handles routes/addresses).
STRONGSWAN_PLUGINS := random nonce openssl pem pkcs1 pkcs8 x509 pubkey \
                      constraints hmac kdf kernel-libipsec kernel-netlink \
                      socket-default eap-md5 eap-identity

export STRONGSWAN_CPPFLAGS STRONGSWAN_LIBS STRONGSWAN_PLUGINS

# The components that talk to libcharon/libipsec get its headers; every
# binary links it (vpnsipd embeds charon).
STRONGSWAN_DIRS := ike dataplane
$(foreach d,$(STRONGSWAN_DIRS),$(eval $(BUILD)/obj/src/$(d)/%.o: CPPFLAGS += $(STRONGSWAN_CPPFLAGS)))
# clang (the fuzz build) reports the static alias that strongSwan's METHOD()
# macro defines for every method as an unused variable; gcc does not.
$(foreach d,$(STRONGSWAN_DIRS),$(eval build/fuzz/obj/src/$(d)/%.o: FUZZ_CPPFLAGS += $(STRONGSWAN_CPPFLAGS)))
$(foreach d,$(STRONGSWAN_DIRS),$(eval build/fuzz/obj/src/$(d)/%.o: FUZZ_CFLAGS += -Wno-unused-variable))
FEATURE_LIBS += $(STRONGSWAN_LIBS)
OBJ_PREREQS  += $(STRONGSWAN_STAMP) $(STRONGSWAN_IDS)

deps-extra::
	@sh tools/strongswan-headers.sh $(STRONGSWAN_DIR)

# Built on demand too (it is quiet and offline once present).
$(STRONGSWAN_STAMP):
	@sh tools/strongswan-headers.sh $(STRONGSWAN_DIR)

$(STRONGSWAN_IDS): FORCE | $(STRONGSWAN_STAMP)
	@sh tools/strongswan-ids.sh $@ $(STRONGSWAN_DIR)
FORCE:
.PHONY: FORCE

# ABI smoke test: headers + config.h against the installed libraries.
$(BUILD)/tests/charon_abi_smoke: tests/abi/charon_abi_smoke.c $(STRONGSWAN_STAMP) mk/strongswan.mk
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(STRONGSWAN_CPPFLAGS) \
	    -DSTRONGSWAN_PLUGINS='"$(strip $(STRONGSWAN_PLUGINS))"' \
	    -o $@ $< $(LDFLAGS) $(STRONGSWAN_LIBS)

unit: $(BUILD)/tests/charon_abi_smoke
