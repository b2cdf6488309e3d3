/* show crypto session, show crypto ikev2 sa, show crypto ipsec sa (text
 * and JSON) and the session rows of show ip nat translations: the
 * sessions (main thread) and one walk over libcharon's IKE SAs per
 * command. */
#include <library.h>
#include <daemon.h>

#include "ike/ike_session_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/json.h"
#include "config/config.h"
#include "dataplane/tunnel.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct sa_info {
	bool found;
	ike_sa_state_t state;
	uint32_t unique_id;
	struct sockaddr_in local, remote;
	time_t established, rekey;
	char encr[64], prf[32], integ[32], dh[32];
	const char *auth_sign, *auth_verify; /* "PSK", "RSA", "-" */
	uint32_t child_life_remaining;
	uint64_t spi_i, spi_r;
	bool initiator, nat_here, nat_there, nat_fake, frag;
	char my_id[160], other_id[160];
};

static const char *auth_class_show(ike_sa_t *sa, bool local)
{
	/* The completed rounds (the current one is reset after IKE_AUTH). */
	auth_cfg_t *auth = NULL, *a;
	enumerator_t *e = sa->create_auth_cfg_enumerator(sa, local);

	while (e->enumerate(e, &a))
		auth = a;
	e->destroy(e);
	switch (auth ? (uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS) : AUTH_CLASS_ANY) {
	case AUTH_CLASS_PSK: return "PSK";
	case AUTH_CLASS_PUBKEY: return "RSA";
	case AUTH_CLASS_EAP: return "EAP";
	default: return "-";
	}
}

static void alg_show(proposal_t *prop, transform_type_t type, enum_name_t *names, char *buf,
		     size_t n)
{
	uint16_t alg, ks;

	if (prop && prop->get_algorithm(prop, type, &alg, &ks))
		snprintf(buf, n, "%s", enum_to_name(names, alg) ?: "?");
	else
		snprintf(buf, n, "-");
}

static void sa_info_fill(ike_sa_t *sa, struct sa_info *out)
{
	host_t *h;
	proposal_t *prop = sa->get_proposal(sa);
	ike_sa_id_t *id = sa->get_id(sa);
	uint16_t alg, ks;

	memset(out, 0, sizeof(*out));
	out->found = true;
	out->state = sa->get_state(sa);
	out->unique_id = sa->get_unique_id(sa);
	h = sa->get_my_host(sa);
	if (h->get_family(h) == AF_INET)
		memcpy(&out->local, h->get_sockaddr(h), sizeof(out->local));
	h = sa->get_other_host(sa);
	if (h->get_family(h) == AF_INET)
		memcpy(&out->remote, h->get_sockaddr(h), sizeof(out->remote));
	out->established = sa->get_statistic(sa, STAT_ESTABLISHED);
	out->auth_sign = auth_class_show(sa, TRUE);
	out->auth_verify = auth_class_show(sa, FALSE);
	out->rekey = sa->get_statistic(sa, STAT_REKEY);
	if (prop && prop->get_algorithm(prop, ENCRYPTION_ALGORITHM, &alg, &ks))
		snprintf(out->encr, sizeof(out->encr), "%s/%u",
			 enum_to_name(encryption_algorithm_names, alg) ?: "?", ks);
	alg_show(prop, PSEUDO_RANDOM_FUNCTION, pseudo_random_function_names, out->prf,
		 sizeof(out->prf));
	alg_show(prop, INTEGRITY_ALGORITHM, integrity_algorithm_names, out->integ,
		 sizeof(out->integ));
	alg_show(prop, KEY_EXCHANGE_METHOD, key_exchange_method_names, out->dh, sizeof(out->dh));
	out->initiator = id->is_initiator(id);
	out->spi_i = be64toh(id->get_initiator_spi(id));
	out->spi_r = be64toh(id->get_responder_spi(id));
	out->nat_here = sa->has_condition(sa, COND_NAT_HERE);
	out->nat_there = sa->has_condition(sa, COND_NAT_THERE);
	out->nat_fake = sa->has_condition(sa, COND_NAT_FAKE);
	out->frag = sa->supports_extension(sa, EXT_IKE_FRAGMENTATION);
	/* The IKE identities, as IOS shows them (address, key-id, fqdn, DN). */
	ike_id_show(sa->get_my_id(sa), out->my_id, sizeof(out->my_id));
	ike_id_show(sa->get_other_id(sa), out->other_id, sizeof(out->other_id));
	enumerator_t *ce = sa->create_child_sa_enumerator(sa);
	child_sa_t *child;
	if (ce->enumerate(ce, &child)) {
		time_t exp = child->get_lifetime(child, TRUE);
		time_t now = time_monotonic(NULL);
		out->child_life_remaining = exp > now ? (uint32_t)(exp - now) : 0;
	}
	ce->destroy(ce);
}

