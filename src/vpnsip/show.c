/* show vpn-sip ..., clear vpn-sip session, vpn-sip call: the layouts of the
 * Cisco VPN-SIP guide (troubleshooting and verification sections). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/json.h"
#include "util/evloop.h"
#include "vpnsip/vpnsip_int.h"

/* The local address a session shows: the call's, or before a call the
 * address the user agent would offer. */
static void session_local_addr(const struct vpnsip_session *s, char *la, size_t n)
{
	struct vpnsip_rt *rt = vpnsip_rt();

	if (s->state != VS_READY_TO_CONNECT)
		inet_ntop(AF_INET, &s->local_addr, la, (socklen_t)n);
	else
		snprintf(la, n, "%s", rt && rt->local_addr[0] ? rt->local_addr : "0.0.0.0");
}

/* Seconds until the retry back-off ends (rounded up); 0: none pending. */
static uint64_t next_attempt_s(const struct vpnsip_session *s)
{
	uint64_t now = evloop_now_ms();

	if (!s->retry_timer || s->retry_at_ms <= now)
		return 0;
	return (s->retry_at_ms - now + 999) / 1000;
}

/* The last failure and what brings the next attempt, so that a backup
 * that does not come up says why without debug. */
static void show_failure(struct cli_exec *x, const struct vpnsip_session *s)
{
	uint64_t next = next_attempt_s(s);

	if (s->last_fail_ms) {
		time_t t = (time_t)(s->last_fail_ms / 1000);
		struct tm tm;
		char when[32];
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		cli_out(x, "  Last failure: %s %s\n", when, s->last_fail);
	}
	if (s->state != VS_READY_TO_CONNECT || !s->last_fail_ms)
		return;
	if (s->shut)
		cli_out(x, "  Next attempt: none (interface shut down)\n");
	else if (next)
		cli_out(x, "  Next attempt in: %llu s (on traffic into %s)\n", (unsigned long long)next,
			s->tunnel);
	else
		cli_out(x, "  Next attempt: on traffic into %s, or vpn-sip call interface %s\n",
			s->tunnel, s->tunnel);
}

static void show_one(struct cli_exec *x, const struct vpnsip_session *s, bool detail)
{
	char ra[VPNSIP_ADDR_TEXT_MAX], la[INET_ADDRSTRLEN], up[32];

	vpnsip_addr_text(&s->peer.addr, ra, sizeof(ra));
	session_local_addr(s, la, sizeof(la));
	cli_out(x, "\nInterface: %s\n", s->tunnel);
	if (s->state == VS_READY_TO_CONNECT)
		cli_out(x, "  Session status: %s\n", vpnsip_state_name(s->state));
	else
		cli_out(x, "  Session status: %s (%s)\n", vpnsip_state_name(s->state),
			s->initiator ? "I" : "R");
	if (s->since_ms) {
		cli_hms_text(evloop_now_ms() - s->since_ms, up, sizeof(up));
		cli_out(x, "  Uptime          : %s\n", up);
	}
	cli_out(x, "  Remote number   : %s\n", s->remote_number);
	cli_out(x, "  Local number    : %s\n", s->local_number);
	cli_out(x, "  Remote address:port: %s:%u\n", ra, s->peer.port);
	cli_out(x, "  Local address:port : %s:%u\n", la, s->local_port);
	if (!detail)
		return;
	cli_out(x, "  Crypto conn handle: 0x%08X\n", s->crypto_handle);
	if (s->sip_handle)
		cli_out(x, "  SIP Handle      : 0x%08X\n", s->sip_handle);
	else
		cli_out(x, "  SIP Handle      : 0x0\n");
	cli_out(x, "  SIP callID      : %s\n", s->call_id);
	cli_out(x, "  Configured/Negotiated bandwidth: %u/%u kbps\n", s->bw_conf, s->peer.bw_kbps);
	if (s->service_policy && s->peer.bw_kbps)
		cli_out(x, "  Applied service policy: %s\n", s->service_policy);
	/* The seed's layout, plus one line when nothing but an operator or
	 * max-call-duration ends a call (docs/session.md). */
	const struct config *cfg = cfg_of(x);
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg);
	const char *profile;
	if (!vpnsip_tunnel_idle_time(cfg, iface_find(&cfg->ifaces, s->tunnel), &profile) && profile) {
		char until[64] = "clear vpn-sip session";
		if (c && c->max_call_s)
			snprintf(until, sizeof(until), "max-call-duration (%u s) or clear vpn-sip session",
				 c->max_call_s);
		cli_out(x, "  Idle timer      : none (IPsec profile %s sets no security-association "
			   "idle-time: a call lasts until %s)\n", profile, until);
	}
	show_failure(x, s);
}

