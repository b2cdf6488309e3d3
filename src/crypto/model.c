/* The crypto model: its lifetime, lookups, effective values, pre-shared key
 * lookup and change notification. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto_int.h"

/* ---- named lists --------------------------------------------------------------- */

void nl_init(struct named_list *l)
{
	hashmap_init(&l->by_name, false);
}

void *nl_get(const struct named_list *l, const char *name)
{
	return name && l->by_name.buckets ? hashmap_get(&l->by_name, name) : NULL;
}

void nl_add(struct named_list *l, const char *name, void *obj)
{
	hashmap_put(&l->by_name, name, obj);
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = obj;
}

void *nl_del(struct named_list *l, const char *name)
{
	void *obj = hashmap_del(&l->by_name, name);

	if (!obj)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == obj) {
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			break;
		}
	return obj;
}

void nl_free(struct named_list *l, void (*free_fn)(void *))
{
	for (size_t i = 0; i < l->n; i++)
		free_fn(l->v[i]);
	free(l->v);
	hashmap_clear(&l->by_name);
	memset(l, 0, sizeof(*l));
}

/* ---- identities ---------------------------------------------------------------- */

const char *crypto_id_type_name(enum crypto_id_type t)
{
	switch (t) {
	case CRYPTO_ID_KEY_ID: return "key-id";
	case CRYPTO_ID_FQDN: return "fqdn";
	case CRYPTO_ID_ADDRESS: return "address";
	case CRYPTO_ID_EMAIL: return "email";
	default: return "none";
	}
}

bool crypto_id_equal(const struct crypto_id *a, const struct crypto_id *b)
{
	if (a->type != b->type || a->domain != b->domain || a->prefix_len != b->prefix_len)
		return false;
	switch (a->type) {
	case CRYPTO_ID_NONE: return true;
	case CRYPTO_ID_ADDRESS:
		return (a->value == NULL) == (b->value == NULL) && a->addr.s_addr == b->addr.s_addr;
	case CRYPTO_ID_KEY_ID: return strcmp(a->value, b->value) == 0;
	default: return strcasecmp(a->value, b->value) == 0;
	}
}

/* name is suffix itself or ends in "." suffix (case-insensitive): a
 * domain match on label boundaries ("example.net" does not match
 * "badexample.net"). */
static bool domain_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n == k)
		return strcasecmp(name, suffix) == 0;
	return n > k && name[n - k - 1] == '.' && strcasecmp(name + n - k, suffix) == 0;
}

bool crypto_id_matches(const struct crypto_id *rule, const struct crypto_id *presented)
{
	if (rule->type != presented->type || !rule->value || !presented->value)
		return false;
	switch (rule->type) {
	case CRYPTO_ID_KEY_ID:
		return strcmp(rule->value, presented->value) == 0;
	case CRYPTO_ID_ADDRESS: {
		/* 0.0.0.0, with no mask or mask 0.0.0.0 (kept as 0.0.0.0): any
		 * IPv4 address, as IOS's "match identity remote address 0.0.0.0" */
		if (rule->addr.s_addr == 0 && !rule->prefix_len)
			return true;
		struct in_addr m = ipv4_len_to_mask(rule->prefix_len ? rule->prefix_len : 32);
		return (rule->addr.s_addr & m.s_addr) == (presented->addr.s_addr & m.s_addr);
	}
	case CRYPTO_ID_FQDN:
		return rule->domain ? domain_suffix(presented->value, rule->value)
				    : strcasecmp(rule->value, presented->value) == 0;
	case CRYPTO_ID_EMAIL: {
		const char *at = strrchr(presented->value, '@');
		if (!rule->domain)
			return strcasecmp(rule->value, presented->value) == 0;
		return at && domain_suffix(at + 1, rule->value);
	}
	default:
		return false;
	}
}

void crypto_id_free(struct crypto_id *id)
{
	free(id->value);
	memset(id, 0, sizeof(*id));
}

void crypto_id_copy(struct crypto_id *dst, const struct crypto_id *src)
{
	*dst = *src;
	dst->value = src->value ? xstrdup(src->value) : NULL;
}