/* Phase1_id: the identity the peer presented in IKE_AUTH once it was
 * verified (an address, key-id, fqdn, email or certificate DN, as IOS
 * shows it), else the peer's address.  Not the VPN-SIP number: a peer may
 * present any identity type. */
static const char *phase1_id(const struct sa_info *info, const char *peer)
{
	return info->found && strcmp(info->auth_verify, "-") != 0 ? info->other_id : peer;
}

/* One walk over libcharon's IKE SAs: tunnel name -> struct sa_info (the
 * established one when a tunnel has several, e.g. while rekeying). Free
 * with sa_infos_free.  O(number of IKE SAs). */
static void sa_infos(struct hashmap *out)
{
	enumerator_t *e = charon->controller->create_ike_sa_enumerator(charon->controller, FALSE);
	ike_sa_t *sa;

	hashmap_init(out, true);
	while (e->enumerate(e, &sa)) {
		const char *name = sa->get_name(sa);
		struct sa_info *i;
		if (!name || !ike_session_find(name))
			continue;
		i = hashmap_get(out, name);
		if (i && sa->get_state(sa) != IKE_ESTABLISHED)
			continue;
		if (!i) {
			i = xcalloc(1, sizeof(*i));
			hashmap_put(out, name, i);
		}
		sa_info_fill(sa, i);
	}
	e->destroy(e);
}

static void sa_infos_free(struct hashmap *m)
{
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(m, e));)
		free(e->value);
	hashmap_clear(m);
}

static const struct sa_info *sa_info_of(const struct hashmap *m, const char *tunnel)
{
	static const struct sa_info none;
	const struct sa_info *i = hashmap_get(m, tunnel);

	return i ? i : &none;
}

static const char *sa_state_show(const struct sa_info *i)
{
	if (!i->found)
		return "Down";
	switch (i->state) {
	case IKE_ESTABLISHED: return "Active";
	case IKE_CONNECTING: return "Negotiating";
	case IKE_REKEYING:
	case IKE_REKEYED: return "Rekeying";
	case IKE_DELETING: return "Deleting";
	default: return "Down";
	}
}

static int cmp_sessions(const void *a, const void *b)
{
	return iface_name_cmp((*(struct session *const *)a)->tunnel,
			      (*(struct session *const *)b)->tunnel);
}

static struct session **sorted_sessions(size_t *n)
{
	struct session **v = ike_sessions_all(n);

	qsort(v, *n, sizeof(*v), cmp_sessions);
	return v;
}

static void addr_port(const struct sockaddr_in *a, char *buf, size_t n)
{
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a->sin_addr, s, sizeof(s));
	snprintf(buf, n, "%s/%u", s, ntohs(a->sin_port));
}

static const char *session_status(const struct session *se, const struct sa_info *info)
{
	return se->up ? "UP-ACTIVE" : info->found ? "UP-NO-IKE" : "DOWN";
}

static unsigned session_peer_port(const struct session *se, const struct sa_info *info)
{
	return info->found ? ntohs(info->remote.sin_port) :
			     (se->peer.port ? se->peer.port : CHARON_UDP_PORT);
}

/* IOS's codes: S VPN-SIP, D DPD, K keepalives (a NAT in front of us), N
 * NAT-T (always: nat force-encap), F IKE fragmentation. */