/* The same fields as show_one(), as one object of "sessions". */
static struct json_object *session_json(const struct config *cfg, const struct vpnsip_session *s,
					bool detail)
{
	struct json_object *o = json_object_new_object();
	char ra[VPNSIP_ADDR_TEXT_MAX], la[INET_ADDRSTRLEN];

	vpnsip_addr_text(&s->peer.addr, ra, sizeof(ra));
	session_local_addr(s, la, sizeof(la));
	json_add_str(o, "interface", s->tunnel);
	json_add_str(o, "status", vpnsip_state_name(s->state));
	json_add_str(o, "role", s->state == VS_READY_TO_CONNECT ? NULL :
				s->initiator ? "initiator" : "responder");
	if (s->since_ms)
		json_add_u64(o, "uptimeSeconds", (evloop_now_ms() - s->since_ms) / 1000);
	else
		json_add_str(o, "uptimeSeconds", NULL);
	json_add_str(o, "remoteNumber", s->remote_number);
	json_add_str(o, "localNumber", s->local_number);
	json_add_str(o, "remoteAddress", ra);
	json_add_int(o, "remotePort", s->peer.port);
	json_add_str(o, "localAddress", la);
	json_add_int(o, "localPort", s->local_port);
	if (!detail)
		return o;
	json_add_int(o, "cryptoConnHandle", s->crypto_handle);
	json_add_int(o, "sipHandle", s->sip_handle);
	json_add_str(o, "sipCallId", s->call_id);
	json_add_int(o, "bandwidthConfiguredKbps", s->bw_conf);
	json_add_int(o, "bandwidthNegotiatedKbps", s->peer.bw_kbps);
	json_add_str(o, "servicePolicy", s->service_policy && s->peer.bw_kbps ? s->service_policy : NULL);
	const char *profile;
	unsigned idle = vpnsip_tunnel_idle_time(cfg, iface_find(&cfg->ifaces, s->tunnel), &profile);
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg);
	if (idle)
		json_add_int(o, "idleTimeSeconds", idle);
	else
		json_add_str(o, "idleTimeSeconds", NULL);
	if (c && c->max_call_s)
		json_add_int(o, "maxCallDurationSeconds", c->max_call_s);
	else
		json_add_str(o, "maxCallDurationSeconds", NULL);
	char when[40];
	bool failed = s->last_fail_ms && vpnsip_cdr_time_format(s->last_fail_ms, when, sizeof(when)) == 0;
	json_add_str(o, "lastFailure", s->last_fail_ms ? s->last_fail : NULL);
	json_add_str(o, "lastFailureTime", failed ? when : NULL);
	uint64_t next = next_attempt_s(s);
	if (next && s->state == VS_READY_TO_CONNECT)
		json_add_u64(o, "nextAttemptSeconds", next);
	else
		json_add_str(o, "nextAttemptSeconds", NULL);
	return o;
}

