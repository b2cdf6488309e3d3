/* IKEv2 configuration: keyrings and their peers, profiles, proposals,
 * policies and the IKEv2 globals; their running-config and show commands. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"


#define KR_NODE "config-ikev2-keyring"
#define PEER_NODE "config-ikev2-keyring-peer"
#define PROF_NODE "config-ikev2-profile"
#define PROP_NODE "config-ikev2-proposal"
#define POL_NODE "config-ikev2-policy"

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

static void wipe_str(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* ---- keyring ------------------------------------------------------------------- */

static int cmd_keyring(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct ikev2_keyring *k = nl_get(&c->keyrings, name);

	if (x->is_no) {
		if (!k)
			return cli_error(x, "IKEv2 keyring %s does not exist", name);
		crypto_free_object("keyring", nl_del(&c->keyrings, name));
		crypto_changed(cfg_of(x));
		return CLI_OK;
	}
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		k->name = xstrdup(name);
		hashmap_init(&k->by_identity, false);
		nl_add(&c->keyrings, name, k);
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, KR_NODE, name);
	return CLI_OK;
}

static struct ikev2_keyring *cur_keyring(struct cli_exec *x)
{
	const char *name = cli_key(x, KR_NODE);
	struct ikev2_keyring *k = nl_get(&crypto_model_x(x)->keyrings, name);

	if (!k)
		cli_error(x, "IKEv2 keyring %s no longer exists", name ? name : "?");
	return k;
}

static struct ikev2_keyring_peer *find_peer(struct ikev2_keyring *k, const char *name, size_t *idx)
{
	for (size_t i = 0; i < k->npeers; i++)
		if (strcmp(k->peers[i]->name, name) == 0) {
			if (idx)
				*idx = i;
			return k->peers[i];
		}
	return NULL;
}

static int cmd_peer(struct cli_exec *x)
{
	struct ikev2_keyring *k = cur_keyring(x);
	const char *name = cli_arg(x, "name");
	struct ikev2_keyring_peer *p;
	size_t idx;

	if (!k)
		return CLI_ERR_FAILED;
	p = find_peer(k, name, &idx);
	if (x->is_no) {
		if (!p)
			return cli_error(x, "Peer %s does not exist in keyring %s", name, k->name);
		memmove(&k->peers[idx], &k->peers[idx + 1], (k->npeers - idx - 1) * sizeof(*k->peers));
		k->npeers--;
		keyring_peer_free(p);
		keyring_reindex(k);
		crypto_changed(cfg_of(x));
		return CLI_OK;
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		xgrow(&k->peers, &k->cappeers, k->npeers + 1, sizeof(*k->peers));
		k->peers[k->npeers++] = p;
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, PEER_NODE, name);
	return CLI_OK;
}

static struct ikev2_keyring_peer *cur_peer(struct cli_exec *x, struct ikev2_keyring **kp)
{
	struct ikev2_keyring *k = cur_keyring(x);
	const char *name = cli_key(x, PEER_NODE);
	struct ikev2_keyring_peer *p = k && name ? find_peer(k, name, NULL) : NULL;

	if (k && !p)
		cli_error(x, "Peer %s no longer exists", name ? name : "?");
	*kp = k;
	return p;
}

