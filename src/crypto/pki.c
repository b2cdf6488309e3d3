/* PKI with OpenSSL: RSA key pairs, self-signed enrollment, CA certificates
 * (crypto pki authenticate), imported certificates, certificate maps, and
 * their show commands.  Keys and certificates are files under the state
 * directory (mode 0600), never configuration text; "vpnsipd -t" writes
 * nothing. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto_int.h"

void crypto_free_object(const char *kind, void *o);
void cert_map_entry_free(struct pki_cert_map_entry *e);

#define TP_NODE "ca-trustpoint"
#define MAP_NODE "ca-certificate-map"

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

const char *crypto_pki_key_label(const struct config *cfg, const struct pki_trustpoint *tp)
{
	return tp && tp->rsakeypair ? tp->rsakeypair : config_hostname(cfg);
}

static int mkdirs(const struct crypto_cfg *c)
{
	static const char *const subs[] = { "pki", "pki/keys", "pki/certs", "pki/ca" };

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *d = xasprintf("%s/%s", c->state_dir, subs[i]);
		int rc = mkdir(d, 0700);
		free(d);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* PEM text, atomically, owner only: a kill at any moment leaves the old
 * file or the new one. */
static int write_file(const char *path, const char *data, size_t len)
{
	return config_file_write_atomic(path, data, len, 0600);
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

static X509 *tp_cert(const struct config *cfg, const char *tp)
{
	char *p = crypto_pki_cert_path(cfg, tp);
	X509 *x = read_cert_file(p);
	free(p);
	return x;
}

static X509 *tp_ca(const struct config *cfg, const char *tp)
{
	char *p = crypto_pki_ca_path(cfg, tp);
	X509 *x = read_cert_file(p);
	free(p);
	return x;
}

static EVP_PKEY *label_key(const struct config *cfg, const char *label)
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

/* ---- certificate maps --------------------------------------------------------------- */

/* "CN = orange" / "cn=orange" -> "cn=orange": lower case, no spaces around '='. */
static char *norm_name(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == ' ' && (s[1] == '=' || s[1] == ' ' || (o > out && o[-1] == '=') ||
				  (o > out && o[-1] == ',')))
			continue;
		*o++ = (char)tolower((unsigned char)*s);
	}
	*o = '\0';
	return out;
}

static char *x509_name_text(const X509_NAME *n)
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

static bool rule_holds(const struct pki_map_rule *r, const char *subject, const char *issuer)
{
	char *field = norm_name(r->field == PKI_MAP_SUBJECT_NAME ? subject : issuer);
	char *value = norm_name(r->value);
	bool eq = strcmp(field, value) == 0, co = strstr(field, value) != NULL, ok;

	switch (r->op) {
	case PKI_MAP_EQ: ok = eq; break;
	case PKI_MAP_NE: ok = !eq; break;
	case PKI_MAP_CO: ok = co; break;
	default: ok = !co; break;
	}
	free(field);
	free(value);
	return ok;
}

static bool map_match(const struct pki_cert_map *m, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	bool ok = false;

	if (!m || !(x = d2i_X509(NULL, &p, (long)len)))
		return false;
	char *subject = x509_name_text(X509_get_subject_name(x));
	char *issuer = x509_name_text(X509_get_issuer_name(x));
	for (size_t i = 0; i < m->nentries && !ok; i++) {
		const struct pki_cert_map_entry *e = m->entries[i];
		ok = true;
		for (size_t k = 0; k < e->nrules && ok; k++)
			ok = rule_holds(&e->rules[k], subject, issuer);
	}
	free(subject);
	free(issuer);
	X509_free(x);
	return ok;
}

bool crypto_cert_map_match(const struct config *cfg, const char *map, const uint8_t *der,
			   size_t len)
{
	return map_match(crypto_cert_map_find(cfg, map), der, len);
}

struct pki_cert_map *crypto_cert_map_copy(const struct config *cfg, const char *map)
{
	const struct pki_cert_map *m = crypto_cert_map_find(cfg, map);
	struct pki_cert_map *c;

	if (!m)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(m->name);
	c->entries = xcalloc(m->nentries ? m->nentries : 1, sizeof(*c->entries));
	c->nentries = c->capentries = m->nentries;
	for (size_t i = 0; i < m->nentries; i++) {
		const struct pki_cert_map_entry *e = m->entries[i];
		struct pki_cert_map_entry *ce = xcalloc(1, sizeof(*ce));
		ce->seq = e->seq;
		ce->rules = xcalloc(e->nrules ? e->nrules : 1, sizeof(*ce->rules));
		ce->nrules = ce->caprules = e->nrules;
		for (size_t k = 0; k < e->nrules; k++) {
			ce->rules[k] = e->rules[k];
			ce->rules[k].value = xstrdup(e->rules[k].value);
		}
		c->entries[i] = ce;
	}
	return c;
}

bool crypto_cert_map_copy_match(const struct pki_cert_map *m, const uint8_t *der, size_t len)
{
	return map_match(m, der, len);
}

void crypto_cert_map_copy_free(struct pki_cert_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nentries; i++)
		cert_map_entry_free(m->entries[i]);
	free(m->entries);
	free(m->name);
	free(m);
}

bool crypto_cert_subject_text(const uint8_t *der, size_t len, char *buf, size_t n)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (!x)
		return false;
	char *t = x509_name_text(X509_get_subject_name(x));
	snprintf(buf, n, "%s", t);
	free(t);
	X509_free(x);
	return true;
}

