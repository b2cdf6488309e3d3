/* The snapshot registry.  What libcharon's threads need of a session --
 * the peer_cfg, the PSKs, the expected fingerprint -- is an immutable
 * snapshot (struct snap) built on the main thread from the crypto model
 * (ike_peer_cfg.c) and swapped in here under the write lock on every start
 * and every crypto configuration change.  The backend, the credential set
 * and the listener look snapshots up by tunnel, remote identity or
 * endpoint under the read lock and hold a reference while they use one. */
#include <library.h>
#include <daemon.h>
#include <threading/rwlock.h>

#include "ike/ike_session_int.h"

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

static struct {
	rwlock_t *lock;
	struct hashmap by_tunnel; /* tunnel -> snap */
	struct hashmap by_remote; /* remote identity "%Y" -> snap (last one) */
	struct hashmap by_endpoint; /* "peer:local port" -> snap (last one): a
				       responder's IKE_SA before its peer_cfg */
} R;

static struct snap *snap_get(struct snap *s)
{
	ref_get(&s->ref);
	return s;
}

void ike_snap_put(struct snap *s)
{
	if (!s || !ref_put(&s->ref))
		return;
	s->peer_cfg->destroy(s->peer_cfg);
	DESTROY_IF(s->psk_local);
	DESTROY_IF(s->psk_remote);
	DESTROY_IF(s->pinned);
	for (size_t i = 0; i < s->nmaps; i++)
		crypto_cert_map_copy_free(s->maps[i]);
	free(s->maps);
	ike_keyring_put(s->keyring);
	for (size_t i = 0; i < s->nid_rules; i++)
		crypto_id_free(&s->id_rules[i]);
	free(s->id_rules);
	free(s->sip_id);
	free(s->profile);
	free(s->crl_path);
	free(s->crl_trustpoint);
	DESTROY_IF(s->crl_ca);
	free(s->remote_key);
	free(s->tunnel);
	free(s->cause);
	free(s->peer_notify);
	free(s);
}

/* The snapshot of a tunnel (a reference), or NULL. */
struct snap *ike_snap_find(const char *tunnel)
{
	struct snap *s;

	R.lock->read_lock(R.lock);
	s = hashmap_get(&R.by_tunnel, tunnel);
	if (s)
		snap_get(s);
	R.lock->unlock(R.lock);
	return s;
}

void ike_snap_install(struct snap *s)
{
	struct snap *old;

	R.lock->write_lock(R.lock);
	old = hashmap_put(&R.by_tunnel, s->tunnel, s);
	if (old) { /* the same IKE SA goes on: keep its liveness clock */
		s->last_ike_in_ms = __atomic_load_n(&old->last_ike_in_ms, __ATOMIC_RELAXED);
		s->last_ike_out_ms = __atomic_load_n(&old->last_ike_out_ms, __ATOMIC_RELAXED);
	}
	if (old && hashmap_get(&R.by_remote, old->remote_key) == old)
		hashmap_del(&R.by_remote, old->remote_key);
	if (old && hashmap_get(&R.by_endpoint, old->endpoint_key) == old)
		hashmap_del(&R.by_endpoint, old->endpoint_key);
	if (*s->remote_key)
		hashmap_put(&R.by_remote, s->remote_key, s);
	hashmap_put(&R.by_endpoint, s->endpoint_key, s);
	R.lock->unlock(R.lock);
	ike_snap_put(old);
}

void ike_snap_remove(const char *tunnel)
{
	struct snap *old;

	R.lock->write_lock(R.lock);
	old = hashmap_del(&R.by_tunnel, tunnel);
	if (old && hashmap_get(&R.by_remote, old->remote_key) == old)
		hashmap_del(&R.by_remote, old->remote_key);
	if (old && hashmap_get(&R.by_endpoint, old->endpoint_key) == old)
		hashmap_del(&R.by_endpoint, old->endpoint_key);
	R.lock->unlock(R.lock);
	ike_snap_put(old);
}

