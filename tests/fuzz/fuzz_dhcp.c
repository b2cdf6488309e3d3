/* libFuzzer target for the DHCP client's decoders (src/dhcp/dhcp.c).
 *
 * The first byte of an input chooses what the rest is:
 *   bit 0 clear: an option 120 payload (RFC 3361) for
 *                dhcp_decode_sip_servers();
 *   bit 0 set:   a message of the dhclient hook ("new_ip_address=..."
 *                lines) for dhcp_lease_decode(), with option 120 asked for
 *                when bit 1 is set and option 125 when bit 2 is set.
 *
 * Invariants (abort() on breach):
 *   - option 120, address encoding: as many addresses as the payload holds
 *     whole, byte for byte;
 *   - option 120, name encoding: every name is made of labels of 1 to 63
 *     letters, digits, '-' and '_'; the names written back without
 *     compression decode to the same list;
 *   - a decoded lease written back as the hook would send it (dhclient's
 *     "array of unsigned integer 8" as decimal bytes) decodes to the same
 *     lease: address and mask, server, router, name servers, lease time,
 *     option 120 and option 125. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp.h"
#include "net/ifstate.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                   \
	do {                                                        \
		fprintf(stderr, "fuzz_dhcp: " __VA_ARGS__);         \
		fputc('\n', stderr);                                \
		abort();                                            \
	} while (0)

/* The names of d as an option 120 payload in the name encoding, without
 * compression (so possibly longer than the compressed payload: pointers
 * can repeat names); returns its length, *outp newly allocated. */
static size_t encode_names(const struct ifstate_dhcp *d, uint8_t **outp)
{
	size_t n = 0, cap = 2;

	for (size_t i = 0; i < d->nsip_domains; i++)
		cap += strlen(d->sip_domains[i]) + 2;
	uint8_t *out = *outp = malloc(cap);

	out[n++] = 0;
	for (size_t i = 0; i < d->nsip_domains; i++) {
		const char *name = d->sip_domains[i];
		while (*name) {
			size_t l = strcspn(name, ".");
			if (l < 1 || l > 63)
				FAIL("name '%s' has a label of %zu bytes", d->sip_domains[i], l);
			out[n++] = (uint8_t)l;
			for (size_t k = 0; k < l; k++) {
				if (!isalnum((unsigned char)name[k]) && name[k] != '-' && name[k] != '_')
					FAIL("name '%s' holds byte 0x%02x", d->sip_domains[i],
					     (unsigned char)name[k]);
				out[n++] = (uint8_t)name[k];
			}
			name += l;
			if (*name == '.' && !*++name)
				FAIL("name '%s' ends in a dot", d->sip_domains[i]);
		}
		out[n++] = 0;
	}
	return n;
}

static bool same_option120(const struct ifstate_dhcp *a, const struct ifstate_dhcp *b)
{
	if (a->nsip_domains != b->nsip_domains || a->nsip_addrs != b->nsip_addrs)
		return false;
	for (size_t i = 0; i < a->nsip_domains; i++)
		if (strcmp(a->sip_domains[i], b->sip_domains[i]) != 0)
			return false;
	return !a->nsip_addrs ||
	       memcmp(a->sip_addrs, b->sip_addrs, a->nsip_addrs * sizeof(*a->sip_addrs)) == 0;
}

static void option120(const uint8_t *p, size_t n)
{
	struct ifstate_dhcp d = { 0 }, again = { 0 };
	uint8_t *enc;

	if (!dhcp_decode_sip_servers(p, n, &d)) {
		if (d.nsip_domains || d.nsip_addrs)
			FAIL("a payload refused as malformed left %zu names, %zu addresses",
			     d.nsip_domains, d.nsip_addrs);
		return;
	}
	if (p[0] == 1) {
		if (d.nsip_addrs != (n - 1) / 4 || (n - 1) % 4 ||
		    memcmp(d.sip_addrs, p + 1, n - 1) != 0)
			FAIL("%zu address bytes decode to %zu addresses", n - 1, d.nsip_addrs);
	} else {
		size_t len = encode_names(&d, &enc);
		if (!dhcp_decode_sip_servers(enc, len, &again) || !same_option120(&d, &again))
			FAIL("%zu names written back decode to %zu", d.nsip_domains,
			     again.nsip_domains);
		free(enc);
	}
	ifstate_dhcp_free(&d);
	ifstate_dhcp_free(&again);
}