bool crypto_id_set(struct crypto_id *id, const char *type, const char *value)
{
	struct crypto_id n = { 0 };

	if (strcmp(type, "key-id") == 0)
		n.type = CRYPTO_ID_KEY_ID;
	else if (strcmp(type, "fqdn") == 0)
		n.type = CRYPTO_ID_FQDN;
	else if (strcmp(type, "email") == 0)
		n.type = CRYPTO_ID_EMAIL;
	else if (strcmp(type, "address") == 0) {
		n.type = CRYPTO_ID_ADDRESS;
		if (value && inet_pton(AF_INET, value, &n.addr) != 1)
			return false;
	} else
		return false;
	n.value = value ? xstrdup(value) : NULL;
	crypto_id_free(id);
	*id = n;
	return true;
}

void crypto_id_text(const struct crypto_id *id, struct strbuf *out)
{
	sb_puts(out, crypto_id_type_name(id->type));
	if (id->domain)
		sb_puts(out, " domain");
	if (id->value)
		sb_printf(out, " %s", id->value);
	if (id->type == CRYPTO_ID_ADDRESS && id->prefix_len && id->prefix_len != 32) {
		char m[INET_ADDRSTRLEN];
		struct in_addr mask = ipv4_len_to_mask(id->prefix_len);
		inet_ntop(AF_INET, &mask, m, sizeof(m));
		sb_printf(out, " %s", m);
	}
}

/* The keyring's hash key of an identity: type and normalized value. */
static char *id_key(const struct crypto_id *id)
{
	if (id->type == CRYPTO_ID_ADDRESS) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &id->addr, a, sizeof(a));
		return xasprintf("%d\t%s", id->type, a);
	}
	char *k = xasprintf("%d\t%s", id->type, id->value ? id->value : "");
	if (id->type != CRYPTO_ID_KEY_ID)
		for (char *p = k; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return k;
}

/* ---- object lifetimes (used by the commands) ------------------------------------------------ */

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void keyring_peer_free(struct ikev2_keyring_peer *p)
{
	free(p->name);
	free(p->description);
	crypto_id_free(&p->identity);
	wipe_free(p->psk_local);
	wipe_free(p->psk_remote);
	free(p);
}

void keyring_reindex(struct ikev2_keyring *k)
{
	hashmap_clear(&k->by_identity);
	hashmap_init(&k->by_identity, false);
	for (size_t i = 0; i < k->npeers; i++) {
		struct ikev2_keyring_peer *p = k->peers[i];
		if (p->identity.type == CRYPTO_ID_NONE)
			continue;
		char *key = id_key(&p->identity);
		/* the first peer with an identity wins, as IOS matches in order */
		if (!hashmap_get(&k->by_identity, key))
			hashmap_put(&k->by_identity, key, p);
		free(key);
	}
}

/* The last peer got its first identity (a configuration being loaded):
 * index it alone; no earlier peer can lose to it ("first wins" holds).
 * Anything else rebuilds the index.  Keeps loading N peers O(N). */
void keyring_index_peer(struct ikev2_keyring *k, struct ikev2_keyring_peer *p, bool had_identity)
{
	if (had_identity || !k->npeers || k->peers[k->npeers - 1] != p ||
	    p->identity.type == CRYPTO_ID_NONE) {
		keyring_reindex(k);
		return;
	}
	char *key = id_key(&p->identity);
	if (!hashmap_get(&k->by_identity, key))
		hashmap_put(&k->by_identity, key, p);
	free(key);
}

static void keyring_free(void *o)
{
	struct ikev2_keyring *k = o;

	for (size_t i = 0; i < k->npeers; i++)
		keyring_peer_free(k->peers[i]);
	free(k->peers);
	hashmap_clear(&k->by_identity);
	free(k->name);
	free(k);
}

static void profile_free(void *o)
{
	struct ikev2_profile *p = o;

	free(p->name);
	free(p->description);
	for (size_t i = 0; i < p->nmatch_ids; i++)
		crypto_id_free(&p->match_ids[i]);
	free(p->match_ids);
	for (size_t i = 0; i < p->nmatch_cert_maps; i++)
		free(p->match_cert_maps[i]);
	free(p->match_cert_maps);
	crypto_id_free(&p->identity_local);
	wipe_free(p->auth_local_key);
	wipe_free(p->auth_remote_key);
	free(p->keyring_local);
	free(p->pki_trustpoint);
	free(p);
}

