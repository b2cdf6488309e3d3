/* The SIP user agent: sofia-sip's nua on a thread of its own.
 *
 * Every nua_* call happens on the SIP thread.  The rest of the daemon talks
 * to it through this interface only:
 *
 *   commands (any thread, normally main): queued to the SIP thread through
 *     an eventfd registered with its su_root; they carry copies;
 *   events (SIP thread -> main thread): posted with evloop_post() and
 *     delivered to the sip_event_fn on the main thread; they carry copies
 *     (numbers, Call-ID, the parsed SDP), never a nua handle.
 *
 * Calls are named by a handle (uint32_t, never 0) that sip_call_place()
 * returns for outgoing calls and SIP_EV_CALL_OFFERED announces for
 * incoming ones.  A handle is valid until its SIP_EV_CALL_ENDED.
 *
 * The user agent knows SIP and SDP; it knows nothing of tunnels or IKE.  It
 * does not decide whether to accept a call: the orchestrator answers every
 * SIP_EV_CALL_OFFERED with sip_call_answer() or sip_call_reject() (an offer
 * it never answers is rejected with 480 after SIP_OFFER_TIMEOUT_MS). */
#ifndef VPNSIP_SIP_SIP_H
#define VPNSIP_SIP_SIP_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/sdp.h"
#include "sip/sip_guard.h"

struct evloop;
struct sip_ua;

#define SIP_NUMBER_MAX 64
#define SIP_CALLID_MAX 128
#define SIP_PORT_DEFAULT 5060
#define SIP_OFFER_TIMEOUT_MS 10000
#define SIP_CALL_TIMEOUT_DEFAULT 30

enum sip_uri_form {
	SIP_URI_TEL = 0, /* tel:NUMBER;phone-context=DOMAIN (TS-1017 examples) */
	SIP_URI_SIP,     /* sip:NUMBER@DOMAIN */
};

/* What the user agent should be.  sip_ua_configure() copies it; calling it
 * again with equal settings does nothing, so the orchestrator may call it
 * after every change that might matter. */
struct sip_settings {
	bool enabled;              /* false: unregister, end calls, close the socket */
	const char *local_number;  /* user part of From/Contact, REGISTER To */
	const char *local_addr;    /* IPv4 address to bind and put in Contact/Via; NULL: none yet */
	uint16_t local_port;       /* 0: 5060 */
	const char *server;        /* registrar and outbound proxy (IPv4 or name); NULL: domain */
	uint16_t server_port;      /* 0: 5060 */
	const char *domain;        /* SIP domain (From/To/Request-URI host) */
	const char *username;      /* digest credentials, NULL: none */
	const char *password;
	unsigned expires;          /* REGISTER Expires we ask for, seconds */
	unsigned session_expires;  /* RFC 4028 Session-Expires of our INVITEs; 0: none */
	enum sip_uri_form uri_form;
	/* Added after v1 (zero keeps the old behaviour): */
	unsigned call_timeout;     /* s an outgoing INVITE may stay unanswered before
				    * CANCEL (cause SIP_END_TIMEOUT); 0: SIP_CALL_TIMEOUT_DEFAULT */
	const char *dns_servers;   /* space-separated IPv4 name servers for resolving a
				    * server name (DHCP option 6); NULL: /etc/resolv.conf */
	/* Every local number, local_number among them: each has
	 * its own REGISTER dialog (refresh, back-off, unregister at the end)
	 * and SIP_EV_REGISTRATION events name it in reg.number.  0: the
	 * local_number alone. */
	const char *const *local_numbers;
	size_t n_local_numbers;
	/* Who may send requests outside a dialog (docs/security.md): the
	 * server when it is an IPv4 address, these servers (DHCP option 120's
	 * addresses), the addresses the registrar answered from, and the
	 * trusted networks ("vpn-sip trusted-source").  Others get no answer.
	 * The global rate limit counts the trusted networks' requests only:
	 * a flood from one of them does not starve the carrier's server. */
	const struct sip_net *servers;
	size_t n_servers;
	const struct sip_net *trusted;
	size_t n_trusted;
	/* Token buckets for requests outside a dialog (0: the defaults of
	 * sip_guard.h); above them the answer is 503 with Retry-After. */
	struct sip_limits limits;
};