static void session_caps(const struct session *se, char *buf, size_t n)
{
	const struct crypto_globals *g = crypto_globals(ike_cfg_model);

	snprintf(buf, n, "%s%s%s%s%s", se->vpn_sip ? "S" : "",
		 se->dpd_mode != IKEV2_DPD_OFF ? "D" : "", se->keepalive && se->nat_here ? "K" : "",
		 "N", g && g->fragmentation ? "F" : "");
}

static struct json_object *sa_end_json(const struct sockaddr_in *a)
{
	struct json_object *o = json_object_new_object();
	char s[INET_ADDRSTRLEN];

	json_add_str(o, "address", inet_ntop(AF_INET, &a->sin_addr, s, sizeof(s)));
	json_add_int(o, "port", ntohs(a->sin_port));
	return o;
}

static struct json_object *flow_json(uint64_t pkts, uint64_t drops, unsigned kb, uint64_t used,
				     uint32_t secs)
{
	struct json_object *o = json_object_new_object();

	json_add_u64(o, "packets", pkts);
	json_add_u64(o, "drops", drops);
	json_add_u64(o, "lifeKbRemaining", kb > used ? kb - used : 0);
	json_add_int(o, "lifeSecondsRemaining", secs);
	return o;
}

/* show crypto session [detail] json: the fields of ike_show_session(),
 * from the same session and SA records. */
struct json_object *ike_session_json(const char *tunnel, bool detail)
{
	size_t n;
	struct session **v = sorted_sessions(&n);
	struct dataplane *dp = dataplane_get();
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	struct hashmap infos;

	json_object_object_add(doc, "sessions", list);
	sa_infos(&infos);
	for (size_t i = 0; i < n; i++) {
		struct session *se = v[i];
		struct dp_tunnel_stats st = { 0 };
		const struct ipsec_profile *ip;
		const char *ikn;
		struct json_object *o = json_object_new_object();
		char peer[VPNSIP_ADDR_TEXT_MAX], caps[8];

		if (tunnel && strcasecmp(tunnel, se->tunnel) != 0) {
			json_object_put(o);
			continue;
		}
		struct sa_info info = *sa_info_of(&infos, se->tunnel);
		if (dp)
			dp->tunnel_stats(dp, se->tunnel, &st);
		ike_profiles_of(se, &ip, &ikn);
		vpnsip_addr_text(&se->peer.addr, peer, sizeof(peer));
		json_add_str(o, "interface", se->tunnel);
		json_add_str(o, "status", session_status(se, &info));
		json_add_str(o, "peer", peer);
		json_add_int(o, "peerPort", session_peer_port(se, &info));
		if (info.found) {
			struct json_object *sa = json_object_new_object();
			json_object_object_add(sa, "local", sa_end_json(&info.local));
			json_object_object_add(sa, "remote", sa_end_json(&info.remote));
			json_add_str(sa, "state", sa_state_show(&info));
			json_object_object_add(o, "ikev2Sa", sa);
		} else {
			json_add_str(o, "ikev2Sa", NULL);
		}
		json_add_str(o, "lastFailure", !info.found ? se->last_cause : NULL);
		json_add_int(o, "activeSas", st.n_sa_in + st.n_sa_out);
		if (detail) {
			time_t now = time_monotonic(NULL);
			unsigned kb = crypto_ipsec_lifetime_kb(ike_cfg_model, ip);
			json_add_str(o, "profile", ikn);
			json_add_u64(o, "uptimeSeconds",
				     se->up ? (evloop_now_ms() - se->up_since_ms) / 1000 : 0);
			json_add_str(o, "phase1Id", phase1_id(&info, peer));
			json_add_int(o, "sessionId", se->id);
			session_caps(se, caps, sizeof(caps));
			json_add_str(o, "capabilities", info.found ? caps : NULL);
			if (info.found) {
				json_add_int(o, "connId", info.unique_id);
				json_add_int(o, "lifetimeSeconds",
					     info.rekey > now ? (int64_t)(info.rekey - now) : 0);
			} else {
				json_add_str(o, "connId", NULL);
				json_add_str(o, "lifetimeSeconds", NULL);
			}
			json_object_object_add(o, "inbound",
					       flow_json(st.pkts_in, st.decrypt_errors + st.replay_drops,
							 kb, st.bytes_in / 1024, info.child_life_remaining));
			json_object_object_add(o, "outbound",
					       flow_json(st.pkts_out, st.encrypt_errors + st.trigger_drops,
							 kb, st.bytes_out / 1024, info.child_life_remaining));
			if (se->local_port)
				json_add_int(o, "sessionPort", se->local_port);
			else
				json_add_str(o, "sessionPort", NULL);
		}
		json_object_array_add(list, o);
	}
	free(v);
	sa_infos_free(&infos);
	return doc;
}

