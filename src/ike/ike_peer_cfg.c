/* A session's snapshot built from the configuration model (main thread):
 * the ike_cfg (ports, proposals), the peer_cfg with its authentication
 * rounds, the CHILD_SA's child_cfg, the pre-shared keys, the expected
 * fingerprint and the certificate maps -- what libcharon's threads read
 * through the backend, the credential set and the listener. */
#include <library.h>
#include <daemon.h>

#include "ike/ike_session_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

static identification_t *make_id(const char *v)
{
	if (!v)
		return identification_create_from_string("%any");
	return identification_create_from_encoding(ID_KEY_ID, chunk_from_str((char *)v));
}

/* The profile's "identity local" as libcharon's identity; NULL for
 * "identity local address" without an address: libcharon then uses the
 * address IKE runs from. */
static identification_t *local_id_of(const struct crypto_id *id)
{
	id_type_t t;

	switch (id->type) {
	case CRYPTO_ID_KEY_ID: t = ID_KEY_ID; break;
	case CRYPTO_ID_FQDN: t = ID_FQDN; break;
	case CRYPTO_ID_EMAIL: t = ID_RFC822_ADDR; break;
	case CRYPTO_ID_ADDRESS:
		if (!id->value)
			return NULL;
		return identification_create_from_encoding(ID_IPV4_ADDR,
							   chunk_create((u_char *)&id->addr, 4));
	default:
		return NULL;
	}
	return identification_create_from_encoding(t, chunk_from_str(id->value));
}

static bool add_proposals_swan(const char *text, protocol_id_t proto, void *target, bool ike)
{
	char *copy = xstrdup(text), *save = NULL;
	bool any = false;

	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		proposal_t *prop = proposal_create_from_string(proto, p);
		if (!prop)
			continue;
		if (ike)
			((ike_cfg_t *)target)->add_proposal(target, prop);
		else
			((child_cfg_t *)target)->add_proposal(target, prop);
		any = true;
	}
	free(copy);
	return any;
}

/* Build the snapshot of a session from the model; NULL with err set. */
struct snap *ike_snap_build(struct session *se, char *err, size_t errlen)
{
	const struct config *cfg = ike_cfg_model;
	const struct ipsec_profile *ip;
	const struct ikev2_profile *prof;
	const char *ikn;
	const struct ikev2_proposal *props[8];
	size_t nprops;
	struct strbuf sb = STRBUF_INIT;
	char peer[VPNSIP_ADDR_TEXT_MAX];
	struct crypto_psk psk = { 0 };
	struct crypto_id rid = { 0 };
	const struct crypto_globals *g = crypto_globals(cfg);
	struct snap *s;
	bool psk_local, psk_remote;

	ike_profiles_of(se, &ip, &ikn);
	if (!ikn) {
		snprintf(err, errlen, "%s: no IKEv2 profile (tunnel protection ... ikev2-profile)",
			 se->tunnel);
		return NULL;
	}
	prof = crypto_ikev2_profile_find(cfg, ikn);
	if (!prof) {
		snprintf(err, errlen, "IKEv2 profile %s is not configured", ikn);
		return NULL;
	}
	psk_local = prof->auth_local != IKEV2_AUTH_RSA_SIG;
	psk_remote = prof->auth_remote_psk || !prof->auth_remote_rsa;
	/* libcharon takes the peer's address as text (host_t from a string). */
	vpnsip_addr_text(&se->peer.addr, peer, sizeof(peer));