static void proposal_free(void *o)
{
	struct ikev2_proposal *p = o;

	free(p->name);
	free(p);
}

static void policy_free(void *o)
{
	struct ikev2_policy *p = o;

	for (size_t i = 0; i < p->nproposals; i++)
		free(p->proposals[i]);
	free(p->proposals);
	free(p->name);
	free(p);
}

static void tset_free(void *o)
{
	struct ipsec_transform_set *t = o;

	free(t->name);
	free(t);
}

static void ipsec_profile_free(void *o)
{
	struct ipsec_profile *p = o;

	for (size_t i = 0; i < p->ntransform_sets; i++)
		free(p->transform_sets[i]);
	free(p->transform_sets);
	free(p->ikev2_profile);
	free(p->description);
	free(p->name);
	free(p);
}

static void trustpoint_free(void *o)
{
	struct pki_trustpoint *t = o;

	free(t->name);
	free(t->enrollment_url);
	free(t->subject_name);
	free(t->rsakeypair);
	free(t);
}

void cert_map_entry_free(struct pki_cert_map_entry *e)
{
	for (size_t i = 0; i < e->nrules; i++)
		free(e->rules[i].value);
	free(e->rules);
	free(e);
}

static void cert_map_free(void *o)
{
	struct pki_cert_map *m = o;

	for (size_t i = 0; i < m->nentries; i++)
		cert_map_entry_free(m->entries[i]);
	free(m->entries);
	free(m->name);
	free(m);
}

void crypto_free_object(const char *kind, void *o)
{
	if (strcmp(kind, "keyring") == 0)
		keyring_free(o);
	else if (strcmp(kind, "profile") == 0)
		profile_free(o);
	else if (strcmp(kind, "proposal") == 0)
		proposal_free(o);
	else if (strcmp(kind, "policy") == 0)
		policy_free(o);
	else if (strcmp(kind, "tset") == 0)
		tset_free(o);
	else if (strcmp(kind, "ipsec-profile") == 0)
		ipsec_profile_free(o);
	else if (strcmp(kind, "trustpoint") == 0)
		trustpoint_free(o);
	else if (strcmp(kind, "cert-map") == 0)
		cert_map_free(o);
}

static void crypto_cfg_free(void *o)
{
	struct crypto_cfg *c = o;

	nl_free(&c->keyrings, keyring_free);
	nl_free(&c->profiles, profile_free);
	nl_free(&c->proposals, proposal_free);
	nl_free(&c->policies, policy_free);
	nl_free(&c->tsets, tset_free);
	nl_free(&c->ipsec_profiles, ipsec_profile_free);
	nl_free(&c->trustpoints, trustpoint_free);
	nl_free(&c->cert_maps, cert_map_free);
	pki_material_free(c->pki);
	free(c->state_dir);
	free(c);
}

const struct config_ext_type crypto_ext_type = { .name = "crypto", .free = crypto_cfg_free };

static const struct crypto_globals default_globals = {
	.sa_lifetime_seconds = IPSEC_LIFETIME_SECONDS_DEFAULT,
	.sa_lifetime_kb = IPSEC_LIFETIME_KB_DEFAULT,
	.replay_window = IPSEC_REPLAY_DEFAULT,
	.df_bit = IPSEC_DF_COPY,
	.fragmentation_mtu = IKEV2_FRAGMENTATION_MTU_DEFAULT,
};

struct crypto_cfg *crypto_model(struct config *cfg)
{
	struct crypto_cfg *c = config_ext_get(cfg, &crypto_ext_type);

	if (c)
		return c;
	c = config_ext_get_or_create(cfg, &crypto_ext_type, sizeof(*c));
	c->g = default_globals;
	nl_init(&c->keyrings);
	nl_init(&c->profiles);
	nl_init(&c->proposals);
	nl_init(&c->policies);
	nl_init(&c->tsets);
	nl_init(&c->ipsec_profiles);
	nl_init(&c->trustpoints);
	nl_init(&c->cert_maps);
	return c;
}

const struct crypto_cfg *crypto_model_get(const struct config *cfg)
{
	return config_ext_get(cfg, &crypto_ext_type);
}

