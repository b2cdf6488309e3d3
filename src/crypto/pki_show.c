/* The PKI show commands: show crypto pki certificates / trustpoints and
 * show crypto key mypubkey rsa, in IOS's layout, from the files of the
 * store. */
#include <ctype.h>
#include <dirent.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/pki_int.h"

static void fp_groups(const X509 *x, const EVP_MD *md, struct strbuf *out)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	X509_digest(x, md, buf, &n);
	for (unsigned i = 0; i < n; i++)
		sb_printf(out, "%s%02X", i && i % 4 == 0 ? " " : "", buf[i]);
}

void pki_print_fingerprints(const X509 *x, const char *indent, struct strbuf *out)
{
	sb_printf(out, "%sFingerprint MD5: ", indent);
	fp_groups(x, EVP_md5(), out);
	sb_printf(out, "\n%sFingerprint SHA1: ", indent);
	fp_groups(x, EVP_sha1(), out);
	sb_putc(out, '\n');
}

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
	pki_print_fingerprints(x, "  ", out);
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
		X509 *cert = pki_tp_cert(cfg, t->name), *ca = pki_tp_ca(cfg, t->name);
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

/* What "revocation-check" does for this trustpoint now: the IKE engine
 * reads the same CRL file at each IKE_AUTH. */
static void show_revocation(const struct config *cfg, const struct pki_trustpoint *t, bool has_ca,
			    struct strbuf *out)
{
	if (!crypto_pki_checks_crl(t)) {
		sb_puts(out, "  Revocation check: none\n");
		return;
	}
	sb_printf(out, "  Revocation check: crl%s\n",
		  t->revocation == PKI_REVOCATION_DEFAULT ? " (default)" : "");
	if (!has_ca) {
		sb_puts(out, "    No CA certificate: only fingerprint-pinned peer certificates, "
			     "not checked\n");
		return;
	}
	char *path = crypto_pki_crl_path(cfg, t->name);
	FILE *f = path ? fopen(path, "r") : NULL;
	X509_CRL *crl = NULL;
	bool opened = f != NULL;
	if (f) {
		crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
		if (!crl) {
			rewind(f);
			crl = d2i_X509_CRL_fp(f, NULL);
		}
		fclose(f);
		ERR_clear_error();
	}
	if (crl) {
		const STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
		sb_printf(out, "    CRL: %s, %d revoked, this update ", path,
			  rev ? sk_X509_REVOKED_num(rev) : 0);
		print_time(X509_CRL_get0_lastUpdate(crl), out);
		sb_puts(out, ", next update ");
		if (X509_CRL_get0_nextUpdate(crl))
			print_time(X509_CRL_get0_nextUpdate(crl), out);
		else
			sb_puts(out, "none");
		sb_putc(out, '\n');
	} else {
		sb_printf(out, "    CRL: %s %s: peer certificates this CA issued are refused\n",
			  path ? path : "(no state directory)", opened ? "does not parse" : "missing");
	}
	X509_CRL_free(crl);
	free(path);
}

static int cmd_show_trustpoints(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->trustpoints.n; i++) {
		const struct pki_trustpoint *t = c->trustpoints.v[i];
		X509 *cert = pki_tp_cert(cfg, t->name), *ca = pki_tp_ca(cfg, t->name);
		EVP_PKEY *k = pki_label_key(cfg, crypto_pki_key_label(cfg, t));
		sb_printf(x->out, "Trustpoint %s:\n", t->name);
		if (ca) {
			sb_puts(x->out, "    Subject Name: \n");
			print_name_lines(X509_get_subject_name(ca), x->out);
			sb_puts(x->out, "    ");
			pki_print_fingerprints(ca, "", x->out);
		} else {
			sb_puts(x->out, "    Not authenticated.\n");
		}
		sb_printf(x->out, "  Keypair: %s (%s)\n", crypto_pki_key_label(cfg, t),
			  k ? "present" : "not generated");
		sb_printf(x->out, "  Router certificate: %s\n", cert ? "Available" : "none");
		show_revocation(cfg, t, ca != NULL, x->out);
		sb_putc(x->out, '\n');
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
		EVP_PKEY *k = pki_label_key(cfg, name);
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
			EVP_PKEY *k = pki_label_key(cfg, label);
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

static const struct cli_cmd show_cmds[] = {
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

void pki_show_cmds_init(void)
{
	CLI_INSTALL(show_cmds);
}
