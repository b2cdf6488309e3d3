/* listener_t on libcharon's bus (its worker threads): the fingerprint
 * binding of RFC 6193 (the peer's certificate or PSK must hash to the
 * fingerprint of its SDP) and the certificate maps, checked in message()
 * and authorize(); the failure causes; copies of what happened (up,
 * rekeyed (CHILD or IKE SA), down, authentication failed) posted to the main thread, where
 * ike_session_deliver() takes them.  Nothing here blocks. */
#include <library.h>
#include <daemon.h>
#include <encoding/payloads/cert_payload.h>
#include <encoding/payloads/notify_payload.h>

#include "ike/ike_session_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "util/xalloc.h"

static void host_show(host_t *h, char *buf, size_t n)
{
	if (h && h->get_family(h) == AF_INET) {
		const struct sockaddr_in *sin = (const void *)h->get_sockaddr(h);
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(sin->sin_port));
	} else {
		snprintf(buf, n, "?");
	}
}

static void post(enum ike_event_type type, const char *tunnel, ike_sa_t *ike_sa,
		 child_sa_t *child, const char *cause)
{
	struct ev_msg *m = xcalloc(1, sizeof(*m));
	host_t *h;

	m->type = type;
	m->tunnel = xstrdup(tunnel);
	m->cause = cause ? xstrdup(cause) : NULL;
	if (ike_sa) {
		m->unique_id = ike_sa->get_unique_id(ike_sa);
		h = ike_sa->get_my_host(ike_sa);
		if (h && h->get_family(h) == AF_INET)
			memcpy(&m->local, h->get_sockaddr(h), sizeof(m->local));
		h = ike_sa->get_other_host(ike_sa);
		if (h && h->get_family(h) == AF_INET)
			memcpy(&m->remote, h->get_sockaddr(h), sizeof(m->remote));
		m->nat_here = ike_sa->has_condition(ike_sa, COND_NAT_HERE);
	}
	if (child) {
		m->spi_in = ntohl(child->get_spi(child, TRUE));
		m->spi_out = ntohl(child->get_spi(child, FALSE));
		proposal_t *prop = child->get_proposal(child);
		uint16_t alg, bits;
		if (prop && prop->get_algorithm(prop, ENCRYPTION_ALGORITHM, &alg, &bits)) {
			m->enc_alg = alg;
			m->enc_key_bits = bits;
		}
		if (prop && prop->get_algorithm(prop, INTEGRITY_ALGORITHM, &alg, NULL))
			m->int_alg = alg;
	}
	evloop_post(ike_loop, ike_session_deliver, m);
}

void ike_snap_id_refused(struct snap *s, ike_sa_t *ike_sa, identification_t *id)
{
	char shown[300], host[64], cause[340];

	host_show(ike_sa->get_other_host(ike_sa), host, sizeof(host));
	ike_id_show_typed(id, shown, sizeof(shown));
	log_msg("IKEV2", SEV_ERR, "IDENTITY_MISMATCH",
		"%s: peer %s presented %s: no match identity remote of IKEv2 profile %s accepts it: "
		"IKE_AUTH refused",
		s->tunnel, host, shown, s->profile ? s->profile : "?");
	snprintf(cause, sizeof(cause), "identity not accepted (%s)", shown);
	ike_snap_set_cause(s, cause);
	post(IKE_EV_AUTH_FAILED, s->tunnel, ike_sa, NULL, cause);
}

static const char *hash_show(enum crypto_hash h)
{
	static const char *const n[] = { "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512" };
	return (unsigned)h < 5 ? n[h] : "?";
}

/* First bytes only: enough to compare by eye. */
static void fp_short(const struct crypto_fingerprint *fp, char *buf, size_t n)
{
	struct crypto_fingerprint s = *fp;
	char full[CRYPTO_FINGERPRINT_TEXT_MAX];

	crypto_fingerprint_text(&s, full, sizeof(full));
	snprintf(buf, n, "%.23s...", full);
}

static bool cert_fp(certificate_t *c, enum crypto_hash h, struct crypto_fingerprint *fp)
{
	chunk_t der;
	bool ok;

	if (!c->get_encoding(c, CERT_ASN1_DER, &der))
		return false;
	ok = crypto_cert_fingerprint(h, der.ptr, der.len, fp);
	chunk_free(&der);
	return ok;
}