	ike_cfg_create_t ic = {
		.version = IKEV2,
		.local = "0.0.0.0",
		/* From 4500 (with the non-ESP marker, RFC 7296 2.23) when our SDP
		 * said 4500 or towards a peer port other than 500: from 500 the
		 * IKE_SA_INIT goes without it, which a NAT-T port (or a NAT in
		 * front of us) takes for ESP. */
		.local_port = se->local_port ? se->local_port :
			      se->ike_port == CHARON_NATT_PORT ||
					      (se->peer.port && se->peer.port != CHARON_UDP_PORT) ?
				      CHARON_NATT_PORT :
				      CHARON_UDP_PORT,
		.remote = peer,
		.remote_port = se->peer.port ? se->peer.port : CHARON_UDP_PORT,
		.force_encap = TRUE, /* ESP-in-UDP always (VPN-SIP: nat force-encap) */
		.fragmentation = g && g->fragmentation ? FRAGMENTATION_YES : FRAGMENTATION_NO,
		.no_certreq = psk_remote,
	};
	ike_cfg_t *ike_cfg = ike_cfg_create(&ic);
	nprops = crypto_ikev2_proposals(cfg, NULL, props, 8);
	for (size_t i = 0; i < nprops; i++) {
		sb_reset(&sb);
		ikev2_proposal_swan(props[i], &sb);
		add_proposals_swan(sb_str(&sb), PROTO_IKE, ike_cfg, true);
	}
	if (!nprops)
		ike_cfg->add_proposal(ike_cfg, proposal_create_default(PROTO_IKE));

	peer_cfg_create_t pc = {
		.cert_policy = psk_local ? CERT_NEVER_SEND : CERT_ALWAYS_SEND,
		.unique = UNIQUE_NO,
		.keyingtries = se->is_static ? 0 : 1,
		.rekey_time = prof->lifetime ? prof->lifetime : IKEV2_LIFETIME_DEFAULT,
		.over_time = 60,
		.no_mobike = TRUE,
		/* DPD is the engine's (per profile: periodic or on-demand, the
		 * retry interval; see dpd_tick); libcharon's own is off. */
		.dpd = 0,
		.if_id_in = dp_tunnel_id(se->tunnel),
		.if_id_out = dp_tunnel_id(se->tunnel),
	};
	peer_cfg_t *peer_cfg = peer_cfg_create(se->tunnel, ike_cfg, &pc);

	/* Authentication rounds.  Our identity: the profile's "identity local"
	 * (key-id, address, fqdn, email; IOS).  Without one: with pre-share
	 * the session's key-id (the SIP number; a static tunnel: our
	 * address), with rsa-sig the certificate's subject DN: a stock IKEv2
	 * peer finds our public key by identity, and a certificate does not
	 * contain a SIP number (RFC 4945 3.1); the VPN-SIP peer binds by
	 * fingerprint whatever the identity. */
	certificate_t *local_cert = NULL;
	identification_t *lid = NULL;
	if (!psk_local && prof->pki_trustpoint)
		local_cert = ike_creds_local_cert(cfg, prof->pki_trustpoint);
	if (prof->identity_local.type != CRYPTO_ID_NONE)
		lid = local_id_of(&prof->identity_local);
	else if (psk_local && se->local_id)
		lid = make_id(se->local_id);
	else if (local_cert)
		lid = local_cert->get_subject(local_cert)->clone(local_cert->get_subject(local_cert));
	else if (se->local_id)
		lid = make_id(se->local_id);
	auth_cfg_t *la = auth_cfg_create(), *ra = auth_cfg_create();
	la->add(la, AUTH_RULE_AUTH_CLASS, psk_local ? AUTH_CLASS_PSK : AUTH_CLASS_PUBKEY);
	if (lid)
		la->add(la, AUTH_RULE_IDENTITY, lid);
	if (local_cert)
		la->add(la, AUTH_RULE_SUBJECT_CERT, local_cert);
	peer_cfg->add_auth_cfg(peer_cfg, la, TRUE);
	ra->add(ra, AUTH_RULE_AUTH_CLASS, psk_remote ? AUTH_CLASS_PSK : AUTH_CLASS_PUBKEY);
	/* Any identity here: which ones the session accepts ("match identity
	 * remote", the VPN-SIP number) is checked when the peer presents one
	 * (the backend as responder, authorize as initiator), so a refusal is
	 * logged with the identity.  rsa-sig: the certificate is bound to the
	 * session by the SDP fingerprint. */
	ra->add(ra, AUTH_RULE_IDENTITY, make_id(NULL));
	ra->add(ra, AUTH_RULE_IDENTITY_LOOSE, TRUE);
	/* Without an SDP fingerprint (a static tunnel), a peer certificate is
	 * trusted through the trustpoint's CA ("crypto pki authenticate"):
	 * trusted in our credential set and required as this peer's CA.
	 * "revocation-check crl": the CA is trusted also for a certificate
	 * pinned by fingerprint, so that its chain is built, and the CRL must
	 * say good (libcharon's revocation plugin, CRL from ike_creds). */
	certificate_t *crl_ca = NULL;
	if (!psk_remote && prof->pki_trustpoint) {
		bool crl = crypto_pki_checks_crl(crypto_trustpoint_find(cfg, prof->pki_trustpoint));
		certificate_t *ca = !se->peer.fp.len || crl ?
					    ike_creds_ca_cert(cfg, prof->pki_trustpoint) : NULL;
		if (ca && crl) {
			crl_ca = ca->get_ref(ca);
			ra->add(ra, AUTH_RULE_CRL_VALIDATION, VALIDATION_GOOD);
			/* libstrongswan caches the CRLs it verified and would answer
			 * with them before our credential set reads the file: each
			 * new attempt starts from the file as it is now. */
			lib->credmgr->flush_cache(lib->credmgr, CERT_X509_CRL);
		}
		if (ca && !se->peer.fp.len)
			ra->add(ra, AUTH_RULE_CA_CERT, ca);
		else
			DESTROY_IF(ca);
	}
	peer_cfg->add_auth_cfg(peer_cfg, ra, FALSE);

