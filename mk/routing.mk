# Routing, IP SLA/track, NAT and the DHCP client (issue 7).  See docs/routing.md.
#
# nftables: nft's own library (libnftables) in-process, over netlink (the
# nft command is not needed); conntrack (show/clear ip nat translations):
# libnl-nf.  The DHCP client is Debian's dhclient, supervised by vpnsipd;
# its hook is vpnsip-dhcp-hook.  The tests look with nft, conntrack, ping
# and tcpdump.
DEB_BUILD_PACKAGES   += libnftables-dev libnl-nf-3-dev
DEB_RUNTIME_PACKAGES += libnftables1 libnl-nf-3-200 isc-dhcp-client
DEB_TEST_PACKAGES    += nftables conntrack iputils-ping tcpdump

FEATURE_LIBS += -lnftables -lnl-nf-3
LIBEXECDIR   ?= $(PREFIX)/libexec/vpnsip

# The hook dhclient runs: a tiny program outside the core library.
DHCP_HOOK := $(BUILD)/vpnsip-dhcp-hook
all: $(DHCP_HOOK)
$(DHCP_HOOK): $(BUILD)/obj/src/dhcp/hook/vpnsip-dhcp-hook.o
	$(CC) $(LDFLAGS) -o $@ $^

# vpnsipd looks for the hook next to its own executable first (build tree),
# then in LIBEXECDIR (installed).
$(BUILD)/obj/src/dhcp/%.o: CPPFLAGS += -DVPNSIP_LIBEXECDIR='"$(LIBEXECDIR)"'

install: install-routing
install-routing: all
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(DHCP_HOOK) $(DESTDIR)$(LIBEXECDIR)/vpnsip-dhcp-hook
.PHONY: install-routing