static int cmd_peer_identity(struct cli_exec *x)
{
	struct ikev2_keyring *k;
	struct ikev2_keyring_peer *p = cur_peer(x, &k);

	if (!p)
		return CLI_ERR_FAILED;
	bool had = p->identity.type != CRYPTO_ID_NONE;
	if (x->is_no) {
		crypto_id_free(&p->identity);
		keyring_reindex(k);
	} else if (!crypto_id_set(&p->identity, cli_arg(x, "type"), cli_arg(x, "value"))) {
		keyring_reindex(k);
		return cli_error(x, "Invalid identity");
	} else {
		keyring_index_peer(k, p, had);
	}
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

static int cmd_peer_address(struct cli_exec *x)
{
	struct ikev2_keyring *k;
	struct ikev2_keyring_peer *p = cur_peer(x, &k);

	if (!p)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		p->has_address = false;
	} else {
		const char *mask = cli_arg(x, "mask");
		struct in_addr a, m = { .s_addr = 0xffffffff };
		unsigned len = 32;
		inet_pton(AF_INET, cli_arg(x, "addr"), &a);
		if (mask && (inet_pton(AF_INET, mask, &m) != 1 || !ipv4_mask_to_len(m, &len)))
			return cli_error(x, "Invalid mask %s", mask);
		p->has_address = true;
		p->address.addr.s_addr = a.s_addr & ipv4_len_to_mask(len).s_addr;
		p->address.len = len;
	}
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

static int cmd_peer_description(struct cli_exec *x)
{
	struct ikev2_keyring *k;
	struct ikev2_keyring_peer *p = cur_peer(x, &k);

	if (!p)
		return CLI_ERR_FAILED;
	set_str(&p->description, x->is_no ? NULL : cli_arg(x, "text"));
	return CLI_OK;
}

static int cmd_peer_psk(struct cli_exec *x)
{
	struct ikev2_keyring *k;
	struct ikev2_keyring_peer *p = cur_peer(x, &k);
	const char *dir = cli_arg(x, "dir");
	char *key;

	if (!p)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		if (!dir || strcmp(dir, "local") == 0)
			wipe_str(&p->psk_local);
		if (!dir || strcmp(dir, "remote") == 0)
			wipe_str(&p->psk_remote);
		p->psk_both = false;
		crypto_changed(cfg_of(x));
		return CLI_OK;
	}
	key = crypto_key_decode(x, cli_arg(x, "type"), cli_arg(x, "secret"));
	if (!key)
		return CLI_ERR_FAILED;
	crypto_warn_short_psk(x, key);
	if (!dir) {
		wipe_str(&p->psk_local);
		wipe_str(&p->psk_remote);
		p->psk_local = key;
		p->psk_remote = xstrdup(key);
		p->psk_both = true;
	} else {
		char **slot = strcmp(dir, "local") == 0 ? &p->psk_local : &p->psk_remote;
		wipe_str(slot);
		*slot = key;
		p->psk_both = false;
	}
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

/* ---- profile ------------------------------------------------------------------------ */

static int cmd_profile(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct ikev2_profile *p = nl_get(&c->profiles, name);

	if (x->is_no) {
		if (!p)
			return cli_error(x, "IKEv2 profile %s does not exist", name);
		crypto_free_object("profile", nl_del(&c->profiles, name));
		crypto_changed(cfg_of(x));
		return CLI_OK;
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		p->lifetime = IKEV2_LIFETIME_DEFAULT;
		nl_add(&c->profiles, name, p);
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, PROF_NODE, name);
	return CLI_OK;
}

static struct ikev2_profile *cur_profile(struct cli_exec *x)
{
	const char *name = cli_key(x, PROF_NODE);
	struct ikev2_profile *p = nl_get(&crypto_model_x(x)->profiles, name);

	if (!p)
		cli_error(x, "IKEv2 profile %s no longer exists", name ? name : "?");
	return p;
}

#define PROFILE_OR_FAIL(p)                      \
	struct ikev2_profile *p = cur_profile(x); \
	if (!p)                                 \
		return CLI_ERR_FAILED

static int done(struct cli_exec *x)
{
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

static int cmd_prof_description(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	set_str(&p->description, x->is_no ? NULL : cli_arg(x, "text"));
	return CLI_OK;
}

static int cmd_prof_match_any(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	p->match_any = !x->is_no;
	return done(x);
}

static int cmd_prof_match_id(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	struct crypto_id id = { 0 };
	const char *type = cli_opt(x, "type");

	if (!type) { /* no match identity remote: all of them */
		for (size_t i = 0; i < p->nmatch_ids; i++)
			crypto_id_free(&p->match_ids[i]);
		p->nmatch_ids = 0;
		p->match_any = false;
		return done(x);
	}
	if (!crypto_id_set(&id, type, cli_arg(x, "value")))
		return cli_error(x, "Invalid identity");
	id.domain = cli_has(x, "domain");
	if (cli_opt(x, "mask")) {
		struct in_addr m;
		unsigned len;
		if (inet_pton(AF_INET, cli_arg(x, "mask"), &m) != 1 || !ipv4_mask_to_len(m, &len)) {
			crypto_id_free(&id);
			return cli_error(x, "Invalid mask %s", cli_arg(x, "mask"));
		}
		id.prefix_len = len == 32 ? 0 : len;
		id.addr.s_addr &= ipv4_len_to_mask(len).s_addr;
		if (len != 32) { /* as written back: the network address */
			char a[INET_ADDRSTRLEN];
			free(id.value);
			id.value = xstrdup(inet_ntop(AF_INET, &id.addr, a, sizeof(a)));
		}
	}
	for (size_t i = 0; i < p->nmatch_ids; i++) {
		if (crypto_id_equal(&p->match_ids[i], &id)) {
			if (x->is_no) {
				crypto_id_free(&p->match_ids[i]);
				memmove(&p->match_ids[i], &p->match_ids[i + 1],
					(p->nmatch_ids - i - 1) * sizeof(id));
				p->nmatch_ids--;
			}
			crypto_id_free(&id);
			return done(x);
		}
	}
	if (x->is_no) {
		crypto_id_free(&id);
		return CLI_OK;
	}
	xgrow(&p->match_ids, &p->capmatch_ids, p->nmatch_ids + 1, sizeof(id));
	p->match_ids[p->nmatch_ids++] = id;
	return done(x);
}

static int cmd_prof_match_cert(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	const char *map = cli_arg(x, "map");

	for (size_t i = 0; i < p->nmatch_cert_maps; i++) {
		if (!map || strcmp(p->match_cert_maps[i], map) == 0) {
			if (!x->is_no)
				return CLI_OK;
			free(p->match_cert_maps[i]);
			memmove(&p->match_cert_maps[i], &p->match_cert_maps[i + 1],
				(p->nmatch_cert_maps - i - 1) * sizeof(char *));
			p->nmatch_cert_maps--;
			i--;
		}
	}
	if (!x->is_no) {
		xgrow(&p->match_cert_maps, &p->capmatch_cert_maps, p->nmatch_cert_maps + 1,
		      sizeof(char *));
		p->match_cert_maps[p->nmatch_cert_maps++] = xstrdup(map);
	}
	return done(x);
}

static int cmd_prof_identity_local(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	if (x->is_no)
		crypto_id_free(&p->identity_local);
	else if (!crypto_id_set(&p->identity_local, cli_arg(x, "type"), cli_opt(x, "value")))
		return cli_error(x, "Invalid identity");
	return done(x);
}

static int cmd_prof_auth(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	bool local = cli_has(x, "local");
	const char *method = cli_arg(x, "method");
	bool psk = method && strcmp(method, "pre-share") == 0;
	char *key = NULL;

	if (!x->is_no && cli_opt(x, "secret")) { /* the form with a key */
		key = crypto_key_decode(x, cli_arg(x, "type"), cli_arg(x, "secret"));
		if (!key)
			return CLI_ERR_FAILED;
		crypto_warn_short_psk(x, key);
	}
	if (local) {
		if (x->is_no) {
			if (!method || (psk ? p->auth_local == IKEV2_AUTH_PSK
					    : p->auth_local == IKEV2_AUTH_RSA_SIG))
				p->auth_local = IKEV2_AUTH_NONE;
			if (!method || psk)
				wipe_str(&p->auth_local_key);
		} else {
			p->auth_local = psk ? IKEV2_AUTH_PSK : IKEV2_AUTH_RSA_SIG;
			wipe_str(&p->auth_local_key);
			p->auth_local_key = key;
		}
	} else {
		if (x->is_no) {
			if (!method || psk) {
				p->auth_remote_psk = false;
				wipe_str(&p->auth_remote_key);
			}
			if (!method || !psk)
				p->auth_remote_rsa = false;
		} else if (psk) {
			p->auth_remote_psk = true;
			wipe_str(&p->auth_remote_key);
			p->auth_remote_key = key;
		} else {
			p->auth_remote_rsa = true;
		}
	}
	return done(x);
}

static int cmd_prof_keyring(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	set_str(&p->keyring_local, x->is_no ? NULL : cli_arg(x, "name"));
	return done(x);
}

static int cmd_prof_trustpoint(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	set_str(&p->pki_trustpoint, x->is_no ? NULL : cli_arg(x, "name"));
	return done(x);
}

static int cmd_prof_dpd(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	if (x->is_no) {
		p->dpd_interval = p->dpd_retry = 0;
		p->dpd_mode = IKEV2_DPD_OFF;
	} else {
		p->dpd_interval = (unsigned)cli_arg_long(x, "interval", 0);
		p->dpd_retry = (unsigned)cli_arg_long(x, "retry", 0);
		p->dpd_mode = strcmp(cli_arg(x, "mode"), "periodic") == 0 ? IKEV2_DPD_PERIODIC
									   : IKEV2_DPD_ON_DEMAND;
	}
	return done(x);
}

static int cmd_prof_nat_force_encap(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	p->nat_force_encap = !x->is_no;
	return done(x);
}

static int cmd_prof_nat_keepalive(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	p->nat_keepalive = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	return done(x);
}

static int cmd_prof_lifetime(struct cli_exec *x)
{
	PROFILE_OR_FAIL(p);
	p->lifetime = x->is_no ? IKEV2_LIFETIME_DEFAULT : (unsigned)cli_arg_long(x, "seconds", 0);
	return done(x);
}

/* ---- proposal ---------------------------------------------------------------------------- */

static int cmd_proposal(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct ikev2_proposal *p = nl_get(&c->proposals, name);

	if (strcmp(name, "default") == 0)
		return cli_error(x, "The default proposal cannot be modified");
	if (x->is_no) {
		if (!p)
			return cli_error(x, "IKEv2 proposal %s does not exist", name);
		crypto_free_object("proposal", nl_del(&c->proposals, name));
		return done(x);
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		nl_add(&c->proposals, name, p);
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, PROP_NODE, name);
	return CLI_OK;
}

static struct ikev2_proposal *cur_proposal(struct cli_exec *x)
{
	const char *name = cli_key(x, PROP_NODE);
	struct ikev2_proposal *p = nl_get(&crypto_model_x(x)->proposals, name);

	if (!p)
		cli_error(x, "IKEv2 proposal %s no longer exists", name ? name : "?");
	return p;
}

static const char *const arg_names[IKEV2_MAX_ALGS] = { "a1", "a2", "a3", "a4",
						       "a5", "a6", "a7", "a8" };

/* encryption, integrity and prf name up to four algorithms (a1..a4). */
#define PROP_ALG_ARGS 4

/* Add (or with no, remove) the algorithms named a1..aN to a list; nargs:
 * the N of the command's syntax. */
static int alg_list(struct cli_exec *x, size_t nargs, unsigned *list, size_t *n,
		    unsigned (*parse)(const char *), bool (*valid)(unsigned), const char *what)
{
	bool any = false;

	if (x->is_no && !cli_arg(x, "a1")) {
		*n = 0;
		return done(x);
	}
	for (size_t a = 0; a < nargs && a < IKEV2_MAX_ALGS; a++) {
		const char *w = cli_arg(x, arg_names[a]);
		if (!w)
			continue;
		unsigned v = parse(w);
		if (valid && !valid(v))
			return cli_error(x, "Invalid %s %s", what, w);
		size_t i;
		for (i = 0; i < *n && list[i] != v; i++)
			;
		if (x->is_no && i < *n) {
			memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
			(*n)--;
		} else if (!x->is_no && i == *n) {
			if (*n == IKEV2_MAX_ALGS)
				return cli_error(x, "At most %d %s algorithms", IKEV2_MAX_ALGS, what);
			list[(*n)++] = v;
		}
		any = true;
	}
	(void)any;
	return done(x);
}

static unsigned parse_encr(const char *w)
{
	for (unsigned e = 0; e < IKEV2_ENCR_COUNT; e++)
		if (strcmp(w, ikev2_encr_name(e)) == 0)
			return e;
	return 0;
}

static unsigned parse_hash(const char *w)
{
	for (unsigned h = 0; h < IKEV2_HASH_COUNT; h++)
		if (strcmp(w, ikev2_hash_name(h)) == 0)
			return h;
	return 0;
}

static unsigned parse_group(const char *w)
{
	return (unsigned)strtoul(w, NULL, 10);
}

static int cmd_prop_encryption(struct cli_exec *x)
{
	struct ikev2_proposal *p = cur_proposal(x);
	if (!p)
		return CLI_ERR_FAILED;
	return alg_list(x, PROP_ALG_ARGS, (unsigned *)p->encr, &p->nencr, parse_encr, NULL,
			"encryption");
}

static int cmd_prop_integrity(struct cli_exec *x)
{
	struct ikev2_proposal *p = cur_proposal(x);
	if (!p)
		return CLI_ERR_FAILED;
	return alg_list(x, PROP_ALG_ARGS, (unsigned *)p->integ, &p->ninteg, parse_hash, NULL,
			"integrity");
}

static int cmd_prop_prf(struct cli_exec *x)
{
	struct ikev2_proposal *p = cur_proposal(x);
	if (!p)
		return CLI_ERR_FAILED;
	return alg_list(x, PROP_ALG_ARGS, (unsigned *)p->prf, &p->nprf, parse_hash, NULL,
			"prf");
}

static int cmd_prop_group(struct cli_exec *x)
{
	struct ikev2_proposal *p = cur_proposal(x);
	if (!p)
		return CLI_ERR_FAILED;
	return alg_list(x, IKEV2_MAX_ALGS, p->group, &p->ngroup, parse_group, ikev2_group_valid,
			"DH group");
}

/* ---- policy ------------------------------------------------------------------------------------ */

static int cmd_policy(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct ikev2_policy *p = nl_get(&c->policies, name);

	if (strcmp(name, "default") == 0)
		return cli_error(x, "The default policy cannot be modified");
	if (x->is_no) {
		if (!p)
			return cli_error(x, "IKEv2 policy %s does not exist", name);
		crypto_free_object("policy", nl_del(&c->policies, name));
		return done(x);
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		nl_add(&c->policies, name, p);
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, POL_NODE, name);
	return CLI_OK;
}

static struct ikev2_policy *cur_policy(struct cli_exec *x)
{
	const char *name = cli_key(x, POL_NODE);
	struct ikev2_policy *p = nl_get(&crypto_model_x(x)->policies, name);

	if (!p)
		cli_error(x, "IKEv2 policy %s no longer exists", name ? name : "?");
	return p;
}

static int cmd_pol_proposal(struct cli_exec *x)
{
	struct ikev2_policy *p = cur_policy(x);
	const char *name = cli_arg(x, "name");

	if (!p)
		return CLI_ERR_FAILED;
	for (size_t i = 0; i < p->nproposals; i++) {
		if (!name || strcmp(p->proposals[i], name) == 0) {
			if (!x->is_no)
				return CLI_OK;
			free(p->proposals[i]);
			memmove(&p->proposals[i], &p->proposals[i + 1],
				(p->nproposals - i - 1) * sizeof(char *));
			p->nproposals--;
			i--;
		}
	}
	if (!x->is_no) {
		xgrow(&p->proposals, &p->capproposals, p->nproposals + 1, sizeof(char *));
		p->proposals[p->nproposals++] = xstrdup(name);
	}
	return done(x);
}

static int cmd_pol_match_local(struct cli_exec *x)
{
	struct ikev2_policy *p = cur_policy(x);

	if (!p)
		return CLI_ERR_FAILED;
	p->has_match_local = !x->is_no;
	if (!x->is_no)
		inet_pton(AF_INET, cli_arg(x, "addr"), &p->match_local);
	return done(x);
}

/* ---- IKEv2 globals ----------------------------------------------------------------------------- */


static int cmd_nat_keepalive(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);

	c->g.nat_keepalive = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	c->nat_keepalive_isakmp = cli_has(x, "isakmp");
	return done(x);
}

static int cmd_fragmentation(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);

	c->g.fragmentation = !x->is_no;
	c->g.fragmentation_mtu =
		x->is_no ? IKEV2_FRAGMENTATION_MTU_DEFAULT
			 : (unsigned)cli_arg_long(x, "bytes", IKEV2_FRAGMENTATION_MTU_DEFAULT);
	return done(x);
}