static int cmd_show_session(struct cli_exec *x)
{
	const char *num = cli_opt(x, "num");
	bool detail = cli_has(x, "detail");
	struct json_object *doc = NULL, *list = NULL;
	size_t n;
	struct vpnsip_session **v = vpnsip_sessions_sorted(&n);

	if (cli_has(x, "json")) {
		doc = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(doc, "sessions", list);
	} else {
		cli_out(x, "VPN-SIP session current status\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (num && strcmp(v[i]->remote_number, num) != 0)
			continue;
		if (doc)
			json_object_array_add(list, session_json(cfg_of(x), v[i], detail));
		else
			show_one(x, v[i], detail);
	}
	free(v);
	if (doc)
		cli_out_json(x, doc);
	return CLI_OK;
}

/* One line per tunnel: the fields an operator scans across many branches,
 * from the same sessions as the full form. */
static bool session_peer(const struct vpnsip_session *s, char *buf, size_t n)
{
	if (s->state == VS_READY_TO_CONNECT || s->peer.addr.af == AF_UNSPEC)
		return false;
	vpnsip_addr_text(&s->peer.addr, buf, n);
	return true;
}

static struct json_object *session_brief_json(const struct vpnsip_session *s)
{
	struct json_object *o = json_object_new_object();
	char peer[INET_ADDRSTRLEN];

	json_add_str(o, "interface", s->tunnel);
	json_add_str(o, "status", vpnsip_state_name(s->state));
	json_add_str(o, "role", s->state == VS_READY_TO_CONNECT ? NULL :
				s->initiator ? "initiator" : "responder");
	json_add_str(o, "remoteNumber", s->remote_number);
	json_add_str(o, "peer", session_peer(s, peer, sizeof(peer)) ? peer : NULL);
	json_add_int(o, "bandwidthConfiguredKbps", s->bw_conf);
	json_add_int(o, "bandwidthNegotiatedKbps", s->peer.bw_kbps);
	if (s->since_ms)
		json_add_u64(o, "uptimeSeconds", (evloop_now_ms() - s->since_ms) / 1000);
	else
		json_add_str(o, "uptimeSeconds", NULL);
	return o;
}

static int cmd_show_session_brief(struct cli_exec *x)
{
	struct json_object *doc = NULL, *list = NULL;
	size_t n;
	struct vpnsip_session **v = vpnsip_sessions_sorted(&n);

	if (cli_has(x, "json")) {
		doc = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(doc, "sessions", list);
	} else {
		cli_out(x, "%-12s %-18s %-16s %-15s %-12s %s\n", "Interface", "Status",
			"Remote number", "Peer", "Kbps cfg/neg", "Uptime");
	}
	for (size_t i = 0; i < n; i++) {
		const struct vpnsip_session *s = v[i];
		char peer[INET_ADDRSTRLEN], state[40], bw[24], up[32];
		if (doc) {
			json_object_array_add(list, session_brief_json(s));
			continue;
		}
		if (s->state == VS_READY_TO_CONNECT)
			snprintf(state, sizeof(state), "%s", vpnsip_state_name(s->state));
		else
			snprintf(state, sizeof(state), "%s(%s)", vpnsip_state_name(s->state),
				 s->initiator ? "I" : "R");
		snprintf(bw, sizeof(bw), "%u/%u", s->bw_conf, s->peer.bw_kbps);
		if (s->since_ms)
			cli_hms_text(evloop_now_ms() - s->since_ms, up, sizeof(up));
		else
			snprintf(up, sizeof(up), "-");
		cli_out(x, "%-12s %-18s %-16s %-15s %-12s %s\n", s->tunnel, state, s->remote_number,
			session_peer(s, peer, sizeof(peer)) ? peer : "-", bw, up);
	}
	free(v);
	if (doc)
		cli_out_json(x, doc);
	return CLI_OK;
}

/* Why a number is not registered, in a few words. */
static const char *reg_reason(const struct sip_reg_status *r, char *buf, size_t n)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = rt ? vpnsip_cfg_get(rt->cfg) : NULL;

	if ((!r || r->state == SIP_REG_OFF) && c && c->enabled && c->addr_iface && !rt->local_addr[0]) {
		snprintf(buf, n, "no IPv4 address on %s", c->addr_iface);
		return buf;
	}
	if (r && r->last_status)
		return vpnsip_reg_last_text(r, buf, n);
	switch (r ? r->state : SIP_REG_OFF) {
	case SIP_REG_REGISTERING: return "REGISTER sent, no final answer yet";
	case SIP_REG_FAILED: return "no answer from the registrar";
	case SIP_REG_REGISTERED: return NULL;
	case SIP_REG_OFF: break;
	}
	return "registration is off (VPN-SIP disabled, or no local address or SIP server)";
}