/* An error notify (RFC 7296 3.10.1: types below 16384) in a message from
 * the peer: kept, so that the failure it causes names it. */
static void peer_error_notify(struct snap *s, message_t *message)
{
	enumerator_t *e = message->create_payload_enumerator(message);
	payload_t *p;

	while (e->enumerate(e, &p)) {
		if (p->get_type(p) != PLV2_NOTIFY)
			continue;
		notify_type_t t = ((notify_payload_t *)p)->get_notify_type((notify_payload_t *)p);
		if (t >= 16384)
			continue;
		char num[16];
		const char *name = enum_to_name(notify_type_names, t);
		if (!name) {
			snprintf(num, sizeof(num), "notify %d", (int)t);
			name = num;
		}
		ike_snap_set_peer_notify(s, name);
		break;
	}
	e->destroy(e);
}

/* cause, naming the peer's error notify if it sent one (caller frees). */
static char *with_peer_notify(struct snap *s, const char *cause)
{
	char *n = ike_snap_peer_notify(s), *out;

	if (!n)
		return xstrdup(cause);
	out = xasprintf("%s (peer sent %s)", cause, n);
	free(n);
	return out;
}

METHOD(listener_t, on_message, bool, listener_t *this, ike_sa_t *ike_sa, message_t *message,
       bool incoming, bool plain)
{
	enumerator_t *e;
	payload_t *p;
	struct snap *s;
	bool seen = false, matched = false;

	if (!plain)
		return TRUE;
	s = ike_snap_of_sa(ike_sa);
	if (!s)
		return TRUE;
	/* Liveness: decrypted (authenticated) messages in, anything out. */
	__atomic_store_n(incoming ? &s->last_ike_in_ms : &s->last_ike_out_ms, evloop_now_ms(),
			 __ATOMIC_RELAXED);
	/* The peer's refusals while the SA is being set up (IKE_SA_INIT,
	 * IKE_AUTH); once it is up, INFORMATIONAL errors say nothing of why
	 * a session failed. */
	if (incoming && ike_sa->get_state(ike_sa) != IKE_ESTABLISHED)
		peer_error_notify(s, message);
	if (!incoming || message->get_exchange_type(message) != IKE_AUTH) {
		ike_snap_put(s);
		return TRUE;
	}
	if (!s->peer.fp.len || s->remote_psk) {
		ike_snap_put(s);
		return TRUE;
	}
	e = message->create_payload_enumerator(message);
	while (e->enumerate(e, &p)) {
		if (p->get_type(p) != PLV2_CERTIFICATE)
			continue;
		certificate_t *c = ((cert_payload_t *)p)->get_cert((cert_payload_t *)p);
		struct crypto_fingerprint fp;
		if (!c)
			continue;
		seen = true;
		if (!matched && cert_fp(c, s->peer.fp.hash, &fp) &&
		    crypto_fingerprint_equal(&fp, &s->peer.fp)) {
			matched = true;
			ike_snap_pin(s, c);
			if (debug_on(&debug_ikev2) || debug_on(&debug_ikev2_internal))
				log_debug_line("IKEv2:%s peer certificate matches the SDP fingerprint",
					       s->tunnel);
		}
		c->destroy(c);
	}
	e->destroy(e);
	if (seen && !matched) {
		char want[64], host[64];
		fp_short(&s->peer.fp, want, sizeof(want));
		host_show(ike_sa->get_other_host(ike_sa), host, sizeof(host));
		log_msg("IKEV2", SEV_ERR, "FINGERPRINT_MISMATCH",
			"%s: peer %s: certificate %s fingerprint does not match the SDP fingerprint %s: "
			"IKE_AUTH fails",
			s->tunnel, host, hash_show(s->peer.fp.hash), want);
		ike_snap_set_cause(s, "fingerprint mismatch (certificate)");
		/* No certificate is pinned, so charon finds no trusted key and
		 * fails AUTH; the alert keeps this cause and posts nothing. */
		post(IKE_EV_AUTH_FAILED, s->tunnel, ike_sa, NULL, "fingerprint mismatch (certificate)");
	}
	ike_snap_put(s);
	return TRUE;
}

