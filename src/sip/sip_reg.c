/* The user agent's registrations: one REGISTER dialog per local number,
 * refreshed by nua, retried with back-off after a failure (the
 * registrar's answer, Timer F, or an ICMP unreachable from it), ended
 * with Expires: 0 when the number goes; their status for "show" goes to
 * the main thread as SIP_EV_REGISTRATION.  SIP thread only, like every
 * nua_* call here; see sip_ua_int.h. */
#include "sip/sip_ua_int.h"

#include <stdlib.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag_io.h>

#include "log/log.h"
#include "sip/sip_int.h"
#include "util/evloop.h"
#include "util/xalloc.h"

#define RETRY_MIN_S 2            /* registration back-off: 2, 4, 8 ... 64 s */
#define RETRY_MAX_S 64

/* ---- the registrar --------------------------------------------------------- */

char *reg_aor(const struct settings *s, const char *number)
{
	return xasprintf("<sip:%s@%s>", number ? number : s->local_number,
			 s->domain ? s->domain : s->server);
}

static bool is_ipv4(const char *host)
{
	struct in_addr a;
	return inet_pton(AF_INET, host, &a) == 1;
}

/* A name without a configured port is resolved as RFC 3263 says
 * (NAPTR/SRV/A); an address gets the port. */
char *reg_server_url(const struct settings *s)
{
	const char *host = s->server ? s->server : s->domain;
	if (!s->server_port_set && !is_ipv4(host))
		return xasprintf("sip:%s", host);
	return xasprintf("sip:%s:%u", host, s->server_port);
}

/* The port REGISTERs go to: an answer we sent to another port of the
 * server's host (a client there that went away) says nothing about the
 * registrar.  A name resolved by SRV may use any port. */
static bool is_server_port(const struct sip_ua *ua, uint16_t port)
{
	const struct settings *s = &ua->cur;
	const char *host = s->server ? s->server : s->domain;
	if (!s->server_port_set && host && !is_ipv4(host))
		return true;
	return port == s->server_port;
}

bool regs_settings_same(const struct settings *a, const struct settings *b)
{
	/* The numbers are not part of it: regs_sync() follows them. */
	return str_eq(a->domain, b->domain) &&
	       str_eq(a->server, b->server) && a->server_port == b->server_port &&
	       a->server_port_set == b->server_port_set &&
	       str_eq(a->username, b->username) && str_eq(a->password, b->password) &&
	       a->expires == b->expires;
}

/* ---- REGISTER dialogs ------------------------------------------------------- */

static void reg_publish(struct sip_ua *ua, const struct reg *r)
{
	struct sip_event ev = { .type = SIP_EV_REGISTRATION };

	if (r)
		ev.reg = r->st;
	ua_post_event(ua, &ev);
}

static void reg_set_state(struct reg *r, enum sip_reg_state st)
{
	if (r->st.state != st)
		sip_dbg_states("SIP registration of %s %s -> %s", r->number,
			       sip_reg_state_name(r->st.state), sip_reg_state_name(st));
	r->st.state = st;
}

static void nh_key(const nua_handle_t *nh, char key[32])
{
	snprintf(key, 32, "%p", (const void *)nh);
}

struct reg *reg_of_nh(struct sip_ua *ua, const nua_handle_t *nh)
{
	char key[32];

	if (!nh)
		return NULL;
	nh_key(nh, key);
	return hashmap_get(&ua->reg_by_nh, key);
}

static void reg_handle_drop(struct reg *r)
{
	char key[32];

	if (!r->nh)
		return;
	nh_key(r->nh, key);
	hashmap_del(&r->ua->reg_by_nh, key);
	nua_handle_destroy(r->nh);
	r->nh = NULL;
}

static void reg_free(struct reg *r)
{
	reg_handle_drop(r);
	su_timer_destroy(r->retry_timer);
	free(r->number);
	free(r);
}