	/* The CHILD_SA: 0.0.0.0/0 both ways, bound to the tunnel by if_id. */
	unsigned life = crypto_ipsec_lifetime_seconds(cfg, ip);
	unsigned kb = crypto_ipsec_lifetime_kb(cfg, ip);
	child_cfg_create_t cc = {
		.mode = MODE_TUNNEL,
		.if_id_in = dp_tunnel_id(se->tunnel),
		.if_id_out = dp_tunnel_id(se->tunnel),
		.lifetime = {
			.time = { .life = life, .rekey = life - life / 10, .jitter = 0 },
			.bytes = { .life = (uint64_t)kb * 1024, .rekey = (uint64_t)kb * 1024 / 10 * 9 },
		},
		.start_action = ACTION_NONE,
		/* Static tunnels are initiated again by the engine after any
		 * end of their IKE SA (static_retry), so not by libcharon. */
		.dpd_action = ACTION_NONE,
		.close_action = ACTION_NONE,
	};
	child_cfg_t *child = child_cfg_create(se->tunnel, &cc);
	bool have_esp = false;
	for (size_t i = 0; ip && i < ip->ntransform_sets; i++) {
		const struct ipsec_transform_set *ts = crypto_transform_set_find(cfg, ip->transform_sets[i]);
		if (!ts)
			continue;
		sb_reset(&sb);
		ipsec_transform_set_swan(ts, &sb);
		if (ip->pfs_group && ikev2_group_swan(ip->pfs_group))
			sb_printf(&sb, "-%s", ikev2_group_swan(ip->pfs_group));
		have_esp |= add_proposals_swan(sb_str(&sb), PROTO_ESP, child, false);
	}
	if (!have_esp) {
		child->add_proposal(child, proposal_create_from_string(PROTO_ESP, "aes256-sha256"));
		child->add_proposal(child, proposal_create_default_aead(PROTO_ESP));
		child->add_proposal(child, proposal_create_default(PROTO_ESP));
	}
	child->set_replay_window(child, crypto_ipsec_replay_window(cfg, ip));
	child->add_traffic_selector(child, TRUE, traffic_selector_create_from_cidr("0.0.0.0/0", 0, 0, 65535));
	child->add_traffic_selector(child, FALSE, traffic_selector_create_from_cidr("0.0.0.0/0", 0, 0, 65535));
	peer_cfg->add_child_cfg(peer_cfg, child);
	sb_free(&sb);

