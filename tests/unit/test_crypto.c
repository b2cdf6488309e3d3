/* The crypto model: fingerprint test vectors (computed independently with
 * "openssl dgst" / "openssl x509 -fingerprint" when this test was written),
 * PSK lookup by key-id, the default proposal, type 7/6 key round trips. */
#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/secret.h"
#include "crypto/crypto.h"
#include "daemon/feature.h"
#include "harness.h"

static struct config cfg;
static struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent", .check_only = true };
static bool inited;

static struct cli_session *fresh_env(struct config_env *e)
{
	if (!inited) {
		feature_cli_init_all();
		inited = true;
	}
	config_free(e->cfg);
	config_init(e->cfg);
	return cli_session_new(e, 15);
}

static enum cli_status run_env(struct config_env *e, struct cli_session *s, const char *line,
			       struct strbuf *out)
{
	struct cli_result res;

	sb_reset(out);
	config_exec_line(e, s, line, out, &res);
	return res.status;
}

static void apply(struct config_env *e, struct cli_session *s, const char *const *lines)
{
	struct strbuf out = STRBUF_INIT;

	for (; *lines; lines++) {
		enum cli_status st = run_env(e, s, *lines, &out);
		if (st != CLI_OK && st != CLI_MORE_INPUT)
			harness_fail(__FILE__, __LINE__, "line '%s' failed (%d): %s", *lines, st,
				     sb_str(&out));
	}
	sb_free(&out);
}

static char *body(const struct config *c)
{
	struct strbuf sb = STRBUF_INIT;
	config_write(c, &sb);
	return sb_steal(&sb);
}

static const char *fp_text(const struct crypto_fingerprint *fp)
{
	static char buf[CRYPTO_FINGERPRINT_TEXT_MAX];
	crypto_fingerprint_text(fp, buf, sizeof(buf));
	return buf;
}