/* keep_handle: a new REGISTER on the dialog we have (the server, domain
 * or expiry changed, the contact did not).  A new handle would make
 * sofia-sip unregister the old one, and that Expires: 0 for the same
 * contact may reach the registrar after the new REGISTER and delete the
 * binding we just made. */
static void reg_start_on(struct reg *r, bool keep_handle)
{
	struct sip_ua *ua = r->ua;
	const struct settings *s = &ua->cur;
	char *to = reg_aor(s, r->number), *registrar = reg_server_url(s), exp[16], key[32];

	if (!keep_handle || !r->nh)
		reg_handle_drop(r);
	su_timer_reset(r->retry_timer);
	snprintf(exp, sizeof(exp), "%u", s->expires);
	r->auth_tries = 0;
	r->leaving = false;
	if (!r->nh) {
		r->nh = nua_handle(ua->nua, NULL, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(to), TAG_END());
		nh_key(r->nh, key);
		hashmap_put(&ua->reg_by_nh, key, r);
	}
	copy_str(r->st.number, sizeof(r->st.number), r->number);
	copy_str(r->st.registrar, sizeof(r->st.registrar), s->domain ? s->domain : s->server);
	copy_str(r->st.contact, sizeof(r->st.contact), s->local_addr);
	copy_str(r->st.transport, sizeof(r->st.transport), "UDP");
	reg_set_state(r, SIP_REG_REGISTERING);
	atomic_fetch_add(&ua->st_reg, 1);
	sip_dbg_events("SIP REGISTER %s via %s, expires %s", to, registrar, exp);
	nua_register(r->nh, NUTAG_M_USERNAME(r->number), NUTAG_REGISTRAR(registrar),
		     SIPTAG_EXPIRES_STR(exp), NUTAG_OUTBOUND("no-options-keepalive no-validate no-natify"),
		     TAG_END());
	free(to);
	free(registrar);
}

static void reg_start(struct reg *r)
{
	reg_start_on(r, false);
}

static void reg_retry_cb(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct reg *r = arg;

	if (r->ua->stopping || r->ua->nua_shutting || !r->ua->nua)
		return;
	reg_start(r);
}

unsigned reg_backoff_next(unsigned cur)
{
	unsigned b = cur ? cur * 2 : RETRY_MIN_S;
	return b > RETRY_MAX_S ? RETRY_MAX_S : b;
}

/* local: no answer came from the registrar (phrase says what happened
 * instead of a status line). */
static void reg_failed(struct reg *r, int status, const char *phrase, bool local)
{
	struct sip_ua *ua = r->ua;
	char what[96];

	atomic_fetch_add(&ua->st_regfail, 1);
	r->backoff_s = reg_backoff_next(r->backoff_s);
	reg_set_state(r, SIP_REG_FAILED);
	r->st.last_status = status;
	r->st.last_local = local;
	copy_str(r->st.last_phrase, sizeof(r->st.last_phrase), phrase);
	r->st.retry_ms = evloop_now_ms() + r->backoff_s * 1000ULL;
	if (local)
		copy_str(what, sizeof(what), phrase);
	else
		snprintf(what, sizeof(what), "%d %s", status, phrase);
	sip_dbg_error("SIP REGISTER of %s failed: %s; retrying in %u s", r->number, what,
		      r->backoff_s);
	log_msg("SIP", SEV_WARNING, "REG_FAIL", "Registration of %s failed: %s; retry in %u s",
		r->number, what, r->backoff_s);
	reg_handle_drop(r);
	if (!ua->stopping)
		su_timer_set_interval(r->retry_timer, reg_retry_cb, r, r->backoff_s * 1000);
	reg_publish(ua, r);
}

static struct reg *reg_new(struct sip_ua *ua, const char *number)
{
	struct reg *r = xcalloc(1, sizeof(*r));

	r->ua = ua;
	r->number = xstrdup(number);
	r->retry_timer = su_timer_create(su_root_task(ua->root), 0);
	copy_str(r->st.number, sizeof(r->st.number), number);
	hashmap_put(&ua->regs, number, r);
	return r;
}