/* ---- key generation ---------------------------------------------------------------------- */

static EVP_PKEY *rsa_generate(unsigned bits)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);

	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0)
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static int store_key(struct cli_exec *x, struct crypto_cfg *c, const char *label, EVP_PKEY *k)
{
	char *path = crypto_pki_key_path(cfg_of(x), label);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (path && mkdirs(c) == 0 && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		len = BIO_get_mem_data(b, &data);
		rc = write_file(path, data, (size_t)len);
	}
	if (rc < 0)
		cli_error(x, "Could not store the key %s: %s", label, strerror(errno));
	BIO_free(b);
	free(path);
	pki_material_forget(c, NULL, label);
	return rc;
}

static int store_cert(struct cli_exec *x, struct crypto_cfg *c, char *path, X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (path && mkdirs(c) == 0 && PEM_write_bio_X509(b, cert)) {
		len = BIO_get_mem_data(b, &data);
		rc = write_file(path, data, (size_t)len);
	}
	if (rc < 0)
		cli_error(x, "Could not store the certificate: %s", strerror(errno));
	BIO_free(b);
	free(path);
	pki_material_forget(c, NULL, NULL);
	return rc;
}

static bool label_ok(const char *s)
{
	if (!*s || strlen(s) > 64 || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

/* A state directory is needed to keep keys; -t keeps nothing. */
static bool pki_writable(struct cli_exec *x, struct crypto_cfg *c)
{
	if (c->check_only)
		return false;
	if (!c->state_dir) {
		cli_error(x, "No state directory: keys and certificates cannot be stored");
		return false;
	}
	return true;
}

static int cmd_key_generate(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *label = cli_arg(x, "lname");
	unsigned bits = (unsigned)cli_arg_long(x, "bits", PKI_RSA_MODULUS_DEFAULT);
	EVP_PKEY *k;

	if (!label)
		label = config_hostname(cfg_of(x));
	if (!label_ok(label))
		return cli_error(x, "Invalid key label %s", label);
	if (!pki_writable(x, c))
		return c->check_only ? CLI_OK : CLI_ERR_FAILED;
	cli_out(x, "The name for the keys will be: %s\n\n", label);
	cli_out(x, "%% The key modulus size is %u bits\n", bits);
	k = label_key(cfg_of(x), label);
	if (k) {
		cli_out(x, "%% You already have RSA keys defined named %s.\n"
			   "%% They will be replaced.\n",
			label);
		EVP_PKEY_free(k);
	}
	cli_out(x, "%% Generating %u bit RSA keys, keys will be non-exportable...\n", bits);
	k = rsa_generate(bits);
	if (!k)
		return cli_error(x, "RSA key generation failed");
	int rc = store_key(x, c, label, k);
	EVP_PKEY_free(k);
	if (rc < 0)
		return CLI_ERR_FAILED;
	cli_out(x, "[OK] (elapsed time was 0 seconds)\n");
	log_msg("SSH", SEV_NOTICE, "RSA_KEYPAIR", "RSA key pair %s (%u bits) generated by %s", label,
		bits, cli_session_who(x->s));
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

static int cmd_key_zeroize(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *label = cli_arg(x, "label");
	char *path;

	if (!label)
		label = config_hostname(cfg_of(x));
	if (!pki_writable(x, c))
		return c->check_only ? CLI_OK : CLI_ERR_FAILED;
	path = crypto_pki_key_path(cfg_of(x), label);
	if (!path || unlink(path) < 0) {
		free(path);
		return cli_error(x, "No RSA key pair named %s", label);
	}
	free(path);
	pki_material_forget(c, NULL, label);
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

X509_NAME *pki_parse_subject(const char *s);

/* ---- trustpoints ---------------------------------------------------------------------------- */

static int done(struct cli_exec *x)
{
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

static int cmd_trustpoint(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct pki_trustpoint *t = nl_get(&c->trustpoints, name);

	if (!label_ok(name))
		return cli_error(x, "Invalid trustpoint name %s", name);
	if (x->is_no) {
		if (!t)
			return cli_error(x, "Trustpoint %s does not exist", name);
		if (!c->check_only && c->state_dir) {
			char *p = crypto_pki_cert_path(cfg_of(x), name);
			unlink(p);
			free(p);
			p = crypto_pki_ca_path(cfg_of(x), name);
			unlink(p);
			free(p);
			cli_out(x, "%% Removing an enrolled trustpoint destroys all certificates\n"
				   "received from the related Certificate Authority.\n");
		}
		crypto_free_object("trustpoint", nl_del(&c->trustpoints, name));
		pki_material_forget(c, name, NULL);
		return done(x);
	}
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->name = xstrdup(name);
		nl_add(&c->trustpoints, name, t);
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, TP_NODE, name);
	return CLI_OK;
}

static struct pki_trustpoint *cur_tp(struct cli_exec *x)
{
	const char *name = cli_key(x, TP_NODE);
	struct pki_trustpoint *t = nl_get(&crypto_model_x(x)->trustpoints, name);

	if (!t)
		cli_error(x, "Trustpoint %s no longer exists", name ? name : "?");
	return t;
}

#define TP_OR_FAIL(t)                            \
	struct pki_trustpoint *t = cur_tp(x);    \
	if (!t)                                  \
		return CLI_ERR_FAILED

static int cmd_tp_enrollment(struct cli_exec *x)
{
	TP_OR_FAIL(t);
	const char *kind = x->is_no ? NULL : cli_arg(x, "kind");

	free(t->enrollment_url);
	t->enrollment_url = NULL;
	if (!kind)
		t->enrollment = PKI_ENROLL_NONE;
	else if (strcmp(kind, "selfsigned") == 0)
		t->enrollment = PKI_ENROLL_SELFSIGNED;
	else if (strcmp(kind, "terminal") == 0)
		t->enrollment = PKI_ENROLL_TERMINAL;
	else {
		t->enrollment = PKI_ENROLL_URL;
		t->enrollment_url = xstrdup(cli_arg(x, "url"));
	}
	return done(x);
}

static int cmd_tp_subject(struct cli_exec *x)
{
	TP_OR_FAIL(t);
	free(t->subject_name);
	t->subject_name = NULL;
	if (!x->is_no) {
		const char *v = cli_arg(x, "name");
		/* validate now: enroll must not fail later on a typo */
		X509_NAME *n = pki_parse_subject(v);
		if (!n)
			return cli_error(x, "Invalid subject name %s (use CN=...,O=...)", v);
		X509_NAME_free(n);
		t->subject_name = xstrdup(v);
	}
	return done(x);
}

static int cmd_tp_serial(struct cli_exec *x)
{
	TP_OR_FAIL(t);
	t->serial = x->is_no ? PKI_SERIAL_ASK : cli_has(x, "none") ? PKI_SERIAL_NONE
								     : PKI_SERIAL_INCLUDE;
	return done(x);
}

static int cmd_tp_revocation(struct cli_exec *x)
{
	TP_OR_FAIL(t);
	t->revocation = x->is_no ? PKI_REVOCATION_DEFAULT
		      : strcmp(cli_arg(x, "mode"), "none") == 0 ? PKI_REVOCATION_NONE
								: PKI_REVOCATION_CRL;
	return done(x);
}

static int cmd_tp_rsakeypair(struct cli_exec *x)
{
	TP_OR_FAIL(t);
	free(t->rsakeypair);
	t->rsakeypair = NULL;
	t->rsakeypair_modulus = 0;
	if (!x->is_no) {
		const char *l = cli_arg(x, "label");
		if (!label_ok(l))
			return cli_error(x, "Invalid key label %s", l);
		t->rsakeypair = xstrdup(l);
		t->rsakeypair_modulus = (unsigned)cli_arg_long(x, "modulus", 0);
	}
	pki_material_forget(crypto_model_x(x), t->name, NULL);
	return done(x);
}

/* "CN=peer2,O=Example" or "cn=peer2, o=example" -> X509_NAME. */
X509_NAME *pki_parse_subject(const char *s);
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

static X509_NAME *tp_subject(struct cli_exec *x, const struct pki_trustpoint *t)
{
	X509_NAME *n;

	if (t->subject_name)
		n = pki_parse_subject(t->subject_name);
	else {
		n = X509_NAME_new();
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					   (const unsigned char *)config_hostname(cfg_of(x)), -1, -1,
					   0);
	}
	if (n && t->serial == PKI_SERIAL_INCLUDE) {
		char id[64] = "";
		FILE *f = fopen("/etc/machine-id", "r");
		if (f) {
			if (!fgets(id, sizeof(id), f))
				id[0] = '\0';
			fclose(f);
		}
		id[strcspn(id, "\n")] = '\0';
		if (id[0])
			X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
						   (unsigned char *)id, -1, -1, 0);
	}
	return n;
}

static void add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext) {
		X509_add_ext(cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
}

/* The trustpoint's key pair, generated (and stored) when missing. */
static EVP_PKEY *tp_key(struct cli_exec *x, struct crypto_cfg *c, const struct pki_trustpoint *t)
{
	const char *label = crypto_pki_key_label(cfg_of(x), t);
	EVP_PKEY *k = label_key(cfg_of(x), label);
	unsigned bits = t->rsakeypair_modulus ? t->rsakeypair_modulus : PKI_RSA_MODULUS_DEFAULT;

	if (k)
		return k;
	cli_out(x, "%% Generating %u bit RSA keys, keys will be non-exportable... (label %s)\n",
		bits, label);
	k = rsa_generate(bits);
	if (k && store_key(x, c, label, k) < 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static int enroll_selfsigned(struct cli_exec *x, struct crypto_cfg *c, struct pki_trustpoint *t)
{
	EVP_PKEY *k = tp_key(x, c, t);
	X509 *cert;
	X509_NAME *subject;
	BIGNUM *bn;
	int rc = CLI_ERR_FAILED;

	if (!k)
		return cli_error(x, "No RSA key for trustpoint %s", t->name);
	subject = tp_subject(x, t);
	cert = X509_new();
	bn = BN_new();
	if (!subject || !cert || !bn || !BN_rand(bn, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY)) {
		cli_error(x, "Could not build the certificate");
		goto out;
	}
	X509_set_version(cert, 2);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_set_subject_name(cert, subject);
	X509_set_issuer_name(cert, subject);
	X509_set_pubkey(cert, k);
	add_ext(cert, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(cert, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign");
	add_ext(cert, NID_subject_key_identifier, "hash");
	if (!X509_sign(cert, k, EVP_sha256())) {
		cli_error(x, "Could not sign the certificate");
		goto out;
	}
	if (store_cert(x, c, crypto_pki_cert_path(cfg_of(x), t->name), cert) == 0) {
		cli_out(x, "Router Self Signed Certificate successfully created\n");
		log_msg("PKI", SEV_INFO, "CERT_INSTALL", "A self-signed certificate was installed in "
			"trustpoint %s", t->name);
		rc = CLI_OK;
	}
out:
	BN_free(bn);
	X509_NAME_free(subject);
	X509_free(cert);
	EVP_PKEY_free(k);
	return rc;
}

static int enroll_terminal(struct cli_exec *x, struct crypto_cfg *c, struct pki_trustpoint *t)
{
	EVP_PKEY *k = tp_key(x, c, t);
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subject = tp_subject(x, t);
	BIO *b = BIO_new(BIO_s_mem());
	int rc = CLI_ERR_FAILED;

	if (k && req && subject && X509_REQ_set_subject_name(req, subject) &&
	    X509_REQ_set_pubkey(req, k) && X509_REQ_sign(req, k, EVP_sha256()) &&
	    PEM_write_bio_X509_REQ(b, req)) {
		char *data;
		long len = BIO_get_mem_data(b, &data);
		cli_out(x, "%% Start certificate enrollment ..\n"
			   "%% The subject name in the certificate will include: %s\n\n"
			   "Display Certificate Request to terminal? [yes/no]: yes\n"
			   "Certificate Request follows:\n\n%.*s\n---End - This line not part of "
			   "the certificate request---\n"
			   "%% Import the issued certificate with \"crypto pki import %s certificate\"\n",
			t->subject_name ? t->subject_name : config_hostname(cfg_of(x)), (int)len, data,
			t->name);
		rc = CLI_OK;
	} else {
		cli_error(x, "Could not build the certificate request");
	}
	BIO_free(b);
	X509_NAME_free(subject);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return rc;
}

static bool from_file_load(struct cli_exec *x)
{
	return strcmp(cli_session_name(x->s), "startup-config") == 0;
}

static int cmd_enroll(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct pki_trustpoint *t = nl_get(&c->trustpoints, name);

	if (!t)
		return cli_error(x, "Trustpoint %s does not exist", name);
	if (c->check_only)
		return CLI_OK;
	if (from_file_load(x)) {
		/* a saved "crypto pki enroll" line: the material of an earlier
		 * enrollment is kept across restarts, so nothing to do */
		X509 *have = tp_cert(cfg_of(x), name);
		X509_free(have);
		if (have || t->enrollment != PKI_ENROLL_SELFSIGNED)
			return CLI_OK;
	}
	if (!pki_writable(x, c))
		return CLI_ERR_FAILED;
	switch (t->enrollment) {
	case PKI_ENROLL_SELFSIGNED: {
		int rc = enroll_selfsigned(x, c, t);
		if (rc == CLI_OK)
			crypto_changed(cfg_of(x));
		return rc;
	}
	case PKI_ENROLL_TERMINAL:
		return enroll_terminal(x, c, t);
	case PKI_ENROLL_URL:
		return cli_error(x, "Enrollment by URL (SCEP) is not supported: use \"enrollment "
				    "terminal\", then \"crypto pki import %s certificate\"",
				 name);
	default:
		return cli_error(x, "Trustpoint %s has no enrollment method", name);
	}
}

/* ---- pasted certificates (authenticate, import) --------------------------------------------- */

static X509 *parse_cert_text(const char *text)
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

static void fp_groups(const X509 *x, const EVP_MD *md, struct strbuf *out)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	X509_digest(x, md, buf, &n);
	for (unsigned i = 0; i < n; i++)
		sb_printf(out, "%s%02X", i && i % 4 == 0 ? " " : "", buf[i]);
}

static void print_fingerprints(const X509 *x, const char *indent, struct strbuf *out)
{
	sb_printf(out, "%sFingerprint MD5: ", indent);
	fp_groups(x, EVP_md5(), out);
	sb_printf(out, "\n%sFingerprint SHA1: ", indent);
	fp_groups(x, EVP_sha1(), out);
	sb_putc(out, '\n');
}

enum paste_kind { PASTE_CA, PASTE_CERT };

struct paste {
	enum paste_kind kind;
	char *trustpoint;
	struct strbuf text;
};

static int install_pasted(struct config *cfg, struct cli_exec *x, struct cli_session *s,
			  struct strbuf *out, enum paste_kind kind, const char *tpname,
			  const char *text);

static bool paste_more(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	struct paste *p = arg;
	struct config_env *env = cli_session_app(s);

	if (line && *line && strcmp(line, "quit") != 0) {
		sb_puts(&p->text, line);
		sb_putc(&p->text, '\n');
		return false;
	}
	if (line)
		install_pasted(env->cfg, NULL, s, out, p->kind, p->trustpoint, sb_str(&p->text));
	sb_free(&p->text);
	free(p->trustpoint);
	free(p);
	return true;
}

static int install_pasted(struct config *cfg, struct cli_exec *x, struct cli_session *s,
			  struct strbuf *out, enum paste_kind kind, const char *tpname,
			  const char *text)
{
	struct crypto_cfg *c = crypto_model(cfg);
	struct pki_trustpoint *t = nl_get(&c->trustpoints, tpname);
	X509 *cert = parse_cert_text(text);
	int rc = CLI_ERR_FAILED;

	(void)x;
	if (!t) {
		sb_printf(out, "%% Trustpoint %s no longer exists\n", tpname);
		X509_free(cert);
		return rc;
	}
	if (!cert) {
		sb_puts(out, "% Error in receiving Certificate: not a valid X.509 certificate\n");
		return rc;
	}
	if (kind == PASTE_CA) {
		sb_puts(out, "\nCertificate has the following attributes:\n");
		print_fingerprints(cert, "       ", out);
	} else {
		/* the certificate must carry the trustpoint's public key */
		EVP_PKEY *k = label_key(cfg, crypto_pki_key_label(cfg, t));
		EVP_PKEY *pub = X509_get0_pubkey(cert);
		if (!k || !pub || EVP_PKEY_eq(k, pub) != 1) {
			sb_printf(out, "%% The certificate does not match the key pair %s of "
				       "trustpoint %s\n",
				  crypto_pki_key_label(cfg, t), t->name);
			EVP_PKEY_free(k);
			X509_free(cert);
			return rc;
		}
		EVP_PKEY_free(k);
	}
	char *path = kind == PASTE_CA ? crypto_pki_ca_path(cfg, tpname)
				      : crypto_pki_cert_path(cfg, tpname);
	struct cli_exec fake = { .s = s, .out = out };
	if (store_cert(&fake, c, path, cert) == 0) {
		if (kind == PASTE_CA)
			sb_puts(out, "Trustpoint CA certificate accepted.\n");
		else
			sb_puts(out, "% Router Certificate successfully imported\n");
		log_msg("PKI", SEV_INFO, "CERT_INSTALL", "A %s certificate was installed in trustpoint %s",
			kind == PASTE_CA ? "CA" : "router", tpname);
		crypto_changed(cfg);
		rc = CLI_OK;
	}
	X509_free(cert);
	return rc;
}

static int paste_cmd(struct cli_exec *x, enum paste_kind kind)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	const char *file = cli_arg(x, "path");

	if (!nl_get(&c->trustpoints, name))
		return cli_error(x, "Trustpoint %s does not exist", name);
	/* from a configuration file (or -t) there is no terminal to paste into:
	 * the certificate installed earlier is kept in the state directory */
	if (c->check_only || (from_file_load(x) && !file))
		return CLI_OK;
	if (!pki_writable(x, c))
		return CLI_ERR_FAILED;
	if (file) {
		FILE *f = fopen(file, "r");
		struct strbuf text = STRBUF_INIT;
		char buf[4096];
		size_t n;
		if (!f)
			return cli_error(x, "Could not read %s: %s", file, strerror(errno));
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && text.len < 1 << 20)
			sb_add(&text, buf, n);
		fclose(f);
		int rc = install_pasted(cfg_of(x), x, x->s, x->out, kind, name, sb_str(&text));
		sb_free(&text);
		return rc;
	}
	struct paste *p = xcalloc(1, sizeof(*p));
	p->kind = kind;
	p->trustpoint = xstrdup(name);
	cli_read_more(x,
		      kind == PASTE_CA
			      ? "Enter the base 64 encoded CA certificate.\n"
				"End with a blank line or the word \"quit\" on a line by itself"
			      : "Enter the base 64 encoded certificate.\n"
				"End with a blank line or the word \"quit\" on a line by itself",
		      paste_more, p);
	return CLI_OK;
}

static int cmd_authenticate(struct cli_exec *x)
{
	return paste_cmd(x, PASTE_CA);
}

static int cmd_import(struct cli_exec *x)
{
	return paste_cmd(x, PASTE_CERT);
}

/* ---- certificate maps ------------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
	const struct pki_cert_map_entry *x = *(const struct pki_cert_map_entry *const *)a;
	const struct pki_cert_map_entry *y = *(const struct pki_cert_map_entry *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmd_cert_map(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	unsigned seq = (unsigned)cli_arg_long(x, "seq", 0);
	struct pki_cert_map *m = nl_get(&c->cert_maps, name);
	struct pki_cert_map_entry *e = NULL;
	size_t i;

	for (i = 0; m && i < m->nentries; i++)
		if (m->entries[i]->seq == seq) {
			e = m->entries[i];
			break;
		}
	if (x->is_no) {
		if (!m)
			return cli_error(x, "Certificate map %s does not exist", name);
		if (!cli_arg(x, "seq")) {
			crypto_free_object("cert-map", nl_del(&c->cert_maps, name));
			return done(x);
		}
		if (!e)
			return cli_error(x, "Certificate map %s %u does not exist", name, seq);
		cert_map_entry_free(e);
		memmove(&m->entries[i], &m->entries[i + 1], (m->nentries - i - 1) * sizeof(e));
		if (--m->nentries == 0)
			crypto_free_object("cert-map", nl_del(&c->cert_maps, name));
		return done(x);
	}
	if (!m) {
		m = xcalloc(1, sizeof(*m));
		m->name = xstrdup(name);
		nl_add(&c->cert_maps, name, m);
	}
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->seq = seq;
		xgrow(&m->entries, &m->capentries, m->nentries + 1, sizeof(e));
		m->entries[m->nentries++] = e;
		qsort(m->entries, m->nentries, sizeof(e), entry_cmp);
		crypto_changed(cfg_of(x));
	}
	char *key = xasprintf("%s %u", name, seq);
	cli_enter(x, MAP_NODE, key);
	free(key);
	return CLI_OK;
}

static struct pki_cert_map_entry *cur_entry(struct cli_exec *x)
{
	const char *key = cli_key(x, MAP_NODE);
	char name[256];
	unsigned seq;
	struct pki_cert_map *m;

	if (key && sscanf(key, "%255s %u", name, &seq) == 2 &&
	    (m = nl_get(&crypto_model_x(x)->cert_maps, name)))
		for (size_t i = 0; i < m->nentries; i++)
			if (m->entries[i]->seq == seq)
				return m->entries[i];
	cli_error(x, "Certificate map %s no longer exists", key ? key : "?");
	return NULL;
}

static const char *const op_names[] = { "eq", "ne", "co", "nc" };

static int cmd_map_rule(struct cli_exec *x)
{
	struct pki_cert_map_entry *e = cur_entry(x);
	struct pki_map_rule r = { 0 };

	if (!e)
		return CLI_ERR_FAILED;
	r.field = cli_has(x, "subject-name") ? PKI_MAP_SUBJECT_NAME : PKI_MAP_ISSUER_NAME;
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
		if (strcmp(cli_arg(x, "op"), op_names[i]) == 0)
			r.op = (enum pki_map_op)i;
	r.value = (char *)cli_arg(x, "value");
	for (size_t i = 0; i < e->nrules; i++) {
		struct pki_map_rule *o = &e->rules[i];
		if (o->field == r.field && o->op == r.op && strcmp(o->value, r.value) == 0) {
			if (x->is_no) {
				free(o->value);
				memmove(o, o + 1, (e->nrules - i - 1) * sizeof(r));
				e->nrules--;
			}
			return done(x);
		}
	}
	if (x->is_no)
		return cli_error(x, "No such rule");
	r.value = xstrdup(r.value);
	xgrow(&e->rules, &e->caprules, e->nrules + 1, sizeof(r));
	e->rules[e->nrules++] = r;
	return done(x);
}

/* ---- running-config -------------------------------------------------------------------------------- */

static void write_trustpoints(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->trustpoints.n; i++) {
		const struct pki_trustpoint *t = c->trustpoints.v[i];
		sb_printf(out, "crypto pki trustpoint %s\n", t->name);
		switch (t->enrollment) {
		case PKI_ENROLL_SELFSIGNED: sb_puts(out, " enrollment selfsigned\n"); break;
		case PKI_ENROLL_TERMINAL: sb_puts(out, " enrollment terminal\n"); break;
		case PKI_ENROLL_URL: sb_printf(out, " enrollment url %s\n", t->enrollment_url); break;
		default: break;
		}
		if (t->serial == PKI_SERIAL_NONE)
			sb_puts(out, " serial-number none\n");
		else if (t->serial == PKI_SERIAL_INCLUDE)
			sb_puts(out, " serial-number\n");
		if (t->subject_name)
			sb_printf(out, " subject-name %s\n", t->subject_name);
		if (t->revocation == PKI_REVOCATION_NONE)
			sb_puts(out, " revocation-check none\n");
		else if (t->revocation == PKI_REVOCATION_CRL)
			sb_puts(out, " revocation-check crl\n");
		if (t->rsakeypair) {
			if (t->rsakeypair_modulus)
				sb_printf(out, " rsakeypair %s %u\n", t->rsakeypair,
					  t->rsakeypair_modulus);
			else
				sb_printf(out, " rsakeypair %s\n", t->rsakeypair);
		}
		sb_puts(out, "!\n");
	}
	for (size_t i = 0; c && i < c->cert_maps.n; i++) {
		const struct pki_cert_map *m = c->cert_maps.v[i];
		for (size_t k = 0; k < m->nentries; k++) {
			const struct pki_cert_map_entry *e = m->entries[k];
			sb_printf(out, "crypto pki certificate map %s %u\n", m->name, e->seq);
			for (size_t r = 0; r < e->nrules; r++)
				sb_printf(out, " %s %s %s\n",
					  e->rules[r].field == PKI_MAP_SUBJECT_NAME ? "subject-name"
										   : "issuer-name",
					  op_names[e->rules[r].op], e->rules[r].value);
			sb_puts(out, "!\n");
		}
	}
}

/* ---- show ---------------------------------------------------------------------------------------------- */

static void print_time(const ASN1_TIME *t, struct strbuf *out)
{
	struct tm tm;
	char buf[64];

	if (ASN1_TIME_to_tm(t, &tm) && strftime(buf, sizeof(buf), "%H:%M:%S UTC %b %e %Y", &tm))
		sb_puts(out, buf);
	else
		sb_puts(out, "?");
}

static void print_name_lines(const X509_NAME *n, struct strbuf *out)
{
	for (int i = X509_NAME_entry_count(n) - 1; i >= 0; i--) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid == NID_serialNumber ? "serialNumber" : OBJ_nid2sn(nid);
		unsigned char *utf = NULL;
		int len = ASN1_STRING_to_UTF8(&utf, X509_NAME_ENTRY_get_data(e));
		char lower[64];
		size_t k;
		for (k = 0; sn[k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)sn[k]);
		lower[k] = '\0';
		if (len >= 0)
			sb_printf(out, "    %s=%.*s\n", nid == NID_serialNumber ? "serialNumber" : lower,
				  len, utf);
		OPENSSL_free(utf);
	}
}

static void show_cert(const char *title, const X509 *x, const char *tp, bool verbose,
		      bool ca, struct strbuf *out)
{
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	EVP_PKEY *pub = X509_get0_pubkey(x);

	sb_printf(out, "%s\n  Status: Available\n", title);
	sb_printf(out, "  Certificate Serial Number (hex): %s\n", hex ? hex : "?");
	sb_printf(out, "  Certificate Usage: %s\n", ca ? "Signature" : "General Purpose");
	sb_puts(out, "  Issuer: \n");
	print_name_lines(X509_get_issuer_name(x), out);
	sb_puts(out, "  Subject: \n");
	print_name_lines(X509_get_subject_name(x), out);
	sb_puts(out, "  Validity Date: \n    start date: ");
	print_time(X509_get0_notBefore(x), out);
	sb_puts(out, "\n    end   date: ");
	print_time(X509_get0_notAfter(x), out);
	sb_putc(out, '\n');
	if (verbose) {
		sb_printf(out, "  Subject Key Info:\n    Public Key Algorithm: %s\n",
			  pub && EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA ? "rsaEncryption" : "other");
		if (pub)
			sb_printf(out, "    RSA Public Key: (%d bit)\n", EVP_PKEY_get_bits(pub));
		sb_printf(out, "  Signature Algorithm: %s\n",
			  OBJ_nid2ln(X509_get_signature_nid(x)));
	}
	print_fingerprints(x, "  ", out);
	sb_printf(out, "  Associated Trustpoints: %s \n\n", tp);
	OPENSSL_free(hex);
	BN_free(bn);
}

static int cmd_show_certs(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);
	const char *name = cli_arg(x, "name");
	bool verbose = cli_has(x, "verbose");

	if (name && !crypto_trustpoint_find(cfg, name))
		return cli_error(x, "Trustpoint %s does not exist", name);
	for (size_t i = 0; c && i < c->trustpoints.n; i++) {
		const struct pki_trustpoint *t = c->trustpoints.v[i];
		if (name && strcmp(name, t->name) != 0)
			continue;
		X509 *cert = tp_cert(cfg, t->name), *ca = tp_ca(cfg, t->name);
		if (cert) {
			bool self = X509_NAME_cmp(X509_get_subject_name(cert),
						  X509_get_issuer_name(cert)) == 0;
			show_cert(self ? "Router Self-Signed Certificate" : "Certificate", cert,
				  t->name, verbose, false, x->out);
		}
		if (ca)
			show_cert("CA Certificate", ca, t->name, verbose, true, x->out);
		X509_free(cert);
		X509_free(ca);
	}
	return CLI_OK;
}