void ike_show_session(struct strbuf *out, const char *tunnel, bool detail)
{
	size_t n;
	struct session **v = sorted_sessions(&n);
	struct dataplane *dp = dataplane_get();
	struct hashmap infos;

	sa_infos(&infos);
	sb_puts(out, "Crypto session current status\n\n");
	if (detail)
		sb_puts(out, "Code: C - IKE Configuration mode, D - Dead Peer Detection\n"
			     "K - Keepalives, N - NAT-traversal, T - cTCP encapsulation\n"
			     "X - IKE Extended Authentication, F - IKE Fragmentation\n"
			     "R - IKE Auto Reconnect, U - IKE Dynamic Route Update\n"
			     "S - SIP VPN-SIP\n\n");
	for (size_t i = 0; i < n; i++) {
		struct session *se = v[i];
		struct sa_info info;
		struct dp_tunnel_stats st = { 0 };
		const struct ipsec_profile *ip;
		const char *ikn;
		char peer[VPNSIP_ADDR_TEXT_MAX], l[64], r[64], up[48], life[48];

		if (tunnel && strcasecmp(tunnel, se->tunnel) != 0)
			continue;
		info = *sa_info_of(&infos, se->tunnel);
		if (dp)
			dp->tunnel_stats(dp, se->tunnel, &st);
		ike_profiles_of(se, &ip, &ikn);
		vpnsip_addr_text(&se->peer.addr, peer, sizeof(peer));
		sb_printf(out, "Interface: %s\n", se->tunnel);
		if (detail) {
			sb_printf(out, "Profile: %s\n", ikn ? ikn : "(none)");
			cli_hms_text(se->up ? evloop_now_ms() - se->up_since_ms : 0, up, sizeof(up));
			sb_printf(out, "Uptime: %s\n", up);
		}
		sb_printf(out, "Session status: %s\n", session_status(se, &info));
		sb_printf(out, "Peer: %s port %u%s\n", peer, session_peer_port(se, &info),
			  detail ? " fvrf: (none) ivrf: (none)" : "");
		if (detail) {
			sb_printf(out, "      Phase1_id: %s\n", phase1_id(&info, peer));
			sb_puts(out, "      Desc: (none)\n");
			sb_printf(out, "  Session ID: %u\n", se->id);
		}
		if (info.found) {
			addr_port(&info.local, l, sizeof(l));
			addr_port(&info.remote, r, sizeof(r));
			sb_printf(out, "  IKEv2 SA: local %s remote %s %s\n", l, r, sa_state_show(&info));
			if (detail) {
				time_t now = time_monotonic(NULL);
				cli_hms_text(info.rekey > now ? (uint64_t)(info.rekey - now) * 1000 : 0, life,
					     sizeof(life));
				char caps[8];
				session_caps(se, caps, sizeof(caps));
				sb_printf(out, "      Capabilities:%s connid:%u lifetime:%s\n", caps,
					  info.unique_id, life);
			}
		} else if (se->last_cause) {
			sb_printf(out, "  Last failure: %s\n", se->last_cause);
		}
		sb_puts(out, "  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0\n");
		sb_printf(out, "        Active SAs: %u, origin: crypto map\n", st.n_sa_in + st.n_sa_out);
		if (detail) {
			unsigned kb = crypto_ipsec_lifetime_kb(ike_cfg_model, ip);
			uint64_t used_in = st.bytes_in / 1024, used_out = st.bytes_out / 1024;
			sb_printf(out, "        Inbound:  #pkts dec'ed %llu drop %llu life (KB/Sec) %llu/%u\n",
				  (unsigned long long)st.pkts_in,
				  (unsigned long long)(st.decrypt_errors + st.replay_drops),
				  (unsigned long long)(kb > used_in ? kb - used_in : 0),
				  info.child_life_remaining);
			sb_printf(out, "        Outbound: #pkts enc'ed %llu drop %llu life (KB/Sec) %llu/%u\n",
				  (unsigned long long)st.pkts_out,
				  (unsigned long long)(st.encrypt_errors + st.trigger_drops),
				  (unsigned long long)(kb > used_out ? kb - used_out : 0),
				  info.child_life_remaining);
			if (se->local_port)
				sb_printf(out, "        Session port: udp %u (own socket) <-> %s:%u\n",
					  se->local_port, peer, se->peer.port ? se->peer.port : CHARON_UDP_PORT);
		}
		sb_puts(out, "\n");
	}
	free(v);
	sa_infos_free(&infos);
}

