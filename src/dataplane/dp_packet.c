/* Per-packet functions of the user-space data plane: see dp_packet.h. */
#include "dataplane/dp_packet.h"

#include <netinet/in.h>
#include <string.h>

/* ---- replay window (RFC 4303 3.4.3, no ESN) --------------------------- */

static bool bit_get(const uint64_t *b, uint32_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

/* bit i means top - i was seen; shift by n towards older. */
static void bits_shift(uint64_t *b, uint32_t n)
{
	const unsigned words = DP_REPLAY_MAX / 64;

	if (n >= DP_REPLAY_MAX) {
		memset(b, 0, DP_REPLAY_MAX / 8);
		return;
	}
	unsigned ws = n / 64, bs = n % 64;
	for (int i = (int)words - 1; i >= 0; i--) {
		uint64_t v = 0;
		if (i - (int)ws >= 0) {
			v = b[i - ws] << bs;
			if (bs && i - (int)ws - 1 >= 0)
				v |= b[i - ws - 1] >> (64 - bs);
		}
		b[i] = v;
	}
}

bool dp_replay_check(const struct dp_replay *r, uint32_t window, uint32_t seq)
{
	if (!window)
		return true;
	if (seq == 0)
		return false;
	if (seq > r->top)
		return true;
	uint32_t diff = r->top - seq;
	if (diff >= window)
		return false;
	return !bit_get(r->bits, diff);
}

void dp_replay_update(struct dp_replay *r, uint32_t window, uint32_t seq)
{
	if (!window)
		return;
	if (seq > r->top) {
		bits_shift(r->bits, seq - r->top);
		r->top = seq;
		bit_set(r->bits, 0);
	} else {
		bit_set(r->bits, r->top - seq);
	}
}

/* ---- ESP ------------------------------------------------------------------ */

enum dp_decap dp_esp_decap(struct dp_esp *esp, struct dp_replay *r, uint32_t window, uint8_t *pkt,
			   size_t len, uint8_t **inner, size_t *inner_len)
{
	uint32_t seq = (uint32_t)pkt[4] << 24 | pkt[5] << 16 | pkt[6] << 8 | pkt[7];
	uint8_t nh;

	if (!dp_replay_check(r, window, seq))
		return DP_DECAP_REPLAYED;
	switch (dp_esp_decrypt(esp, pkt, len, inner, inner_len, &nh)) {
	case DP_ESP_OK:
		break;
	case DP_ESP_TRUNCATED:
		return DP_DECAP_TRUNCATED;
	default:
		return DP_DECAP_FAILED;
	}
	dp_replay_update(r, window, seq);
	if (nh != IPPROTO_IPIP || *inner_len < 20 || ((*inner)[0] >> 4) != 4)
		return DP_DECAP_NOT_IPV4;
	return DP_DECAP_OK;
}

/* ---- TCP MSS clamping ------------------------------------------------------ */

static void csum_replace16(uint8_t *csum, uint16_t old, uint16_t new)
{
	/* RFC 1624 eqn. 3 */
	uint32_t sum = (uint16_t)~((csum[0] << 8) | csum[1]);
	sum += (uint16_t)~old;
	sum += new;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	csum[0] = sum >> 8;
	csum[1] = sum & 0xff;
}

static uint16_t swap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

bool dp_clamp_mss(uint8_t *pkt, size_t len, unsigned mss)
{
	size_t ihl, thl;
	uint8_t *tcp;

	if (!mss || len < 20 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_TCP)
		return false;
	if ((pkt[6] & 0x1f) || pkt[7]) /* fragment */
		return false;
	ihl = (pkt[0] & 0xf) * 4u;
	if (ihl < 20 || len < ihl + 20)
		return false;
	tcp = pkt + ihl;
	if (!(tcp[13] & 0x02)) /* SYN */
		return false;
	thl = (tcp[12] >> 4) * 4u;
	if (thl < 20 || len < ihl + thl)
		return false;
	for (size_t o = 20; o + 1 < thl;) {
		uint8_t kind = tcp[o];
		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		uint8_t olen = tcp[o + 1];
		if (olen < 2 || o + olen > thl)
			break;
		if (kind == 2 && olen == 4) {
			uint16_t cur = (uint16_t)(tcp[o + 2] << 8 | tcp[o + 3]);
			if (cur > mss) {
				tcp[o + 2] = mss >> 8;
				tcp[o + 3] = mss & 0xff;
				/* The checksum sums 16-bit words from the header's
				 * start: after NOPs the value may straddle two of
				 * them, its bytes then count the other way round. */
				if ((o + 2) % 2)
					csum_replace16(tcp + 16, swap16(cur), swap16((uint16_t)mss));
				else
					csum_replace16(tcp + 16, cur, (uint16_t)mss);
				return true;
			}
			return false;
		}
		o += olen;
	}
	return false;
}