void ike_endpoint_key(struct in_addr peer, unsigned local_port, char *buf, size_t n)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &peer, a, sizeof(a));
	/* 500 and 4500 are one endpoint (the float to NAT-T). */
	snprintf(buf, n, "%s:%u", a, local_port == 4500 ? 500 : local_port);
}

/* The session of an IKE_SA: by its peer_cfg's name, else (a responder
 * before IKE_AUTH selected the peer_cfg) by the peer's address and our port. */
struct snap *ike_snap_of_sa(ike_sa_t *ike_sa)
{
	struct snap *s = ike_snap_find(ike_sa->get_name(ike_sa));
	host_t *me = ike_sa->get_my_host(ike_sa), *other = ike_sa->get_other_host(ike_sa);
	char key[32];

	if (s || !me || !other || other->get_family(other) != AF_INET)
		return s;
	ike_endpoint_key(((struct sockaddr_in *)other->get_sockaddr(other))->sin_addr,
			 me->get_port(me), key, sizeof(key));
	R.lock->read_lock(R.lock);
	s = hashmap_get(&R.by_endpoint, key);
	if (s)
		snap_get(s);
	R.lock->unlock(R.lock);
	return s;
}

/* The session of the IKE_SA this libcharon thread works on (by name, else
 * by peer address and our port), or NULL: one lookup, so that many
 * sessions with one peer address and one remote identity (a peer with many
 * numbers) neither collide nor make every lookup walk them all. */
struct snap *ike_snap_of_thread(void)
{
	ike_sa_t *ike_sa = charon && charon->bus ? charon->bus->get_sa(charon->bus) : NULL;

	return ike_sa ? ike_snap_of_sa(ike_sa) : NULL;
}

/* The session of a remote identity (the last one installed). */
struct snap *ike_snap_find_remote(identification_t *id)
{
	char key[256];
	struct snap *s;

	ike_id_key(id, key, sizeof(key));
	R.lock->read_lock(R.lock);
	s = hashmap_get(&R.by_remote, key);
	if (s)
		snap_get(s);
	R.lock->unlock(R.lock);
	return s;
}

void ike_snap_each(void (*fn)(struct snap *s, void *ctx), void *ctx)
{
	R.lock->read_lock(R.lock);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&R.by_tunnel, e));)
		fn(e->value, ctx);
	R.lock->unlock(R.lock);
}

bool ike_tunnel_by_endpoint(struct in_addr peer, uint16_t local_port, char *tunnel, size_t n)
{
	char key[32];
	struct snap *s;

	ike_endpoint_key(peer, local_port, key, sizeof(key));
	R.lock->read_lock(R.lock);
	s = hashmap_get(&R.by_endpoint, key);
	if (s)
		snprintf(tunnel, n, "%s", s->tunnel);
	R.lock->unlock(R.lock);
	return s != NULL;
}

/* "TYPE:value" of an identity: the registry key (no printf hooks: our
 * format strings are checked by the compiler). */
void ike_id_key(identification_t *id, char *buf, size_t n)
{
	chunk_t e = id->get_encoding(id);

	snprintf(buf, n, "%d:%.*s", (int)id->get_type(id), (int)e.len, e.ptr);
}