struct crypto_cfg *crypto_model_x(struct cli_exec *x)
{
	struct config_env *env = cfg_env(x);
	struct crypto_cfg *c = crypto_model(env->cfg);

	c->check_only = env->check_only;
	/* -t -D reads the state directory (type 6 secrets, PKI material);
	 * every writer of it refuses under check_only */
	if (!c->state_dir && env->state_dir)
		c->state_dir = xstrdup(env->state_dir);
	return c;
}

/* ---- lookups ------------------------------------------------------------------------------ */

const struct crypto_globals *crypto_globals(const struct config *cfg)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	return c ? &c->g : &default_globals;
}

#define LOOKUP(fn, type, list)                                          \
	const type *fn(const struct config *cfg, const char *name)      \
	{                                                               \
		const struct crypto_cfg *c = crypto_model_get(cfg);     \
		return c ? nl_get(&c->list, name) : NULL;               \
	}
LOOKUP(crypto_keyring_find, struct ikev2_keyring, keyrings)
LOOKUP(crypto_ikev2_profile_find, struct ikev2_profile, profiles)
LOOKUP(crypto_ikev2_proposal_find, struct ikev2_proposal, proposals)
LOOKUP(crypto_ikev2_policy_find, struct ikev2_policy, policies)
LOOKUP(crypto_transform_set_find, struct ipsec_transform_set, tsets)
LOOKUP(crypto_ipsec_profile_find, struct ipsec_profile, ipsec_profiles)
LOOKUP(crypto_trustpoint_find, struct pki_trustpoint, trustpoints)
LOOKUP(crypto_cert_map_find, struct pki_cert_map, cert_maps)

void crypto_foreach_ikev2_profile(const struct config *cfg,
				  bool (*fn)(const struct ikev2_profile *p, void *arg), void *arg)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->profiles.n; i++)
		if (!fn(c->profiles.v[i], arg))
			return;
}

void crypto_foreach_ipsec_profile(const struct config *cfg,
				  bool (*fn)(const struct ipsec_profile *p, void *arg), void *arg)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->ipsec_profiles.n; i++)
		if (!fn(c->ipsec_profiles.v[i], arg))
			return;
}

void crypto_foreach_keyring(const struct config *cfg,
			    bool (*fn)(const struct ikev2_keyring *k, void *arg), void *arg)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->keyrings.n; i++)
		if (!fn(c->keyrings.v[i], arg))
			return;
}

unsigned crypto_ipsec_idle_time(const struct config *cfg, const struct ipsec_profile *p)
{
	return p && p->idle_time ? p->idle_time : crypto_globals(cfg)->sa_idle_time;
}

unsigned crypto_ipsec_lifetime_seconds(const struct config *cfg, const struct ipsec_profile *p)
{
	return p && p->lifetime_seconds ? p->lifetime_seconds
					: crypto_globals(cfg)->sa_lifetime_seconds;
}

unsigned crypto_ipsec_lifetime_kb(const struct config *cfg, const struct ipsec_profile *p)
{
	return p && p->lifetime_kb ? p->lifetime_kb : crypto_globals(cfg)->sa_lifetime_kb;
}

unsigned crypto_ipsec_replay_window(const struct config *cfg, const struct ipsec_profile *p)
{
	const struct crypto_globals *g = crypto_globals(cfg);

	if (p && p->replay_disable)
		return 0;
	if (p && p->replay_window)
		return p->replay_window;
	return g->replay_disable ? 0 : g->replay_window;
}

const struct iface_ext_type crypto_iface_ext_type = { "crypto", NULL };

enum ipsec_df_bit crypto_ipsec_df_bit(const struct config *cfg, const struct iface_cfg *ifc)
{
	const struct crypto_iface *ci = ifc ? iface_ext_get(ifc, &crypto_iface_ext_type) : NULL;

	return ci && ci->has_df_bit ? ci->df_bit : crypto_globals(cfg)->df_bit;
}

const char *ipsec_df_bit_name(enum ipsec_df_bit d)
{
	return d == IPSEC_DF_CLEAR ? "clear" : d == IPSEC_DF_SET ? "set" : "copy";
}

/* ---- pre-shared keys -------------------------------------------------------------------------- */

bool crypto_keyring_psk(const struct config *cfg, const char *keyring,
			const struct crypto_id *id, struct crypto_psk *out)
{
	return crypto_keyring_copy_psk(crypto_keyring_find(cfg, keyring), id, out);
}