	s = xcalloc(1, sizeof(*s));
	s->ref = 1;
	s->tunnel = xstrdup(se->tunnel);
	s->if_id = dp_tunnel_id(se->tunnel);
	s->peer_cfg = peer_cfg;
	s->peer = se->peer;
	ike_endpoint_key(se->peer.addr.v4, se->local_port ? se->local_port : CHARON_UDP_PORT,
			 s->endpoint_key, sizeof(s->endpoint_key));
	s->remote_psk = psk_remote;
	s->vpn_sip = se->vpn_sip;
	s->profile = xstrdup(ikn);
	if (crl_ca) {
		s->crl_ca = crl_ca;
		s->crl_trustpoint = xstrdup(prof->pki_trustpoint);
		s->crl_path = crypto_pki_crl_path(cfg, prof->pki_trustpoint);
	}
	/* The identities the peer may present: the match lines; "any" (or no
	 * line) is any identity, but for a VPN-SIP peer with a PSK the key-id
	 * of its number only: the call came from that number and the key is
	 * the number's (as before these lines were enforced). */
	if (prof->nmatch_ids) {
		s->id_rules = xcalloc(prof->nmatch_ids, sizeof(*s->id_rules));
		for (size_t i = 0; i < prof->nmatch_ids; i++)
			crypto_id_copy(&s->id_rules[s->nid_rules++], &prof->match_ids[i]);
	}
	if (prof->match_any || !prof->nmatch_ids) {
		if (se->vpn_sip && psk_remote && se->remote_id)
			s->sip_id = xstrdup(se->remote_id);
		else
			s->accept_any = true;
	}
	if (!psk_remote && prof->nmatch_cert_maps) {
		s->maps = xcalloc(prof->nmatch_cert_maps, sizeof(*s->maps));
		for (size_t i = 0; i < prof->nmatch_cert_maps; i++) {
			struct pki_cert_map *m = crypto_cert_map_copy(cfg, prof->match_cert_maps[i]);
			if (m)
				s->maps[s->nmaps++] = m;
		}
		/* IOS: a map that is not configured matches nothing. */
		if (!s->nmaps) {
			struct pki_cert_map *none = xcalloc(1, sizeof(*none));
			none->name = xstrdup(prof->match_cert_maps[0]);
			s->maps[s->nmaps++] = none;
		}
	}
	{
		identification_t *id = make_id(se->remote_id);
		char key[256];
		ike_id_key(id, key, sizeof(key));
		s->remote_key = xstrdup(se->remote_id && psk_remote ? key : "");
		id->destroy(id);
	}

	/* Pre-shared keys: the session's own, looked up by the peer's key-id
	 * (its SIP number), a static tunnel without one by the peer's
	 * address, as IOS does; and the profile's keyring, where the keys of
	 * the identity the peer presents are looked up (ike_creds.c). */
	if (psk_local || psk_remote) {
		rid.type = se->remote_id ? CRYPTO_ID_KEY_ID : CRYPTO_ID_ADDRESS;
		rid.value = se->remote_id ? se->remote_id : peer;
		rid.addr = se->peer.addr.v4;
		if (prof->keyring_local)
			s->keyring = ike_keyring_get(cfg, prof->keyring_local);
		crypto_profile_psk(cfg, ikn, &rid, &psk);
		/* An initiator signs before the peer presents its identity:
		 * the keyring's identity lookup comes too late for our key. */
		bool signs_first = psk_local && se->role == IKE_ROLE_INITIATOR;
		if ((!psk.local && !psk.remote && !s->keyring) || (signs_first && !psk.local)) {
			snprintf(err, errlen, "no pre-shared key for peer %s in IKEv2 profile %s",
				 se->remote_id ? se->remote_id : peer, ikn);
			ike_snap_put(s);
			return NULL;
		}
		if (psk.local)
			s->psk_local = shared_key_create(SHARED_IKE, chunk_clone(chunk_from_str((char *)psk.local)));
		if (psk.remote && (!psk.local || strcmp(psk.local, psk.remote) != 0))
			s->psk_remote = shared_key_create(SHARED_IKE, chunk_clone(chunk_from_str((char *)psk.remote)));
	}
	if (se->peer.fp.len) {
		enum crypto_hash h = se->peer.fp.hash;
		if (crypto_hash_len(h) != se->peer.fp.len) {
			snprintf(err, errlen, "fingerprint: unsupported hash %s or wrong length",
				 crypto_hash_name(h));
			ike_snap_put(s);
			return NULL;
		}
		if (psk_remote) {
			const char *key = psk.remote ? psk.remote : psk.local;
			s->has_psk_fp = key && crypto_psk_fingerprint(h, key, &s->psk_fp);
		}
	}
	return s;
}