/* Printable form for logs. */
void ike_id_show(identification_t *id, char *buf, size_t n)
{
	chunk_t e = id->get_encoding(id);

	switch (id->get_type(id)) {
	case ID_IPV4_ADDR:
		if (e.len == 4) {
			inet_ntop(AF_INET, e.ptr, buf, (socklen_t)n);
			return;
		}
		break;
	case ID_KEY_ID:
	case ID_FQDN:
	case ID_RFC822_ADDR:
		snprintf(buf, n, "%.*s", (int)e.len, e.ptr);
		for (char *p = buf; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		return;
	case ID_DER_ASN1_DN: {
		const unsigned char *der = e.ptr;
		X509_NAME *name = d2i_X509_NAME(NULL, &der, (long)e.len);
		BIO *b = name ? BIO_new(BIO_s_mem()) : NULL;
		char *data;
		long len;
		if (b) {
			X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
			len = BIO_get_mem_data(b, &data);
			snprintf(buf, n, "%.*s", (int)len, data);
			BIO_free(b);
		}
		X509_NAME_free(name);
		if (b)
			return;
		break;
	}
	default:
		break;
	}
	snprintf(buf, n, "%s", "%any");
}

void ike_snap_set_cause(struct snap *s, const char *cause)
{
	R.lock->write_lock(R.lock);
	free(s->cause);
	s->cause = xstrdup(cause);
	R.lock->unlock(R.lock);
}

char *ike_snap_take_cause(struct snap *s, const char *dflt)
{
	char *c;

	R.lock->write_lock(R.lock);
	c = s->cause;
	s->cause = NULL;
	R.lock->unlock(R.lock);
	return c ? c : xstrdup(dflt);
}

void ike_snap_set_peer_notify(struct snap *s, const char *name)
{
	R.lock->write_lock(R.lock);
	free(s->peer_notify);
	s->peer_notify = name ? xstrdup(name) : NULL;
	R.lock->unlock(R.lock);
}

char *ike_snap_peer_notify(struct snap *s)
{
	char *n;

	R.lock->read_lock(R.lock);
	n = s->peer_notify ? xstrdup(s->peer_notify) : NULL;
	R.lock->unlock(R.lock);
	return n;
}

/* The cause is a fingerprint, certificate map or identity mismatch, or a
 * revoked certificate (or one without a known status under a CRL check):
 * the listener reported it itself, libcharon's alert that follows does not
 * replace it. */
bool ike_snap_has_auth_cause(struct snap *s)
{
	bool auth;

	R.lock->read_lock(R.lock);
	auth = s->cause && (strncmp(s->cause, "fingerprint", 11) == 0 ||
			    strncmp(s->cause, "certificate map", 15) == 0 ||
			    strncmp(s->cause, "identity", 8) == 0 ||
			    strncmp(s->cause, "peer certificate revoked", 24) == 0 ||
			    strncmp(s->cause, "peer certificate status", 23) == 0);
	R.lock->unlock(R.lock);
	return auth;
}

/* C (a reference is taken) is the peer's certificate: it matched the SDP
 * fingerprint. */
void ike_snap_pin(struct snap *s, certificate_t *c)
{
	R.lock->write_lock(R.lock);
	DESTROY_IF(s->pinned);
	s->pinned = c->get_ref(c);
	R.lock->unlock(R.lock);
}

certificate_t *ike_snap_pinned(struct snap *s)
{
	certificate_t *c = NULL;

	R.lock->read_lock(R.lock);
	if (s->pinned)
		c = s->pinned->get_ref(s->pinned);
	R.lock->unlock(R.lock);
	return c;
}

void ike_snaps_init(void)
{
	R.lock = rwlock_create(RWLOCK_TYPE_DEFAULT);
	hashmap_init(&R.by_tunnel, true);
	hashmap_init(&R.by_remote, false);
	hashmap_init(&R.by_endpoint, false);
}

void ike_snaps_shutdown(void)
{
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&R.by_tunnel, e));)
		ike_snap_put(e->value);
	hashmap_clear(&R.by_tunnel);
	hashmap_clear(&R.by_remote);
	hashmap_clear(&R.by_endpoint);
	R.lock->destroy(R.lock);
	ike_keyrings_clear();
}

/* ---- identities the peer presents ---- */

