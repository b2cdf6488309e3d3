/* Inside the orchestrator: the configuration model, the sessions, and the
 * seams between its files (cfg: model and commands; session: runtime and
 * the state machine's core; session_sip: SIP's call events; session_ike:
 * the data plane's and IKE's events; ua: the user agent's settings and
 * registrations; cdr: call-detail records; port_alloc.h: answerers' IKE
 * ports; show: show/clear commands; fingerprint: local SDP values). */
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
#include "vpnsip/peer.h"
#include "vpnsip/port_alloc.h"
#include "vpnsip/vpnsip.h"

#define VPNSIP_NUMBER_MAX 32
#define VPNSIP_DEFAULT_EXPIRES 3600
#define VPNSIP_CALL_TIMEOUT 30     /* s an outgoing call may ring */
#define VPNSIP_SESSION_EXPIRES 300 /* RFC 4028, as in TS-1017 Appendix II */
#define VPNSIP_IKE_PORT 4500
/* Teardown and retry timing (docs/session.md). */
#define VPNSIP_DELETE_WAIT_MS 2000   /* answer to our INFORMATIONAL delete */
#define VPNSIP_PEER_BYE_WAIT_MS 2000 /* the peer deleted the SAs: its BYE should follow */
#define VPNSIP_SA_DROP_MS 100        /* peer's BYE while SAs exist: remove them now */
#define VPNSIP_IKE_SETUP_MS 30000    /* NEGOTIATING_IKE longer than this fails */
#define VPNSIP_RETRY_BASE_S 5        /* back-off after a failure: 5, 10, 20 ... */
#define VPNSIP_RETRY_MAX_S 300
#define VPNSIP_RATE_CALLS 10         /* at most this many call attempts per tunnel */
#define VPNSIP_RATE_WINDOW_S 600     /* ... in any window this long */
#define VPNSIP_QUIESCE_MS 5000       /* SIGTERM: longest wait for teardowns */
#define VPNSIP_CDR_KEEP 200          /* show vpn-sip call-history: the newest records */
#define VPNSIP_TRUSTED_MAX 32        /* vpn-sip trusted-source lines (the rest of
				      * SIP_GUARD_MAX_NETS: servers, registrar) */
/* Unknown or unconfigured caller: 603 Decline (docs/sip.md). */
#define VPNSIP_REJECT_UNKNOWN 603