/* "match certificate MAP": the certificate the peer authenticated with
 * must satisfy one of the profile's maps (IOS selects the profile by them;
 * here the tunnel's profile is fixed, so a peer no map matches is refused).
 * A peer that authenticated without a certificate does not match. */
static bool cert_maps_hold(struct snap *s, ike_sa_t *ike_sa, auth_cfg_t *auth)
{
	certificate_t *c = NULL;
	chunk_t der = chunk_empty;
	char subject[256] = "(no certificate)", host[64];
	bool ok = false;

	if ((uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS) == AUTH_CLASS_PUBKEY)
		c = auth->get(auth, AUTH_RULE_SUBJECT_CERT);
	if (c && c->get_encoding(c, CERT_ASN1_DER, &der)) {
		crypto_cert_subject_text(der.ptr, der.len, subject, sizeof(subject));
		for (size_t i = 0; i < s->nmaps && !ok; i++)
			ok = crypto_cert_map_copy_match(s->maps[i], der.ptr, der.len);
		chunk_free(&der);
	}
	if (ok)
		return true;
	host_show(ike_sa->get_other_host(ike_sa), host, sizeof(host));
	log_msg("IKEV2", SEV_ERR, "CERT_MAP_MISMATCH",
		"%s: peer %s: certificate \"%s\" matches no certificate map of IKEv2 profile %s "
		"(match certificate %s%s): IKE_AUTH failed",
		s->tunnel, host, subject, s->profile ? s->profile : "?", s->maps[0]->name,
		s->nmaps > 1 ? ", ..." : "");
	ike_snap_set_cause(s, "certificate map mismatch");
	post(IKE_EV_AUTH_FAILED, s->tunnel, ike_sa, NULL, "certificate map mismatch");
	return false;
}

METHOD(listener_t, on_authorize, bool, listener_t *this, ike_sa_t *ike_sa, bool final,
       bool *success)
{
	struct snap *s;
	auth_cfg_t *auth;
	struct crypto_fingerprint fp;
	bool ok = true;
	const char *what = NULL;

	if (!final)
		return TRUE;
	s = ike_snap_find(ike_sa->get_name(ike_sa));
	if (!s)
		return TRUE;
	/* The identity the peer presented (an initiator checks the
	 * responder's IDr here; a responder refused an IDi in the backend). */
	identification_t *other = ike_sa->get_other_id(ike_sa);
	if (!ike_snap_accepts_id(s, other)) {
		ike_snap_id_refused(s, ike_sa, other);
		*success = FALSE;
		ike_snap_put(s);
		return TRUE;
	}
	if (!s->peer.fp.len && !s->nmaps) {
		ike_snap_put(s);
		return TRUE;
	}
	/* The completed authentication rounds of the peer (the last one). */
	auth = NULL;
	enumerator_t *ae = ike_sa->create_auth_cfg_enumerator(ike_sa, FALSE);
	auth_cfg_t *a;
	while (ae->enumerate(ae, &a))
		auth = a;
	ae->destroy(ae);
	if (!auth)
		auth = ike_sa->get_auth_cfg(ike_sa, FALSE);
	if (s->nmaps && !cert_maps_hold(s, ike_sa, auth)) {
		*success = FALSE;
		ike_snap_put(s);
		return TRUE;
	}
	if (!s->peer.fp.len) {
		ike_snap_put(s);
		return TRUE;
	}
	switch ((uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS)) {
	case AUTH_CLASS_PSK: {
		/* The key the peer's AUTH was checked with: its identity's in
		 * the keyring, else the session's own (ike_creds.c). */
		const char *klocal, *kremote, *key;
		ike_snap_keys_for(s, other, &klocal, &kremote);
		key = kremote ? kremote : s->vpn_sip ? NULL : klocal;
		what = "pre-shared key";
		if (key)
			ok = crypto_psk_fingerprint(s->peer.fp.hash, key, &fp) &&
			     crypto_fingerprint_equal(&fp, &s->peer.fp);
		else
			ok = s->has_psk_fp && crypto_fingerprint_equal(&s->psk_fp, &s->peer.fp);
		break;
	}
	case AUTH_CLASS_PUBKEY: {
		certificate_t *c = auth->get(auth, AUTH_RULE_SUBJECT_CERT);
		what = "certificate";
		ok = c && cert_fp(c, s->peer.fp.hash, &fp) &&
		     crypto_fingerprint_equal(&fp, &s->peer.fp);
		break;
	}
	default:
		what = "authentication";
		ok = false;
		break;
	}
	if (!ok) {
		char want[64], host[64], id[128];
		fp_short(&s->peer.fp, want, sizeof(want));
		host_show(ike_sa->get_other_host(ike_sa), host, sizeof(host));
		ike_id_show(ike_sa->get_other_id(ike_sa), id, sizeof(id));
		log_msg("IKEV2", SEV_ERR, "FINGERPRINT_MISMATCH",
			"%s: peer %s at %s: %s %s fingerprint does not match the SDP fingerprint %s: "
			"IKE_AUTH failed",
			s->tunnel, id, host, what, hash_show(s->peer.fp.hash), want);
		char cause[96];
		snprintf(cause, sizeof(cause), "fingerprint mismatch (%s)", what);
		ike_snap_set_cause(s, cause);
		post(IKE_EV_AUTH_FAILED, s->tunnel, ike_sa, NULL, cause);
		*success = FALSE;
	}
	ike_snap_put(s);
	return TRUE;
}