/* "show ip nat translations": a session on its own port is what IOS keeps
 * as a PAT entry (IKE port 4500 <-> the port our SDP announced).  Here the
 * session's socket is on that port itself and nothing is rewritten; the row
 * shows the mapping where an IOS operator looks for it.  Sessions on the
 * default ports have none, as in IOS. */
void ike_nat_rows(nat_xlate_emit_fn row_out, void *ctx, void *arg)
{
	size_t n;
	struct session **v;
	char owner[80];

	if (!ike_cfg_model)
		return;
	v = sorted_sessions(&n);
	for (size_t i = 0; i < n; i++) {
		const struct session *se = v[i];
		if (!se->local_port)
			continue;
		bool known = se->remote.sin_addr.s_addr != 0;
		struct nat_xlate_row r = {
			.proto = IPPROTO_UDP,
			/* the socket is bound to the wildcard until IKE shows the address */
			.inside_global = se->local.sin_addr,
			.inside_global_port = CHARON_NATT_PORT,
			.inside_local = se->local.sin_addr,
			.inside_local_port = se->local_port,
			.outside_local = known ? se->remote.sin_addr : se->peer.addr.v4,
			.outside_local_port = known ? ntohs(se->remote.sin_port) :
						      (se->peer.port ? se->peer.port : CHARON_UDP_PORT),
			.owner = owner,
		};
		r.outside_global = r.outside_local;
		r.outside_global_port = r.outside_local_port;
		snprintf(owner, sizeof(owner), "%s session of %s", se->vpn_sip ? "VPN-SIP" : "IKE",
			 se->tunnel);
		row_out(&r, ctx);
	}
	free(v);
}

static uint64_t spi_local(const struct sa_info *i)
{
	return i->initiator ? i->spi_i : i->spi_r;
}

static uint64_t spi_remote(const struct sa_info *i)
{
	return i->initiator ? i->spi_r : i->spi_i;
}

/* show crypto ikev2 sa [detailed] json: the fields of ike_show_ikev2_sa(). */
struct json_object *ike_ikev2_sa_json(bool detailed)
{
	size_t n;
	struct session **v = sorted_sessions(&n);
	struct hashmap infos;
	const struct crypto_globals *g = crypto_globals(ike_cfg_model);
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	char spi[20];