/* The REGISTER dialogs follow cur.numbers: new numbers register, numbers
 * no longer there unregister (REGISTER Expires: 0) and go. */
void regs_sync(struct sip_ua *ua)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);
	struct hashmap want;

	hashmap_init(&want, false);
	for (size_t i = 0; i < ua->cur.n_numbers; i++)
		hashmap_put(&want, ua->cur.numbers[i], ua);
	for (size_t i = 0; i < n; i++) {
		struct reg *r = v[i];
		if (hashmap_get(&want, r->number))
			continue;
		hashmap_del(&ua->regs, r->number);
		bool was = r->st.state == SIP_REG_REGISTERED;
		r->st = (struct sip_reg_status){ .state = SIP_REG_OFF };
		copy_str(r->st.number, sizeof(r->st.number), r->number);
		reg_publish(ua, r);
		if (was && r->nh && ua->nua && !ua->nua_shutting) {
			sip_dbg_events("SIP unregistering %s", r->number);
			r->leaving = true;
			su_timer_reset(r->retry_timer);
			nua_unregister(r->nh, TAG_END());
			continue; /* freed on the answer */
		}
		reg_free(r);
	}
	free(v);
	hashmap_clear(&want);
	for (size_t i = 0; i < ua->cur.n_numbers && ua->nua && !ua->nua_shutting; i++)
		if (!hashmap_get(&ua->regs, ua->cur.numbers[i]))
			reg_start(reg_new(ua, ua->cur.numbers[i]));
}

/* Every REGISTER dialog starts over (what a registration is changed);
 * keep_handles: on the same transport, re-REGISTER on the dialogs we have. */
void regs_restart(struct sip_ua *ua, bool keep_handles)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);

	for (size_t i = 0; i < n; i++) {
		struct reg *r = v[i];
		r->backoff_s = 0;
		if (!r->leaving)
			reg_start_on(r, keep_handles);
	}
	free(v);
	regs_sync(ua);
}

/* The nua shuts down (nua_teardown()): no more retries; the registered
 * numbers unregister. */
void regs_unregister_all(struct sip_ua *ua)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);

	for (size_t i = 0; i < n; i++) {
		struct reg *r = v[i];
		su_timer_reset(r->retry_timer);
		if (r->nh && r->st.state == SIP_REG_REGISTERED) {
			sip_dbg_events("SIP unregistering %s", r->number);
			nua_unregister(r->nh, TAG_END());
		}
	}
	free(v);
}

/* No transport (nua_create() failed): every number failed with 503, the
 * next attempt (of the transport) in backoff_s. */
void regs_transport_failed(struct sip_ua *ua, unsigned backoff_s)
{
	for (size_t i = 0; i < ua->cur.n_numbers; i++) {
		struct reg *r = hashmap_get(&ua->regs, ua->cur.numbers[i]);
		if (!r)
			r = reg_new(ua, ua->cur.numbers[i]);
		atomic_fetch_add(&ua->st_regfail, 1);
		reg_set_state(r, SIP_REG_FAILED);
		r->st.last_status = 503;
		r->st.last_local = true;
		copy_str(r->st.last_phrase, sizeof(r->st.last_phrase),
			 "local: no SIP transport on the local address");
		r->st.retry_ms = evloop_now_ms() + backoff_s * 1000ULL;
		reg_publish(ua, r);
	}
}

/* Forget every REGISTER dialog (the nua is gone or going). */
void regs_clear(struct sip_ua *ua, bool publish)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);

	for (size_t i = 0; i < n; i++)
		reg_free(v[i]);
	free(v);
	hashmap_clear(&ua->regs);
	hashmap_init(&ua->regs, false);
	/* Handles of numbers still unregistering. */
	v = hashmap_values(&ua->reg_by_nh, &n);
	for (size_t i = 0; i < n; i++)
		reg_free(v[i]);
	free(v);
	hashmap_clear(&ua->reg_by_nh);
	hashmap_init(&ua->reg_by_nh, false);
	if (publish)
		reg_publish(ua, NULL);
}

