/* Internals of the PKI files: the store (pki_store.c), the trustpoint and key
 * commands (pki_cmds.c), certificate maps (pki_certmap.c) and the show
 * commands (pki_show.c).  Only these include it. */
#ifndef VPNSIP_CRYPTO_PKI_INT_H
#define VPNSIP_CRYPTO_PKI_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/crypto_int.h"

/* ---- the store: files under STATE/pki, read through OpenSSL ---- */

/* The router's certificate, the CA certificate of a trustpoint and a key
 * pair, read from their files; NULL when absent or unreadable. */
X509 *pki_tp_cert(const struct config *cfg, const char *trustpoint);
X509 *pki_tp_ca(const struct config *cfg, const char *trustpoint);
EVP_PKEY *pki_label_key(const struct config *cfg, const char *label);

EVP_PKEY *pki_rsa_generate(unsigned bits);
/* Store a key pair or a certificate (PEM, owner only, atomically) and drop
 * the cached material; -1 after a message on x.  store_cert frees path. */
int pki_store_key(struct cli_exec *x, struct crypto_cfg *c, const char *label, EVP_PKEY *k);
int pki_store_cert(struct cli_exec *x, struct crypto_cfg *c, char *path, X509 *cert);

/* "CN=peer2,O=Example" or "cn=peer2, o=example" -> X509_NAME; NULL when bad. */
X509_NAME *pki_parse_subject(const char *s);
/* A pasted certificate: PEM, or the base64 body alone as IOS accepts. */
X509 *pki_parse_cert_text(const char *text);
/* A name in RFC 2253 form (what certificate maps compare). */
char *pki_x509_name_text(const X509_NAME *n);

/* ---- certificate maps ---- */

void pki_cert_map_cmds_init(void);
/* The maps' running-config lines (after the trustpoints). */
void pki_cert_maps_write(const struct crypto_cfg *c, struct strbuf *out);

/* ---- show ---- */

void pki_show_cmds_init(void);
/* "Fingerprint MD5: ..." and "Fingerprint SHA1: ..." lines, as IOS prints
 * them (show and crypto pki authenticate). */
void pki_print_fingerprints(const X509 *x, const char *indent, struct strbuf *out);

/* A command changed the PKI configuration. */
static inline int pki_changed(struct cli_exec *x)
{
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

#endif