	json_object_object_add(doc, "sas", list);
	sa_infos(&infos);
	for (size_t i = 0; i < n; i++) {
		const struct session *se = v[i];
		const struct sa_info *info = sa_info_of(&infos, se->tunnel);
		if (!info->found)
			continue;
		struct json_object *o = json_object_new_object();
		json_add_int(o, "tunnelId", info->unique_id);
		json_object_object_add(o, "local", sa_end_json(&info->local));
		json_object_object_add(o, "remote", sa_end_json(&info->remote));
		json_add_str(o, "status", info->state == IKE_ESTABLISHED ? "READY" : sa_state_show(info));
		json_add_str(o, "encryption", info->encr[0] ? info->encr : NULL);
		json_add_str(o, "prf", info->prf);
		json_add_str(o, "hash", info->integ);
		json_add_str(o, "dhGroup", info->dh);
		json_add_str(o, "authSign", info->auth_sign);
		json_add_str(o, "authVerify", info->auth_verify);
		if (detailed) {
			time_t now = time_monotonic(NULL);
			json_add_int(o, "lifeSeconds", info->rekey > info->established ?
							       (int64_t)(info->rekey - info->established) : 0);
			json_add_int(o, "activeSeconds",
				     info->established ? (int64_t)(now - info->established) : 0);
			json_add_str(o, "interface", se->tunnel);
			json_add_bool(o, "vpnSip", se->vpn_sip);
			snprintf(spi, sizeof(spi), "%016llX", (unsigned long long)spi_local(info));
			json_add_str(o, "localSpi", spi);
			snprintf(spi, sizeof(spi), "%016llX", (unsigned long long)spi_remote(info));
			json_add_str(o, "remoteSpi", spi);
			json_add_str(o, "localId", info->my_id);
			json_add_str(o, "remoteId", info->other_id);
			json_add_str(o, "vpnSipPeerNumber", se->vpn_sip ? se->remote_id : NULL);
			if (se->dpd_mode != IKEV2_DPD_OFF) {
				struct json_object *d = json_object_new_object();
				json_add_int(d, "intervalSeconds", se->dpd_interval);
				json_add_int(d, "retrySeconds", se->dpd_retry);
				json_add_str(d, "mode", se->dpd_mode == IKEV2_DPD_PERIODIC ? "periodic" :
											   "on-demand");
				json_add_u64(d, "sent", se->dpd_sent);
				json_object_object_add(o, "dpd", d);
			} else {
				json_add_str(o, "dpd", NULL);
			}
			if (g && g->fragmentation)
				json_add_int(o, "fragmentationMtu", g->fragmentation_mtu ?
					     g->fragmentation_mtu : IKEV2_FRAGMENTATION_MTU_DEFAULT);
			else
				json_add_str(o, "fragmentationMtu", NULL);
			json_add_bool(o, "fragmentationByPeer", info->frag);
			json_add_str(o, "natT", info->nat_here ? "inside" : info->nat_there ? "outside" :
									     "not detected");
			json_add_bool(o, "initiator", info->initiator);
		}
		json_object_array_add(list, o);
	}
	free(v);
	sa_infos_free(&infos);
	return doc;
}

void ike_show_ikev2_sa(struct strbuf *out, bool detailed)
{
	size_t n;
	struct session **v = sorted_sessions(&n);
	struct hashmap infos;
	const struct crypto_globals *g = crypto_globals(ike_cfg_model);

	sa_infos(&infos);
	sb_puts(out, " IPv4 Crypto IKEv2  SA\n\n");
	sb_puts(out, "Tunnel-id Local                 Remote                fvrf/ivrf            Status\n");
	for (size_t i = 0; i < n; i++) {
		const struct session *se = v[i];
		const struct sa_info *info = sa_info_of(&infos, se->tunnel);
		char l[64], r[64];

		if (!info->found)
			continue;
		addr_port(&info->local, l, sizeof(l));
		addr_port(&info->remote, r, sizeof(r));
		sb_printf(out, "%-9u %-21s %-21s %-20s %s\n", info->unique_id, l, r, "none/none",
			  info->state == IKE_ESTABLISHED ? "READY" : sa_state_show(info));
		sb_printf(out, "      Encr: %s, PRF: %s, Hash: %s, DH Grp: %s, Auth sign: %s, Auth verify: %s\n",
			  info->encr[0] ? info->encr : "-", info->prf, info->integ, info->dh,
			  info->auth_sign, info->auth_verify);
		if (detailed) {
			time_t now = time_monotonic(NULL);
			sb_printf(out, "      Life/Active Time: %ld/%ld sec\n",
				  (long)(info->rekey > info->established ? info->rekey - info->established : 0),
				  (long)(info->established ? now - info->established : 0));
			sb_printf(out, "      Interface: %s%s\n", se->tunnel, se->vpn_sip ? "  (VPN-SIP)" : "");
			sb_printf(out, "      Local spi: %016llX       Remote spi: %016llX\n",
				  (unsigned long long)spi_local(info), (unsigned long long)spi_remote(info));
			sb_printf(out, "      Local id: %s\n", info->my_id);
			sb_printf(out, "      Remote id: %s\n", info->other_id);
			if (se->vpn_sip && se->remote_id)
				sb_printf(out, "      VPN-SIP peer number: %s\n", se->remote_id);
			if (se->dpd_mode != IKEV2_DPD_OFF)
				sb_printf(out, "      DPD configured for %u seconds, retry %u (%s), %llu sent\n",
					  se->dpd_interval, se->dpd_retry,
					  se->dpd_mode == IKEV2_DPD_PERIODIC ? "periodic" : "on-demand",
					  (unsigned long long)se->dpd_sent);
			else
				sb_puts(out, "      DPD not configured\n");
			if (g && g->fragmentation)
				sb_printf(out, "      Fragmentation configured (mtu %u), %s by the peer.\n",
					  g->fragmentation_mtu ? g->fragmentation_mtu :
								 IKEV2_FRAGMENTATION_MTU_DEFAULT,
					  info->frag ? "supported" : "not supported");
			else
				sb_puts(out, "      Fragmentation not configured.\n");
			if (info->nat_here)
				sb_printf(out, "      NAT-T is detected inside (keepalives %s, %llu sent)\n",
					  se->keepalive ? "on" : "off",
					  (unsigned long long)se->keepalives_sent);
			else if (info->nat_there)
				sb_puts(out, "      NAT-T is detected outside\n");
			else
				sb_puts(out, "      NAT-T is not detected\n");
			sb_printf(out, "      Initiator of SA : %s\n", info->initiator ? "Yes" : "No");
		}
		sb_puts(out, "\n");
	}
	free(v);
	sa_infos_free(&infos);
}