enum sip_reg_state {
	SIP_REG_OFF = 0,      /* disabled or no local address */
	SIP_REG_REGISTERING,  /* request outstanding */
	SIP_REG_REGISTERED,
	SIP_REG_FAILED,       /* last attempt failed; retrying with back-off */
};

struct sip_reg_status {
	enum sip_reg_state state;
	int last_status;              /* of the last REGISTER answer, 0: none */
	char last_phrase[96];
	/* The last failure was our own stack's: no answer came from the
	 * network (timeout, the registrar unreachable, no transport).
	 * last_phrase then says what happened ("local timeout: ..."), and
	 * last_status is only sofia-sip's internal code. */
	bool last_local;
	char number[SIP_NUMBER_MAX];
	char registrar[128];          /* "destination": the domain (or server) */
	char contact[96];             /* contact address */
	char transport[8];            /* "UDP" */
	char call_id[SIP_CALLID_MAX];
	unsigned expires;             /* granted by the registrar, seconds */
	uint64_t registered_ms;       /* evloop_now_ms() of the last 2xx */
	uint64_t retry_ms;            /* evloop_now_ms() of the next attempt after a failure */
};

enum sip_end_cause {
	SIP_END_LOCAL = 0,   /* we hung up, cancelled or rejected */
	SIP_END_REMOTE_BYE,  /* the peer sent BYE */
	SIP_END_CANCELLED,   /* the caller cancelled before we answered */
	SIP_END_REJECTED,    /* our INVITE got a final error from the network (a 408 too) */
	SIP_END_TIMEOUT,     /* ours (sip_event.local): no answer, lost transaction,
			      * server unreachable; the session timer expired, a
			      * refresh's 408/481 */
	SIP_END_ERROR,       /* transport or internal failure */
};

enum sip_event_type {
	SIP_EV_REGISTRATION = 1, /* reg: new registration status of reg.number
				  * ("" : every number is off) */
	SIP_EV_CALL_OFFERED,     /* an initial INVITE: caller, callee, sdp */
	SIP_EV_CALL_PROGRESS,    /* our INVITE: a provisional answer (status), call_id known */
	SIP_EV_CALL_ANSWERED,    /* outgoing: 2xx with the answer SDP (ACK sent);
				  * incoming: our 2xx was ACKed (has_sdp false) */
	SIP_EV_CALL_ENDED,       /* cause, status/phrase; the handle is dead afterwards */
};

struct sip_event {
	enum sip_event_type type;
	uint32_t call;                 /* 0 for SIP_EV_REGISTRATION */
	char call_id[SIP_CALLID_MAX];  /* the dialog's Call-ID ("" if not known yet) */
	/* OFFERED: the asserted caller (user part of P-Asserted-Identity
	 * from a trusted hop, else From) and the called number (P-Called-Party-ID, To, or the
	 * Request-URI). */
	char caller[SIP_NUMBER_MAX];
	char callee[SIP_NUMBER_MAX];
	/* OFFERED, ANSWERED: the peer's SDP. */
	bool has_sdp;
	enum sdp_error sdp_err;        /* SDP_OK when sdp is valid */
	struct sdp_ike sdp;
	/* PROGRESS, ANSWERED, ENDED. */
	int status;
	char phrase[96];
	/* ENDED: status and phrase are our own stack's, no answer came from
	 * the network (transaction timeout, server unreachable, our CANCEL
	 * after call-timeout, session timer); phrase says what happened. */
	bool local;
	enum sip_end_cause cause;
	/* REGISTRATION. */
	struct sip_reg_status reg;
};

