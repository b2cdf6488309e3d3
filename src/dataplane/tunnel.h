/* The tunnel settings of "interface TunnelN" (tunnel source/mode/
 * destination/protection, ip tcp adjust-mss), kept as
 * the interface's feature extension.  Main thread only. */
#ifndef VPNSIP_DATAPLANE_TUNNEL_H
#define VPNSIP_DATAPLANE_TUNNEL_H

#include <netinet/in.h>
#include <stdbool.h>

#include "dataplane/dataplane.h"
#include "net/iface.h"
#include "util/hook.h"

enum tunnel_dest {
	TUNNEL_DEST_NONE = 0,
	TUNNEL_DEST_DYNAMIC, /* VPN-SIP: the peer comes from the SDP */
	TUNNEL_DEST_STATIC,  /* IOS SVTI: IKE is started towards it */
};

struct tunnel_ext {
	char *source;          /* "tunnel source IF" */
	bool mode_ipsec;       /* "tunnel mode ipsec ipv4" */
	enum tunnel_dest dest;
	struct in_addr dest_addr;
	char *ipsec_profile;   /* "tunnel protection ipsec profile P" */
	char *ikev2_profile;   /* "... ikev2-profile Q" */
	unsigned mss;          /* "ip tcp adjust-mss N"; 0: none */
};

/* NULL when the interface has none of these lines. */
const struct tunnel_ext *tunnel_ext_get(const struct iface_cfg *ifc);
/* The profiles of a tunnel's SAs: "tunnel protection ipsec profile P
 * [ikev2-profile Q]" gives the IPsec profile P (*ip: NULL when P is not
 * configured) and the IKEv2 profile Q, else P's "set ikev2-profile".
 * Returns the IKEv2 profile's name (NULL: none named; whether it is
 * configured is the caller's check).  The one rule for the IKE engine and
 * for the fingerprint VPN-SIP puts into its SDP.  ip may be NULL. */
struct config;
struct ipsec_profile;
const char *tunnel_ikev2_profile(const struct config *cfg, const struct iface_cfg *ifc,
				 const struct ipsec_profile **ip);
/* The data plane's view of an interface ("crypto ipsec df-bit" of the
 * interface, else the global one, from the crypto model). */
void tunnel_dp_cfg(const struct config *cfg, const struct iface_cfg *ifc,
		   struct dp_tunnel_cfg *out);
/* TUN MTU of a tunnel: "ip mtu", else room for ESP-in-UDP. */
unsigned tunnel_mtu(const struct iface_cfg *ifc);
#define TUNNEL_DEFAULT_MTU 1400

/* Main thread: something in a tunnel's settings changed, or an interface
 * with tunnel settings is being deleted (deleted: before it is freed).
 * Subscriber: the IKE engine, which follows static tunnels. */
HOOK_DECLARE(tunnel_changed, (struct config *cfg, struct iface_cfg *ifc, bool deleted),
	     (cfg, ifc, deleted));

/* The "interface TunnelN" commands (tunnel_cmds.c). */
void tunnel_cli_init(void);

#endif