/* Global "vpn-sip ..." settings: the configuration's part of VPN-SIP. */
struct vpnsip_cfg {
	bool enabled;                /* vpn-sip enable */
	bool logging;                /* vpn-sip logging */
	/* "vpn-sip local-number N address ipv4 IF", one line per number (issue
	 * 9): each registers on its own; every number uses the one interface. */
	char **numbers;              /* in configuration order */
	size_t n_numbers, cap_numbers;
	struct hashmap number_set;   /* number -> numbers[] entry: O(1) membership */
	const char *local_number;    /* numbers[0], the primary (NULL: none) */
	char *addr_iface;
	char *tunnel_source;         /* vpn-sip tunnel source LoopbackM (reserved) */
	bool has_server;             /* vpn-sip sip-server ipv4:A[:P] */
	struct in_addr server;
	uint16_t server_port;        /* 0: default */
	char *domain;                /* vpn-sip sip-domain */
	char *username, *password;   /* vpn-sip sip-credentials (password plain in memory) */
	enum sip_uri_form uri_form;  /* vpn-sip request-uri tel|sip */
	enum sdp_hash hash;          /* vpn-sip fingerprint hash */
	unsigned expires;            /* vpn-sip registration expires; 0: default */
	unsigned call_timeout;       /* vpn-sip call-timeout; 0: default */
	unsigned max_call_s;         /* vpn-sip max-call-duration; 0: none */
	/* vpn-sip trusted-source A [MASK], in configuration order. */
	struct sip_net *trusted;
	size_t n_trusted, cap_trusted;
	/* vpn-sip rate-limit per-source|global RATE [burst N]; 0: defaults. */
	struct sip_limits limits;
	struct hashmap remotes;      /* "LOCAL/REMOTE" pair -> tunnel name (owned copy) */
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
/* Is number one of the global local numbers? */
bool vpnsip_cfg_has_number(const struct vpnsip_cfg *c, const char *number);
/* The key of a (local, remote) number pair in the maps that use one. */
#define VPNSIP_PAIR_KEY_MAX (2 * VPNSIP_NUMBER_MAX + 2)
void vpnsip_pair_key(const char *local, const char *remote, char *buf, size_t n);
const struct vpnsip_tunnel *vpnsip_tunnel_get(const struct iface_cfg *ifc);
/* The idle time the tunnel's IPsec SAs get (its protection profile's,
 * else the global one; 0: none) and that profile's name (NULL: no "tunnel
 * protection" or its profile is not configured, so no IKE either). */
unsigned vpnsip_tunnel_idle_time(const struct config *cfg, const struct iface_cfg *ifc,
				 const char **profile);

/* ---- sessions (session.c) ---------------------------------------------- */

enum vpnsip_state {
	VS_READY_TO_CONNECT = 0,
	VS_CALLING,          /* our INVITE is out */
	VS_ANSWERING,        /* we answered an INVITE, waiting for its ACK */
	VS_NEGOTIATING_IKE,  /* SDP agreed: IKE's turn */
	VS_SESSION_UP,       /* IKE SA up */
	VS_DELETING_SA,      /* INFORMATIONAL delete sent: BYE once answered */
	VS_DISCONNECTING,    /* BYE/CANCEL sent (or the peer's awaited) */
};
const char *vpnsip_state_name(enum vpnsip_state s);

struct vpnsip_session {
	char *tunnel;
	char *local_number, *remote_number;
	unsigned bw_conf;
	char *service_policy;
	enum vpnsip_state state;
	bool initiator;              /* we placed the call */
	bool ike_initiator;          /* our a=ike-setup is active */
	uint32_t crypto_handle;
	uint32_t sip_handle;         /* 0: no call */
	char call_id[SIP_CALLID_MAX];
	struct in_addr local_addr;
	uint16_t local_port;
	/* The remote end as its SDP said (zero: no call yet); bandwidth
	 * 0 until negotiated. */
	struct vpnsip_peer peer;
	char port_key[SDP_ADDR_MAX + 8]; /* our entry in rt->ports ("" : none) */
	enum sdp_fp_kind auth;
	uint64_t since_ms;           /* the call's start, for Uptime */
	/* Teardown and failures. */
	char cause[192];             /* why the call ends (first reason wins) */
	bool failed;                 /* this attempt counts for the back-off */
	bool shut;                   /* the tunnel is shut down: no calls */
	bool reached_up;             /* SESSION_UP was reached in this call */
	bool ike_started;            /* the IKE engine was given this call */
	unsigned fail_count;         /* consecutive failed attempts */
	/* The last failure an operator should see without debug ("Last
	 * failure:" of show vpn-sip session detail): a call not placed, or an
	 * attempt that failed; when (wall clock, ms; 0: none). */
	char last_fail[192];
	int64_t last_fail_ms;
	uint64_t retry_at_ms;        /* evloop_now_ms() when retry_timer fires */
	char not_placed[192];        /* the reason last logged for traffic that placed
				      * no call ("" : none since the last call) */
	struct ev_timer *step_timer; /* IKE setup limit, or the peer's BYE grace */
	struct ev_timer *dur_timer;  /* vpn-sip max-call-duration */
	struct ev_timer *retry_timer;/* back-off: no trigger-placed call until it fires */
	struct ev_timer *ack_timer;  /* our 200 OK: its ACK (or IKE) within SIP_OFFER_TIMEOUT_MS */
	uint64_t attempts[VPNSIP_RATE_CALLS]; /* ring of recent attempt times (ms) */
	unsigned attempt_next;
	/* Call-detail record of the current call. */
	int64_t cdr_start, cdr_answer;  /* wall clock, ms; 0: not yet */
	uint64_t bytes_in0, bytes_out0; /* tunnel counters at the answer */
};

/* One finished call ("show vpn-sip call-history", the CDR log line, a
 * line of the call-history file). */
struct vpnsip_cdr {
	char tunnel[32];
	char local[VPNSIP_NUMBER_MAX];
	char remote[VPNSIP_NUMBER_MAX];
	char call_id[SIP_CALLID_MAX];
	bool outgoing;
	int64_t start_ms, answer_ms, end_ms; /* wall clock; answer 0: never */
	uint64_t bytes_in, bytes_out;
	char cause[192];
};

/* Runtime (vpnsipd only). */
struct vpnsip_rt {
	struct evloop *loop;
	struct config *cfg;
	struct sip_ua *ua;
	struct hashmap by_tunnel;  /* nocase tunnel name -> session */
	struct hashmap by_pair;    /* "LOCAL/REMOTE" numbers -> session */
	struct hashmap by_handle;  /* "%08x" SIP handle -> session */
	struct hashmap by_callid;  /* Call-ID -> session */
	struct hashmap regs;       /* local number -> struct sip_reg_status (owned) */
	struct vpnsip_ports ports; /* answerers' IKE ports (port_alloc.h) */
	char sip_server[64];       /* what the UA was given, for show */
	char sip_server_src[16];   /* "static", "DHCP" */
	char sip_domain[128];
	char local_addr[INET_ADDRSTRLEN];
	char local_addr_src[16];   /* "configured", "DHCP", "kernel" */
	bool no_addr_logged;       /* %VPN_SIP-4-NO_ADDRESS said, the address still missing */
	uint32_t next_crypto;
	unsigned long rejected_unknown, rejected_488;
	unsigned long rejected_addr;   /* 488: the c= address breaks a rule */
	unsigned long released_no_ack; /* answered, never acknowledged: tunnel released */
	size_t n_active;           /* sessions not in READY_TO_CONNECT */
	bool quiescing;            /* SIGTERM: no new calls */
	void (*quiesce_done)(void *);
	void *quiesce_arg;
	struct ev_timer *quiesce_timer;
	unsigned long calls_failed, calls_backed_off, calls_rate_limited;
	/* VPN-SIP switched off during calls: the user agent gets its new
	 * settings once the calls ended (SAs, then BYE), or at this timer. */
	bool apply_deferred;
	struct ev_timer *apply_timer;
	struct late_bye *late_byes; /* BYEs of removed sessions, after their SA delete */
};
struct vpnsip_rt *vpnsip_rt(void); /* NULL outside vpnsipd */

/* The configuration changed (global lines, or a tunnel's line). */
void vpnsip_cfg_changed(struct config *cfg);
void vpnsip_tunnel_sync(struct config *cfg, struct iface_cfg *ifc, bool deleted);
/* End the session's call in TS-1017 4.2 order: delete the SAs, then BYE.
 * failure: the attempt counts for the retry back-off. */
void vpnsip_session_teardown(struct vpnsip_session *s, const char *why, bool failure);
/* clear vpn-sip session (not a failure). */
void vpnsip_session_hangup(struct vpnsip_session *s, const char *why);
/* The registration of a local number (NULL: none known). */
const struct sip_reg_status *vpnsip_reg_status(const char *number);
/* Sessions in IOS order (caller frees the array). */
struct vpnsip_session **vpnsip_sessions_sorted(size_t *n);

/* ---- the state machine's files (session*.c, ua.c) ---------------------------
 * Shared among session.c (the core), session_sip.c, session_ike.c and ua.c;
 * each reaches the runtime through vpnsip_rt(). */

struct ev_timer;
struct ifstate;
struct netmon_dev;

/* session.c: the key of a SIP handle in rt->by_handle ("%08x"). */
void vpnsip_handle_key(uint32_t h, char key[16]);
/* session.c: a transition (keeps rt->n_active). */
void vpnsip_set_state(struct vpnsip_session *s, enum vpnsip_state st);
/* session.c: cancel a timer if it runs; *t is NULL after. */
void vpnsip_timer_stop(struct ev_timer **t);
/* session.c: why the call ends (the first reason wins). */
void vpnsip_set_cause(struct vpnsip_session *s, const char *why);
/* session.c: whether a session in state st may hold SAs. */
bool vpnsip_sas_may_exist(const struct vpnsip_session *s, enum vpnsip_state st);
/* session.c: ask the IKE engine to delete the SAs; true: a delete is under way. */
bool vpnsip_sa_delete(struct vpnsip_session *s, unsigned timeout_ms);
/* session.c: the retry back-off's timer: traffic may call again. */
void vpnsip_retry_fire(struct ev_timer *t, void *arg);
/* session.c: the attempt failed (or could not start): drop the packets
 * that wait for it in the data plane's trigger queue. */
void vpnsip_trigger_queue_drop(struct vpnsip_session *s);
/* session.c: no trigger-placed call for delay_s (the back-off). */
void vpnsip_retry_arm(struct vpnsip_session *s, unsigned delay_s);
/* session.c: remember why the session failed (show's "Last failure:"). */
void vpnsip_last_failure(struct vpnsip_session *s, const char *why);
/* session.c: forget the call: back to READY_TO_CONNECT; a CDR, and after
 * a failure the retry back-off. */
void vpnsip_call_reset(struct vpnsip_session *s);
/* session.c: BYE (or CANCEL) now; the call ends with SIP_EV_CALL_ENDED. */
void vpnsip_send_bye(struct vpnsip_session *s);
/* session_ike.c: s->peer holds the peer's SDP: IKE's turn. */
void vpnsip_session_negotiated(struct vpnsip_session *s);
/* session_sip.c: vpnsip_call(); *logged: the reason was logged already. */
int vpnsip_call_try(const char *tunnel_name, const char **why, bool *logged);
/* session_sip.c: every event of the SIP user agent (sip_ua_start's listener). */
void vpnsip_on_sip_event(const struct sip_event *ev, void *arg);
/* ua.c: give the user agent its settings from the configuration and the
 * SIP interface's state. */
void vpnsip_apply_sip(void);
/* ua.c: the calls a deferred apply waited for have ended. */
void vpnsip_apply_check(void);
/* ua.c: the ifstate_changed subscriber (the SIP interface's address, lease). */
void vpnsip_on_ifstate(const struct ifstate *st, unsigned what, void *arg);
/* ua.c: the netmon_dev_changed subscriber (an address the OS gave the SIP interface). */
void vpnsip_on_netmon(const struct netmon_dev *d, unsigned what, void *arg);
/* ua.c: one number's registration as the user agent reports it. */
void vpnsip_on_registration(const struct sip_reg_status *reg);

/* ---- call-detail records (cdr.c) ------------------------------------------ */

#define VPNSIP_CDR_FILE "call-history.jsonl"   /* in the state directory */
#define VPNSIP_CDR_ROTATE_BYTES (1024 * 1024) /* then FILE.1, FILE.2 ... */
#define VPNSIP_CDR_ROTATIONS 3                  /* FILE.1 .. FILE.3 kept */

/* The current call of a session: it starts (the INVITE goes out or
 * comes in), it is answered (SDPs agreed: the tunnel's byte counters
 * from now on), it ended (its record, with the session's cause). */
void vpnsip_cdr_call_started(struct vpnsip_session *s);
void vpnsip_cdr_call_answered(struct vpnsip_session *s);
void vpnsip_cdr_call_ended(const struct vpnsip_session *s);
/* An incoming call we refused (never answered): a record with the
 * refusal as its cause; tunnel "-" when no tunnel has that pair. */
void vpnsip_cdr_call_refused(const char *tunnel, const char *local, const char *remote,
			     const char *call_id, const char *cause);
/* Record a finished call: memory (the newest VPNSIP_CDR_KEEP), the
 * %VPN_SIP-6-CDR log line, and the file once vpnsip_cdr_open() ran. */
void vpnsip_cdr_add(const struct vpnsip_cdr *r);
/* Records kept, i = 0 the oldest; NULL past the end. */
const struct vpnsip_cdr *vpnsip_cdr_get(size_t i);
/* The file in state_dir: its records (and FILE.1's) fill memory, new ones
 * are appended.  A bad line is skipped and logged, never fatal. */
void vpnsip_cdr_open(struct evloop *loop, const char *state_dir);
/* The file's line format (one JSON object, no newline; caller frees) and
 * back: -1 for anything that is not a complete record. */
char *vpnsip_cdr_encode(const struct vpnsip_cdr *r);
int vpnsip_cdr_decode(const char *line, struct vpnsip_cdr *r);
/* "2026-12-07T08:25:13.123Z" (UTC, ms) and back; -1: not that form. */
int vpnsip_cdr_time_format(int64_t ms, char *buf, size_t n);
int vpnsip_cdr_time_parse(const char *s, int64_t *ms);
/* Answer to end in whole seconds; 0 if never answered. */
int64_t vpnsip_cdr_duration_s(const struct vpnsip_cdr *r);

/* Billing totals per remote number and UTC day or month. */
struct vpnsip_cdr_total {
	char remote[VPNSIP_NUMBER_MAX];
	char period[16];          /* "2026-12-07" or "2026-12" */
	unsigned long calls, answered;
	int64_t seconds;          /* sum of the answered calls' durations */
};
struct vpnsip_cdr_summary {
	struct hashmap days, months; /* "REMOTE PERIOD" -> struct vpnsip_cdr_total */
};
void vpnsip_cdr_summary_init(struct vpnsip_cdr_summary *s);
void vpnsip_cdr_summary_add(struct vpnsip_cdr_summary *s, const struct vpnsip_cdr *r);
/* Every record of the file and its rotations (memory's without a file);
 * returns the number of unreadable lines skipped. */
unsigned vpnsip_cdr_summary_load(struct vpnsip_cdr_summary *s);
/* By remote number, then period (caller frees the array, not the totals). */
struct vpnsip_cdr_total **vpnsip_cdr_summary_sorted(const struct vpnsip_cdr_summary *s, bool months,
						     size_t *n);
void vpnsip_cdr_summary_free(struct vpnsip_cdr_summary *s);

/* status.c: a registration's last failure as an operator reads it: the
 * registrar's "403 Forbidden", or what our own stack saw ("local timeout:
 * registrar unreachable ..."), never sofia-sip's internal code. */
const char *vpnsip_reg_last_text(const struct sip_reg_status *r, char *buf, size_t n);

/* ---- management agents' copies and events (info.c) ------------------------ */

void vpnsip_session_info_fill(const struct vpnsip_session *s, struct vpnsip_session_info *i);
/* Does vpnsip_session_down have a subscriber (copy the call before it is reset)? */
bool vpnsip_event_observed(void);
void vpnsip_event_session_up(const struct vpnsip_session *s);
void vpnsip_event_session_down(const struct vpnsip_session_info *i, const char *cause);
void vpnsip_event_registration_lost(const struct sip_reg_status *now);

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
void vpnsip_debug_register(void); /* with the vpn-sip commands */
#define vs_dbg_event(...) dbg(&vpnsip_debug_event, __VA_ARGS__)
#define vs_dbg_error(...) dbg(&vpnsip_debug_errors, __VA_ARGS__)
/* "%VPN_SIP-SEV-MN" lines when "vpn-sip logging" is configured. */
void vpnsip_log(enum log_severity sev, const char *mnemonic, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void vpnsip_show_cli_init(void);

#endif