/* Runs on the main thread (the evloop's). ev is valid during the call. */
typedef void (*sip_event_fn)(const struct sip_event *ev, void *arg);

/* Start the SIP thread.  Events go to fn(ev, arg) on loop's thread.
 * NULL if sofia-sip could not be initialized (logged). */
struct sip_ua *sip_ua_start(struct evloop *loop, sip_event_fn fn, void *arg);
/* The sofia-sip version built against ("1.12.11devel"), for show version. */
const char *sip_library_version(void);
/* The "debug vpn-sip sip ..." flags, registered with the vpn-sip commands. */
void sip_debug_register(void);
/* Unregister (REGISTER Expires: 0), end every call (BYE/CANCEL), wait for
 * that up to about 3 s, stop and join the thread.  No event is delivered
 * after this returns. */
void sip_ua_stop(struct sip_ua *ua);
void sip_ua_configure(struct sip_ua *ua, const struct sip_settings *s);

/* Place a call from settings.local_number to remote_number with sdp as the
 * offer.  Returns the new call's handle (0 when the UA is stopped). */
uint32_t sip_call_place(struct sip_ua *ua, const char *remote_number, const char *sdp);
/* The same from one of the local numbers (From, P-Preferred-Identity,
 * Contact user); NULL: settings.local_number. */
uint32_t sip_call_place_from(struct sip_ua *ua, const char *local_number,
			     const char *remote_number, const char *sdp);
/* Answer an offered call 200 OK with sdp. */
void sip_call_answer(struct sip_ua *ua, uint32_t call, const char *sdp);
/* Reject an offered call (status 300..699; the phrase sent is the
 * standard one of the status).  phrase is for the logs, and with 488 the
 * text of a Warning header (399): the SDP rule the offer broke. */
void sip_call_reject(struct sip_ua *ua, uint32_t call, int status, const char *phrase);
/* End a call in any state: CANCEL before the answer, BYE after. */
void sip_call_hangup(struct sip_ua *ua, uint32_t call);

/* Counters for "show vpn-sip sip" (atomics, any thread). */
struct sip_stats {
	unsigned long calls_out, calls_in, calls_rejected, calls_answered;
	unsigned long registers_sent, register_failures;
	unsigned calls_active;
	/* Requests outside a dialog ("show vpn-sip sip statistics"). */
	unsigned long untrusted_dropped;   /* by the kernel steering (no answer) */
	unsigned long untrusted_refused;   /* 403 in the user agent (no kernel steering) */
	unsigned long rate_limited_source, rate_limited_global; /* 503 */
	unsigned long offers_refused_busy; /* 503: too many events for the main thread */
	unsigned long events_pending, events_pending_max; /* SIP thread -> main thread */
	unsigned long requests_served;     /* trusted, within the limits */
	uint32_t last_untrusted;           /* network byte order, 0: none yet */
	uint16_t last_untrusted_port;      /* host byte order */
	char last_untrusted_method[16];
	bool steering;                     /* the kernel layer is installed */
	char steering_error[96];           /* why not, if it is not */
	/* The trusted networks in use (configured, server, learnt). */
	struct sip_net trusted[SIP_GUARD_MAX_NETS];
	char trusted_why[SIP_GUARD_MAX_NETS][16]; /* "configured", "server", "registrar" */
	size_t n_trusted;
	size_t n_peers;                    /* dialog peers let through */
};
void sip_ua_stats(const struct sip_ua *ua, struct sip_stats *out);

const char *sip_reg_state_name(enum sip_reg_state s);
const char *sip_end_cause_name(enum sip_end_cause c);
/* The user part of a tel: or sip: URI text ("<sip:0311@d>" -> "0311");
 * false if none.  Visual separators ('-', '.', '(', ')') of tel numbers are
 * dropped. Pure, for the UA and its tests. */
bool sip_uri_number(const char *uri, char *out, size_t outsize);

#endif