static int cmd_show_regstatus_json(struct cli_exec *x, const struct vpnsip_cfg *c)
{
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	uint64_t now = evloop_now_ms();
	char why[96];

	json_object_object_add(doc, "localNumbers", list);
	for (size_t i = 0; c && i < c->n_numbers; i++) {
		const struct sip_reg_status *r = vpnsip_reg_status(c->numbers[i]);
		bool reg = r && r->state == SIP_REG_REGISTERED;
		struct json_object *o = json_object_new_object();
		json_add_str(o, "number", c->numbers[i]);
		json_add_str(o, "registration", reg ? "registered" : "not registered");
		json_add_str(o, "state", sip_reg_state_name(r ? r->state : SIP_REG_OFF));
		json_add_str(o, "reason", reg ? NULL : reg_reason(r, why, sizeof(why)));
		json_add_str(o, "contact", reg ? r->contact : NULL);
		json_add_str(o, "registrar", reg ? r->registrar : NULL);
		if (reg) {
			uint64_t end = r->registered_ms + r->expires * 1000ULL;
			json_add_u64(o, "expiresSeconds", end > now ? (end - now) / 1000 : 0);
		} else {
			json_add_str(o, "expiresSeconds", NULL);
		}
		/* A failure of our own has no status line: lastLocal, and the
		 * phrase says what happened. */
		if (r && r->last_status && !r->last_local)
			json_add_int(o, "lastStatus", r->last_status);
		else
			json_add_str(o, "lastStatus", NULL);
		json_add_str(o, "lastPhrase", r && r->last_status ? r->last_phrase : NULL);
		json_object_object_add(o, "lastLocal",
				       json_object_new_boolean(r && r->last_status && r->last_local));
		json_object_array_add(list, o);
	}
	cli_out_json(x, doc);
	return CLI_OK;
}

/* One line per local number, in configuration order; a single number
 * prints as IOS prints its one registration. */
static int cmd_show_regstatus(struct cli_exec *x)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg_of(x));

	if (cli_has(x, "json"))
		return cmd_show_regstatus_json(x, c);
	if (!c || !c->n_numbers) {
		cli_out(x, "VPN-SIP local number is not configured\n");
		return CLI_OK;
	}
	for (size_t i = 0; i < c->n_numbers; i++) {
		const struct sip_reg_status *r = vpnsip_reg_status(c->numbers[i]);
		if (r && r->state == SIP_REG_REGISTERED)
			cli_out(x, "SIP registration of local number %s : registered %s\n",
				c->numbers[i], r->contact);
		else {
			char why[96];
			cli_out(x, "SIP registration of local number %s : not registered\n",
				c->numbers[i]);
			if (vpnsip_rt())
				cli_out(x, "  Reason: %s\n", reg_reason(r, why, sizeof(why)));
		}
	}
	return CLI_OK;
}

static int cmd_show_registrar(struct cli_exec *x)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg_of(x));
	uint64_t now = evloop_now_ms();

	cli_out(x, "Line          destination      expires(sec)  contact\n"
		   "transport     call-id\n"
		   "============================================================\n");
	for (size_t i = 0; c && i < c->n_numbers; i++) {
		const struct sip_reg_status *r = vpnsip_reg_status(c->numbers[i]);
		if (!r || r->state != SIP_REG_REGISTERED)
			continue;
		uint64_t end = r->registered_ms + r->expires * 1000ULL;
		unsigned left = end > now ? (unsigned)((end - now) / 1000) : 0;
		cli_out(x, "%-13s %-16s %-13u %s\n%-13s %s\n", r->number, r->registrar, left,
			r->contact, r->transport, r->call_id);
	}
	return CLI_OK;
}