/* The CHILD SA's transforms as IOS prints them in show crypto ipsec sa
 * ("esp-256-aes esp-sha256-hmac", "esp-gcm 256"); "esp" when unknown. */
static void esp_transform_text(const struct session *se, char *buf, size_t n)
{
	char enc[24] = "";
	const char *integ = NULL;

	switch (se->enc_alg) {
	case ENCR_AES_CBC:
		if (se->enc_key_bits == 128)
			snprintf(enc, sizeof(enc), "esp-aes");
		else
			snprintf(enc, sizeof(enc), "esp-%u-aes", se->enc_key_bits);
		break;
	case ENCR_AES_GCM_ICV16: snprintf(enc, sizeof(enc), "esp-gcm %u", se->enc_key_bits); break;
	case ENCR_NULL_AUTH_AES_GMAC: snprintf(enc, sizeof(enc), "esp-gmac %u", se->enc_key_bits); break;
	case ENCR_3DES: snprintf(enc, sizeof(enc), "esp-3des"); break;
	case ENCR_DES: snprintf(enc, sizeof(enc), "esp-des"); break;
	case ENCR_NULL: snprintf(enc, sizeof(enc), "esp-null"); break;
	default: break;
	}
	switch (se->int_alg) {
	case AUTH_HMAC_SHA1_96: integ = "esp-sha-hmac"; break;
	case AUTH_HMAC_SHA2_256_128: integ = "esp-sha256-hmac"; break;
	case AUTH_HMAC_SHA2_384_192: integ = "esp-sha384-hmac"; break;
	case AUTH_HMAC_SHA2_512_256: integ = "esp-sha512-hmac"; break;
	case AUTH_HMAC_MD5_96: integ = "esp-md5-hmac"; break;
	default: break;
	}
	if (!enc[0] && !integ)
		snprintf(buf, n, "esp");
	else
		snprintf(buf, n, "%s%s%s", enc, enc[0] && integ ? " " : "", integ ? integ : "");
}