/* Reads the keyring only: safe on a copy from any thread. */
bool crypto_keyring_copy_psk(const struct ikev2_keyring *k, const struct crypto_id *id,
			     struct crypto_psk *out)
{
	const struct ikev2_keyring_peer *best = NULL;

	memset(out, 0, sizeof(*out));
	if (!k || !id || id->type == CRYPTO_ID_NONE || (id->type != CRYPTO_ID_ADDRESS && !id->value))
		return false;
	if (k->by_identity.buckets) {
		char *key = id_key(id);
		best = hashmap_get(&k->by_identity, key);
		free(key);
	}
	if (!best && id->type == CRYPTO_ID_ADDRESS) {
		/* peers matched by "address A M" (longest prefix); a linear
		 * scan, but only for address identities, never for VPN-SIP's
		 * key-id lookups */
		unsigned best_len = 0;
		for (size_t i = 0; i < k->npeers; i++) {
			const struct ikev2_keyring_peer *p = k->peers[i];
			if (!p->has_address || p->identity.type != CRYPTO_ID_NONE)
				continue;
			struct in_addr m = ipv4_len_to_mask(p->address.len);
			if ((id->addr.s_addr & m.s_addr) == (p->address.addr.s_addr & m.s_addr) &&
			    (!best || p->address.len > best_len)) {
				best = p;
				best_len = p->address.len;
			}
		}
	}
	if (!best || (!best->psk_local && !best->psk_remote))
		return false;
	out->local = best->psk_local;
	out->remote = best->psk_remote;
	out->peer = best;
	return true;
}

struct ikev2_keyring *crypto_keyring_copy(const struct config *cfg, const char *name)
{
	const struct ikev2_keyring *k = crypto_keyring_find(cfg, name);
	struct ikev2_keyring *c;

	if (!k)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(k->name);
	c->peers = xcalloc(k->npeers ? k->npeers : 1, sizeof(*c->peers));
	for (size_t i = 0; i < k->npeers; i++) {
		const struct ikev2_keyring_peer *p = k->peers[i];
		struct ikev2_keyring_peer *q = xcalloc(1, sizeof(*q));
		q->name = xstrdup(p->name);
		q->has_address = p->has_address;
		q->address = p->address;
		crypto_id_copy(&q->identity, &p->identity);
		q->psk_local = p->psk_local ? xstrdup(p->psk_local) : NULL;
		q->psk_remote = p->psk_remote ? xstrdup(p->psk_remote) : NULL;
		q->psk_both = p->psk_both;
		c->peers[c->npeers++] = q;
	}
	c->cappeers = c->npeers;
	hashmap_init(&c->by_identity, false);
	keyring_reindex(c);
	return c;
}

void crypto_keyring_copy_free(struct ikev2_keyring *k)
{
	if (k)
		crypto_free_object("keyring", k);
}

static unsigned long generation;

unsigned long crypto_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_RELAXED);
}

bool crypto_profile_psk(const struct config *cfg, const char *profile,
			const struct crypto_id *id, struct crypto_psk *out)
{
	const struct ikev2_profile *p = crypto_ikev2_profile_find(cfg, profile);

	memset(out, 0, sizeof(*out));
	if (!p)
		return false;
	if (p->keyring_local)
		crypto_keyring_psk(cfg, p->keyring_local, id, out);
	if (!out->local && p->auth_local_key)
		out->local = p->auth_local_key;
	if (!out->remote && p->auth_remote_key)
		out->remote = p->auth_remote_key;
	return out->local || out->remote;
}

/* ---- change notification ------------------------------------------------------------------------ */

HOOK_DEFINE(crypto_config_changed);
static int deferred;
static bool pending;

static void notify(const struct config *cfg)
{
	pending = false;
	hook_call(crypto_config_changed, cfg);
}

void crypto_changed(struct config *cfg)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
	if (deferred)
		pending = true;
	else
		notify(cfg);
}

void crypto_defer_notify(void)
{
	deferred++;
}

void crypto_flush_notify(const struct config *cfg)
{
	if (deferred > 0)
		deferred--;
	if (!deferred && pending)
		notify(cfg);
}