static const char *alert_cause(alert_t a)
{
	switch (a) {
	case ALERT_PEER_AUTH_FAILED: return "peer authentication failed";
	case ALERT_LOCAL_AUTH_FAILED: return "local authentication failed (rejected by peer)";
	case ALERT_AUTHORIZATION_FAILED: return "authorization failed";
	case ALERT_PEER_INIT_UNREACHABLE: return "peer unreachable";
	case ALERT_RETRANSMIT_SEND_TIMEOUT: return "peer not responding (DPD/retransmit timeout)";
	case ALERT_PROPOSAL_MISMATCH_IKE: return "no matching IKE proposal";
	case ALERT_PROPOSAL_MISMATCH_CHILD: return "no matching IPsec proposal";
	case ALERT_TS_MISMATCH: return "traffic selector mismatch";
	case ALERT_INSTALL_CHILD_SA_FAILED: return "installing the IPsec SA failed";
	case ALERT_IKE_SA_EXPIRED: return "IKE SA expired";
	case ALERT_HALF_OPEN_TIMEOUT: return "half-open timeout";
	case ALERT_CERT_UNTRUSTED_ROOT:
	case ALERT_CERT_NO_ISSUER: return "peer certificate not trusted";
	case ALERT_CERT_REVOKED: return "peer certificate revoked";
	case ALERT_CERT_VALIDATION_FAILED: return "peer certificate status unknown";
	default: return NULL;
	}
}

METHOD(listener_t, on_alert, bool, listener_t *this, ike_sa_t *ike_sa, alert_t alert,
       va_list args)
{
	const char *cause = alert_cause(alert);
	struct snap *s;

	if (!ike_sa || !cause)
		return TRUE;
	s = ike_snap_find(ike_sa->get_name(ike_sa));
	if (!s)
		return TRUE;
	/* "revocation-check crl": a certificate the CRL lists, or whose
	 * status no valid CRL gives, fails IKE_AUTH (the peer_cfg requires a
	 * good status); said here, where the reason is known.  Without the
	 * check a status nobody asked for is no failure. */
	if (alert == ALERT_CERT_REVOKED || alert == ALERT_CERT_VALIDATION_FAILED) {
		certificate_t *c = va_arg(args, certificate_t *);
		char subject[256] = "?", host[64];
		if (!s->crl_ca || ike_snap_has_auth_cause(s)) {
			ike_snap_put(s);
			return TRUE;
		}
		cause = alert == ALERT_CERT_REVOKED ? "peer certificate revoked"
						    : "peer certificate status unknown (no valid CRL)";
		chunk_t der = chunk_empty;
		if (c && c->get_encoding(c, CERT_ASN1_DER, &der)) {
			crypto_cert_subject_text(der.ptr, der.len, subject, sizeof(subject));
			chunk_free(&der);
		}
		host_show(ike_sa->get_other_host(ike_sa), host, sizeof(host));
		log_msg("IKEV2", SEV_ERR, alert == ALERT_CERT_REVOKED ? "CERT_REVOKED" : "CERT_STATUS",
			"%s: peer %s: certificate \"%s\" %s (revocation-check crl, trustpoint %s): "
			"IKE_AUTH failed",
			s->tunnel, host, subject,
			alert == ALERT_CERT_REVOKED ? "is revoked by its CRL" : "has no known status",
			s->crl_trustpoint);
		ike_snap_set_cause(s, cause);
		post(IKE_EV_AUTH_FAILED, s->tunnel, ike_sa, NULL, cause);
		ike_snap_put(s);
		return TRUE;
	}
	bool keep = ike_snap_has_auth_cause(s);
	char *full = with_peer_notify(s, cause);
	if (!keep)
		ike_snap_set_cause(s, full);
	/* A fingerprint mismatch was reported by authorize already. */
	if (!keep && (alert == ALERT_PEER_AUTH_FAILED || alert == ALERT_LOCAL_AUTH_FAILED))
		post(IKE_EV_AUTH_FAILED, s->tunnel, ike_sa, NULL, full);
	free(full);
	ike_snap_put(s);
	return TRUE;
}