bool ike_id_to_crypto(identification_t *id, struct crypto_id *out, char *buf, size_t n)
{
	chunk_t e = id->get_encoding(id);

	memset(out, 0, sizeof(*out));
	switch (id->get_type(id)) {
	case ID_KEY_ID:
		out->type = CRYPTO_ID_KEY_ID;
		break;
	case ID_FQDN:
		out->type = CRYPTO_ID_FQDN;
		break;
	case ID_RFC822_ADDR:
		out->type = CRYPTO_ID_EMAIL;
		break;
	case ID_IPV4_ADDR:
		if (e.len != 4)
			return false;
		out->type = CRYPTO_ID_ADDRESS;
		memcpy(&out->addr, e.ptr, 4);
		inet_ntop(AF_INET, e.ptr, buf, (socklen_t)n);
		out->value = buf;
		return true;
	default:
		return false;
	}
	/* An identity with a NUL inside cannot equal a configured one. */
	if (e.len >= n || memchr(e.ptr, 0, e.len))
		return false;
	memcpy(buf, e.ptr, e.len);
	buf[e.len] = '\0';
	out->value = buf;
	return true;
}

void ike_id_show_typed(identification_t *id, char *buf, size_t n)
{
	struct crypto_id c;
	char v[256];
	const char *type = "dn";

	if (ike_id_to_crypto(id, &c, v, sizeof(v)))
		type = crypto_id_type_name(c.type);
	else if (id->get_type(id) != ID_DER_ASN1_DN)
		type = "identity";
	ike_id_show(id, v, sizeof(v));
	snprintf(buf, n, "%s %s", type, v);
}

bool ike_snap_accepts_id(const struct snap *s, identification_t *id)
{
	struct crypto_id c;
	char v[256];

	if (s->accept_any)
		return true;
	if (!id || !ike_id_to_crypto(id, &c, v, sizeof(v)))
		return false;
	if (s->sip_id && c.type == CRYPTO_ID_KEY_ID && strcmp(c.value, s->sip_id) == 0)
		return true;
	for (size_t i = 0; i < s->nid_rules; i++)
		if (crypto_id_matches(&s->id_rules[i], &c))
			return true;
	return false;
}

void ike_snap_keys_for(const struct snap *s, identification_t *other, const char **local,
		       const char **remote)
{
	struct crypto_id c;
	struct crypto_psk psk;
	char v[256];

	*local = *remote = NULL;
	if (!s->keyring || !other || !ike_id_to_crypto(other, &c, v, sizeof(v)))
		return;
	if (crypto_keyring_copy_psk(ike_keyring_of(s->keyring), &c, &psk)) {
		*local = psk.local;
		*remote = psk.remote;
	}
}

/* ---- shared keyring copies ---- */

struct ike_keyring {
	refcount_t ref;
	struct ikev2_keyring *k;
};

static struct {
	struct hashmap by_name; /* keyring name -> struct ike_keyring (the cache's reference) */
	unsigned long generation;
	bool init;
} K;

const struct ikev2_keyring *ike_keyring_of(const struct ike_keyring *k)
{
	return k ? k->k : NULL;
}

void ike_keyring_put(struct ike_keyring *k)
{
	if (k && ref_put(&k->ref)) {
		crypto_keyring_copy_free(k->k);
		free(k);
	}
}

void ike_keyrings_clear(void)
{
	if (!K.init)
		return;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&K.by_name, e));)
		ike_keyring_put(e->value);
	hashmap_clear(&K.by_name);
	hashmap_init(&K.by_name, false);
}

/* Main thread.  One copy per keyring while the configuration stays: a
 * thousand sessions on one keyring of a thousand peers share it. */
struct ike_keyring *ike_keyring_get(const struct config *cfg, const char *name)
{
	struct ike_keyring *k;

	if (!K.init) {
		hashmap_init(&K.by_name, false);
		K.init = true;
	}
	if (K.generation != crypto_generation()) {
		ike_keyrings_clear();
		K.generation = crypto_generation();
	}
	k = hashmap_get(&K.by_name, name);
	if (!k) {
		struct ikev2_keyring *copy = crypto_keyring_copy(cfg, name);
		if (!copy)
			return NULL;
		k = xcalloc(1, sizeof(*k));
		k->ref = 1;
		k->k = copy;
		hashmap_put(&K.by_name, name, k);
	}
	ref_get(&k->ref);
	return k;
}