static int cmd_show_sip(struct cli_exec *x)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg_of(x));
	struct sip_stats st;
	size_t n = 0, active = 0;
	struct vpnsip_session **v = vpnsip_sessions_sorted(&n);

	for (size_t i = 0; i < n; i++)
		active += v[i]->state != VS_READY_TO_CONNECT;
	free(v);
	cli_out(x, "VPN-SIP SIP user agent\n");
	cli_out(x, "  VPN-SIP               : %s\n", c && c->enabled ? "enabled" : "disabled");
	cli_out(x, "  Local number          : %s\n", c && c->local_number ? c->local_number : "-");
	cli_out(x, "  Address interface     : %s\n", c && c->addr_iface ? c->addr_iface : "-");
	if (!rt) {
		cli_out(x, "  User agent            : not running\n");
		return CLI_OK;
	}
	sip_ua_stats(rt->ua, &st);
	if (rt->local_addr[0])
		cli_out(x, "  Local address         : %s (%s)\n", rt->local_addr, rt->local_addr_src);
	else
		cli_out(x, "  Local address         : none\n");
	cli_out(x, "  Transport             : UDP port %u\n", SIP_PORT_DEFAULT);
	cli_out(x, "  SIP server            : %s%s%s%s\n", rt->sip_server[0] ? rt->sip_server : "none",
		rt->sip_server_src[0] ? " (" : "", rt->sip_server_src,
		rt->sip_server_src[0] ? ")" : "");
	cli_out(x, "  SIP domain            : %s\n", rt->sip_domain[0] ? rt->sip_domain : "none");
	cli_out(x, "  Request-URI form      : %s\n",
		c && c->uri_form == SIP_URI_SIP ? "sip:NUMBER@DOMAIN" : "tel:NUMBER;phone-context=DOMAIN");
	cli_out(x, "  Fingerprint hash      : %s\n", sdp_hash_name(c ? c->hash : SDP_HASH_SHA1));
	cli_out(x, "  Digest credentials    : %s\n",
		c && c->username ? c->username : "none");
	const struct sip_reg_status *reg = vpnsip_reg_status(c ? c->local_number : NULL);
	cli_out(x, "  Registration          : %s", sip_reg_state_name(reg ? reg->state : SIP_REG_OFF));
	if (reg && reg->last_status && reg->last_local)
		cli_out(x, " (last attempt: %s)", reg->last_phrase);
	else if (reg && reg->last_status)
		cli_out(x, " (last answer %d %s)", reg->last_status, reg->last_phrase);
	if (c && c->n_numbers > 1) {
		size_t up = 0;
		for (size_t i = 0; i < c->n_numbers; i++) {
			const struct sip_reg_status *r = vpnsip_reg_status(c->numbers[i]);
			up += r && r->state == SIP_REG_REGISTERED;
		}
		cli_out(x, "; %zu of %zu local numbers registered", up, c->n_numbers);
	}
	cli_out(x, "\n");
	cli_out(x, "  Registration expires  : %u s requested\n",
		c && c->expires ? c->expires : VPNSIP_DEFAULT_EXPIRES);
	cli_out(x, "  Sessions              : %zu configured, %zu in a call\n", n, active);
	cli_out(x, "  Calls                 : %lu placed, %lu received, %lu answered, %lu rejected\n",
		st.calls_out, st.calls_in, st.calls_answered, st.calls_rejected);
	cli_out(x, "  SIP calls active      : %u\n", st.calls_active);
	cli_out(x, "  Call timeout          : %u s\n",
		c && c->call_timeout ? c->call_timeout : VPNSIP_CALL_TIMEOUT);
	cli_out(x, "  Rejected              : %lu unknown caller (%d), %lu not acceptable (488)\n",
		rt->rejected_unknown, VPNSIP_REJECT_UNKNOWN, rt->rejected_488);
	cli_out(x, "  REGISTER requests     : %lu sent, %lu failed\n", st.registers_sent,
		st.register_failures);
	cli_out(x, "  Untrusted requests    : %lu dropped, %lu refused (show vpn-sip sip statistics)\n",
		st.untrusted_dropped, st.untrusted_refused);
	return CLI_OK;
}

static void limit_text(unsigned rate, unsigned burst, unsigned drate, unsigned dburst, char *buf,
		       size_t n)
{
	snprintf(buf, n, "%u/s, burst %u%s", rate ? rate : drate, rate ? burst : dburst,
		 rate ? "" : " (default)");
}

/* Requests outside a dialog: who may send them, what became of the others
 * (docs/security.md). */