static int cmd_invalid_spi(struct cli_exec *x)
{
	crypto_model_x(x)->g.invalid_spi_recovery = !x->is_no;
	return done(x);
}

/* ---- running-config ---------------------------------------------------------------------------- */

static void write_id(const char *prefix, const struct crypto_id *id, struct strbuf *out)
{
	sb_printf(out, "%s", prefix);
	crypto_id_text(id, out);
	sb_putc(out, '\n');
}

static void write_proposals(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->proposals.n; i++) {
		const struct ikev2_proposal *p = c->proposals.v[i];
		sb_printf(out, "crypto ikev2 proposal %s \n", p->name);
		if (p->nencr) {
			sb_puts(out, " encryption");
			for (size_t k = 0; k < p->nencr; k++)
				sb_printf(out, " %s", ikev2_encr_name(p->encr[k]));
			sb_putc(out, '\n');
		}
		if (p->ninteg) {
			sb_puts(out, " integrity");
			for (size_t k = 0; k < p->ninteg; k++)
				sb_printf(out, " %s", ikev2_hash_name(p->integ[k]));
			sb_putc(out, '\n');
		}
		if (p->nprf) {
			sb_puts(out, " prf");
			for (size_t k = 0; k < p->nprf; k++)
				sb_printf(out, " %s", ikev2_hash_name(p->prf[k]));
			sb_putc(out, '\n');
		}
		if (p->ngroup) {
			sb_puts(out, " group");
			for (size_t k = 0; k < p->ngroup; k++)
				sb_printf(out, " %u", p->group[k]);
			sb_putc(out, '\n');
		}
		sb_puts(out, "!\n");
	}
	for (size_t i = 0; c && i < c->policies.n; i++) {
		const struct ikev2_policy *p = c->policies.v[i];
		char a[INET_ADDRSTRLEN];
		sb_printf(out, "crypto ikev2 policy %s \n", p->name);
		if (p->has_match_local)
			sb_printf(out, " match address local %s\n",
				  inet_ntop(AF_INET, &p->match_local, a, sizeof(a)));
		for (size_t k = 0; k < p->nproposals; k++)
			sb_printf(out, " proposal %s\n", p->proposals[k]);
		sb_puts(out, "!\n");
	}
}

