/* Pre-shared keys in the configuration text: type 0 (clear), 7 (the
 * reversible scrambling of "service password-encryption") and 6 ("password
 * encryption aes" with the master key of "key config-key password-encrypt").
 *
 * Type 6 here is vpnsip's own construction, not interchangeable with IOS
 * strings (IOS's derivation is undocumented): a deterministic authenticated
 * encryption (SIV style) so that show running-config is stable --
 *   Ke = SHA-256("vpnsip type6 enc" || master), Km = SHA-256("vpnsip type6 mac" || master)
 *   IV = HMAC-SHA-256(Km, plain)[0..15],  C = AES-256-CTR(Ke, IV, plain)
 *   text = base64(IV || C) without padding.
 * Decoding recomputes IV over the decrypted text and compares.  The master
 * key lives in STATE/master-key (mode 0600), never in the configuration. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/secret.h"
#include "crypto/crypto_int.h"

#define MASTER_MAX 128

static char *master_path(const struct crypto_cfg *c)
{
	return c && c->state_dir ? xasprintf("%s/master-key", c->state_dir) : NULL;
}

/* The master key into buf (NUL-terminated); false when there is none. */
static bool master_read(const struct crypto_cfg *c, char buf[MASTER_MAX + 1])
{
	char *path = master_path(c);
	ssize_t n = -1;

	if (path) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, MASTER_MAX);
			close(fd);
		}
		free(path);
	}
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0';
}

bool crypto_master_key_present(const struct crypto_cfg *c)
{
	char buf[MASTER_MAX + 1];
	bool ok = master_read(c, buf);

	OPENSSL_cleanse(buf, sizeof(buf));
	return ok;
}

static int master_write(const struct crypto_cfg *c, const char *key)
{
	char *path = master_path(c);
	int rc;

	if (!path)
		return -1;
	rc = config_file_write_atomic(path, key, strlen(key), 0600);
	free(path);
	return rc;
}

static void derive(const char *master, const char *label, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, label, strlen(label));
	EVP_DigestUpdate(ctx, master, strlen(master));
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
}

static bool ctr(const uint8_t key[32], const uint8_t iv[16], const uint8_t *in, size_t n,
		uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) &&
		  EVP_EncryptUpdate(ctx, out, &len, in, (int)n) &&
		  EVP_EncryptFinal_ex(ctx, out + len, &fin);

	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

static void siv(const uint8_t km[32], const char *plain, size_t n, uint8_t iv[16])
{
	uint8_t mac[32];
	unsigned len = 0;

	HMAC(EVP_sha256(), km, 32, (const uint8_t *)plain, n, mac, &len);
	memcpy(iv, mac, 16);
}