void ike_show_ipsec_sa(struct strbuf *out, const char *tunnel)
{
	size_t n;
	struct session **v = sorted_sessions(&n);
	struct dataplane *dp = dataplane_get();

	for (size_t i = 0; i < n; i++) {
		struct session *se = v[i];
		struct dp_tunnel_stats st = { 0 };
		struct dp_sa_stats in = { 0 };
		char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
		const struct iface_cfg *ifc = iface_find(&ike_cfg_model->ifaces, se->tunnel);
		const struct tunnel_ext *t = ifc ? tunnel_ext_get(ifc) : NULL;

		if (tunnel && strcasecmp(tunnel, se->tunnel) != 0)
			continue;
		if (dp) {
			dp->tunnel_stats(dp, se->tunnel, &st);
			if (st.spi_in)
				dp->sa_query(dp, st.spi_in, true, &in);
		}
		inet_ntop(AF_INET, &se->local.sin_addr, l, sizeof(l));
		vpnsip_addr_text(&se->peer.addr, r, sizeof(r));
		sb_printf(out, "interface: %s\n", se->tunnel);
		sb_printf(out, "    Crypto map tag: %s-head-0, local addr %s\n\n", se->tunnel, l);
		sb_puts(out, "   protected vrf: (none)\n");
		sb_puts(out, "   local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)\n");
		sb_puts(out, "   remote ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)\n");
		sb_printf(out, "   current_peer %s port %u\n", r,
			  se->remote.sin_port ? ntohs(se->remote.sin_port) :
						(se->peer.port ? se->peer.port : CHARON_UDP_PORT));
		sb_puts(out, "     PERMIT, flags={origin_is_acl,}\n");
		sb_printf(out, "    #pkts encaps: %llu, #pkts encrypt: %llu, #pkts digest: %llu\n",
			  (unsigned long long)st.pkts_out, (unsigned long long)st.pkts_out,
			  (unsigned long long)st.pkts_out);
		sb_printf(out, "    #pkts decaps: %llu, #pkts decrypt: %llu, #pkts verify: %llu\n",
			  (unsigned long long)st.pkts_in, (unsigned long long)st.pkts_in,
			  (unsigned long long)st.pkts_in);
		sb_printf(out, "    #bytes encaps: %llu, #bytes decaps: %llu\n",
			  (unsigned long long)st.bytes_out, (unsigned long long)st.bytes_in);
		sb_printf(out, "    #send errors %llu, #recv errors %llu\n",
			  (unsigned long long)st.encrypt_errors, (unsigned long long)st.decrypt_errors);
		sb_printf(out, "    #replay drops %llu, #trigger drops %llu (triggers %llu), #mss clamped %llu\n\n",
			  (unsigned long long)st.replay_drops, (unsigned long long)st.trigger_drops,
			  (unsigned long long)st.triggers, (unsigned long long)st.mss_clamped);
		sb_printf(out, "     local crypto endpt.: %s, remote crypto endpt.: %s\n", l, r);
		sb_printf(out, "     plaintext mtu %u, path mtu 1500, ip mtu 1500, ip mtu idb %s\n",
			  ifc ? tunnel_mtu(ifc) : TUNNEL_DEFAULT_MTU, se->tunnel);
		sb_printf(out, "     current outbound spi: 0x%X(%u)\n", st.spi_out, st.spi_out);
		static const char *const dfn[] = { "copy", "clear", "set" };
		int df = ifc ? (int)crypto_ipsec_df_bit(ike_cfg_model, ifc) : 0;
		sb_printf(out, "     df-bit: %s, replay window: %s%u\n", dfn[df % 3],
			  st.spi_in && !in.replay_window ? "disabled " : "", in.replay_window);
		(void)t;
		char xf[64];
		esp_transform_text(se, xf, sizeof(xf));
		sb_puts(out, "\n     inbound esp sas:\n");
		if (st.spi_in)
			sb_printf(out, "      spi: 0x%X(%u)\n        transform: %s , in use settings ={Tunnel UDP-Encaps, }\n"
				       "        replay detection support: %s\n        Status: ACTIVE(ACTIVE)\n",
				  st.spi_in, st.spi_in, xf, in.replay_window ? "Y" : "N");
		sb_puts(out, "\n     outbound esp sas:\n");
		if (st.spi_out)
			sb_printf(out, "      spi: 0x%X(%u)\n        transform: %s , in use settings ={Tunnel UDP-Encaps, }\n"
				       "        Status: ACTIVE(ACTIVE)\n",
				  st.spi_out, st.spi_out, xf);
		sb_puts(out, "\n");
	}
	free(v);
}