static int cmd_show_trustpoints(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->trustpoints.n; i++) {
		const struct pki_trustpoint *t = c->trustpoints.v[i];
		X509 *cert = tp_cert(cfg, t->name), *ca = tp_ca(cfg, t->name);
		EVP_PKEY *k = label_key(cfg, crypto_pki_key_label(cfg, t));
		sb_printf(x->out, "Trustpoint %s:\n", t->name);
		if (ca) {
			sb_puts(x->out, "    Subject Name: \n");
			print_name_lines(X509_get_subject_name(ca), x->out);
			sb_puts(x->out, "    ");
			print_fingerprints(ca, "", x->out);
		} else {
			sb_puts(x->out, "    Not authenticated.\n");
		}
		sb_printf(x->out, "  Keypair: %s (%s)\n", crypto_pki_key_label(cfg, t),
			  k ? "present" : "not generated");
		sb_printf(x->out, "  Router certificate: %s\n\n", cert ? "Available" : "none");
		X509_free(cert);
		X509_free(ca);
		EVP_PKEY_free(k);
	}
	return CLI_OK;
}

static void show_pubkey(const char *label, EVP_PKEY *k, struct strbuf *out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	sb_printf(out, "%% Key pair was generated at: (unknown)\nKey name: %s\n"
		       "Key type: RSA KEYS\n Storage Device: private-config\n Usage: General Purpose Key\n"
		       " Key is not exportable.\n Key Data:\n",
		  label);
	for (int i = 0; i < n; i++)
		sb_printf(out, "%s%02X%s", i % 32 == 0 ? "  " : "", der[i],
			  i == n - 1 || i % 32 == 31 ? "\n" : i % 4 == 3 ? " " : "");
	OPENSSL_free(der);
}