static int cmd_show_sip_stats(struct cli_exec *x)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg_of(x));
	struct sip_stats *st;
	char buf[64], lim[64];

	if (!rt || !rt->ua) {
		cli_out(x, "VPN-SIP SIP user agent is not running\n");
		return CLI_OK;
	}
	st = xcalloc(1, sizeof(*st));
	sip_ua_stats(rt->ua, st);
	cli_out(x, "VPN-SIP SIP requests outside a dialog\n");
	if (st->steering)
		cli_out(x, "  Source filter          : kernel (untrusted datagrams dropped unanswered)\n");
	else
		cli_out(x, "  Source filter          : user agent only (untrusted requests get 403): %s\n",
			st->steering_error);
	for (size_t i = 0; i < st->n_trusted; i++) {
		const char *why = st->trusted_why[i];
		if (strcmp(why, "configured") == 0)
			why = "trusted-source";
		else if (strcmp(why, "server") == 0)
			why = rt->sip_server_src[0] && strcmp(rt->sip_server_src, "DHCP") == 0
				      ? "SIP server, DHCP option 120" : "SIP server";
		else if (strcmp(why, "registrar") == 0)
			why = "registrar's answers";
		cli_out(x, "  %-23s: %s (%s)\n", i ? "" : "Trusted sources",
			sip_net_format(&st->trusted[i], buf, sizeof(buf)), why);
	}
	if (!st->n_trusted)
		cli_out(x, "  Trusted sources        : none (every request outside a dialog is refused)\n");
	cli_out(x, "  Dialog peers let in    : %zu\n", st->n_peers);
	cli_out(x, "  Served                 : %lu\n", st->requests_served);
	cli_out(x, "  Untrusted, dropped     : %lu (no answer)\n", st->untrusted_dropped);
	cli_out(x, "  Untrusted, refused     : %lu (403)\n", st->untrusted_refused);
	if (st->last_untrusted) {
		struct in_addr a = { st->last_untrusted };
		cli_out(x, "  Last untrusted         : %s from %s:%u\n", st->last_untrusted_method,
			inet_ntop(AF_INET, &a, buf, sizeof(buf)), st->last_untrusted_port);
	}
	limit_text(c ? c->limits.source_rate : 0, c ? c->limits.source_burst : 0,
		   SIP_RATE_SOURCE_DEFAULT, SIP_BURST_SOURCE_DEFAULT, lim, sizeof(lim));
	cli_out(x, "  Per-source limit       : %s; %lu over it (503)\n", lim, st->rate_limited_source);
	limit_text(c ? c->limits.global_rate : 0, c ? c->limits.global_burst : 0,
		   SIP_RATE_GLOBAL_DEFAULT, SIP_BURST_GLOBAL_DEFAULT, lim, sizeof(lim));
	cli_out(x, "  Global limit           : %s; %lu over it (503)\n", lim, st->rate_limited_global);
	cli_out(x, "  Events to main thread  : %lu waiting, %lu at most; %lu INVITEs refused when full (503)\n",
		st->events_pending, st->events_pending_max, st->offers_refused_busy);
	cli_out(x, "  Refused c= address     : %lu (488)\n", rt->rejected_addr);
	cli_out(x, "  Answers not acknowledged: %lu (tunnel released)\n", rt->released_no_ack);
	free(st);
	return CLI_OK;
}

static void cdr_time(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms) {
		snprintf(buf, n, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, n, "%b %d %H:%M:%S", &tm);
}

/* Wall-clock milliseconds as ISO 8601 UTC, or NULL for 0 (never). */
static const char *cdr_time_utc(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	if (!ms)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03dZ", s, (int)(ms % 1000));
	return buf;
}

static long long cdr_seconds(const struct vpnsip_cdr *r)
{
	return r->answer_ms ? (r->end_ms - r->answer_ms) / 1000 : 0;
}

static struct json_object *cdr_json(const struct vpnsip_cdr *r)
{
	struct json_object *o = json_object_new_object();
	char buf[40];