char *crypto_type6_encode(const struct crypto_cfg *c, const char *plain)
{
	char master[MASTER_MAX + 1];
	uint8_t ke[32], km[32];
	size_t n = strlen(plain);
	uint8_t *buf;
	char *out = NULL;

	if (!master_read(c, master))
		return NULL;
	derive(master, "vpnsip type6 enc", ke);
	derive(master, "vpnsip type6 mac", km);
	buf = xmalloc(16 + n);
	siv(km, plain, n, buf);
	if (ctr(ke, buf, (const uint8_t *)plain, n, buf + 16)) {
		out = xmalloc(4 * ((16 + n + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)out, buf, (int)(16 + n));
		out[strcspn(out, "=")] = '\0';
	}
	OPENSSL_cleanse(master, sizeof(master));
	OPENSSL_cleanse(ke, sizeof(ke));
	OPENSSL_cleanse(km, sizeof(km));
	free(buf);
	return out;
}

char *crypto_type6_decode(const struct crypto_cfg *c, const char *enc, const char **why)
{
	char master[MASTER_MAX + 1];
	uint8_t ke[32], km[32], iv[16];
	size_t n = strlen(enc), pad = (4 - n % 4) % 4;
	char *padded;
	uint8_t *raw;
	int rawlen;
	char *plain = NULL;

	*why = "Invalid encrypted key";
	if (n < 24 || pad == 3 || strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789+/") != n)
		return NULL;
	if (!master_read(c, master)) {
		*why = "No master key (key config-key password-encrypt): type 6 key cannot be decrypted";
		return NULL;
	}
	padded = xmalloc(n + pad + 1);
	memcpy(padded, enc, n);
	memset(padded + n, '=', pad);
	padded[n + pad] = '\0';
	raw = xmalloc(n + pad);
	rawlen = EVP_DecodeBlock(raw, (unsigned char *)padded, (int)(n + pad));
	free(padded);
	if (rawlen > 0)
		rawlen -= (int)pad;
	if (rawlen > 16) {
		size_t plen = (size_t)rawlen - 16;
		derive(master, "vpnsip type6 enc", ke);
		derive(master, "vpnsip type6 mac", km);
		plain = xmalloc(plen + 1);
		if (ctr(ke, raw, raw + 16, plen, (uint8_t *)plain)) {
			plain[plen] = '\0';
			siv(km, plain, plen, iv);
			if (CRYPTO_memcmp(iv, raw, 16) != 0 || strlen(plain) != plen) {
				*why = "Type 6 key does not decrypt with this master key";
				OPENSSL_cleanse(plain, plen);
				free(plain);
				plain = NULL;
			}
		} else {
			free(plain);
			plain = NULL;
		}
		OPENSSL_cleanse(ke, sizeof(ke));
		OPENSSL_cleanse(km, sizeof(km));
	}
	OPENSSL_cleanse(master, sizeof(master));
	free(raw);
	return plain;
}

char *crypto_key_decode(struct cli_exec *x, const char *type, const char *text)
{
	struct crypto_cfg *c = crypto_model_x(x);
	char *plain;

	if (!type || strcmp(type, "0") == 0) {
		if (!secret_text_ok(text)) {
			cli_error(x, "Invalid key: printable ASCII characters only");
			return NULL;
		}
		return xstrdup(text);
	}
	if (strcmp(type, "7") == 0) {
		plain = secret_type7_decode(text);
		if (!secret_text_ok(plain)) {
			free(plain);
			cli_error(x, "Invalid encrypted key: not a type 7 string");
			return NULL;
		}
		return plain;
	}
	const char *why;
	plain = crypto_type6_decode(c, text, &why);
	if (!plain && c->check_only && !c->state_dir && strstr(why, "master key"))
		return xstrdup(text); /* -t without -D: no master key to try, syntax only */
	if (!plain)
		cli_error(x, "%s", why);
	return plain;
}

void crypto_key_write(const struct config *cfg, const char *plain, struct strbuf *out)
{
	config_secret_write(cfg, plain, out);
}

/* The configuration's codec of reversible secrets: type 6 is ours. */
static void secret_write(const struct config *cfg, const char *plain, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	if (c && c->password_encryption_aes) {
		char *enc = crypto_type6_encode(c, plain);
		if (enc) {
			sb_printf(out, "6 %s", enc);
			free(enc);
			return;
		}
	}
	if (cfg->sys.password_encryption) {
		char *enc = secret_type7_encode(plain, (unsigned)strlen(plain));
		sb_printf(out, "7 %s", enc);
		free(enc);
		return;
	}
	sb_puts(out, plain);
}

void crypto_warn_short_psk(struct cli_exec *x, const char *key)
{
	if (strlen(key) >= CRYPTO_PSK_WARN_MIN_LEN)
		return;
	cli_out(x, "%%WARNING: pre-shared key of %zu characters: VPN-SIP sends its fingerprint "
		   "(a=psk-fingerprint) over SIP, and a key this short can be brute-forced offline "
		   "from it. Use %d or more random characters.\n",
		strlen(key), CRYPTO_PSK_WARN_MIN_LEN);
	if (cfg_env(x)->check_only)
		return;
	log_msg("CRYPTO", SEV_WARNING, "WEAK_PSK",
		"A pre-shared key of %zu characters was configured by %s: its SIP fingerprint can be "
		"brute-forced offline (use %d or more characters)",
		strlen(key), cli_session_who(x->s), CRYPTO_PSK_WARN_MIN_LEN);
}

/* ---- key config-key password-encrypt / password encryption aes ------------------------------- */

struct master_read_state {
	int step;
	char *first;
};

static bool master_more(struct cli_session *s, const char *line, void *arg, struct strbuf *out);

static int set_master(struct cli_exec *x, struct cli_session *s, const char *key,
		      struct strbuf *out)
{
	struct config_env *env = cli_session_app(s);
	struct crypto_cfg *c = crypto_model(env->cfg);

	(void)x;
	if (strlen(key) < 8 || strlen(key) > MASTER_MAX) {
		sb_puts(out, "% Master key must be 8 to 128 characters long\n");
		return CLI_ERR_FAILED;
	}
	if (env->check_only || !c->state_dir)
		return CLI_OK;
	if (master_write(c, key) < 0) {
		sb_printf(out, "%% Could not store the master key: %s\n", strerror(errno));
		return CLI_ERR_FAILED;
	}
	log_msg("CRYPTO", SEV_NOTICE, "MASTER_KEY", "Master key for type 6 encryption set by %s",
		cli_session_who(s));
	crypto_changed(env->cfg);
	return CLI_OK;
}

static bool master_more(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	struct master_read_state *st = arg;

	if (!line)
		goto done;
	if (st->step == 0) {
		st->first = xstrdup(line);
		st->step = 1;
		return false;
	}
	if (strcmp(st->first, line) != 0)
		sb_puts(out, "% Master keys do not match\n");
	else
		set_master(NULL, s, line, out);
done:
	if (st->first) {
		OPENSSL_cleanse(st->first, strlen(st->first));
		free(st->first);
	}
	free(st);
	return true;
}

static int cmd_key_config_key(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);

	if (x->is_no) {
		char *path = master_path(c);
		if (path && !c->check_only)
			unlink(path);
		free(path);
		crypto_changed(cfg_of(x));
		return CLI_OK;
	}
	const char *key = cli_arg(x, "master");
	if (key)
		return set_master(x, x->s, key, x->out);
	cli_read_secret(x, "New key: ", master_more, xcalloc(1, sizeof(struct master_read_state)));
	return CLI_OK;
}

static int cmd_password_encryption_aes(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);

	c->password_encryption_aes = !x->is_no;
	if (!x->is_no && !c->check_only && c->state_dir && !crypto_master_key_present(c))
		cli_out(x, "%% No master key: set one with \"key config-key password-encrypt\" "
			   "for keys to be shown as type 6\n");
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

static void write_password_encryption(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	if (c && c->password_encryption_aes)
		sb_puts(out, "password encryption aes\n!\n");
}

static const struct cli_cmd key_cmds[] = {
	{ "config", "key config-key password-encrypt [WORD$master]",
	  "Key management\nSet a private configuration key\n"
	  "Set a private configuration key for password encryption\n"
	  "The master key (8 to 128 characters)",
	  cmd_key_config_key, CLI_SECRET | CLI_NOLOG },
	{ "config", "no key config-key password-encrypt", NO_HELP, cmd_key_config_key, 0 },
	{ "config", "password encryption aes",
	  "Configure password encryption\nEncrypt system passwords\n"
	  "Encrypt pre-shared keys with AES (type 6)",
	  cmd_password_encryption_aes, 0 },
	{ "config", "no password encryption aes", NO_HELP, cmd_password_encryption_aes, 0 },
};

/* Passwords (SIP digest, enable password) decode as keys do; IOS words a
 * bad type 7 password its own way. */
static char *secret_decode(struct cli_exec *x, const char *type, const char *text)
{
	if (type && strcmp(type, "7") == 0) {
		char *plain = secret_type7_decode(text);
		if (!secret_text_ok(plain)) {
			free(plain);
			cli_error(x, "Invalid encrypted password");
			return NULL;
		}
		return plain;
	}
	return crypto_key_decode(x, type, text);
}

void crypto_key_cmds_init(void)
{
	static const struct config_secret_codec codec = { secret_write, secret_decode };

	config_secret_set_codec(&codec);
	CLI_INSTALL(key_cmds);
	config_section_register(15, "password-encryption", write_password_encryption);
}
