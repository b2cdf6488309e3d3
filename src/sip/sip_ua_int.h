/* Inside the SIP user agent: its state and the calls between the files it
 * is made of.  For src/sip only (sofia-sip types inside).
 *
 *   sip_ua.c        the SIP thread: commands in, events out, the nua's life
 *                   (transport, parameters, shutdown), the nua callback,
 *                   the public functions
 *   sip_reg.c       the REGISTER dialogs, one per local number: refresh,
 *                   back-off, the registrar's failures (its ICMP
 *                   unreachable included), their status
 *   sip_call.c      calls: INVITE out and in, answer, reject, hangup,
 *                   re-offers and session refreshes, their ends
 *   sip_ua_guard.c  the guard (sip_guard.h) as the user agent runs it: the
 *                   trusted networks in use, the drain socket, requests
 *                   outside a dialog, dialog peers
 *
 * Thread rules: every function declared here runs on the SIP thread (the
 * su_root's), and so does every nua_* call, in all four files.  Of
 * struct sip_ua, other threads touch only what its comments say: the
 * command queue under lock, the atomics, and what guard_lock covers.
 *
 * Include this before any sofia-sip header: it sets sofia-sip's magic
 * types for the su_root, the nua and its handles. */
#ifndef VPNSIP_SIP_SIP_UA_INT_H
#define VPNSIP_SIP_SIP_UA_INT_H

#define SU_ROOT_MAGIC_T struct sip_ua
#define NUA_MAGIC_T struct sip_ua
#define NUA_HMAGIC_T struct sip_call
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_wait.h>

#include "sip/sip.h"
#include "util/hashmap.h"

#define LEARNT_MAX 8             /* registrar addresses learnt from its answers */

/* ---- owned copies of the settings -------------------------------------- */

struct settings {
	bool enabled;
	char *local_number, *local_addr, *server, *domain, *username, *password;
	char *dns_servers;
	char **numbers;           /* every local number, local_number first */
	size_t n_numbers;
	uint16_t local_port, server_port;
	bool server_port_set;
	unsigned expires, session_expires, call_timeout;
	enum sip_uri_form uri_form;
	struct sip_net *servers, *trusted;
	size_t n_servers, n_trusted;
	struct sip_limits limits;
};

/* Usable: enough to bind and register. */
bool ua_settings_usable(const struct settings *s);

/* ---- commands (any thread -> SIP thread) -------------------------------- */

enum cmd_type { CMD_CONFIGURE, CMD_PLACE, CMD_ANSWER, CMD_REJECT, CMD_HANGUP, CMD_STOP };

struct cmd {
	enum cmd_type type;
	uint32_t call;
	int status;
	char *text;   /* PLACE: remote number; REJECT: phrase */
	char *from;   /* PLACE: local number (NULL: the primary) */
	char *sdp;
	struct settings settings;
	struct cmd *next;
};

/* ---- events (SIP thread -> main thread) --------------------------------- */

struct sink {
	atomic_int refs;
	atomic_ulong pending; /* posted, not yet delivered */
	bool closed; /* main thread only */
	sip_event_fn fn;
	void *arg;
};

/* Post ev to the main thread (a copy). */
void ua_post_event(struct sip_ua *ua, const struct sip_event *ev);

/* ---- the UA ------------------------------------------------------------ */

/* One REGISTER dialog: one per local number. */
struct reg {
	struct sip_ua *ua;
	char *number;
	nua_handle_t *nh;
	struct sip_reg_status st;
	int auth_tries;
	unsigned backoff_s;
	su_timer_t *retry_timer;
	bool leaving;     /* unregistering: freed on the answer */
};

/* One call, named by its handle; its nua handle's magic. */
struct sip_call {
	uint32_t id;
	nua_handle_t *nh;
	bool outgoing;
	bool offered;     /* incoming, waiting for answer/reject from the orchestrator */
	bool answered;    /* 2xx sent or received */
	bool acked;       /* incoming: our 2xx was acknowledged */
	bool ended;       /* ENDED event posted */
	bool bye_sent;
	bool cancel_sent;
	bool remote_known; /* remote_addr/port: the peer's SDP at setup */
	uint32_t peer;     /* its Contact address let through the kernel steering, 0: none */
	uint32_t peer_contact; /* incoming: the caller's Contact address, let through once answered */
	char remote_addr[SDP_ADDR_MAX];
	uint16_t remote_port;
	enum sip_end_cause cause;
	bool have_cause;
	bool cause_local; /* status/phrase are ours, not a response's (sip_event.local) */
	int status;
	char phrase[96];
	char call_id[SIP_CALLID_MAX];
	char *local_sdp;  /* for re-INVITE answers */
	uint64_t offered_ms;
	uint64_t placed_ms;  /* outgoing: when the INVITE left */
	int auth_tries;
	struct sip_ua *ua;
};

