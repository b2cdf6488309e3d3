/* Inside the orchestrator: the configuration model, the sessions, and the
 * seams between its files (cfg: model and commands; session: runtime and
 * state machine; show: show/clear commands; fingerprint: local SDP values). */
#ifndef VPNSIP_VPNSIP_VPNSIP_INT_H
#define VPNSIP_VPNSIP_VPNSIP_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "log/debug.h"
#include "sip/sdp.h"
#include "sip/sip.h"
#include "util/hashmap.h"
#include "vpnsip/vpnsip.h"

#define VPNSIP_NUMBER_MAX 32
#define VPNSIP_DEFAULT_EXPIRES 3600
#define VPNSIP_CALL_TIMEOUT 30     /* s an outgoing call may ring */
#define VPNSIP_SESSION_EXPIRES 300 /* RFC 4028, as in TS-1017 Appendix II */
#define VPNSIP_IKE_PORT 4500
/* Unknown or unconfigured caller: 603 Decline (docs/sip.md). */
#define VPNSIP_REJECT_UNKNOWN 603

/* Global "vpn-sip ..." settings: the configuration's part of VPN-SIP. */
struct vpnsip_cfg {
	bool enabled;                /* vpn-sip enable */
	bool logging;                /* vpn-sip logging */
	char *local_number;          /* vpn-sip local-number N address ipv4 IF */
	char *addr_iface;
	bool has_server;             /* vpn-sip sip-server ipv4:A[:P] */
	struct in_addr server;
	uint16_t server_port;        /* 0: default */
	char *domain;                /* vpn-sip sip-domain */
	char *username, *password;   /* vpn-sip sip-credentials (password plain in memory) */
	enum sip_uri_form uri_form;  /* vpn-sip request-uri tel|sip */
	enum sdp_hash hash;          /* vpn-sip fingerprint hash */
	unsigned expires;            /* vpn-sip registration expires; 0: default */
	unsigned call_timeout;       /* vpn-sip call-timeout; 0: default */
	struct hashmap remotes;      /* remote number -> tunnel name (owned copy) */
	bool remotes_ready;
};

/* "vpn-sip local-number L remote-number R bandwidth B [service-policy P]"
 * on a Tunnel interface. */
struct vpnsip_tunnel {
	char *local_number, *remote_number;
	unsigned bandwidth;
	char *service_policy;
};

const struct vpnsip_cfg *vpnsip_cfg_get(const struct config *cfg); /* NULL: none */
const struct vpnsip_tunnel *vpnsip_tunnel_get(const struct iface_cfg *ifc);

/* ---- sessions (session.c) ---------------------------------------------- */

enum vpnsip_state {
	VS_READY_TO_CONNECT = 0,
	VS_CALLING,          /* our INVITE is out */
	VS_ANSWERING,        /* we answered an INVITE, waiting for its ACK */
	VS_NEGOTIATING_IKE,  /* SDP agreed: IKE's turn */
	VS_SESSION_UP,       /* IKE SA up */
	VS_DISCONNECTING,    /* BYE/CANCEL sent, waiting for the call to end */
};
const char *vpnsip_state_name(enum vpnsip_state s);

struct vpnsip_session {
	char *tunnel;
	char *local_number, *remote_number;
	unsigned bw_conf, bw_neg;
	char *service_policy;
	enum vpnsip_state state;
	bool initiator;              /* we placed the call */
	bool ike_initiator;          /* our a=ike-setup is active */
	uint32_t crypto_handle;
	uint32_t sip_handle;         /* 0: no call */
	char call_id[SIP_CALLID_MAX];
	struct in_addr local_addr, remote_addr;
	uint16_t local_port, remote_port;
	enum sdp_fp_kind auth;
	struct sdp_fingerprint remote_fp;
	uint64_t since_ms;           /* the call's start, for Uptime */
};

/* Runtime (vpnsipd only). */
struct vpnsip_rt {
	struct evloop *loop;
	struct config *cfg;
	struct sip_ua *ua;
	struct hashmap by_tunnel;  /* nocase tunnel name -> session */
	struct hashmap by_remote;  /* remote number -> session */
	struct hashmap by_handle;  /* "%08x" SIP handle -> session */
	struct hashmap by_callid;  /* Call-ID -> session */
	struct sip_reg_status reg;
	char sip_server[64];       /* what the UA was given, for show */
	char sip_server_src[16];   /* "static", "DHCP" */
	char sip_domain[128];
	char local_addr[INET_ADDRSTRLEN];
	uint32_t next_crypto;
	unsigned long rejected_unknown, rejected_488;
};
struct vpnsip_rt *vpnsip_rt(void); /* NULL outside vpnsipd */

/* The configuration changed (global lines, or a tunnel's line). */
void vpnsip_cfg_changed(struct config *cfg);
void vpnsip_tunnel_sync(struct config *cfg, struct iface_cfg *ifc, bool deleted);
/* clear vpn-sip session: hang up the session's call. */
void vpnsip_session_hangup(struct vpnsip_session *s, const char *why);
/* Sessions in IOS order (caller frees the array). */
struct vpnsip_session **vpnsip_sessions_sorted(size_t *n);

/* ---- local SDP values (fingerprint.c) ----------------------------------- */

/* The local fingerprint of a session's tunnel and the authentication it
 * implies (what SIP sends and what we accept).  The one place that asks
 * the crypto model.  Returns false with a reason (never a key). */
bool vpnsip_local_fingerprint(const struct config *cfg, const char *tunnel,
			      const char *remote_number, enum sdp_hash hash,
			      struct sdp_fingerprint *fp, char *err, size_t errlen);
/* Our IKE/ESP-in-UDP port for a session (the data plane's, once it has one). */
uint16_t vpnsip_local_port(const char *tunnel);

/* ---- debug and logging --------------------------------------------------- */

extern struct debug_flag vpnsip_debug_event, vpnsip_debug_errors;
#define vs_dbg_event(...) dbg(&vpnsip_debug_event, __VA_ARGS__)
#define vs_dbg_error(...) dbg(&vpnsip_debug_errors, __VA_ARGS__)
/* "%VPN_SIP-SEV-MN" lines when "vpn-sip logging" is configured. */
void vpnsip_log(enum log_severity sev, const char *mnemonic, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void vpnsip_show_cli_init(void);

#endif
