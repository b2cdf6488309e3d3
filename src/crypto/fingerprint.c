/* Fingerprints of VPN-SIP sessions (RFC 4572 a=fingerprint over the
 * certificate's DER, RFC 6193 a=psk-fingerprint over the pre-shared key). */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto_int.h"

static const struct {
	const char *name;
	const char *evp;
	size_t len;
} hash_info[] = {
	[CRYPTO_HASH_SHA1] = { "sha-1", "SHA1", 20 },
	[CRYPTO_HASH_SHA224] = { "sha-224", "SHA224", 28 },
	[CRYPTO_HASH_SHA256] = { "sha-256", "SHA256", 32 },
	[CRYPTO_HASH_SHA384] = { "sha-384", "SHA384", 48 },
	[CRYPTO_HASH_SHA512] = { "sha-512", "SHA512", 64 },
};

static bool hash_ok(enum crypto_hash h)
{
	return (unsigned)h < ARRAY_SIZE(hash_info);
}

const char *crypto_hash_name(enum crypto_hash h)
{
	return hash_ok(h) ? hash_info[h].name : "?";
}

bool crypto_hash_from_name(const char *name, enum crypto_hash *h)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(hash_info); i++)
		if (strcasecmp(name, hash_info[i].name) == 0) {
			*h = (enum crypto_hash)i;
			return true;
		}
	return false;
}

size_t crypto_hash_len(enum crypto_hash h)
{
	return hash_ok(h) ? hash_info[h].len : 0;
}

size_t crypto_hash(enum crypto_hash h, const void *data, size_t len,
		   uint8_t out[CRYPTO_HASH_MAX_LEN])
{
	unsigned int n = 0;

	if (!hash_ok(h))
		return 0;
	const EVP_MD *md = EVP_get_digestbyname(hash_info[h].evp);
	if (!md || !EVP_Digest(data, len, out, &n, md, NULL))
		return 0;
	return n;
}

void crypto_fingerprint_text(const struct crypto_fingerprint *fp, char *buf, size_t n)
{
	size_t o = 0;

	if (!n)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < fp->len && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, i ? ":%02X" : "%02X", fp->md[i]);
}

bool crypto_fingerprint_parse(const char *hash_name, const char *hex,
			      struct crypto_fingerprint *fp)
{
	size_t n = 0;

	memset(fp, 0, sizeof(*fp));
	if (!crypto_hash_from_name(hash_name, &fp->hash) || !hex)
		return false;
	for (const char *p = hex; *p;) {
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    n >= CRYPTO_HASH_MAX_LEN)
			return false;
		char pair[3] = { p[0], p[1], 0 };
		fp->md[n++] = (uint8_t)strtoul(pair, NULL, 16);
		p += 2;
		if (*p == ':' && p[1])
			p++;
		else if (*p)
			return false;
	}
	fp->len = n;
	return n == crypto_hash_len(fp->hash);
}

bool crypto_fingerprint_equal(const struct crypto_fingerprint *a,
			      const struct crypto_fingerprint *b)
{
	return a->hash == b->hash && a->len == b->len && a->len &&
	       CRYPTO_memcmp(a->md, b->md, a->len) == 0;
}

bool crypto_psk_fingerprint(enum crypto_hash h, const char *psk, struct crypto_fingerprint *fp)
{
	memset(fp, 0, sizeof(*fp));
	if (!psk)
		return false;
	fp->hash = h;
	fp->len = crypto_hash(h, psk, strlen(psk), fp->md);
	return fp->len != 0;
}

bool crypto_cert_fingerprint(enum crypto_hash h, const uint8_t *der, size_t len,
			     struct crypto_fingerprint *fp)
{
	memset(fp, 0, sizeof(*fp));
	if (!der || !len)
		return false;
	fp->hash = h;
	fp->len = crypto_hash(h, der, len, fp->md);
	return fp->len != 0;
}

static bool psk_fp(const struct config *cfg, const char *profile, const char *remote_number,
		   enum crypto_hash h, bool local, struct crypto_fingerprint *fp, char *err,
		   size_t errlen)
{
	struct crypto_id id = { .type = CRYPTO_ID_KEY_ID, .value = (char *)remote_number };
	struct crypto_psk psk;
	const char *key;

	if (!remote_number || !*remote_number) {
		snprintf(err, errlen, "no remote SIP number for the pre-shared key lookup");
		return false;
	}
	crypto_profile_psk(cfg, profile, &id, &psk);
	key = local ? psk.local : psk.remote;
	if (!key) {
		const struct ikev2_profile *p = crypto_ikev2_profile_find(cfg, profile);
		snprintf(err, errlen, "no %s pre-shared key for key-id %s in keyring %s of IKEv2 profile %s",
			 local ? "local" : "remote", remote_number,
			 p && p->keyring_local ? p->keyring_local : "(none)", profile);
		return false;
	}
	return crypto_psk_fingerprint(h, key, fp);
}

bool crypto_local_fingerprint(const struct config *cfg, const char *ikev2_profile,
			      const char *remote_number, enum crypto_hash h,
			      struct crypto_fingerprint *fp, enum ikev2_auth *auth, char *err,
			      size_t errlen)
{
	const struct ikev2_profile *p = crypto_ikev2_profile_find(cfg, ikev2_profile);
	char dummy[1];

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(fp, 0, sizeof(*fp));
	if (auth)
		*auth = IKEV2_AUTH_NONE;
	if (!p) {
		snprintf(err, errlen, "IKEv2 profile %s is not configured",
			 ikev2_profile ? ikev2_profile : "(none)");
		return false;
	}
	if (auth)
		*auth = p->auth_local;
	switch (p->auth_local) {
	case IKEV2_AUTH_PSK:
		return psk_fp(cfg, ikev2_profile, remote_number, h, true, fp, err, errlen);
	case IKEV2_AUTH_RSA_SIG: {
		uint8_t *der;
		size_t len;
		if (!p->pki_trustpoint) {
			snprintf(err, errlen, "IKEv2 profile %s has no pki trustpoint", p->name);
			return false;
		}
		if (!crypto_pki_cert_der(cfg, p->pki_trustpoint, &der, &len)) {
			snprintf(err, errlen, "trustpoint %s has no certificate (crypto pki enroll %s)",
				 p->pki_trustpoint, p->pki_trustpoint);
			return false;
		}
		bool ok = crypto_cert_fingerprint(h, der, len, fp);
		free(der);
		return ok;
	}
	default:
		snprintf(err, errlen, "IKEv2 profile %s has no local authentication method", p->name);
		return false;
	}
}

bool crypto_remote_psk_fingerprint(const struct config *cfg, const char *ikev2_profile,
				   const char *remote_number, enum crypto_hash h,
				   struct crypto_fingerprint *fp, char *err, size_t errlen)
{
	char dummy[1];

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(fp, 0, sizeof(*fp));
	if (!crypto_ikev2_profile_find(cfg, ikev2_profile)) {
		snprintf(err, errlen, "IKEv2 profile %s is not configured",
			 ikev2_profile ? ikev2_profile : "(none)");
		return false;
	}
	return psk_fp(cfg, ikev2_profile, remote_number, h, false, fp, err, errlen);
}