METHOD(listener_t, on_ike_state_change, bool, listener_t *this, ike_sa_t *ike_sa,
       ike_sa_state_t state)
{
	struct snap *s;

	if (state != IKE_DESTROYING)
		return TRUE;
	s = ike_snap_find(ike_sa->get_name(ike_sa));
	if (s) {
		char *cause = ike_snap_take_cause(s, "deleted"), *n;
		/* No cause of ours: the peer's refusal, if it sent one. */
		if (strcmp(cause, "deleted") == 0 && (n = ike_snap_peer_notify(s))) {
			free(cause);
			cause = xasprintf("peer sent %s", n);
			free(n);
		}
		ike_snap_set_peer_notify(s, NULL); /* this SA's; the next starts clean */
		post(IKE_EV_DOWN, s->tunnel, ike_sa, NULL, cause);
		free(cause);
		ike_snap_put(s);
	}
	return TRUE;
}

METHOD(listener_t, on_child_updown, bool, listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child_sa, bool up)
{
	struct snap *s = ike_snap_find(ike_sa->get_name(ike_sa));

	if (s) {
		if (up) {
			/* Up: a refusal on the way (INVALID_KE_PAYLOAD, then
			 * another group) is no reason for a later end. */
			ike_snap_set_peer_notify(s, NULL);
			post(IKE_EV_UP, s->tunnel, ike_sa, child_sa, NULL);
		}
		ike_snap_put(s);
	}
	return TRUE;
}

METHOD(listener_t, on_child_rekey, bool, listener_t *this, ike_sa_t *ike_sa, child_sa_t *old,
       child_sa_t *new)
{
	struct snap *s = ike_snap_find(ike_sa->get_name(ike_sa));

	if (s) {
		post(IKE_EV_REKEYED, s->tunnel, ike_sa, new, NULL);
		ike_snap_put(s);
	}
	return TRUE;
}

/* The CHILD SAs move to the new IKE SA without an up event of their own:
 * the session must follow it, or the old one's end would end the session. */
METHOD(listener_t, on_ike_rekey, bool, listener_t *this, ike_sa_t *old, ike_sa_t *new)
{
	struct snap *s = ike_snap_find(new->get_name(new));

	if (s) {
		post(IKE_EV_IKE_REKEYED, s->tunnel, new, NULL, NULL);
		ike_snap_put(s);
	}
	return TRUE;
}

static listener_t ike_listener = {
	SLOT(listener_t, alert, on_alert),
	SLOT(listener_t, ike_state_change, on_ike_state_change),
	SLOT(listener_t, message, on_message),
	SLOT(listener_t, child_updown, on_child_updown),
	SLOT(listener_t, child_rekey, on_child_rekey),
	SLOT(listener_t, ike_rekey, on_ike_rekey),
	SLOT(listener_t, authorize, on_authorize),
};

void ike_listener_register(void)
{
	charon->bus->add_listener(charon->bus, &ike_listener);
}

void ike_listener_unregister(void)
{
	charon->bus->remove_listener(charon->bus, &ike_listener);
}