/* ---- the registrar's answers ------------------------------------------------ */

void reg_on_register(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh,
		     const sip_t *sip)
{
	struct reg *r = reg_of_nh(ua, nh);

	if (r && status >= 200)
		guard_learn(ua);
	if (!r || r->leaving || status < 200)
		return;
	if ((status == 401 || status == 407) && ua_authenticate(ua, nh, sip, &r->auth_tries))
		return;
	if (status >= 300 && nta_sip_is_internal(sip)) {
		/* Our transaction layer's (no message, or nta's internal one):
		 * Timer F, or the registrar unreachable (sofia-sip says 503),
		 * not the registrar's answer. */
		char what[96];
		local_failure_text(what, sizeof(what),
				   status == 408 ? "no response from the registrar"
						 : "registrar unreachable",
				   status, phrase);
		reg_failed(r, status, what, true);
		return;
	}
	if (status >= 300) {
		reg_failed(r, status, phrase, false);
		return;
	}
	unsigned granted = ua->cur.expires;
	if (sip && sip->sip_contact) {
		/* Our binding's expires parameter, else the Expires header. */
		for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
			if (m->m_url->url_host && ua->cur.local_addr &&
			    strcmp(m->m_url->url_host, ua->cur.local_addr) == 0 && m->m_expires) {
				granted = (unsigned)strtoul(m->m_expires, NULL, 10);
				break;
			}
		}
	} else if (sip && sip->sip_expires) {
		granted = (unsigned)sip->sip_expires->ex_delta;
	}
	r->backoff_s = 0;
	reg_set_state(r, SIP_REG_REGISTERED);
	r->st.last_status = status;
	r->st.last_local = false;
	copy_str(r->st.last_phrase, sizeof(r->st.last_phrase), phrase);
	r->st.expires = granted;
	r->st.registered_ms = evloop_now_ms();
	r->st.retry_ms = 0;
	if (sip && sip->sip_call_id)
		copy_str(r->st.call_id, sizeof(r->st.call_id), sip->sip_call_id->i_id);
	sip_dbg_events("SIP registered %s, expires %u", r->number, granted);
	reg_publish(ua, r);
}

/* The answer to an unregistration (a removed number, or shutdown). */
void reg_on_unregister(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh)
{
	struct reg *r = reg_of_nh(ua, nh);

	if (!r || status < 200)
		return;
	sip_dbg_events("SIP unregistered %s: %d %s", r->number, status, phrase);
	if (r->leaving) {
		reg_free(r);
		return;
	}
	reg_set_state(r, SIP_REG_OFF);
}

/* An ICMP unreachable that the drain socket got for a datagram of ours
 * (sip_ua_guard.c): "port unreachable" from the SIP server's REGISTER
 * port fails the REGISTERs outstanding there at once, as sofia-sip does
 * when the error reaches its own socket; otherwise they would wait for
 * Timer F (32 s) and the back-off would stretch. */
void regs_unreachable(struct sip_ua *ua, uint32_t addr, uint16_t port)
{
	char a[INET_ADDRSTRLEN];

	if (!guard_is_server(ua, addr) || !is_server_port(ua, port))
		return;
	addr_text(addr, a);
	sip_dbg_error("SIP ICMP unreachable from %s:%u", a, port);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&ua->regs, e));) {
		struct reg *r = e->value;
		/* A first REGISTER or a refresh (registered, handle kept). */
		if (r->nh && !r->leaving && (r->st.state == SIP_REG_REGISTERING ||
					     r->st.state == SIP_REG_REGISTERED))
			reg_failed(r, 503, "local timeout: registrar unreachable (ICMP port unreachable)",
				   true);
	}
}

const char *sip_reg_state_name(enum sip_reg_state s)
{
	switch (s) {
	case SIP_REG_OFF: return "off";
	case SIP_REG_REGISTERING: return "registering";
	case SIP_REG_REGISTERED: return "registered";
	case SIP_REG_FAILED: return "failed";
	}
	return "?";
}
