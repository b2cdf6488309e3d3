/* ESP on strongSwan's crypto: the aead_t of a libipsec esp_context does
 * the cipher and the ICV; framing, padding and replay are ours. */
#include <library.h>
#include <esp_context.h>

#include "dataplane/dp_esp.h"

#include <string.h>

struct dp_esp {
	esp_context_t *ctx;
	aead_t *aead;
	size_t iv_len, icv_len, block;
};

struct dp_esp *dp_esp_create(uint16_t enc_alg, const uint8_t *enc_key, size_t enc_key_len,
			     uint16_t int_alg, const uint8_t *int_key, size_t int_key_len,
			     bool inbound)
{
	struct dp_esp *e;
	esp_context_t *ctx;

	ctx = esp_context_create(enc_alg, chunk_create((u_char *)enc_key, enc_key_len), int_alg,
				 chunk_create((u_char *)int_key, int_key_len), inbound);
	if (!ctx)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e) {
		ctx->destroy(ctx);
		return NULL;
	}
	e->ctx = ctx;
	e->aead = ctx->get_aead(ctx);
	e->iv_len = e->aead->get_iv_size(e->aead);
	e->icv_len = e->aead->get_icv_size(e->aead);
	e->block = e->aead->get_block_size(e->aead);
	if (e->block < 1)
		e->block = 1;
	return e;
}

void dp_esp_destroy(struct dp_esp *e)
{
	if (!e)
		return;
	e->ctx->destroy(e->ctx);
	free(e);
}

size_t dp_esp_overhead(const struct dp_esp *e)
{
	/* header 8, IV, up to block-1 + 3 (4-byte ICV alignment) pad, 2 trailer, ICV */
	return 8 + e->iv_len + e->block + 4 + 2 + e->icv_len;
}

static size_t pad_to(size_t len, size_t align)
{
	return (align - len % align) % align;
}

long dp_esp_encrypt(struct dp_esp *e, uint32_t spi, uint32_t seq, const uint8_t *payload,
		    size_t len, uint8_t next_header, uint8_t *out, size_t outcap)
{
	iv_gen_t *ivg = e->aead->get_iv_gen(e->aead);
	size_t plain = len + 2, pad, total;
	uint8_t *p;

	if (!ivg)
		return -1;
	pad = pad_to(plain, e->block);
	pad += pad_to(e->iv_len + plain + pad, 4);
	plain += pad;
	total = 8 + e->iv_len + plain + e->icv_len;
	if (total > outcap)
		return -1;
	p = out;
	p[0] = spi >> 24, p[1] = spi >> 16, p[2] = spi >> 8, p[3] = spi;
	p[4] = seq >> 24, p[5] = seq >> 16, p[6] = seq >> 8, p[7] = seq;
	if (!ivg->get_iv(ivg, seq, e->iv_len, out + 8))
		return -1;
	p = out + 8 + e->iv_len;
	memmove(p, payload, len);
	/* RFC 4303 2.4: monotonic padding 1, 2, 3, ... */
	for (size_t i = 0; i < pad; i++)
		p[len + i] = (uint8_t)(i + 1);
	p[len + pad] = (uint8_t)pad;
	p[len + pad + 1] = next_header;
	if (!e->aead->encrypt(e->aead, chunk_create(p, plain), chunk_create(out, 8),
			      chunk_create(out + 8, e->iv_len), NULL))
		return -1;
	return (long)total;
}

enum dp_esp_result dp_esp_decrypt(struct dp_esp *e, uint8_t *pkt, size_t len,
				  uint8_t **payload, size_t *payload_len, uint8_t *next_header)
{
	size_t clen, padlen;
	uint8_t *c;

	if (len < 8 + e->iv_len + e->icv_len + 2)
		return DP_ESP_TRUNCATED;
	clen = len - 8 - e->iv_len - e->icv_len;
	if (clen % e->block)
		return DP_ESP_TRUNCATED;
	c = pkt + 8 + e->iv_len;
	/* ICV included: the aead verifies, then decrypts in place. */
	if (!e->aead->decrypt(e->aead, chunk_create(c, clen + e->icv_len), chunk_create(pkt, 8),
			      chunk_create(pkt + 8, e->iv_len), NULL))
		return DP_ESP_AUTH;
	padlen = c[clen - 2];
	if (padlen + 2 > clen)
		return DP_ESP_PADDING;
	*next_header = c[clen - 1];
	*payload = c;
	*payload_len = clen - 2 - padlen;
	return DP_ESP_OK;
}