static void write_keyrings(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->keyrings.n; i++) {
		const struct ikev2_keyring *k = c->keyrings.v[i];
		sb_printf(out, "crypto ikev2 keyring %s\n", k->name);
		for (size_t j = 0; j < k->npeers; j++) {
			const struct ikev2_keyring_peer *p = k->peers[j];
			sb_printf(out, " peer %s\n", p->name);
			if (p->description)
				sb_printf(out, "  description %s\n", p->description);
			if (p->has_address) {
				char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
				struct in_addr mask = ipv4_len_to_mask(p->address.len);
				inet_ntop(AF_INET, &p->address.addr, a, sizeof(a));
				inet_ntop(AF_INET, &mask, m, sizeof(m));
				if (p->address.len == 32)
					sb_printf(out, "  address %s\n", a);
				else
					sb_printf(out, "  address %s %s\n", a, m);
			}
			if (p->identity.type != CRYPTO_ID_NONE)
				write_id("  identity ", &p->identity, out);
			if (p->psk_both && p->psk_local) {
				sb_puts(out, "  pre-shared-key ");
				crypto_key_write(cfg, p->psk_local, out);
				sb_putc(out, '\n');
			} else {
				if (p->psk_local) {
					sb_puts(out, "  pre-shared-key local ");
					crypto_key_write(cfg, p->psk_local, out);
					sb_putc(out, '\n');
				}
				if (p->psk_remote) {
					sb_puts(out, "  pre-shared-key remote ");
					crypto_key_write(cfg, p->psk_remote, out);
					sb_putc(out, '\n');
				}
			}
			sb_puts(out, " !\n");
		}
		sb_puts(out, "!\n");
	}
}

static const char *auth_name(enum ikev2_auth a)
{
	return a == IKEV2_AUTH_PSK ? "pre-share" : a == IKEV2_AUTH_RSA_SIG ? "rsa-sig" : "none";
}