/* printf %s key123 | openssl dgst -sha1 -c (and -sha224 ... -sha512) */
TEST(psk_fingerprint_vectors)
{
	static const struct {
		enum crypto_hash h;
		const char *fp;
	} v[] = {
		{ CRYPTO_HASH_SHA1, "E4:8C:47:F1:43:1A:FD:3B:B0:30:DE:EA:26:6B:43:09:E2:22:8C:5B" },
		{ CRYPTO_HASH_SHA224, "61:67:C4:7A:83:ED:C0:EE:92:FA:99:7A:8E:7A:01:EA:11:76:35:DA:"
				      "44:73:58:DC:9C:EF:4F:DD" },
		{ CRYPTO_HASH_SHA256, "8F:EF:E6:92:F6:90:A3:17:31:76:EC:DF:F4:31:82:25:AF:AE:B9:7F:"
				      "DD:6F:60:C8:66:ED:82:3D:59:22:16:65" },
		{ CRYPTO_HASH_SHA384, "22:8D:F0:7E:1B:E0:DD:5B:78:54:82:F7:7A:FB:5C:6C:93:B0:BE:AC:"
				      "0C:FE:85:5C:F2:C2:3A:57:2F:A7:17:A3:BB:B4:80:75:AE:A2:A1:75:"
				      "FE:05:ED:EA:8D:35:3D:FE" },
		{ CRYPTO_HASH_SHA512, "BB:16:08:1E:6A:31:B9:17:45:BD:81:56:60:A6:86:7C:CC:5E:F2:FA:"
				      "84:DA:69:08:2F:37:9D:FC:26:1B:E1:75:4D:6D:0F:BB:A2:02:FA:5D:"
				      "45:A5:7E:12:EC:27:FC:D8:B9:18:7A:62:9A:92:51:E7:B2:57:6D:4A:"
				      "34:69:E5:FE" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct crypto_fingerprint fp, parsed;
		CHECK(crypto_psk_fingerprint(v[i].h, "key123", &fp));
		CHECK_STR(fp_text(&fp), v[i].fp);
		CHECK(crypto_fingerprint_parse(crypto_hash_name(v[i].h), v[i].fp, &parsed));
		CHECK(crypto_fingerprint_equal(&fp, &parsed));
	}
}

/* openssl req -x509 -newkey ec ... -subj /CN=vector/O=vpnsip; then
 * openssl x509 -noout -fingerprint -sha1 / -sha256 / -sha512 */
static const char vector_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBmTCCAT+gAwIBAgIUU1Qto8vLxeaxxmB1MhRnWmXjBPMwCgYIKoZIzj0EAwIw\n"
	"IjEPMA0GA1UEAwwGdmVjdG9yMQ8wDQYDVQQKDAZ2cG5zaXAwHhcNMjYxMTIyMTI0\n"
	"NDE5WhcNMzYxMTE5MTI0NDE5WjAiMQ8wDQYDVQQDDAZ2ZWN0b3IxDzANBgNVBAoM\n"
	"BnZwbnNpcDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFjV8pBX+HC6lHIi9FPd\n"
	"BQ+tFMUZUZSur2jPtDJDRewTvuE2Xb1gW0h8X6IfeI7zN6DIzAfujIgV5Ugmf5Ce\n"
	"V6qjUzBRMB0GA1UdDgQWBBQC0aAYVgF+q3q6vnRfQxojS4yLlTAfBgNVHSMEGDAW\n"
	"gBQC0aAYVgF+q3q6vnRfQxojS4yLlTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49\n"
	"BAMCA0gAMEUCIQDSGBlulONRwgiS8D4bnT/U7P+3bylOqFJD/4fx9qBqpwIgGTZT\n"
	"dJLilU8fMA/h4NNYnmBM6ktDXCVtT41aSp7BwGk=\n"
	"-----END CERTIFICATE-----\n";

TEST(cert_fingerprint_vectors)
{
	BIO *b = BIO_new_mem_buf(vector_cert, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : -1;
	struct crypto_fingerprint fp;

	CHECK(n > 0);
	CHECK(crypto_cert_fingerprint(CRYPTO_HASH_SHA1, der, (size_t)n, &fp));
	CHECK_STR(fp_text(&fp), "0D:C5:60:69:C3:E5:85:98:09:30:BB:0B:73:13:D2:B3:06:8B:B2:45");
	CHECK(crypto_cert_fingerprint(CRYPTO_HASH_SHA256, der, (size_t)n, &fp));
	CHECK_STR(fp_text(&fp), "31:D8:E4:AD:0C:BA:34:56:6F:E7:5D:C6:4B:C3:6A:31:EA:6A:AB:CA:04:"
				"AA:4F:D9:9D:87:3E:1B:29:E2:FF:D9");
	CHECK(crypto_cert_fingerprint(CRYPTO_HASH_SHA512, der, (size_t)n, &fp));
	CHECK_STR(fp_text(&fp), "7A:22:9B:A9:92:EB:63:86:C7:DD:11:0D:89:EB:BE:8F:12:F5:E0:A7:CD:"
				"0A:A6:CF:AB:D3:9A:B1:13:CC:A4:46:47:CC:05:81:6F:D6:53:3D:1F:07:"
				"8F:F1:12:37:87:AB:11:9E:B1:DA:8E:27:4E:B3:32:97:F8:FB:15:BC:24:68");
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
}

TEST(hash_names)
{
	enum crypto_hash h;

	CHECK_STR(crypto_hash_name(CRYPTO_HASH_SHA1), "sha-1");
	CHECK_STR(crypto_hash_name(CRYPTO_HASH_SHA256), "sha-256");
	CHECK(crypto_hash_from_name("SHA-1", &h) && h == CRYPTO_HASH_SHA1);
	CHECK(crypto_hash_from_name("sha-512", &h) && h == CRYPTO_HASH_SHA512);
	CHECK(!crypto_hash_from_name("md5", &h));
	CHECK(!crypto_hash_from_name("sha1", &h));
	CHECK_INT(crypto_hash_len(CRYPTO_HASH_SHA384), 48);
	struct crypto_fingerprint fp;
	CHECK(!crypto_fingerprint_parse("sha-1", "E4:8C", &fp)); /* wrong length */
	CHECK(!crypto_fingerprint_parse("sha-1", "ZZ", &fp));
	CHECK(!crypto_fingerprint_parse("sha-1", "", &fp));
}

TEST(psk_lookup_by_key_id)
{
	struct cli_session *s = fresh_env(&env);
	static const char *const lines[] = {
		"configure terminal",
		"crypto ikev2 keyring keys",
		" peer peer1",
		"  identity key-id 0312341111",
		"  pre-shared-key psk1-long-enough-0123456789",
		" peer asym",
		"  identity key-id 0345674444",
		"  pre-shared-key local LocalKey-0123456789abc",
		"  pre-shared-key remote RemoteKey-0123456789abc",
		" peer byfqdn",
		"  identity fqdn R2.Example",
		"  pre-shared-key fqdnkey-0123456789abcdef",
		"crypto ikev2 profile P",
		" match identity remote any",
		" authentication local pre-share",
		" authentication remote pre-share",
		" keyring local keys",
		NULL,
	};
	struct crypto_psk psk;
	struct crypto_id id = { .type = CRYPTO_ID_KEY_ID, .value = (char *)"0312341111" };

	apply(&env, s, lines);
	CHECK(crypto_keyring_psk(&cfg, "keys", &id, &psk));
	CHECK_STR(psk.local, "psk1-long-enough-0123456789");
	CHECK_STR(psk.remote, "psk1-long-enough-0123456789");
	CHECK_STR(psk.peer->name, "peer1");
	id.value = (char *)"0345674444";
	CHECK(crypto_profile_psk(&cfg, "P", &id, &psk));
	CHECK_STR(psk.local, "LocalKey-0123456789abc");
	CHECK_STR(psk.remote, "RemoteKey-0123456789abc");
	id.value = (char *)"0399999999";
	CHECK(!crypto_keyring_psk(&cfg, "keys", &id, &psk));
	id.value = (char *)"031234111"; /* a prefix is not the identity */
	CHECK(!crypto_keyring_psk(&cfg, "keys", &id, &psk));
	struct crypto_id fq = { .type = CRYPTO_ID_FQDN, .value = (char *)"r2.example" };
	CHECK(crypto_keyring_psk(&cfg, "keys", &fq, &psk));
	CHECK_STR(psk.local, "fqdnkey-0123456789abcdef");

	/* the local fingerprint: hash over the LOCAL key found by the remote
	 * number; the peer's must equal the hash over the REMOTE key */
	struct crypto_fingerprint fp, want;
	enum ikev2_auth auth;
	char err[200];
	CHECK(crypto_local_fingerprint(&cfg, "P", "0345674444", CRYPTO_HASH_SHA1, &fp, &auth, err,
				       sizeof(err)));
	CHECK_INT(auth, IKEV2_AUTH_PSK);
	crypto_psk_fingerprint(CRYPTO_HASH_SHA1, "LocalKey-0123456789abc", &want);
	CHECK(crypto_fingerprint_equal(&fp, &want));
	CHECK(crypto_remote_psk_fingerprint(&cfg, "P", "0345674444", CRYPTO_HASH_SHA1, &fp, err,
					    sizeof(err)));
	crypto_psk_fingerprint(CRYPTO_HASH_SHA1, "RemoteKey-0123456789abc", &want);
	CHECK(crypto_fingerprint_equal(&fp, &want));
	CHECK(!crypto_local_fingerprint(&cfg, "P", "0399999999", CRYPTO_HASH_SHA1, &fp, NULL, err,
					sizeof(err)));
	CHECK(strstr(err, "0399999999") && !strstr(err, "Key-"));
	CHECK(!crypto_local_fingerprint(&cfg, "nope", "0345674444", CRYPTO_HASH_SHA1, &fp, NULL,
					err, sizeof(err)));

	/* removing the peer removes it from the index */
	struct strbuf out = STRBUF_INIT;
	run_env(&env, s, "crypto ikev2 keyring keys", &out);
	run_env(&env, s, "no peer peer1", &out);
	id.value = (char *)"0312341111";
	CHECK(!crypto_keyring_psk(&cfg, "keys", &id, &psk));
	sb_free(&out);
	cli_session_free(s);
}

TEST(default_proposal_and_policy)
{
	struct cli_session *s = fresh_env(&env);
	const struct ikev2_proposal *v[4];
	struct strbuf sb = STRBUF_INIT;

	CHECK_INT(crypto_ikev2_proposals(&cfg, NULL, v, 4), 1);
	CHECK(v[0] == crypto_default_proposal());
	ikev2_proposal_swan(v[0], &sb);
	CHECK_STR(sb_str(&sb), "aes256-sha512-sha384-sha256-prfsha512-prfsha384-prfsha256-ecp256-"
			       "modp2048-ecp521-ecp384");
	static const char *const lines[] = {
		"configure terminal",
		"crypto ikev2 proposal P1",
		" encryption aes-cbc-128 aes-gcm-256",
		" integrity sha1",
		" group 14",
		"crypto ikev2 proposal INCOMPLETE",
		" encryption aes-cbc-128",
		"crypto ikev2 policy POL",
		" proposal INCOMPLETE",
		" proposal P1",
		NULL,
	};
	apply(&env, s, lines);
	CHECK_INT(crypto_ikev2_proposals(&cfg, NULL, v, 4), 1);
	CHECK_STR(v[0]->name, "P1");
	sb_reset(&sb);
	ikev2_proposal_swan(v[0], &sb);
	CHECK_STR(sb_str(&sb), "aes128-sha1-prfsha1-modp2048,aes256gcm16-prfsha1-modp2048");
	/* a bad group is refused, the list unchanged */
	struct strbuf out = STRBUF_INIT;
	run_env(&env, s, "crypto ikev2 proposal P1", &out);
	CHECK_INT(run_env(&env, s, "group 3", &out), CLI_ERR_FAILED);
	CHECK_INT(crypto_ikev2_proposal_find(&cfg, "P1")->ngroup, 1);

	const struct ipsec_transform_set *ts[2];
	CHECK_INT(crypto_ipsec_transform_sets(&cfg, NULL, ts, 2), 1);
	sb_reset(&sb);
	ipsec_transform_set_swan(ts[0], &sb);
	CHECK_STR(sb_str(&sb), "aes128-sha1");
	CHECK_INT(crypto_ipsec_replay_window(&cfg, NULL), 64);
	CHECK_INT(crypto_ipsec_df_bit(&cfg, NULL), IPSEC_DF_COPY);
	sb_free(&out);
	sb_free(&sb);
	cli_session_free(s);
}

TEST(type7_psk_round_trip)
{
	struct cli_session *s = fresh_env(&env);
	static const char *const lines[] = {
		"configure terminal",
		"service password-encryption",
		"crypto ikev2 keyring K",
		" peer p",
		"  identity key-id 1234",
		"  pre-shared-key Secret-Key-0123456789xyz",
		NULL,
	};
	apply(&env, s, lines);
	char *b = body(&cfg);
	CHECK(!strstr(b, "Secret-Key"));
	char *line = strstr(b, "pre-shared-key 7 ");
	CHECK(line != NULL);
	if (line) {
		char enc[200];
		sscanf(line, "pre-shared-key 7 %199s", enc);
		char *dec = secret_type7_decode(enc);
		CHECK_STR(dec, "Secret-Key-0123456789xyz");
		free(dec);
		/* and back in through the parser */
		struct strbuf out = STRBUF_INIT;
		char *cmd = xasprintf("  pre-shared-key remote 7 %s", enc);
		CHECK_INT(run_env(&env, s, cmd, &out), CLI_OK);
		free(cmd);
		CHECK_INT(run_env(&env, s, "  pre-shared-key 7 0ZZZ", &out), CLI_ERR_FAILED);
		CHECK(strstr(sb_str(&out), "Invalid encrypted key"));
		sb_free(&out);
	}
	struct crypto_id id = { .type = CRYPTO_ID_KEY_ID, .value = (char *)"1234" };
	struct crypto_psk psk;
	CHECK(crypto_keyring_psk(&cfg, "K", &id, &psk));
	CHECK_STR(psk.remote, "Secret-Key-0123456789xyz");
	free(b);
	cli_session_free(s);
}

TEST(type6_psk_round_trip)
{
	char dir[] = "/tmp/vpnsip-t6-XXXXXX";
	static struct config cfg6;
	struct config_env e6 = { .cfg = &cfg6, .startup_path = "/nonexistent" };

	CHECK(mkdtemp(dir) != NULL);
	e6.state_dir = dir;
	config_init(&cfg6);
	struct cli_session *s = fresh_env(&e6);
	static const char *const lines[] = {
		"configure terminal",
		"key config-key password-encrypt MasterKey-42",
		"password encryption aes",
		"crypto ikev2 keyring K",
		" peer p",
		"  identity key-id 1234",
		"  pre-shared-key Secret-Key-0123456789xyz",
		NULL,
	};
	apply(&e6, s, lines);
	char *b = body(&cfg6);
	CHECK(!strstr(b, "Secret-Key") && !strstr(b, "MasterKey"));
	CHECK(strstr(b, "password encryption aes\n"));
	char *line = strstr(b, "pre-shared-key 6 ");
	CHECK(line != NULL);
	/* deterministic: the same text twice */
	char *b2 = body(&cfg6);
	CHECK_STR(b, b2);
	if (line) {
		char enc[300], *cmd;
		struct strbuf out = STRBUF_INIT;
		sscanf(line, "pre-shared-key 6 %299s", enc);
		cmd = xasprintf("  pre-shared-key remote 6 %s", enc);
		CHECK_INT(run_env(&e6, s, cmd, &out), CLI_OK);
		free(cmd);
		struct crypto_id id = { .type = CRYPTO_ID_KEY_ID, .value = (char *)"1234" };
		struct crypto_psk psk;
		CHECK(crypto_keyring_psk(&cfg6, "K", &id, &psk));
		CHECK_STR(psk.remote, "Secret-Key-0123456789xyz");
		/* tampered text is refused */
		enc[strlen(enc) - 2] = enc[strlen(enc) - 2] == 'A' ? 'B' : 'A';
		cmd = xasprintf("  pre-shared-key remote 6 %s", enc);
		CHECK_INT(run_env(&e6, s, cmd, &out), CLI_ERR_FAILED);
		free(cmd);
		sb_free(&out);
	}
	free(b);
	free(b2);
	cli_session_free(s);
	config_free(&cfg6);
	char *mk = xasprintf("%s/master-key", dir);
	unlink(mk);
	free(mk);
	rmdir(dir);
}

TEST(running_config_order_and_no_forms)
{
	struct cli_session *s = fresh_env(&env);
	static const char *const lines[] = {
		"configure terminal",
		"crypto ipsec profile IPP",
		" set security-association idle-time 120",
		"crypto ikev2 profile PR",
		" match identity remote any",
		" nat force-encap",
		"crypto pki trustpoint TP",
		" enrollment selfsigned",
		" revocation-check none",
		"crypto ikev2 keyring K",
		"interface Loopback0",
		" crypto ipsec df-bit clear",
		NULL,
	};
	apply(&env, s, lines);
	char *b = body(&cfg);
	char *tp = strstr(b, "crypto pki trustpoint TP"), *kr = strstr(b, "crypto ikev2 keyring K"),
	     *pr = strstr(b, "crypto ikev2 profile PR"), *ipp = strstr(b, "crypto ipsec profile IPP"),
	     *ifc = strstr(b, "interface Loopback0");
	CHECK(tp && kr && pr && ipp && ifc && tp < kr && kr < pr && pr < ipp && ipp < ifc);
	CHECK(ifc && strstr(ifc, " crypto ipsec df-bit clear\n"));
	free(b);
	struct strbuf out = STRBUF_INIT;
	run_env(&env, s, "crypto ikev2 profile PR", &out);
	CHECK_INT(run_env(&env, s, "no nat force-encap", &out), CLI_OK);
	CHECK_INT(run_env(&env, s, "no crypto ikev2 profile PR", &out), CLI_OK);
	CHECK_INT(run_env(&env, s, "no crypto ipsec profile IPP", &out), CLI_OK);
	CHECK_INT(run_env(&env, s, "no crypto pki trustpoint TP", &out), CLI_OK);
	CHECK_INT(run_env(&env, s, "no crypto ikev2 keyring K", &out), CLI_OK);
	CHECK_INT(run_env(&env, s, "no crypto ikev2 keyring K", &out), CLI_ERR_FAILED);
	b = body(&cfg);
	CHECK(!strstr(b, "crypto ikev2") && !strstr(b, "crypto pki") && !strstr(b, "crypto ipsec profile"));
	free(b);
	sb_free(&out);
	cli_session_free(s);
}

static int observed;
static void on_change(const struct config *c, void *arg)
{
	(void)c;
	(void)arg;
	observed++;
}

TEST(observers_told_once_per_batch)
{
	struct cli_session *s = fresh_env(&env);
	struct strbuf out = STRBUF_INIT;

	hook_register(crypto_config_changed, on_change, NULL, HOOK_PRIO_DEFAULT);
	observed = 0;
	run_env(&env, s, "configure terminal", &out);
	run_env(&env, s, "crypto ipsec security-association idle-time 300", &out);
	CHECK_INT(observed, 1);
	crypto_defer_notify();
	run_env(&env, s, "crypto ipsec security-association idle-time 400", &out);
	run_env(&env, s, "crypto ipsec df-bit set", &out);
	CHECK_INT(observed, 1);
	crypto_flush_notify(&cfg);
	CHECK_INT(observed, 2);
	CHECK_INT(crypto_globals(&cfg)->sa_idle_time, 400);
	sb_free(&out);
	cli_session_free(s);
}

/* "match identity remote" rules against presented identities, as IOS:
 * key-id exactly, address inside A MASK, fqdn/email whole or (domain) on a
 * label boundary, case-insensitive names. */
TEST(match_identity_rules)
{
	struct crypto_id r = { 0 }, p = { 0 };

	r.type = p.type = CRYPTO_ID_KEY_ID;
	r.value = (char *)"0322222222";
	p.value = (char *)"0322222222";
	CHECK(crypto_id_matches(&r, &p));
	p.value = (char *)"032222222";
	CHECK(!crypto_id_matches(&r, &p));

	r.type = p.type = CRYPTO_ID_FQDN;
	r.value = (char *)"RtrB.Example.NET";
	p.value = (char *)"rtrb.example.net";
	CHECK(crypto_id_matches(&r, &p));
	p.value = (char *)"x.rtrb.example.net";
	CHECK(!crypto_id_matches(&r, &p));
	r.domain = true;
	r.value = (char *)"example.net";
	CHECK(crypto_id_matches(&r, &p));
	p.value = (char *)"example.net";
	CHECK(crypto_id_matches(&r, &p));
	p.value = (char *)"badexample.net";
	CHECK(!crypto_id_matches(&r, &p));

	r.type = p.type = CRYPTO_ID_EMAIL;
	r.domain = false;
	r.value = (char *)"ike@rtrb.example.net";
	p.value = (char *)"IKE@rtrb.example.net";
	CHECK(crypto_id_matches(&r, &p));
	r.domain = true;
	r.value = (char *)"example.net";
	CHECK(crypto_id_matches(&r, &p));
	p.value = (char *)"ike@example.org";
	CHECK(!crypto_id_matches(&r, &p));
	p.value = (char *)"example.net"; /* no local part: not an address in the domain */
	CHECK(!crypto_id_matches(&r, &p));

	r.type = p.type = CRYPTO_ID_ADDRESS;
	r.domain = false;
	r.value = (char *)"192.0.2.0";
	inet_pton(AF_INET, "192.0.2.0", &r.addr);
	r.prefix_len = 24;
	p.value = (char *)"192.0.2.12";
	inet_pton(AF_INET, "192.0.2.12", &p.addr);
	CHECK(crypto_id_matches(&r, &p));
	r.prefix_len = 0; /* no mask: the address itself */
	CHECK(!crypto_id_matches(&r, &p));
	inet_pton(AF_INET, "192.0.2.12", &r.addr);
	CHECK(crypto_id_matches(&r, &p));
	/* 0.0.0.0 (mask 0.0.0.0 is kept as that too): any address, as IOS */
	r.value = (char *)"0.0.0.0";
	r.addr.s_addr = 0;
	r.prefix_len = 0;
	CHECK(crypto_id_matches(&r, &p));

	/* another type never matches */
	p.type = CRYPTO_ID_KEY_ID;
	p.value = (char *)"192.0.2.12";
	CHECK(!crypto_id_matches(&r, &p));
}

/* The identity lines are kept as typed, written back, shown and removed
 * one by one; "identity local address" without an address is ours. */
TEST(identity_lines_round_trip)
{
	struct cli_session *s = fresh_env(&env);
	static const char *const lines[] = {
		"configure terminal",
		"crypto ikev2 profile P",
		" match identity remote any",
		" match identity remote key-id 0322222222",
		" match identity remote address 192.0.2.12",
		" match identity remote address 198.51.100.77 255.255.255.0",
		" match identity remote fqdn rtrb.example.net",
		" match identity remote fqdn domain example.org",
		" match identity remote email ike@rtrb.example.net",
		" match identity remote email domain example.com",
		" identity local address",
		NULL,
	};
	struct strbuf out = STRBUF_INIT;

	apply(&env, s, lines);
	char *text = body(&cfg);
	CHECK(strstr(text, "crypto ikev2 profile P\n"
			   " match identity remote any\n"
			   " match identity remote key-id 0322222222\n"
			   " match identity remote address 192.0.2.12\n"
			   " match identity remote address 198.51.100.0 255.255.255.0\n"
			   " match identity remote fqdn rtrb.example.net\n"
			   " match identity remote fqdn domain example.org\n"
			   " match identity remote email ike@rtrb.example.net\n"
			   " match identity remote email domain example.com\n"
			   " identity local address\n") != NULL);
	free(text);
	const struct ikev2_profile *p = crypto_ikev2_profile_find(&cfg, "P");
	CHECK_INT(p->nmatch_ids, 7);
	CHECK(p->match_ids[4].domain && p->match_ids[4].type == CRYPTO_ID_FQDN);
	CHECK_INT(p->match_ids[2].prefix_len, 24);
	CHECK(p->identity_local.type == CRYPTO_ID_ADDRESS && !p->identity_local.value);

	CHECK_INT(run_env(&env, s, "no match identity remote fqdn domain example.org", &out), CLI_OK);
	CHECK_INT(run_env(&env, s, "no match identity remote address 198.51.100.0 255.255.255.0", &out),
		  CLI_OK);
	CHECK_INT(p->nmatch_ids, 5);
	/* fqdn rtrb.example.net stays: "domain" makes another line */
	CHECK(p->match_ids[2].type == CRYPTO_ID_FQDN && !p->match_ids[2].domain);
	CHECK(run_env(&env, s, "match identity remote address 192.0.2.1 255.0.255.0", &out) != CLI_OK);
	CHECK(strstr(sb_str(&out), "Invalid mask"));
	CHECK_INT(run_env(&env, s, "identity local fqdn rtra.example.net", &out), CLI_OK);
	text = body(&cfg);
	CHECK(strstr(text, " identity local fqdn rtra.example.net\n") != NULL);
	free(text);
	CHECK_INT(run_env(&env, s, "do show crypto ikev2 profile P", &out), CLI_OK);
	CHECK(strstr(sb_str(&out), "   email domain example.com\n"));
	CHECK(strstr(sb_str(&out), " Local identity: fqdn rtra.example.net\n"));
	sb_free(&out);
	cli_session_free(s);
}

/* The IKE engine's copy of a keyring answers as the model does, for every
 * identity type, after the model changed or went. */
TEST(keyring_copy_lookup)
{
	struct cli_session *s = fresh_env(&env);
	static const char *const lines[] = {
		"configure terminal",
		"crypto ikev2 keyring keys",
		" peer num",
		"  identity key-id 0322222222",
		"  pre-shared-key numkey-0123456789abcdef",
		" peer fq",
		"  identity fqdn rtrb.example.net",
		"  pre-shared-key local fqlocal-0123456789abcdef",
		"  pre-shared-key remote fqremote-0123456789abcde",
		" peer mail",
		"  identity email ike@rtrb.example.net",
		"  pre-shared-key mailkey-0123456789abcdef",
		" peer addr",
		"  identity address 192.0.2.12",
		"  pre-shared-key addrkey-0123456789abcdef",
		" peer net",
		"  address 198.51.100.0 255.255.255.0",
		"  pre-shared-key netkey-0123456789abcdef",
		NULL,
	};
	struct crypto_psk psk;
	unsigned long gen = crypto_generation();

	apply(&env, s, lines);
	CHECK(crypto_generation() > gen);
	struct ikev2_keyring *k = crypto_keyring_copy(&cfg, "keys");
	CHECK(k != NULL);
	CHECK(!crypto_keyring_copy(&cfg, "nope"));
	/* the model goes: the copy stays */
	config_free(&cfg);
	config_init(&cfg);
	struct crypto_id id = { .type = CRYPTO_ID_FQDN, .value = (char *)"RTRB.example.net" };
	CHECK(crypto_keyring_copy_psk(k, &id, &psk));
	CHECK_STR(psk.local, "fqlocal-0123456789abcdef");
	CHECK_STR(psk.remote, "fqremote-0123456789abcde");
	id.type = CRYPTO_ID_EMAIL;
	id.value = (char *)"ike@rtrb.example.net";
	CHECK(crypto_keyring_copy_psk(k, &id, &psk));
	CHECK_STR(psk.remote, "mailkey-0123456789abcdef");
	id.type = CRYPTO_ID_KEY_ID;
	id.value = (char *)"0322222222";
	CHECK(crypto_keyring_copy_psk(k, &id, &psk));
	CHECK_STR(psk.remote, "numkey-0123456789abcdef");
	id.type = CRYPTO_ID_ADDRESS;
	id.value = (char *)"192.0.2.12";
	inet_pton(AF_INET, "192.0.2.12", &id.addr);
	CHECK(crypto_keyring_copy_psk(k, &id, &psk));
	CHECK_STR(psk.remote, "addrkey-0123456789abcdef");
	id.value = (char *)"198.51.100.7";
	inet_pton(AF_INET, "198.51.100.7", &id.addr);
	CHECK(crypto_keyring_copy_psk(k, &id, &psk));
	CHECK_STR(psk.remote, "netkey-0123456789abcdef");
	id.type = CRYPTO_ID_FQDN;
	id.value = (char *)"other.example.net";
	CHECK(!crypto_keyring_copy_psk(k, &id, &psk));
	crypto_keyring_copy_free(k);
	cli_session_free(s);
}
