/* Algorithm names: IOS spellings for the configuration and show commands,
 * strongSwan proposal keywords for the IKE engine; the effective proposals. */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto_int.h"

static const struct {
	const char *name, *show, *swan;
	bool aead;
} encrs[IKEV2_ENCR_COUNT] = {
	[IKEV2_ENCR_AES_CBC_128] = { "aes-cbc-128", "AES-CBC-128", "aes128", false },
	[IKEV2_ENCR_AES_CBC_192] = { "aes-cbc-192", "AES-CBC-192", "aes192", false },
	[IKEV2_ENCR_AES_CBC_256] = { "aes-cbc-256", "AES-CBC-256", "aes256", false },
	[IKEV2_ENCR_AES_GCM_128] = { "aes-gcm-128", "AES-GCM-128", "aes128gcm16", true },
	[IKEV2_ENCR_AES_GCM_256] = { "aes-gcm-256", "AES-GCM-256", "aes256gcm16", true },
	[IKEV2_ENCR_3DES] = { "3des", "3DES", "3des", false },
};

static const struct {
	const char *name, *show, *integ, *prf;
} hashes[IKEV2_HASH_COUNT] = {
	[IKEV2_HASH_SHA1] = { "sha1", "SHA96", "sha1", "prfsha1" },
	[IKEV2_HASH_SHA256] = { "sha256", "SHA256", "sha256", "prfsha256" },
	[IKEV2_HASH_SHA384] = { "sha384", "SHA384", "sha384", "prfsha384" },
	[IKEV2_HASH_SHA512] = { "sha512", "SHA512", "sha512", "prfsha512" },
	[IKEV2_HASH_MD5] = { "md5", "MD596", "md5", "prfmd5" },
};

static const struct {
	unsigned group;
	const char *swan, *show;
} groups[] = {
	{ 1, "modp768", "DH_GROUP_768_MODP/Group 1" },
	{ 2, "modp1024", "DH_GROUP_1024_MODP/Group 2" },
	{ 5, "modp1536", "DH_GROUP_1536_MODP/Group 5" },
	{ 14, "modp2048", "DH_GROUP_2048_MODP/Group 14" },
	{ 15, "modp3072", "DH_GROUP_3072_MODP/Group 15" },
	{ 16, "modp4096", "DH_GROUP_4096_MODP/Group 16" },
	{ 19, "ecp256", "DH_GROUP_256_ECP/Group 19" },
	{ 20, "ecp384", "DH_GROUP_384_ECP/Group 20" },
	{ 21, "ecp521", "DH_GROUP_521_ECP/Group 21" },
	{ 24, "modp2048s256", "DH_GROUP_2048_256_MODP/Group 24" },
};

const char *ikev2_encr_name(enum ikev2_encr e)
{
	return e < IKEV2_ENCR_COUNT ? encrs[e].name : "?";
}
const char *ikev2_encr_show(enum ikev2_encr e)
{
	return e < IKEV2_ENCR_COUNT ? encrs[e].show : "?";
}
const char *ikev2_encr_swan(enum ikev2_encr e)
{
	return e < IKEV2_ENCR_COUNT ? encrs[e].swan : NULL;
}
bool ikev2_encr_is_aead(enum ikev2_encr e)
{
	return e < IKEV2_ENCR_COUNT && encrs[e].aead;
}
const char *ikev2_hash_name(enum ikev2_hash h)
{
	return h < IKEV2_HASH_COUNT ? hashes[h].name : "?";
}
const char *ikev2_hash_show(enum ikev2_hash h)
{
	return h < IKEV2_HASH_COUNT ? hashes[h].show : "?";
}
const char *ikev2_integ_swan(enum ikev2_hash h)
{
	return h < IKEV2_HASH_COUNT ? hashes[h].integ : NULL;
}
const char *ikev2_prf_swan(enum ikev2_hash h)
{
	return h < IKEV2_HASH_COUNT ? hashes[h].prf : NULL;
}

const char *ikev2_group_swan(unsigned group)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (groups[i].group == group)
			return groups[i].swan;
	return NULL;
}

const char *ikev2_group_show(unsigned group)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (groups[i].group == group)
			return groups[i].show;
	return "?";
}

bool ikev2_group_valid(unsigned group)
{
	return ikev2_group_swan(group) != NULL;
}

static void swan_tail(const struct ikev2_proposal *p, bool with_integ, struct strbuf *out)
{
	if (with_integ)
		for (size_t i = 0; i < p->ninteg; i++)
			sb_printf(out, "-%s", ikev2_integ_swan(p->integ[i]));
	if (p->nprf)
		for (size_t i = 0; i < p->nprf; i++)
			sb_printf(out, "-%s", ikev2_prf_swan(p->prf[i]));
	else
		for (size_t i = 0; i < p->ninteg; i++)
			sb_printf(out, "-%s", ikev2_prf_swan(p->integ[i]));
	for (size_t i = 0; i < p->ngroup; i++)
		sb_printf(out, "-%s", ikev2_group_swan(p->group[i]));
}