static void write_profiles(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->profiles.n; i++) {
		const struct ikev2_profile *p = c->profiles.v[i];
		sb_printf(out, "crypto ikev2 profile %s\n", p->name);
		if (p->description)
			sb_printf(out, " description %s\n", p->description);
		for (size_t k = 0; k < p->nmatch_cert_maps; k++)
			sb_printf(out, " match certificate %s\n", p->match_cert_maps[k]);
		if (p->match_any)
			sb_puts(out, " match identity remote any\n");
		for (size_t k = 0; k < p->nmatch_ids; k++)
			write_id(" match identity remote ", &p->match_ids[k], out);
		if (p->identity_local.type != CRYPTO_ID_NONE)
			write_id(" identity local ", &p->identity_local, out);
		if (p->auth_remote_psk) {
			sb_puts(out, " authentication remote pre-share");
			if (p->auth_remote_key) {
				sb_puts(out, " key ");
				crypto_key_write(cfg, p->auth_remote_key, out);
			}
			sb_putc(out, '\n');
		}
		if (p->auth_remote_rsa)
			sb_puts(out, " authentication remote rsa-sig\n");
		if (p->auth_local != IKEV2_AUTH_NONE) {
			sb_printf(out, " authentication local %s", auth_name(p->auth_local));
			if (p->auth_local_key) {
				sb_puts(out, " key ");
				crypto_key_write(cfg, p->auth_local_key, out);
			}
			sb_putc(out, '\n');
		}
		if (p->keyring_local)
			sb_printf(out, " keyring local %s\n", p->keyring_local);
		if (p->pki_trustpoint)
			sb_printf(out, " pki trustpoint %s\n", p->pki_trustpoint);
		if (p->lifetime != IKEV2_LIFETIME_DEFAULT)
			sb_printf(out, " lifetime %u\n", p->lifetime);
		if (p->dpd_mode != IKEV2_DPD_OFF)
			sb_printf(out, " dpd %u %u %s\n", p->dpd_interval, p->dpd_retry,
				  p->dpd_mode == IKEV2_DPD_PERIODIC ? "periodic" : "on-demand");
		if (p->nat_keepalive)
			sb_printf(out, " nat keepalive %u\n", p->nat_keepalive);
		if (p->nat_force_encap)
			sb_puts(out, " nat force-encap\n");
		sb_puts(out, "!\n");
	}
}

static void write_ikev2_globals(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_globals *g = crypto_globals(cfg);
	const struct crypto_cfg *c = crypto_model_get(cfg);

	if (g->nat_keepalive)
		sb_printf(out, "crypto %s nat keepalive %u\n",
			  c && c->nat_keepalive_isakmp ? "isakmp" : "ikev2", g->nat_keepalive);
	if (g->invalid_spi_recovery)
		sb_puts(out, "crypto isakmp invalid-spi-recovery\n");
	if (g->fragmentation) {
		if (g->fragmentation_mtu != IKEV2_FRAGMENTATION_MTU_DEFAULT)
			sb_printf(out, "crypto ikev2 fragmentation mtu %u\n", g->fragmentation_mtu);
		else
			sb_puts(out, "crypto ikev2 fragmentation\n");
	}
}

/* ---- show ------------------------------------------------------------------------------------ */

static void show_id_list(const struct ikev2_profile *p, struct strbuf *out)
{
	if (!p->match_any && !p->nmatch_ids) {
		sb_puts(out, "  Identities: none\n");
		return;
	}
	sb_puts(out, "  Identities: \n");
	if (p->match_any)
		sb_puts(out, "   any\n");
	for (size_t k = 0; k < p->nmatch_ids; k++) {
		sb_puts(out, "   ");
		crypto_id_text(&p->match_ids[k], out);
		sb_putc(out, '\n');
	}
}

static void show_profile(const struct config *cfg, const struct ikev2_profile *p,
			 struct strbuf *out)
{
	sb_printf(out, "IKEv2 profile: %s\n", p->name);
	if (p->description)
		sb_printf(out, " Description: %s\n", p->description);
	sb_puts(out, " Shutdown : No\n Match criteria: \n  Fvrf: global\n"
		     "  Local address/interface: none\n");
	show_id_list(p, out);
	if (p->nmatch_cert_maps) {
		sb_puts(out, "  Certificate maps: \n");
		for (size_t k = 0; k < p->nmatch_cert_maps; k++)
			sb_printf(out, "   %s\n", p->match_cert_maps[k]);
	} else {
		sb_puts(out, "  Certificate maps: none\n");
	}
	sb_puts(out, " Local identity: ");
	if (p->identity_local.type != CRYPTO_ID_NONE)
		crypto_id_text(&p->identity_local, out);
	else
		sb_puts(out, "none");
	sb_printf(out, "\n Remote identity: none\n Local authentication method: %s\n",
		  auth_name(p->auth_local));
	sb_puts(out, " Remote authentication method(s):");
	if (p->auth_remote_psk)
		sb_puts(out, " pre-share");
	if (p->auth_remote_rsa)
		sb_puts(out, " rsa-sig");
	if (!p->auth_remote_psk && !p->auth_remote_rsa)
		sb_puts(out, " none");
	sb_printf(out, "\n EAP options: none\n Keyring: %s\n Trustpoint(s): %s\n",
		  p->keyring_local ? p->keyring_local : "none",
		  p->pki_trustpoint ? p->pki_trustpoint : "none");
	sb_printf(out, " Lifetime: %u seconds\n", p->lifetime);
	if (p->dpd_mode == IKEV2_DPD_OFF)
		sb_puts(out, " DPD: disabled\n");
	else
		sb_printf(out, " DPD: interval %u retry %u %s\n", p->dpd_interval, p->dpd_retry,
			  p->dpd_mode == IKEV2_DPD_PERIODIC ? "periodic" : "on-demand");
	unsigned ka = p->nat_keepalive ? p->nat_keepalive : crypto_globals(cfg)->nat_keepalive;
	if (ka)
		sb_printf(out, " NAT-keepalive: %u seconds\n", ka);
	else
		sb_puts(out, " NAT-keepalive: disabled\n");
	sb_printf(out, " NAT force-encap: %s\n", p->nat_force_encap ? "Yes" : "No");
	sb_puts(out, " Ivrf: none\n Virtual-template: none\n\n");
}

static int cmd_show_profile(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);
	const char *name = cli_arg(x, "name");

	if (name) {
		const struct ikev2_profile *p = crypto_ikev2_profile_find(cfg, name);
		if (!p)
			return cli_error(x, "Profile %s not found", name);
		show_profile(cfg, p, x->out);
		return CLI_OK;
	}
	for (size_t i = 0; c && i < c->profiles.n; i++)
		show_profile(cfg, c->profiles.v[i], x->out);
	return CLI_OK;
}

