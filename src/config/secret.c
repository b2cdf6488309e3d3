#include "config/secret.h"

#include <crypt.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* The published type-7 key, as every IOS decoder knows it. */
static const char type7_key[] = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";
#define TYPE7_KEYLEN (sizeof(type7_key) - 1)

/* crypt(3)'s alphabet, which Cisco uses for type 8/9 salts and hashes. */
static const char crypt_b64[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

char *secret_type7_encode(const char *plain, unsigned seed)
{
	size_t n = strlen(plain);
	char *out = xmalloc(2 + 2 * n + 1);

	seed %= 16;
	sprintf(out, "%02u", seed);
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 + 2 * i, "%02X",
			(unsigned char)plain[i] ^ (unsigned char)type7_key[(seed + i) % TYPE7_KEYLEN]);
	return out;
}

char *secret_type7_decode(const char *enc)
{
	size_t n = strlen(enc);
	unsigned seed;
	char *out;

	if (n < 2 || n % 2 || !isdigit((unsigned char)enc[0]) || !isdigit((unsigned char)enc[1]))
		return NULL;
	seed = (unsigned)((enc[0] - '0') * 10 + (enc[1] - '0'));
	if (seed > 15)
		return NULL;
	out = xmalloc(n / 2);
	for (size_t i = 0; i < (n - 2) / 2; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)enc[2 + 2 * i]) ||
		    !isxdigit((unsigned char)enc[3 + 2 * i]) || sscanf(enc + 2 + 2 * i, "%2X", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (char)(v ^ (unsigned char)type7_key[(seed + i) % TYPE7_KEYLEN]);
		if (!out[i]) {
			free(out);
			return NULL;
		}
	}
	out[(n - 2) / 2] = '\0';
	return out;
}

bool secret_text_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= ' ' || *c >= 127)
			return false;
	return true;
}

/* Standard base64 bit order, crypt alphabet, no padding. */
static void b64_crypt(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t chunk = n - i < 3 ? n - i : 3;
		if (chunk > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (chunk > 2)
			v |= in[i + 2];
		out[o++] = crypt_b64[(v >> 18) & 63];
		out[o++] = crypt_b64[(v >> 12) & 63];
		if (chunk > 1)
			out[o++] = crypt_b64[(v >> 6) & 63];
		if (chunk > 2)
			out[o++] = crypt_b64[v & 63];
	}
	out[o] = '\0';
}

static bool scrypt_hash(const char *plain, const char *salt, char out[44])
{
	unsigned char key[32];

	if (!EVP_PBE_scrypt(plain, strlen(plain), (const unsigned char *)salt, strlen(salt), 16384,
			    1, 1, 64 * 1024 * 1024, key, sizeof(key)))
		return false;
	b64_crypt(key, sizeof(key), out);
	OPENSSL_cleanse(key, sizeof(key));
	return true;
}

char *secret_hash_type9(const char *plain)
{
	unsigned char rnd[14];
	char salt[15], hash[44];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return NULL;
	for (size_t i = 0; i < sizeof(rnd); i++)
		salt[i] = crypt_b64[rnd[i] & 63];
	salt[14] = '\0';
	if (!scrypt_hash(plain, salt, hash))
		return NULL;
	return xasprintf("$9$%s$%s", salt, hash);
}

bool secret_hash_valid(int type, const char *hash)
{
	size_t n = strlen(hash);

	if (type == 9) {
		if (n != 3 + 14 + 1 + 43 || strncmp(hash, "$9$", 3) != 0 || hash[17] != '$')
			return false;
		for (size_t i = 3; i < n; i++)
			if (i != 17 && !strchr(crypt_b64, hash[i]))
				return false;
		return true;
	}
	if (type == 5)
		return n > 4 && strncmp(hash, "$1$", 3) == 0 && strchr(hash + 3, '$') != NULL &&
		       strspn(hash + 3, crypt_b64) + 3 == (size_t)(strchr(hash + 3, '$') - hash);
	return false;
}

bool secret_verify(const char *stored, const char *plain)
{
	const char *hash = stored + 2;
	bool ok = false;

	if (strncmp(stored, "9 ", 2) == 0 && secret_hash_valid(9, hash)) {
		char salt[15], out[44];
		memcpy(salt, hash + 3, 14);
		salt[14] = '\0';
		ok = scrypt_hash(plain, salt, out) && CRYPTO_memcmp(out, hash + 18, 43) == 0;
	} else if (strncmp(stored, "5 ", 2) == 0) {
		struct crypt_data cd;
		memset(&cd, 0, sizeof(cd));
		const char *c = crypt_r(plain, hash, &cd);
		ok = c && strlen(c) == strlen(hash) && CRYPTO_memcmp(c, hash, strlen(hash)) == 0;
	}
	return ok;
}