void ikev2_proposal_swan(const struct ikev2_proposal *p, struct strbuf *out)
{
	bool first = true;

	/* strongSwan refuses a proposal mixing AEAD and classic ciphers */
	for (int aead = 0; aead < 2; aead++) {
		bool any = false;
		for (size_t i = 0; i < p->nencr; i++) {
			if (ikev2_encr_is_aead(p->encr[i]) != (bool)aead)
				continue;
			if (!any && !first)
				sb_putc(out, ',');
			sb_printf(out, "%s%s", any ? "-" : "", ikev2_encr_swan(p->encr[i]));
			any = true;
		}
		if (any) {
			swan_tail(p, !aead, out);
			first = false;
		}
	}
}

static const struct ikev2_proposal default_proposal = {
	.name = (char *)"default",
	.encr = { IKEV2_ENCR_AES_CBC_256 },
	.nencr = 1,
	.integ = { IKEV2_HASH_SHA512, IKEV2_HASH_SHA384, IKEV2_HASH_SHA256 },
	.ninteg = 3,
	.prf = { IKEV2_HASH_SHA512, IKEV2_HASH_SHA384, IKEV2_HASH_SHA256 },
	.nprf = 3,
	.group = { 19, 14, 21, 20 },
	.ngroup = 4,
};

const struct ikev2_proposal *crypto_default_proposal(void)
{
	return &default_proposal;
}

/* A proposal can be used once it names a cipher, (for non-AEAD) an
 * integrity algorithm, and a group -- IOS calls the others incomplete. */
bool ikev2_proposal_complete(const struct ikev2_proposal *p)
{
	bool need_integ = false;

	for (size_t i = 0; i < p->nencr; i++)
		if (!ikev2_encr_is_aead(p->encr[i]))
			need_integ = true;
	if (!p->nencr || !p->ngroup || (need_integ && !p->ninteg))
		return false;
	return p->ninteg || p->nprf; /* AEAD needs a PRF */
}

size_t crypto_ikev2_proposals(const struct config *cfg, const struct in_addr *local,
			      const struct ikev2_proposal **out, size_t max)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);
	size_t n = 0;

	for (size_t i = 0; c && i < c->policies.n && !n; i++) {
		const struct ikev2_policy *pol = c->policies.v[i];
		if (pol->has_match_local && (!local || local->s_addr != pol->match_local.s_addr))
			continue;
		for (size_t k = 0; k < pol->nproposals && n < max; k++) {
			const struct ikev2_proposal *p = nl_get(&c->proposals, pol->proposals[k]);
			if (p && ikev2_proposal_complete(p))
				out[n++] = p;
		}
	}
	if (!n && max)
		out[n++] = &default_proposal;
	return n;
}

/* ---- IPsec transform sets ------------------------------------------------------------ */

static const char *integ_kw[] = {
	[ESP_INTEG_NONE] = NULL,
	[ESP_INTEG_SHA1] = "esp-sha-hmac",
	[ESP_INTEG_SHA256] = "esp-sha256-hmac",
	[ESP_INTEG_SHA384] = "esp-sha384-hmac",
	[ESP_INTEG_SHA512] = "esp-sha512-hmac",
	[ESP_INTEG_MD5] = "esp-md5-hmac",
};
static const char *integ_swan[] = {
	[ESP_INTEG_NONE] = NULL,	 [ESP_INTEG_SHA1] = "sha1",	[ESP_INTEG_SHA256] = "sha256",
	[ESP_INTEG_SHA384] = "sha384", [ESP_INTEG_SHA512] = "sha512", [ESP_INTEG_MD5] = "md5",
};

void ipsec_transform_set_text(const struct ipsec_transform_set *ts, struct strbuf *out)
{
	size_t before = out->len;

	switch (ts->cipher) {
	case ESP_CIPHER_AES: sb_printf(out, "esp-aes %u", ts->keysize); break;
	case ESP_CIPHER_GCM: sb_printf(out, "esp-gcm %u", ts->keysize); break;
	case ESP_CIPHER_GMAC: sb_printf(out, "esp-gmac %u", ts->keysize); break;
	case ESP_CIPHER_3DES: sb_puts(out, "esp-3des"); break;
	case ESP_CIPHER_DES: sb_puts(out, "esp-des"); break;
	case ESP_CIPHER_NULL: sb_puts(out, "esp-null"); break;
	case ESP_CIPHER_NONE: break;
	}
	if (ts->integ != ESP_INTEG_NONE)
		sb_printf(out, "%s%s", out->len > before ? " " : "", integ_kw[ts->integ]);
}

void ipsec_transform_set_swan(const struct ipsec_transform_set *ts, struct strbuf *out)
{
	switch (ts->cipher) {
	case ESP_CIPHER_AES: sb_printf(out, "aes%u", ts->keysize); break;
	case ESP_CIPHER_GCM: sb_printf(out, "aes%ugcm16", ts->keysize); break;
	case ESP_CIPHER_GMAC: sb_printf(out, "aes%ugmac", ts->keysize); break;
	case ESP_CIPHER_3DES: sb_puts(out, "3des"); break;
	case ESP_CIPHER_DES: sb_puts(out, "des"); break;
	case ESP_CIPHER_NULL: sb_puts(out, "null"); break;
	case ESP_CIPHER_NONE: sb_puts(out, "null"); break;
	}
	if (ts->integ != ESP_INTEG_NONE && ts->cipher != ESP_CIPHER_GCM &&
	    ts->cipher != ESP_CIPHER_GMAC)
		sb_printf(out, "-%s", integ_swan[ts->integ]);
}
