/* IPv4 access lists: numbered ("access-list 1 permit ...", standard 1-99
 * and 1300-1999, extended 100-199 and 2000-2699) and named ("ip
 * access-list standard|extended NAME").  NAT uses them to select what it
 * translates, QoS class maps to classify ("match access-group"); they
 * compile to nftables match expressions, and match packets in user space
 * for the outer DSCP of VPN-SIP tunnels. */
#ifndef VPNSIP_ACL_ACL_H
#define VPNSIP_ACL_ACL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hook.h"
#include "util/strbuf.h"

enum acl_portop { PORT_ANY, PORT_EQ, PORT_NEQ, PORT_LT, PORT_GT, PORT_RANGE };

struct acl_addr {
	struct in_addr addr, wild; /* wild: IOS wildcard (inverted mask); any = 255.255.255.255 */
};

struct acl_entry {
	unsigned seq;
	bool permit;
	bool remark;
	char *text; /* remark */
	int proto;  /* -1: ip (any), else an IP protocol number */
	struct acl_addr src, dst;
	enum acl_portop sop, dop;
	uint16_t sport[2], dport[2];
};

struct acl {
	char *name;
	bool extended;
	bool numbered;
	struct acl_entry *v;
	size_t n, cap;
};

struct config;

/* The list of that name (or number) in cfg, or NULL. */
const struct acl *acl_find(const struct config *cfg, const char *name);
/* nft expressions matching e ("ip saddr 10.0.0.0/8 udp dport 5060"). */
void acl_entry_nft(const struct acl_entry *e, struct strbuf *out);
/* Does the IPv4 packet pkt fall under a permit entry of a?  First match
 * wins, no match is the implicit deny; remarks are skipped; an IPv6 or
 * truncated packet never matches, nor an entry with ports a fragment
 * without its L4 header. */
bool acl_permits(const struct acl *a, const uint8_t *pkt, size_t len);
/* A self-contained copy (for another thread), freed with acl_release(). */
struct acl *acl_dup(const struct acl *a);
void acl_release(struct acl *a);

/* Main thread: an access list changed (name: the list's name or number).
 * Subscriber: NAT, which rebuilds its rules. */
HOOK_DECLARE(acl_changed, (const char *name), (name));

void acl_cli_init(void);
extern const struct config_ext_type acl_ext;

#endif