static void show_proposal(const struct ikev2_proposal *p, struct strbuf *out)
{
	sb_printf(out, " IKEv2 proposal: %s \n     Encryption :", p->name);
	for (size_t k = 0; k < p->nencr; k++)
		sb_printf(out, " %s", ikev2_encr_show(p->encr[k]));
	sb_puts(out, "\n     Integrity  :");
	for (size_t k = 0; k < p->ninteg; k++)
		sb_printf(out, " %s", ikev2_hash_show(p->integ[k]));
	sb_puts(out, "\n     PRF        :");
	const enum ikev2_hash *prf = p->nprf ? p->prf : p->integ;
	size_t nprf = p->nprf ? p->nprf : p->ninteg;
	for (size_t k = 0; k < nprf; k++) {
		const char *n = ikev2_hash_name(prf[k]);
		sb_putc(out, ' ');
		for (; *n; n++)
			sb_putc(out, (char)(*n >= 'a' && *n <= 'z' ? *n - 'a' + 'A' : *n));
	}
	sb_puts(out, "\n     DH Group   :");
	for (size_t k = 0; k < p->ngroup; k++)
		sb_printf(out, " %s", ikev2_group_show(p->group[k]));
	sb_putc(out, '\n');
	if (!ikev2_proposal_complete(p))
		sb_puts(out, "     (incomplete: not used)\n");
}

static int cmd_show_proposal(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);
	const char *name = cli_arg(x, "name");

	if (name) {
		const struct ikev2_proposal *p = strcmp(name, "default") == 0
							 ? crypto_default_proposal()
							 : crypto_ikev2_proposal_find(cfg, name);
		if (!p)
			return cli_error(x, "Proposal %s not found", name);
		show_proposal(p, x->out);
		return CLI_OK;
	}
	for (size_t i = 0; c && i < c->proposals.n; i++)
		show_proposal(c->proposals.v[i], x->out);
	if (!c || !c->policies.n)
		show_proposal(crypto_default_proposal(), x->out);
	return CLI_OK;
}

static int cmd_show_policy(struct cli_exec *x)
{
	const struct crypto_cfg *c = crypto_model_get(cfg_of(x));
	const char *name = cli_arg(x, "name");
	bool any = false;

	for (size_t i = 0; c && i < c->policies.n; i++) {
		const struct ikev2_policy *p = c->policies.v[i];
		char a[INET_ADDRSTRLEN] = "any";
		if (name && strcmp(name, p->name) != 0)
			continue;
		any = true;
		if (p->has_match_local)
			inet_ntop(AF_INET, &p->match_local, a, sizeof(a));
		sb_printf(x->out, "\n IKEv2 policy : %s\n      Match fvrf : global\n"
				  "      Match address local : %s \n      Proposal    :",
			  p->name, a);
		for (size_t k = 0; k < p->nproposals; k++)
			sb_printf(x->out, " %s", p->proposals[k]);
		sb_puts(x->out, " \n");
	}
	if (name && !any && strcmp(name, "default") != 0)
		return cli_error(x, "Policy %s not found", name);
	if ((!c || !c->policies.n) && (!name || strcmp(name, "default") == 0))
		sb_puts(x->out, "\n IKEv2 policy : default\n      Match fvrf : any\n"
				"      Match address local : any \n      Proposal    : default \n");
	return CLI_OK;
}

/* ---- declarations ---------------------------------------------------------------------------- */

#define DHG "DH group (1 2 5 14 15 16 19 20 21 24)\n"
#define DHG_LAST "DH group (1 2 5 14 15 16 19 20 21 24)"
#define ID_TYPES "<key-id|fqdn|email>$type WORD$value"
#define ID_HELP                                                              \
	"key-id opaque string - proprietary types\nFully qualified domain name string\n" \
	"Email address string\nThe identity"
#define ENCR "<aes-cbc-128|aes-cbc-192|aes-cbc-256|aes-gcm-128|aes-gcm-256|3des>"
#define ENCR_HELP                                                            \
	"AES-CBC-128\nAES-CBC-192\nAES-CBC-256\nCombined-mode,128 bit key,16 byte ICV\n" \
	"Combined-mode,256 bit key,16 byte ICV\nThree key triple DES"
#define HASHES "<sha1|sha256|sha384|sha512|md5>"
#define HASH_HELP "SHA1 (HMAC variant)\nSHA256 (HMAC variant)\nSHA384 (HMAC variant)\n" \
		  "SHA512 (HMAC variant)\nMessage Digest 5"
#define KEYTYPE "[<0|6|7>$type] WORD$secret"
#define KEYTYPE_HELP                                                         \
	"Specifies an UNENCRYPTED password will follow\n"                    \
	"Specifies an ENCRYPTED password will follow\n"                      \
	"Specifies a HIDDEN password will follow\nThe key"

