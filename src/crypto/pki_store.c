/* The PKI store: key pairs and certificates as files under the state
 * directory (mode 0600, written atomically), never configuration text; the
 * DER the IKE engine asks for, cached until the next PKI change; and the
 * OpenSSL parsing of names and pasted certificates.  "vpnsipd -t" writes
 * nothing (the commands check before calling here). */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/pki_int.h"

/* ---- runtime cache of files ---------------------------------------------------- */

struct blob {
	uint8_t *der;
	size_t len;
};

struct pki_material {
	struct hashmap by_path; /* path -> struct blob (DER of cert or key) */
};

static void blob_free(struct blob *b)
{
	if (b) {
		OPENSSL_cleanse(b->der, b->len);
		free(b->der);
		free(b);
	}
}

void pki_material_free(struct pki_material *m)
{
	if (!m)
		return;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->by_path, e));)
		blob_free(e->value);
	hashmap_clear(&m->by_path);
	free(m);
}

void pki_material_forget(struct crypto_cfg *c, const char *trustpoint, const char *label)
{
	(void)trustpoint;
	(void)label;
	pki_material_free(c->pki);
	c->pki = NULL;
}

/* ---- paths and files ------------------------------------------------------------------ */

static char *state_path(const struct config *cfg, const char *sub, const char *name,
			const char *ext)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	if (!c || !c->state_dir || !name || strchr(name, '/') || name[0] == '.')
		return NULL;
	return xasprintf("%s/pki/%s/%s.%s", c->state_dir, sub, name, ext);
}

char *crypto_pki_key_path(const struct config *cfg, const char *label)
{
	return state_path(cfg, "keys", label, "key");
}
char *crypto_pki_cert_path(const struct config *cfg, const char *trustpoint)
{
	return state_path(cfg, "certs", trustpoint, "crt");
}
char *crypto_pki_ca_path(const struct config *cfg, const char *trustpoint)
{
	return state_path(cfg, "ca", trustpoint, "crt");
}
char *crypto_pki_crl_path(const struct config *cfg, const char *trustpoint)
{
	return state_path(cfg, "crl", trustpoint, "crl");
}

bool crypto_pki_checks_crl(const struct pki_trustpoint *tp)
{
	return tp && tp->revocation != PKI_REVOCATION_NONE;
}

const char *crypto_pki_key_label(const struct config *cfg, const struct pki_trustpoint *tp)
{
	return tp && tp->rsakeypair ? tp->rsakeypair : config_hostname(cfg);
}

static int mkdirs(const struct crypto_cfg *c)
{
	static const char *const subs[] = { "pki", "pki/keys", "pki/certs", "pki/ca", "pki/crl" };

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *d = xasprintf("%s/%s", c->state_dir, subs[i]);
		int rc = mkdir(d, 0700);
		free(d);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static X509 *read_cert_file(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	X509 *x = NULL;

	if (f) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

static EVP_PKEY *read_key_file(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	EVP_PKEY *k = NULL;

	if (f) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	return k;
}

X509 *pki_tp_cert(const struct config *cfg, const char *tp)
{
	char *p = crypto_pki_cert_path(cfg, tp);
	X509 *x = read_cert_file(p);
	free(p);
	return x;
}

X509 *pki_tp_ca(const struct config *cfg, const char *tp)
{
	char *p = crypto_pki_ca_path(cfg, tp);
	X509 *x = read_cert_file(p);
	free(p);
	return x;
}

EVP_PKEY *pki_label_key(const struct config *cfg, const char *label)
{
	char *p = crypto_pki_key_path(cfg, label);
	EVP_PKEY *k = read_key_file(p);
	free(p);
	return k;
}

/* The DER of a file, cached until the next PKI change. */
static bool cached_der(const struct config *cfg, char *path, bool key, uint8_t **der,
		       size_t *len)
{
	struct crypto_cfg *c = (struct crypto_cfg *)crypto_model_get(cfg);
	struct blob *b;

	if (!c || !path) {
		free(path);
		return false;
	}
	if (!c->pki) {
		c->pki = xcalloc(1, sizeof(*c->pki));
		hashmap_init(&c->pki->by_path, false);
	}
	b = hashmap_get(&c->pki->by_path, path);
	if (!b) {
		unsigned char *buf = NULL;
		int n = -1;
		if (key) {
			EVP_PKEY *k = read_key_file(path);
			if (k)
				n = i2d_PrivateKey(k, &buf); /* RSA: PKCS#1 RSAPrivateKey */
			EVP_PKEY_free(k);
		} else {
			X509 *x = read_cert_file(path);
			if (x)
				n = i2d_X509(x, &buf);
			X509_free(x);
		}
		if (n <= 0) {
			free(path);
			return false;
		}
		b = xcalloc(1, sizeof(*b));
		b->der = xmemdup(buf, (size_t)n);
		b->len = (size_t)n;
		OPENSSL_cleanse(buf, (size_t)n);
		OPENSSL_free(buf);
		hashmap_put(&c->pki->by_path, path, b);
	}
	free(path);
	*der = xmemdup(b->der, b->len);
	*len = b->len;
	return true;
}

bool crypto_pki_cert_der(const struct config *cfg, const char *trustpoint, uint8_t **der,
			 size_t *len)
{
	return cached_der(cfg, crypto_pki_cert_path(cfg, trustpoint), false, der, len);
}

bool crypto_pki_ca_der(const struct config *cfg, const char *trustpoint, uint8_t **der,
		       size_t *len)
{
	return cached_der(cfg, crypto_pki_ca_path(cfg, trustpoint), false, der, len);
}

bool crypto_pki_key_der(const struct config *cfg, const char *label, uint8_t **der, size_t *len)
{
	return cached_der(cfg, crypto_pki_key_path(cfg, label), true, der, len);
}

/* ---- key pairs and certificates written ---------------------------------------------------- */

/* Owner only, through the one atomic writer: a kill at any moment leaves
 * the old file or the new one. */

EVP_PKEY *pki_rsa_generate(unsigned bits)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);

	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0)
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

