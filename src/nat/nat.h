/* NAT with nftables (nft's library, in-process, over netlink): "ip nat
 * inside|outside" on interfaces, "ip nat inside source list ACL interface
 * IF overload" (PAT to the interface's address, whatever DHCP gives it),
 * "ip nat inside source static [tcp|udp] LOCAL [PORT] GLOBAL|interface IF
 * [PORT]", and the SIP ALG switch "[no] ip nat service sip udp|tcp port N"
 * (the kernel's nf_conntrack_sip/nf_nat_sip helper, attached to forwarded
 * traffic only, never to vpnsipd's own SIP signalling).
 *
 * The whole configuration is one table, "ip vpnsip_nat", replaced
 * atomically (one netlink batch) on every change and deleted at shutdown.
 * show/clear ip nat translations read and delete conntrack entries. */
#ifndef VPNSIP_NAT_NAT_H
#define VPNSIP_NAT_NAT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/hook.h"

#define NAT_TABLE "vpnsip_nat"

/* Port translations another component owns for a while (VPN-SIP: the IKE
 * port 4500 of the tunnel source <-> the port advertised in SDP on the
 * outside interface).  They show in "show ip nat translations" like static
 * entries and disappear with nat_port_map_del() or at shutdown. */
struct nat_port_map {
	uint8_t proto;            /* IPPROTO_UDP or IPPROTO_TCP */
	struct in_addr local;     /* inside local */
	uint16_t local_port;
	const char *outside_if;   /* the outside interface (its address is global) */
	uint16_t global_port;
};
/* Returns an id (>0) or 0 on error. */
unsigned nat_port_map_add(const struct nat_port_map *m);
void nat_port_map_del(unsigned id);

/* Translations another component keeps without a NAT rule (VPN-SIP: each
 * session's own IKE/ESP port, which IOS keeps as a PAT entry between 4500
 * and the SDP port).  A subscriber of nat_xlate_rows lists its rows when
 * "show ip nat translations" or "show ip nat statistics" runs; O(its
 * entries). */
struct nat_xlate_row {
	uint8_t proto;
	struct in_addr inside_global, inside_local, outside_local, outside_global;
	uint16_t inside_global_port, inside_local_port, outside_local_port, outside_global_port;
	const char *owner; /* shown by "verbose", e.g. "VPN-SIP session of Tunnel1" */
};
typedef void (*nat_xlate_emit_fn)(const struct nat_xlate_row *row, void *ctx);
/* Called by the main thread (the show commands). */
HOOK_DECLARE(nat_xlate_rows, (nat_xlate_emit_fn emit, void *ctx), (emit, ctx));

void nat_cli_init(void);
/* The NAT table is in nftables from start to stop (daemon/feature.c). */
struct config_env;
struct evloop;
extern const struct config_ext_type nat_model_ext;
int nat_start(struct evloop *loop, struct config_env *env);
void nat_stop(void);

#endif
