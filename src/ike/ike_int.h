/* Internals of the IKE engine shared by its files (src/ike only).
 * Include <library.h> (and the strongSwan headers) before this. */
#ifndef VPNSIP_IKE_IKE_INT_H
#define VPNSIP_IKE_IKE_INT_H

#include <kernel/kernel_ipsec.h>
#include <network/socket.h>

#include "dataplane/dataplane.h"
#include "ike/ike.h"
#include "log/debug.h"
#include "nat/nat.h"

/* kernel_ipsec_t over the data plane (ike_kernel.c). */
kernel_ipsec_t *ike_kernel_ipsec_create(void);
/* socket_t over the data plane's ports (ike_socket.c). */
socket_t *ike_socket_create(void);
/* Data plane hooks: IKE packets in, SA volume expiry. */
extern const struct dp_ike_hooks ike_dp_hooks;

/* Debug flags ("debug crypto ikev2 ..."). */
extern struct debug_flag debug_ikev2, debug_ikev2_packet, debug_ikev2_internal,
	debug_ikev2_error;
void ike_debug_register(void); /* with the IKE commands */

/* Sessions (ike_session.c; the files it ties together are listed in
 * ike_session_int.h). */
int ike_sessions_init(struct config *cfg);
void ike_sessions_shutdown(void);
/* clear crypto session [remote ADDR]: number of sessions cleared. */
unsigned ike_clear_sessions(const struct in_addr *remote);

/* Show commands (ike_show.c). */
struct strbuf;
void ike_show_session(struct strbuf *out, const char *tunnel, bool detail);
void ike_show_ikev2_sa(struct strbuf *out, bool detailed);
/* The same as JSON documents (docs/json.md). */
struct json_object;
struct json_object *ike_session_json(const char *tunnel, bool detail);
struct json_object *ike_ikev2_sa_json(bool detailed);
/* Rows of "show ip nat translations": sessions on their own port. */
void ike_nat_rows(nat_xlate_emit_fn row_out, void *ctx, void *arg);
void ike_show_ipsec_sa(struct strbuf *out, const char *tunnel);

/* The tunnel whose session talks to PEER from our LOCAL_PORT (500 and
 * 4500 are one endpoint); false when there is none.  Any thread
 * (ike_snap.c). */
bool ike_tunnel_by_endpoint(struct in_addr peer, uint16_t local_port, char *tunnel, size_t n);

/* Invalid-SPI recovery (ike_invalid_spi.c): the data plane's hook. */
void ike_invalid_spi_init(void);
void ike_invalid_spi_shutdown(void);

/* Wire the engine under the VPN-SIP orchestrator (ike_vpnsip.c). */
void ike_vpnsip_wire(void);

extern struct config *ike_cfg_model; /* the daemon's model (main thread) */
extern struct evloop *ike_loop;       /* the main thread's loop */
extern bool ike_running;

#endif