	json_add_str(o, "interface", r->tunnel);
	json_add_str(o, "direction", r->outgoing ? "out" : "in");
	json_add_str(o, "remoteNumber", r->remote);
	json_add_str(o, "start", cdr_time_utc(r->start_ms, buf, sizeof(buf)));
	json_add_str(o, "answer", cdr_time_utc(r->answer_ms, buf, sizeof(buf)));
	json_add_str(o, "end", cdr_time_utc(r->end_ms, buf, sizeof(buf)));
	json_add_int(o, "durationSeconds", cdr_seconds(r));
	json_add_u64(o, "bytesIn", r->bytes_in);
	json_add_u64(o, "bytesOut", r->bytes_out);
	json_add_str(o, "cause", r->cause);
	json_add_str(o, "callId", r->call_id[0] ? r->call_id : NULL);
	return o;
}

static int cmd_show_history(struct cli_exec *x)
{
	const char *num = cli_arg(x, "num");
	const struct vpnsip_cdr *r;
	struct json_object *doc = NULL, *list = NULL;
	char st[32], an[32];

	if (cli_has(x, "json")) {
		doc = json_object_new_object();
		list = json_object_new_array();
		json_add_int(doc, "keep", VPNSIP_CDR_KEEP);
		json_object_object_add(doc, "calls", list);
	} else {
		cli_out(x, "VPN-SIP call history (newest last, up to %d calls)\n", VPNSIP_CDR_KEEP);
		cli_out(x, "%-10s %-4s %-14s %-15s %-15s %8s %12s %12s  %s\n", "Interface", "Dir",
			"Remote number", "Start", "Answer", "Duration", "Bytes in", "Bytes out", "Cause");
	}
	for (size_t i = 0; (r = vpnsip_cdr_get(i)); i++) {
		if (num && strcmp(r->remote, num) != 0)
			continue;
		if (doc) {
			json_object_array_add(list, cdr_json(r));
			continue;
		}
		cdr_time(r->start_ms, st, sizeof(st));
		cdr_time(r->answer_ms, an, sizeof(an));
		long long d = cdr_seconds(r);
		char dur[48];
		snprintf(dur, sizeof(dur), "%02lld:%02lld:%02lld", d / 3600, d / 60 % 60, d % 60);
		cli_out(x, "%-10s %-4s %-14s %-15s %-15s %8s %12llu %12llu  %s\n", r->tunnel,
			r->outgoing ? "out" : "in", r->remote, st, an, dur,
			(unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out, r->cause);
		if (r->call_id[0])
			cli_out(x, "           call-id %s\n", r->call_id);
	}
	if (doc)
		cli_out_json(x, doc);
	return CLI_OK;
}

static void print_totals(struct cli_exec *x, const struct vpnsip_cdr_summary *sum, bool months)
{
	size_t n;
	struct vpnsip_cdr_total **v = vpnsip_cdr_summary_sorted(sum, months, &n);

	cli_out(x, "\n%-16s %-10s %7s %8s %12s %12s\n", "Remote number", months ? "Month" : "Day",
		"Calls", "Answered", "Seconds", "Duration");
	for (size_t i = 0; i < n; i++) {
		long long d = (long long)v[i]->seconds;
		char dur[48];
		snprintf(dur, sizeof(dur), "%02lld:%02lld:%02lld", d / 3600, d / 60 % 60, d % 60);
		cli_out(x, "%-16s %-10s %7lu %8lu %12lld %12s\n", v[i]->remote, v[i]->period, v[i]->calls,
			v[i]->answered, d, dur);
	}
	free(v);
}

static int cmd_show_history_summary(struct cli_exec *x)
{
	struct vpnsip_cdr_summary sum;
	unsigned bad;

	vpnsip_cdr_summary_init(&sum);
	bad = vpnsip_cdr_summary_load(&sum);
	cli_out(x, "VPN-SIP call seconds per remote number (UTC; a call counts on the day it was answered)\n");
	print_totals(x, &sum, false);
	print_totals(x, &sum, true);
	if (bad)
		cli_out(x, "\n%u unreadable line(s) of the call-history file skipped\n", bad);
	vpnsip_cdr_summary_free(&sum);
	return CLI_OK;
}

static int cmd_clear_session(struct cli_exec *x)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	/* one of the two forms, or neither */
	const char *num = cli_opt(x, "num"), *ifname = cli_opt(x, "ifname");
	size_t n;
	struct vpnsip_session **v;

	if (!rt)
		return CLI_OK;
	v = vpnsip_sessions_sorted(&n);
	for (size_t i = 0; i < n; i++) {
		if (num && strcmp(v[i]->remote_number, num) != 0)
			continue;
		if (ifname && strcasecmp(v[i]->tunnel, ifname) != 0)
			continue;
		vpnsip_session_hangup(v[i], "cleared by operator");
	}
	free(v);
	return CLI_OK;
}

