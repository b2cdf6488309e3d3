/* VPN-SIP: the session orchestrator.
 *
 * One session per Tunnel interface that carries "vpn-sip local-number L
 * remote-number R bandwidth B" (one per (L, R) pair; L one of the global
 * "vpn-sip local-number" numbers, each registered on its own).  The orchestrator owns the VPN-SIP
 * configuration (global "vpn-sip ..." lines and the per-tunnel line), drives
 * the SIP user agent (src/sip/sip.h) and, through the hooks below, the IKE
 * engine and QoS.  docs/session.md has the state diagram:
 *
 *   READY_TO_CONNECT --trigger--> CALLING --2xx--> NEGOTIATING_IKE
 *   READY_TO_CONNECT --INVITE--> ANSWERING --ACK--> NEGOTIATING_IKE
 *     (as IKE responder straight on with the 200 OK)
 *   NEGOTIATING_IKE --IKE up--> SESSION_UP
 *   SESSION_UP --idle/clear/config/shutdown--> DELETING_SA --SA deleted--> DISCONNECTING (BYE)
 *   DISCONNECTING --call ended--> READY_TO_CONNECT (after a failure: retry back-off)
 *
 * Main thread only. */
#ifndef VPNSIP_VPNSIP_VPNSIP_H
#define VPNSIP_VPNSIP_VPNSIP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sdp.h"
#include "util/hook.h"
#include "vpnsip/peer.h"

struct config;
struct config_env;
struct evloop;

/* Daemon wiring: commands and running-config (every process), the runtime
 * (SIP thread, sessions) in vpnsipd after the boot configuration. */
void vpnsip_cli_init(void);
extern const struct config_ext_type vpnsip_cfg_type;
int vpnsip_start(struct evloop *loop, struct config *cfg);
/* Unregister, hang up every call, stop the SIP thread. */
void vpnsip_stop(void);
/* The call-history file in env->state_dir, kept with the daemon from
 * before the boot configuration (its records fill "show vpn-sip call-history"). */
int vpnsip_cdr_start(struct evloop *loop, struct config_env *env);
void vpnsip_cdr_close(void);

/* Does the tunnel carry a "vpn-sip local-number ..." line?  VPN-SIP then
 * owns its tunnel mode, source, destination and protection (its interface
 * guard refuses a change). */
struct iface_cfg;
bool vpnsip_tunnel_configured(const struct iface_cfg *ifc);
/* The child policy of the tunnel's "vpn-sip ... service-policy NAME", or
 * NULL. */
const char *vpnsip_tunnel_service_policy(const struct iface_cfg *ifc);

/* The data plane: a packet was routed into tunnel_name and it has no SA.
 * Places the call if the tunnel is a VPN-SIP tunnel in READY_TO_CONNECT;
 * cheap (one hash lookup) otherwise. */
void vpnsip_trigger(const char *tunnel_name);

/* What the IKE engine needs to bring a negotiated session up, and what QoS
 * needs to shape it.  Pointers are valid during the hook call only. */
struct vpnsip_peer_info {
	const char *tunnel;
	const char *local_number, *remote_number;
	struct in_addr local_addr;
	uint16_t local_port;                /* our IKE/ESP-in-UDP port, from our SDP */
	struct vpnsip_peer peer;            /* the remote end: address, port, bandwidth,
					     * role, fingerprint (a copy) */
	bool ike_initiator;                 /* we took a=ike-setup:active */
	bool call_initiator;                /* we placed the call ("(I)") */
	enum sdp_fp_kind auth;              /* SDP_FP_PSK or SDP_FP_CERT */
	const char *service_policy;         /* child policy, or NULL */
};

/* The engines under the orchestrator (IKE: ike/ike_vpnsip.c; QoS:
 * qos/session.c) subscribe to these.  All are called on the main thread,
 * by the session state machine (session.c).
 *
 * SDP offer/answer done: the session entered NEGOTIATING_IKE. */
HOOK_DECLARE(vpnsip_negotiated, (const struct vpnsip_peer_info *p), (p));
/* The session left its call (back to READY_TO_CONNECT). */
HOOK_DECLARE(vpnsip_call_ended, (const char *tunnel), (tunnel));
/* Teardown, TS-1017 4.2: delete the tunnel's SAs (INFORMATIONAL delete),
 * give up waiting for the answer after timeout_ms.  A subscriber that had
 * an IKE session sets *deleting (never clears it): vpnsip_ike_event(DOWN)
 * follows, possibly before the call returns. */