static const struct cli_cmd ikev2_cmds[] = {
	{ "config", "crypto ikev2 keyring WORD$name",
	  "Encryption module\nConfigure IKEv2 parameters\nConfigure IKEv2 keyring\nName of IKEv2 keyring",
	  cmd_keyring, 0 },
	{ "config", "no crypto ikev2 keyring WORD$name", NO_HELP, cmd_keyring, 0 },
	{ KR_NODE, "peer WORD$name", "Configure a Peer and associated keys\nName of peer", cmd_peer, 0 },
	{ KR_NODE, "no peer WORD$name", NO_HELP, cmd_peer, 0 },
	{ PEER_NODE, "identity " ID_TYPES, "Specify IKE identity to use\n" ID_HELP, cmd_peer_identity, 0 },
	{ PEER_NODE, "identity address$type A.B.C.D$value", "\nIP address\nIPv4 address",
	  cmd_peer_identity, 0 },
	{ PEER_NODE, "no identity [LINE]", NO_HELP "\n\nIdentity", cmd_peer_identity, 0 },
	{ PEER_NODE, "address A.B.C.D$addr [A.B.C.D$mask]",
	  "Specify IPv4/IPv6 address of peer\nIPv4 address\nMask", cmd_peer_address, 0 },
	{ PEER_NODE, "no address [LINE]", NO_HELP "\n\nAddress", cmd_peer_address, 0 },
	{ PEER_NODE, "description LINE$text", "Specify a description of this peer\nDescription",
	  cmd_peer_description, 0 },
	{ PEER_NODE, "no description [LINE]", NO_HELP "\n\nDescription", cmd_peer_description, 0 },
	{ PEER_NODE, "pre-shared-key [<local|remote>$dir] " KEYTYPE,
	  "pre-shared-key for the peer\nLocal pre-shared-key (we sign with it)\n"
	  "Remote pre-shared-key (we verify the peer with it)\n" KEYTYPE_HELP,
	  cmd_peer_psk, CLI_SECRET },
	{ PEER_NODE, "no pre-shared-key [<local|remote>$dir]", NO_HELP, cmd_peer_psk, 0 },

	{ "config", "crypto ikev2 profile WORD$name",
	  "\n\nDefine IKEv2 profiles\nName of IKEv2 profile", cmd_profile, 0 },
	{ "config", "no crypto ikev2 profile WORD$name", NO_HELP, cmd_profile, 0 },
	{ PROF_NODE, "description LINE$text", "Specify a description of this profile\nDescription",
	  cmd_prof_description, 0 },
	{ PROF_NODE, "no description [LINE]", NO_HELP "\n\nDescription", cmd_prof_description, 0 },
	{ PROF_NODE, "match identity remote any",
	  "Match values of peer\nmatch a peer's identity\nRemote identity\nmatch all peer identities",
	  cmd_prof_match_any, 0 },
	{ PROF_NODE, "no match identity remote any", NO_HELP, cmd_prof_match_any, 0 },
	{ PROF_NODE, "match identity remote key-id$type WORD$value",
	  "\n\n\nkey-id opaque string - proprietary types\nThe identity", cmd_prof_match_id, 0 },
	{ PROF_NODE, "match identity remote <fqdn|email>$type [domain$domain] WORD$value",
	  "\n\n\nFully qualified domain name string\nEmail address string\n"
	  "Match the domain: the name itself or any name under it\nThe identity", cmd_prof_match_id, 0 },
	{ PROF_NODE, "match identity remote address$type A.B.C.D$value [A.B.C.D$mask]",
	  "\n\n\nIP address\nIPv4 address\nMask", cmd_prof_match_id, 0 },
	{ PROF_NODE, "no match identity remote key-id$type WORD$value", NO_HELP, cmd_prof_match_id, 0 },
	{ PROF_NODE, "no match identity remote <fqdn|email>$type [domain$domain] WORD$value", NO_HELP,
	  cmd_prof_match_id, 0 },
	{ PROF_NODE, "no match identity remote address$type A.B.C.D$value [A.B.C.D$mask]", NO_HELP,
	  cmd_prof_match_id, 0 },
	{ PROF_NODE, "no match identity remote", NO_HELP, cmd_prof_match_id, 0 },
	{ PROF_NODE, "match certificate WORD$map",
	  "\nmatch a peer's certificate\nCertificate map name", cmd_prof_match_cert, 0 },
	{ PROF_NODE, "no match certificate [WORD$map]", NO_HELP, cmd_prof_match_cert, 0 },
	{ PROF_NODE, "identity local " ID_TYPES, "Specify IKE identity to use\nLocal identity\n" ID_HELP,
	  cmd_prof_identity_local, 0 },
	{ PROF_NODE, "identity local address$type [A.B.C.D$value]",
	  "\n\nIP address (without one: the address IKE runs from)\nIPv4 address",
	  cmd_prof_identity_local, 0 },
	{ PROF_NODE, "no identity local [LINE]", NO_HELP "\n\n\nIdentity", cmd_prof_identity_local, 0 },
	{ PROF_NODE, "authentication <local|remote> <pre-share|rsa-sig>$method",
	  "Set authentication method\nLocal authentication method\nRemote authentication method\n"
	  "Pre-Shared Key\nRSA Signature",
	  cmd_prof_auth, 0 },
	{ PROF_NODE, "authentication <local|remote> pre-share$method key " KEYTYPE,
	  "\n\n\n\nSpecify the key (for peers without a keyring key)\n" KEYTYPE_HELP, cmd_prof_auth,
	  CLI_SECRET },
	{ PROF_NODE, "no authentication <local|remote> [<pre-share|rsa-sig>$method]", NO_HELP,
	  cmd_prof_auth, 0 },
	{ PROF_NODE, "keyring local WORD$name",
	  "Specify keyring to use\nUse a local keyring\nName of the keyring", cmd_prof_keyring, 0 },
	{ PROF_NODE, "no keyring [local] [WORD]", NO_HELP "\n\n\nName of the keyring", cmd_prof_keyring, 0 },
	{ PROF_NODE, "pki trustpoint WORD$name",
	  "Specify certificate authorities\nSpecify trustpoint\nTrustpoint name", cmd_prof_trustpoint, 0 },
	{ PROF_NODE, "no pki trustpoint [WORD]", NO_HELP, cmd_prof_trustpoint, 0 },
	{ PROF_NODE, "dpd (10-3600)$interval (2-60)$retry <periodic|on-demand>$mode",
	  "Enable IKE liveness check for peers\nDPD interval in seconds\nRetry interval in seconds\n"
	  "Periodic liveness check\nOn-demand liveness check",
	  cmd_prof_dpd, 0 },
	{ PROF_NODE, "no dpd [LINE]", NO_HELP "\n\nArguments", cmd_prof_dpd, 0 },
	{ PROF_NODE, "nat force-encap", "NAT options\nForce UDP encapsulation of ESP (RFC 3948)",
	  cmd_prof_nat_force_encap, 0 },
	{ PROF_NODE, "no nat force-encap", NO_HELP, cmd_prof_nat_force_encap, 0 },
	{ PROF_NODE, "nat keepalive (5-3600)$seconds",
	  "\nSet NAT keepalive interval\nKeepalive interval in seconds", cmd_prof_nat_keepalive, 0 },
	{ PROF_NODE, "no nat keepalive [(5-3600)]", NO_HELP, cmd_prof_nat_keepalive, 0 },
	{ PROF_NODE, "lifetime (120-86400)$seconds",
	  "Specify lifetime for IKEv2 SA\nLifetime in seconds", cmd_prof_lifetime, 0 },
	{ PROF_NODE, "no lifetime [(120-86400)]", NO_HELP, cmd_prof_lifetime, 0 },

	{ "config", "crypto ikev2 proposal WORD$name", "\n\nDefine IKEv2 proposals\nName of IKEv2 proposal",
	  cmd_proposal, 0 },
	{ "config", "no crypto ikev2 proposal WORD$name", NO_HELP, cmd_proposal, 0 },
	{ PROP_NODE,
	  "encryption " ENCR "$a1 [" ENCR "$a2 [" ENCR "$a3 [" ENCR "$a4]]]",
	  "Set encryption algorithm(s)\n" ENCR_HELP "\n" ENCR_HELP "\n" ENCR_HELP "\n" ENCR_HELP,
	  cmd_prop_encryption, 0 },
	{ PROP_NODE, "no encryption [" ENCR "$a1 [" ENCR "$a2 [" ENCR "$a3 [" ENCR "$a4]]]]", NO_HELP,
	  cmd_prop_encryption, 0 },
	{ PROP_NODE, "integrity " HASHES "$a1 [" HASHES "$a2 [" HASHES "$a3 [" HASHES "$a4]]]",
	  "Set integrity hash algorithm(s)\n" HASH_HELP "\n" HASH_HELP "\n" HASH_HELP "\n" HASH_HELP,
	  cmd_prop_integrity, 0 },
	{ PROP_NODE, "no integrity [" HASHES "$a1 [" HASHES "$a2 [" HASHES "$a3 [" HASHES "$a4]]]]",
	  NO_HELP, cmd_prop_integrity, 0 },
	{ PROP_NODE, "prf " HASHES "$a1 [" HASHES "$a2 [" HASHES "$a3 [" HASHES "$a4]]]",
	  "Set the pseudo-random function(s)\n" HASH_HELP "\n" HASH_HELP "\n" HASH_HELP "\n" HASH_HELP,
	  cmd_prop_prf, 0 },
	{ PROP_NODE, "no prf [" HASHES "$a1 [" HASHES "$a2 [" HASHES "$a3 [" HASHES "$a4]]]]", NO_HELP,
	  cmd_prop_prf, 0 },
	{ PROP_NODE,
	  "group (1-24)$a1 [(1-24)$a2 [(1-24)$a3 [(1-24)$a4 [(1-24)$a5 [(1-24)$a6 [(1-24)$a7 "
	  "[(1-24)$a8]]]]]]]",
	  "Set the Diffie-Hellman group(s)\n" DHG DHG DHG DHG DHG DHG DHG DHG_LAST,
	  cmd_prop_group, 0 },
	{ PROP_NODE,
	  "no group [(1-24)$a1 [(1-24)$a2 [(1-24)$a3 [(1-24)$a4 [(1-24)$a5 [(1-24)$a6 [(1-24)$a7 "
	  "[(1-24)$a8]]]]]]]]",
	  NO_HELP "\n\n" DHG DHG DHG DHG DHG DHG DHG DHG_LAST, cmd_prop_group, 0 },

	{ "config", "crypto ikev2 policy WORD$name", "\n\nDefine IKEv2 policies\nName of IKEv2 policy",
	  cmd_policy, 0 },
	{ "config", "no crypto ikev2 policy WORD$name", NO_HELP, cmd_policy, 0 },
	{ POL_NODE, "proposal WORD$name", "Specify Proposal\nProposal name", cmd_pol_proposal, 0 },
	{ POL_NODE, "no proposal [WORD$name]", NO_HELP, cmd_pol_proposal, 0 },
	{ POL_NODE, "match address local A.B.C.D$addr",
	  "Match values of local fields\nLocal address\nLocal address\nIPv4 address",
	  cmd_pol_match_local, 0 },
	{ POL_NODE, "no match address local [A.B.C.D]", NO_HELP, cmd_pol_match_local, 0 },

	{ "config", "crypto <ikev2|isakmp> nat keepalive (5-3600)$seconds",
	  "\n\nConfigure ISAKMP (IKEv1) parameters\nNAT options\nSet NAT keepalive interval\n"
	  "Keepalive interval in seconds",
	  cmd_nat_keepalive, 0 },
	{ "config", "no crypto <ikev2|isakmp> nat keepalive [(5-3600)]", NO_HELP, cmd_nat_keepalive, 0 },
	{ "config", "crypto ikev2 fragmentation [mtu (68-1500)$bytes]",
	  "\n\nIKEv2 fragmentation (RFC 7383)\nMaximum fragment size\nMTU in bytes (default 576)",
	  cmd_fragmentation, 0 },
	{ "config", "no crypto ikev2 fragmentation [LINE]", NO_HELP "\n\n\n\nArguments",
	  cmd_fragmentation, 0 },
	{ "config", "crypto isakmp invalid-spi-recovery",
	  "\n\nInitiate an IKE SA to notify the peer of an invalid SPI", cmd_invalid_spi, 0 },
	{ "config", "no crypto isakmp invalid-spi-recovery", NO_HELP, cmd_invalid_spi, 0 },

	{ "exec", "show crypto ikev2 profile [WORD$name]",
	  "Show running system information\nEncryption module\nShows ikev2 information\n"
	  "Shows ikev2 profiles\nProfile name",
	  cmd_show_profile, 0 },
	{ "exec", "show crypto ikev2 proposal [WORD$name]", "\n\n\nShow IKEv2 proposals\nProposal name",
	  cmd_show_proposal, 0 },
	{ "exec", "show crypto ikev2 policy [WORD$name]", "\n\n\nShow IKEv2 policies\nPolicy name",
	  cmd_show_policy, 0 },
};

void crypto_ikev2_cmds_init(void)
{
	cli_node_register(KR_NODE, "(config-ikev2-keyring)#", "config");
	cli_node_register(PEER_NODE, "(config-ikev2-keyring-peer)#", KR_NODE);
	cli_node_register(PROF_NODE, "(config-ikev2-profile)#", "config");
	cli_node_register(PROP_NODE, "(config-ikev2-proposal)#", "config");
	cli_node_register(POL_NODE, "(config-ikev2-policy)#", "config");
	CLI_INSTALL(ikev2_cmds);
	config_section_register(320, "crypto ikev2 proposals", write_proposals);
	config_section_register(330, "crypto ikev2 keyrings", write_keyrings);
	config_section_register(335, "crypto ikev2 profiles", write_profiles);
	config_section_register(340, "crypto ikev2 globals", write_ikev2_globals);
}
