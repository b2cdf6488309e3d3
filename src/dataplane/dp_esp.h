/* ESP (RFC 4303) transforms of one SA, on strongSwan's crypto (libipsec's
 * esp_context: AES-CBC/CTR/GCM, HMAC-SHA1/SHA2 ...).  Replay protection
 * is the caller's (its window size is configurable here, libipsec's is
 * fixed).  One dp_esp is used by one thread at a time. */
#ifndef VPNSIP_DATAPLANE_DP_ESP_H
#define VPNSIP_DATAPLANE_DP_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_esp;

struct dp_esp *dp_esp_create(uint16_t enc_alg, const uint8_t *enc_key, size_t enc_key_len,
			     uint16_t int_alg, const uint8_t *int_key, size_t int_key_len,
			     bool inbound);
void dp_esp_destroy(struct dp_esp *e);
/* Most bytes encryption adds to a payload (header, IV, padding, ICV). */
size_t dp_esp_overhead(const struct dp_esp *e);

/* Build SPI | seq | IV | encrypted(payload | padding | pad length | next
 * header) | ICV into out.  Returns the length, or -1. */
long dp_esp_encrypt(struct dp_esp *e, uint32_t spi, uint32_t seq, const uint8_t *payload,
		    size_t len, uint8_t next_header, uint8_t *out, size_t outcap);

enum dp_esp_result {
	DP_ESP_OK,
	DP_ESP_TRUNCATED, /* shorter than header + IV + ICV, or not block aligned */
	DP_ESP_AUTH,      /* ICV verification or decryption failed */
	DP_ESP_PADDING,   /* bad padding after successful authentication */
};

/* Verify and decrypt pkt (SPI ... ICV) in place; *payload points into
 * pkt. */
enum dp_esp_result dp_esp_decrypt(struct dp_esp *e, uint8_t *pkt, size_t len,
				  uint8_t **payload, size_t *payload_len, uint8_t *next_header);

#endif