HOOK_DECLARE(vpnsip_delete_sa, (const char *tunnel, unsigned timeout_ms, bool *deleting),
	     (tunnel, timeout_ms, deleting));
/* Does an IKE session exist for the tunnel (started, up or starting)? */
HOOK_DECLARE_ANSWER(vpnsip_ike_active, bool, false, (const char *tunnel), (tunnel));
/* Before a call is placed or answered: may a session come up on this
 * tunnel with this child policy (NULL: none)?  The first false, with the
 * reason in err (one line), fails the session before any call (QoS: a
 * static "service-policy output" on the tunnel, as the seed says). */
HOOK_DECLARE_ANSWER(vpnsip_admit, bool, true,
		    (const char *tunnel, const char *service_policy, char *err, size_t errlen),
		    (tunnel, service_policy, err, errlen));

enum vpnsip_ike_ev {
	VPNSIP_IKE_UP,
	VPNSIP_IKE_DOWN,        /* deleted by the peer, failed, or our delete done */
	VPNSIP_IKE_LOST,        /* the peer stopped answering (DPD, retransmits) */
	VPNSIP_IKE_AUTH_FAILED, /* fingerprint mismatch, wrong key, ... */
};
/* The IKE engine reports the tunnel's SA (cause: why, may be NULL). */
void vpnsip_ike_event(const char *tunnel_name, enum vpnsip_ike_ev ev, const char *cause);
/* Older spelling: up -> VPNSIP_IKE_UP, else VPNSIP_IKE_DOWN. */
void vpnsip_ike_state(const char *tunnel_name, bool up);
/* The data plane: the tunnel's SA carried nothing for its idle time. */
void vpnsip_idle(const char *tunnel_name);

/* Daemon shutdown: tear every session down (SAs, then BYE) and call
 * done(arg) when all are back in READY_TO_CONNECT or after a few seconds.
 * Returns false (done is not called) when no session had a call. */
bool vpnsip_quiesce(void (*done)(void *arg), void *arg);

/* One line on the SIP registration ("SIP 0311111111 registered at
 * example.ne.jp") for the service manager's status.  The hook is called on
 * the main thread whenever the line may have changed (also when it did
 * not: the subscriber compares). */
void vpnsip_status_line(char *buf, size_t len);
HOOK_DECLARE_NOARGS(vpnsip_status_changed);

/* Place the call of a tunnel now ("vpn-sip call interface TunnelN").
 * Returns 0, or -1 with a reason. */
int vpnsip_call(const char *tunnel_name, const char **why);

/* ---- what management agents read (info.c) --------------------------------
 * Copies, taken on the main thread; another thread may keep them. */

/* The session states, numbered as the VPN-SIP MIB's vpnsipSessionState
 * (mib/VPNSIP-MIB.txt) less one: READY_TO_CONNECT is 0 here, 1 there. */
struct vpnsip_session_info {
	char tunnel[32];
	int ifindex;                 /* the tunnel's Linux device; 0: none */
	char local_number[32], remote_number[32];
	int state;                   /* enum vpnsip_state (vpnsip_int.h) */
	bool initiator;              /* we placed the call */
	struct in_addr remote_addr;  /* 0.0.0.0: no call */
	unsigned bw_conf, bw_neg;    /* kbps; bw_neg 0: not negotiated */
	uint64_t uptime_s;           /* since the call started; 0: no call */
	uint64_t call_s;             /* since the call was answered; 0: not answered */
};
/* Every session in IOS order (caller frees *out); 0 outside vpnsipd. */
size_t vpnsip_sessions_info(struct vpnsip_session_info **out);

struct vpnsip_reg_summary {
	char number[32];             /* the primary local number, "" : none */
	int state;                   /* its enum sip_reg_state (sip/sip.h) */
	unsigned configured, registered; /* local numbers */
};
void vpnsip_reg_summary(struct vpnsip_reg_summary *r);

/* Events for notifications (the SNMP subagent), called on the main thread
 * after the log line. */
HOOK_DECLARE(vpnsip_session_up, (const struct vpnsip_session_info *s), (s));
/* s: the call as it was before it ended; cause: why. */
HOOK_DECLARE(vpnsip_session_down, (const struct vpnsip_session_info *s, const char *cause),
	     (s, cause));
/* A local number that was registered no longer is. */
HOOK_DECLARE(vpnsip_registration_lost,
	     (const char *number, int last_status, const char *last_phrase),
	     (number, last_status, last_phrase));

#endif