/* Up to "SIP thread only": set before the thread starts, or the command
 * queue under lock. */
struct sip_ua {
	struct evloop *loop;
	struct sink *sink;
	pthread_t thread;
	bool thread_ok;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
	struct cmd *head, **tail;
	atomic_uint next_call;

	/* SIP thread only from here on. */
	su_home_t home[1];
	su_root_t *root;
	su_wait_t wait[1];
	nua_t *nua;
	bool nua_shutting;   /* nua_shutdown() issued */
	struct settings cur; /* what the running nua was made from */
	struct settings want;
	bool have_want;
	struct hashmap regs;       /* number -> struct reg */
	struct hashmap reg_by_nh;  /* "%p" of its nua handle -> struct reg */
	unsigned backoff_s;        /* transport (nua_create) back-off */
	su_timer_t *retry_timer, *tick_timer, *stop_timer, *finish_timer;
	struct hashmap calls; /* "%08x" handle -> sip_call */
	int resolv_fd;        /* memfd: resolv.conf for sofia's resolver (-1: none) */
	bool stopping;
	bool stop_done;

	atomic_ulong st_out, st_in, st_rejected, st_answered, st_reg, st_regfail;
	atomic_uint st_active;

	/* The guard (sip_guard.h): SIP thread, except what guard_lock
	 * covers, which "show" reads from the main thread. */
	int drain_fd;              /* -1: no kernel steering */
	su_wait_t drain_wait[1];
	bool drain_registered;
	uint32_t learnt[LEARNT_MAX]; /* registrar addresses (network byte order) */
	size_t n_learnt;
	struct hashmap peers;      /* "%08x" dialog peer address -> its count of calls */
	struct sip_ratelimit rl;
	pthread_mutex_t guard_lock;
	struct sip_net nets[SIP_GUARD_MAX_NETS]; /* every trusted network in use */
	char nets_why[SIP_GUARD_MAX_NETS][16];
	size_t n_nets;
	size_t n_peers;
	bool steering;
	char steering_error[96];
	uint32_t last_untrusted;
	uint16_t last_untrusted_port;
	char last_untrusted_method[16];
	atomic_ulong st_untrusted_dropped, st_untrusted_refused, st_rl_source, st_rl_global;
	atomic_ulong st_busy, st_served, st_pending_max;
	unsigned long drain_overflow; /* the drain socket's own drops (SO_RXQ_OVFL) */
	unsigned trim_ticks, trim_left; /* trim_after_bursts() */
	unsigned long trim_seen;
};