static int cmd_call(struct cli_exec *x)
{
	const char *why = NULL;

	if (vpnsip_call(cli_arg(x, "ifname"), &why) < 0)
		return cli_error(x, "Cannot place the VPN-SIP call of %s: %s", cli_arg(x, "ifname"), why);
	return CLI_OK;
}

#define SH "Show running system information\nVPN-SIP information\n"

static const struct cli_cmd show_cmds[] = {
	{ "exec", "show vpn-sip session [detail] [json]",
	  SH "VPN-SIP sessions\nDetailed information\n" CLI_JSON_HELP, cmd_show_session, 0 },
	{ "exec", "show vpn-sip session detail remote-number WORD$num [json]",
	  SH "VPN-SIP sessions\nDetailed information\nThe session of one remote number\nSIP number\n"
	  CLI_JSON_HELP,
	  cmd_show_session, 0 },
	{ "exec", "show vpn-sip session remote-number WORD$num [detail] [json]",
	  SH "VPN-SIP sessions\nThe session of one remote number\nSIP number\nDetailed information\n"
	  CLI_JSON_HELP,
	  cmd_show_session, 0 },
	{ "exec", "show vpn-sip session brief [json]",
	  SH "VPN-SIP sessions\nOne line per tunnel\n" CLI_JSON_HELP, cmd_show_session_brief, 0 },
	{ "exec", "show vpn-sip call-history [remote-number WORD$num] [json]",
	  SH "Finished calls: start, answer, duration, bytes, cause\nThe calls of one remote number\n"
	  "SIP number\n" CLI_JSON_HELP,
	  cmd_show_history, 0 },
	{ "exec", "show vpn-sip call-history summary",
	  SH "Finished calls: start, answer, duration, bytes, cause\n"
	  "Call seconds per remote number and UTC day and month (the file and its rotations)",
	  cmd_show_history_summary, 0 },
	{ "exec", "show vpn-sip registration-status [json]",
	  SH "SIP registration status of the local number\n" CLI_JSON_HELP, cmd_show_regstatus, 0 },
	{ "exec", "show vpn-sip sip", SH "SIP user agent summary", cmd_show_sip, 0 },
	{ "exec", "show vpn-sip sip statistics",
	  SH "SIP user agent summary\nRequests outside a dialog: trusted sources, drops, rate limits",
	  cmd_show_sip_stats, 0 },
	{ "exec", "show vpn-sip sip registrar",
	  SH "SIP user agent summary\nSIP registrar bindings", cmd_show_registrar, 0 },
	{ "exec", "clear vpn-sip session [remote-number WORD$num]",
	  "Reset functions\nVPN-SIP\nHang up VPN-SIP sessions\nThe session of one remote number\n"
	  "SIP number",
	  cmd_clear_session, CLI_PRIV },
	{ "exec", "clear vpn-sip session interface IFNAME$ifname",
	  "Reset functions\nVPN-SIP\nHang up VPN-SIP sessions\nThe session of one tunnel\n"
	  "Tunnel interface",
	  cmd_clear_session, CLI_PRIV },
	{ "exec", "vpn-sip call interface IFNAME$ifname",
	  "VPN-SIP\nPlace the call now, without waiting for traffic\nThe tunnel whose peer to call\n"
	  "Tunnel interface",
	  cmd_call, CLI_PRIV },
};

void vpnsip_show_cli_init(void)
{
	CLI_INSTALL(show_cmds);
}