int pki_store_key(struct cli_exec *x, struct crypto_cfg *c, const char *label, EVP_PKEY *k)
{
	char *path = crypto_pki_key_path(cfg_of(x), label);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (path && mkdirs(c) == 0 && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		len = BIO_get_mem_data(b, &data);
		rc = config_file_write_atomic(path, data, (size_t)len, 0600);
	}
	if (rc < 0)
		cli_error(x, "Could not store the key %s: %s", label, strerror(errno));
	BIO_free(b);
	free(path);
	pki_material_forget(c, NULL, label);
	return rc;
}

int pki_store_cert(struct cli_exec *x, struct crypto_cfg *c, char *path, X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (path && mkdirs(c) == 0 && PEM_write_bio_X509(b, cert)) {
		len = BIO_get_mem_data(b, &data);
		rc = config_file_write_atomic(path, data, (size_t)len, 0600);
	}
	if (rc < 0)
		cli_error(x, "Could not store the certificate: %s", strerror(errno));
	BIO_free(b);
	free(path);
	pki_material_forget(c, NULL, NULL);
	return rc;
}

/* ---- OpenSSL parsing: subject names, pasted certificates -------------------------------------- */

X509_NAME *pki_parse_subject(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = xstrdup(s), *save = NULL;
	bool ok = true;

	for (char *part = strtok_r(copy, ",", &save); part && ok;
	     part = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(part, '=');
		if (!eq) {
			ok = false;
			break;
		}
		*eq = '\0';
		char *k = part, *v = eq + 1;
		while (*k == ' ')
			k++;
		for (char *e = k + strlen(k); e > k && e[-1] == ' ';)
			*--e = '\0';
		while (*v == ' ')
			v++;
		if (!*v || !X509_NAME_add_entry_by_txt(n, k, MBSTRING_UTF8, (unsigned char *)v, -1,
						       -1, 0))
			ok = false;
	}
	free(copy);
	if (!ok || X509_NAME_entry_count(n) == 0) {
		X509_NAME_free(n);
		ERR_clear_error();
		return NULL;
	}
	return n;
}

X509 *pki_parse_cert_text(const char *text)
{
	BIO *b;
	X509 *x;
	const char *begin = strstr(text, "-----BEGIN");
	char *pem = NULL;

	if (!begin) { /* base64 body only, as IOS accepts */
		pem = xasprintf("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", text);
		text = pem;
	}
	b = BIO_new_mem_buf(text, -1);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	ERR_clear_error();
	return x;
}

char *pki_x509_name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)len);
	BIO_free(b);
	return out;
}

bool crypto_cert_subject_text(const uint8_t *der, size_t len, char *buf, size_t n)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (!x)
		return false;
	char *t = pki_x509_name_text(X509_get_subject_name(x));
	snprintf(buf, n, "%s", t);
	free(t);
	X509_free(x);
	return true;
}