static void put_bytes(struct strbuf *sb, const char *key, const uint8_t *b, size_t n)
{
	sb_printf(sb, "%s=", key);
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%s%u", i ? " " : "", b[i]);
	sb_putc(sb, '\n');
}

/* d as the hook reports it. */
static void write_lease(const struct ipv4_prefix *p, const struct ifstate_dhcp *d,
			struct strbuf *sb)
{
	char a[INET_ADDRSTRLEN];
	uint8_t enc[1 + 4 * 1024], *names;

	sb_printf(sb, "ifname=GigabitEthernet8\nreason=BOUND\n");
	sb_printf(sb, "new_ip_address=%s\n", inet_ntop(AF_INET, &p->addr, a, sizeof(a)));
	sb_printf(sb, "new_subnet_mask=%s\n", inet_ntoa(ipv4_len_to_mask(p->len)));
	sb_printf(sb, "new_dhcp_server_identifier=%s\n",
		  inet_ntop(AF_INET, &d->server, a, sizeof(a)));
	sb_printf(sb, "new_routers=%s\n", inet_ntop(AF_INET, &d->router, a, sizeof(a)));
	sb_puts(sb, "new_domain_name_servers=");
	for (size_t i = 0; i < d->ndns_addrs; i++)
		sb_printf(sb, "%s%s", i ? " " : "", inet_ntop(AF_INET, &d->dns_addrs[i], a, sizeof(a)));
	sb_printf(sb, "\nnew_dhcp_lease_time=%u\n", d->lease_seconds);
	if (d->nsip_addrs) {
		enc[0] = 1;
		memcpy(enc + 1, d->sip_addrs, d->nsip_addrs * 4);
		put_bytes(sb, "new_vpnsip_sip", enc, 1 + d->nsip_addrs * 4);
	} else if (d->nsip_domains) {
		size_t len = encode_names(d, &names);
		put_bytes(sb, "new_vpnsip_sip", names, len);
		free(names);
	}
	if (d->nvendor125)
		put_bytes(sb, "new_vpnsip_vivso", d->vendor125, d->nvendor125);
}

static void lease(const char *msg, bool req_sip, bool req_vivso)
{
	struct ipv4_prefix p, p2;
	struct ifstate_dhcp d, d2;
	struct strbuf sb = STRBUF_INIT;

	int rc = dhcp_lease_decode(msg, req_sip, req_vivso, &p, &d);
	if (rc < 0) {
		if (d.bound || d.ndns_addrs || d.nsip_domains || d.nvendor125)
			FAIL("a message without an address left a lease");
		return;
	}
	if (p.len > 32)
		FAIL("prefix length %u", p.len);
	/* What the hook can carry: one datagram, a line of up to 4 KiB. */
	size_t names = 0;
	for (size_t i = 0; i < d.nsip_domains; i++)
		names += strlen(d.sip_domains[i]) + 2;
	if (d.nvendor125 * 4 > 4000 || d.nsip_addrs * 16 > 4000 || d.ndns_addrs * 16 > 4000 ||
	    names * 4 > 4000) {
		ifstate_dhcp_free(&d);
		return;
	}
	write_lease(&p, &d, &sb);
	if (dhcp_lease_decode(sb_str(&sb), req_sip, req_vivso, &p2, &d2) != 0)
		FAIL("a decoded lease written back does not decode:\n%s", sb_str(&sb));
	if (p2.addr.s_addr != p.addr.s_addr || p2.len != p.len ||
	    d2.server.s_addr != d.server.s_addr || d2.router.s_addr != d.router.s_addr ||
	    d2.lease_seconds != d.lease_seconds || d2.ndns_addrs != d.ndns_addrs ||
	    (d.ndns_addrs && memcmp(d.dns_addrs, d2.dns_addrs, d.ndns_addrs * 4) != 0) ||
	    !same_option120(&d, &d2) || d2.nvendor125 != d.nvendor125 ||
	    (d.nvendor125 && memcmp(d.vendor125, d2.vendor125, d.nvendor125) != 0))
		FAIL("a decoded lease written back decodes differently:\n%s", sb_str(&sb));
	ifstate_dhcp_free(&d);
	ifstate_dhcp_free(&d2);
	sb_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		option120(data + 1, size - 1);
		return 0;
	}
	char *msg = malloc(size);
	memcpy(msg, data + 1, size - 1);
	msg[size - 1] = '\0';
	lease(msg, data[0] & 2, data[0] & 4);
	free(msg);
	return 0;
}