static inline void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static inline bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static inline void addr_text(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { a };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* Answer a 401/407 with the digest credentials (realm from the
 * challenge); false when there are none or *tries ran out. */
bool ua_authenticate(struct sip_ua *ua, nua_handle_t *nh, const sip_t *sip, int *tries);

/* ---- registration (sip_reg.c) ------------------------------------------- */

/* "<sip:NUMBER@DOMAIN>" (NULL number: the primary local number). */
char *reg_aor(const struct settings *s, const char *number);
/* The registrar and outbound proxy: "sip:HOST:PORT", or "sip:NAME" for a
 * name without a configured port (RFC 3263 resolution). */
char *reg_server_url(const struct settings *s);
/* The next back-off after cur seconds (0: none yet): 2, 4, 8 ... 64 s. */
unsigned reg_backoff_next(unsigned cur);
/* The REGISTER dialog of a nua handle, NULL if it is not one. */
struct reg *reg_of_nh(struct sip_ua *ua, const nua_handle_t *nh);
/* Same registrar, credentials and expiry (the numbers aside). */
bool regs_settings_same(const struct settings *a, const struct settings *b);
/* The REGISTER dialogs follow cur.numbers. */
void regs_sync(struct sip_ua *ua);
/* Every REGISTER dialog starts over; keep_handles: on the dialogs we have. */
void regs_restart(struct sip_ua *ua, bool keep_handles);
/* Forget every REGISTER dialog (the nua is gone or going); publish: say
 * every number is off. */
void regs_clear(struct sip_ua *ua, bool publish);
/* The nua shuts down: stop retrying, unregister the registered numbers. */
void regs_unregister_all(struct sip_ua *ua);
/* The transport could not be opened: every number failed, next try in
 * backoff_s. */
void regs_transport_failed(struct sip_ua *ua, unsigned backoff_s);
/* An ICMP unreachable for a datagram we sent to addr:port (network byte
 * order address, host byte order port). */
void regs_unreachable(struct sip_ua *ua, uint32_t addr, uint16_t port);
/* nua_r_register, nua_r_unregister. */
void reg_on_register(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh,
		     const sip_t *sip);
void reg_on_unregister(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh);

/* ---- calls (sip_call.c) ------------------------------------------------- */

/* Why the call ends: the first reason given wins. */
void call_set_cause(struct sip_call *c, enum sip_end_cause cause, int status, const char *phrase);
/* "local timeout: WHAT", with sofia-sip's phrase when it says more than
 * the standard one of its internal status ("DNS Error"); never the status
 * itself, which would read as the network's answer. */
void local_failure_text(char *buf, size_t n, const char *what, int status, const char *phrase);
/* The same for an end of our own making (no response came): phrase says what. */
void call_set_local_cause(struct sip_call *c, enum sip_end_cause cause, int status,
			  const char *phrase);
/* Post SIP_EV_CALL_ENDED (once). */
void call_ended(struct sip_ua *ua, struct sip_call *c);
void call_free(struct sip_ua *ua, struct sip_call *c);
/* End every call (BYE, CANCEL or 480) and forget it. */
void calls_end_all(struct sip_ua *ua, enum sip_end_cause cause, int status, const char *phrase);
/* Once a second: offers never answered, outgoing calls nobody answers. */
void calls_tick(struct sip_ua *ua, uint64_t now);
/* The nua events of calls.  c: the call of the handle, NULL for a new
 * INVITE (admitted by guard_admit() already). */
void call_on_invite(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c, const sip_t *sip);
void call_on_invite_response(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh,
			     struct sip_call *c, const sip_t *sip);
void call_on_update(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c, const sip_t *sip);
void call_refresh_failed(struct sip_call *c, int status, const char *phrase, const char *method);
void call_on_state(struct sip_ua *ua, int status, const char *phrase, struct sip_call *c,
		   tagi_t tags[]);
/* The commands sip_call_place(), sip_call_answer(), sip_call_reject() and
 * sip_call_hangup() queued, run on the SIP thread. */
void call_place(struct sip_ua *ua, struct cmd *cmd);
void call_answer(struct sip_ua *ua, struct cmd *cmd);
void call_reject(struct sip_ua *ua, struct cmd *cmd);
void call_hangup(struct sip_ua *ua, struct cmd *cmd);

/* ---- the guard (sip_ua_guard.c) ----------------------------------------- */

/* A new transport: the drain socket joins its port, the program goes in. */
void guard_attach(struct sip_ua *ua);
/* The transport goes: the drain leaves its port. */
void guard_detach(struct sip_ua *ua);
/* The trusted networks changed (settings, learnt registrar addresses). */
void guard_update(struct sip_ua *ua);
/* The registrar answered: its address becomes trusted. */
void guard_learn(struct sip_ua *ua);
/* A request outside a dialog: 0 to serve it, else the status it was
 * refused with (the answer is out, the handle destroyed). */
int guard_admit(struct sip_ua *ua, nua_handle_t *nh, const char *method, bool invite);
/* In a trusted network; one of the SIP server's addresses. */
bool guard_trusted(const struct sip_ua *ua, uint32_t a);
bool guard_is_server(const struct sip_ua *ua, uint32_t a);
/* The address the current nua event's message came from. */
bool guard_event_source(struct sip_ua *ua, uint32_t *addr, uint16_t *port);
/* A call's peer (its Contact address) is let through while the call
 * lasts; guard_peer_del() when it ends. */
void guard_peer_add(struct sip_ua *ua, struct sip_call *c, uint32_t a);
void guard_peer_del(struct sip_ua *ua, struct sip_call *c);

#endif