static int cmd_show_mypubkey(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);
	const char *name = cli_arg(x, "name");
	char *dir;

	if (!c || !c->state_dir)
		return name ? cli_error(x, "No RSA key pair named %s", name) : CLI_OK;
	if (name) {
		EVP_PKEY *k = label_key(cfg, name);
		if (!k)
			return cli_error(x, "No RSA key pair named %s", name);
		show_pubkey(name, k, x->out);
		EVP_PKEY_free(k);
		return CLI_OK;
	}
	dir = xasprintf("%s/pki/keys", c->state_dir);
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		if (len > 4 && strcmp(list[i]->d_name + len - 4, ".key") == 0) {
			char *label = xstrndup(list[i]->d_name, len - 4);
			EVP_PKEY *k = label_key(cfg, label);
			if (k)
				show_pubkey(label, k, x->out);
			EVP_PKEY_free(k);
			free(label);
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	free(dir);
	return CLI_OK;
}

/* ---- declarations ------------------------------------------------------------------------------------ */

static const struct cli_cmd pki_cmds[] = {
	{ "config", "crypto key generate rsa [general-keys] [label WORD$lname] [modulus (512-4096)$bits]",
	  "Encryption module\nLong term key operations\nGenerate new keys\nGenerate RSA keys\n"
	  "Generate a general purpose RSA key pair for signing and encryption\n"
	  "Provide a label\nRSA key pair label\nProvide number of modulus bits on the command line\n"
	  "size of the key modulus [512-4096]",
	  cmd_key_generate, 0 },
	{ "config", "crypto key zeroize rsa [WORD$label]",
	  "\n\nRemove keys\nRemove RSA keys\nRSA key pair label", cmd_key_zeroize, 0 },
	{ "config", "crypto pki trustpoint WORD$name",
	  "\nPublic Key components\nDefine a CA trustpoint\nCA trustpoint name", cmd_trustpoint, 0 },
	{ "config", "no crypto pki trustpoint WORD$name", NO_HELP, cmd_trustpoint, 0 },
	{ TP_NODE, "enrollment <selfsigned|terminal>$kind",
	  "Enrollment parameters\nSelf Signed Certificate Enrollment\nEnroll via the terminal (cut-and-paste)",
	  cmd_tp_enrollment, 0 },
	{ TP_NODE, "enrollment url$kind WORD$url", "\nCA server enrollment URL\nURL", cmd_tp_enrollment, 0 },
	{ TP_NODE, "no enrollment [LINE]", NO_HELP "\n\nArguments", cmd_tp_enrollment, 0 },
	{ TP_NODE, "subject-name LINE$name",
	  "Subject Name\nsubject name string (X.500: CN=NAME,O=ORG,...)", cmd_tp_subject, 0 },
	{ TP_NODE, "no subject-name [LINE]", NO_HELP "\n\nName", cmd_tp_subject, 0 },
	{ TP_NODE, "serial-number [none]",
	  "Include serial number in the subject name\nDo not include serial number", cmd_tp_serial, 0 },
	{ TP_NODE, "no serial-number [none]", NO_HELP, cmd_tp_serial, 0 },
	{ TP_NODE, "revocation-check <none|crl>$mode",
	  "Revocation checking options\nIgnore revocation check\nCRL", cmd_tp_revocation, 0 },
	{ TP_NODE, "no revocation-check [LINE]", NO_HELP "\n\nMethods", cmd_tp_revocation, 0 },
	{ TP_NODE, "rsakeypair WORD$label [(512-4096)$modulus]",
	  "Specify rsakeypair label\nkey pair label\nsize of the key modulus [512-4096]",
	  cmd_tp_rsakeypair, 0 },
	{ TP_NODE, "no rsakeypair [LINE]", NO_HELP "\n\nLabel", cmd_tp_rsakeypair, 0 },
	{ "config", "crypto pki enroll WORD$name",
	  "\n\nRequest a certificate for a trustpoint\nTrustpoint name", cmd_enroll, 0 },
	{ "config", "crypto pki authenticate WORD$name [file WORD$path]",
	  "\n\nGet the certification authority certificate\nTrustpoint name\n"
	  "Read the certificate from a file\nPEM file path",
	  cmd_authenticate, 0 },
	{ "config", "crypto pki import WORD$name certificate [file WORD$path]",
	  "\n\nImport certificates\nTrustpoint name\nImport the router's certificate\n"
	  "Read the certificate from a file\nPEM file path",
	  cmd_import, 0 },
	{ "config", "crypto pki certificate map WORD$name (1-65535)$seq",
	  "\n\nActions on certificates\nCertificate map\nCertificate map tag\nSequence to insert to map",
	  cmd_cert_map, 0 },
	{ "config", "no crypto pki certificate map WORD$name [(1-65535)$seq]", NO_HELP, cmd_cert_map, 0 },
	{ MAP_NODE, "<subject-name|issuer-name> <eq|ne|co|nc>$op LINE$value",
	  "Subject name\nIssuer name\nequal\nnot equal\ncontains\ndoes not contain\nValue",
	  cmd_map_rule, 0 },
	{ MAP_NODE, "no <subject-name|issuer-name> <eq|ne|co|nc>$op LINE$value", NO_HELP, cmd_map_rule, 0 },

	{ "exec", "show crypto pki certificates [verbose] [WORD$name]",
	  "Show running system information\nEncryption module\nShow PKI\n"
	  "Show certificates\nDisplay more information\nTrustpoint name",
	  cmd_show_certs, 0 },
	{ "exec", "show crypto pki trustpoints", "\n\n\nShow trustpoints", cmd_show_trustpoints, 0 },
	{ "exec", "show crypto key mypubkey rsa [WORD$name]",
	  "\n\nShow long term public keys\nShow public keys associated with this router\n"
	  "Show RSA public keys\nKey pair label",
	  cmd_show_mypubkey, 0 },
};

void crypto_pki_cmds_init(void)
{
	cli_node_register(TP_NODE, "(ca-trustpoint)#", "config");
	cli_node_register(MAP_NODE, "(ca-certificate-map)#", "config");
	CLI_INSTALL(pki_cmds);
	config_section_register(310, "crypto pki", write_trustpoints);
}
