/* libFuzzer target for the user-space data plane's per-packet functions
 * (src/dataplane/dp_packet.c, dp_esp.c): ESP decapsulation with the replay
 * window, and TCP MSS clamping.
 *
 * An input whose first byte has bit 7 set is one packet for MSS clamping:
 * two bytes of MSS, then an IPv4 packet.  Asserted:
 *   - only the MSS option's value and the TCP checksum may change, and
 *     only when the option exceeded the MSS, to the MSS;
 *   - a TCP checksum that was right stays right (pseudo-header included);
 *   - clamping again changes nothing.
 *
 * Otherwise the first byte picks a transform (AES-CBC with HMAC-SHA-256 or
 * HMAC-SHA-1, AES-GCM, NULL with HMAC-SHA-256: strongSwan's crypto as the
 * daemon loads it), the next two the replay window (0 to DP_REPLAY_MAX),
 * and the rest is a list of packets arriving at one inbound SA:
 *   0 SEQ(4) NH(1) LEN(1) DATA  a packet of the peer (encrypted with the
 *                               same keys by dp_esp_encrypt), next header NH
 *                               (IPPROTO_IPIP when NH is 0)
 *   1 ... as 0, POS(2) XOR(1)   that packet with one byte changed
 *   2 ... as 0, CUT(2)          that packet cut short
 *   3 LEN(1) DATA               raw bytes
 * Asserted for each: the result is what a plain model of the window says
 * (every sequence number accepted so far kept in a list: a packet passes
 * when the window is 0, or its number is new and above the highest one
 * minus the window); a peer's packet that passes decrypts to its payload
 * and is OK exactly when it is IPv4 in ESP; a changed, cut or raw packet
 * never passes and leaves the window as it was; an OK payload goes through
 * the MSS checks above. */
#include <arpa/inet.h>
#include <library.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dp_esp.h"
#include "dataplane/dp_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                   \
	do {                                                        \
		fprintf(stderr, "fuzz_esp: " __VA_ARGS__);          \
		fputc('\n', stderr);                                \
		abort();                                            \
	} while (0)

/* ---- MSS clamping ------------------------------------------------------ */

/* One's complement sum of the TCP segment and its pseudo-header, folded:
 * 0xffff when the checksum is right. */
static uint16_t tcp_sum(const uint8_t *ip, size_t len)
{
	size_t ihl = (ip[0] & 0xf) * 4u, tl = len - ihl;
	uint32_t sum = 0;

	for (int i = 12; i < 20; i += 2) /* source and destination */
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum += IPPROTO_TCP + (uint32_t)tl;
	for (size_t i = 0; i < tl; i += 2)
		sum += (uint32_t)(ip[ihl + i] << 8 | (i + 1 < tl ? ip[ihl + i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Where the value of the first MSS option of a TCP SYN sits in IPv4
 * packet p (RFC 793 option list: 0 ends it, 1 is one byte, the others
 * carry their length), 0 when there is none to clamp. */
static size_t mss_value_at(const uint8_t *p, size_t len)
{
	size_t ihl = len ? (p[0] & 0xf) * 4u : 0, thl;

	if (len < 20 || (p[0] >> 4) != 4 || p[9] != IPPROTO_TCP || ihl < 20 || len < ihl + 20)
		return 0;
	if ((p[6] & 0x1f) || p[7] || !(p[ihl + 13] & 0x02))
		return 0; /* a later fragment; not a SYN */
	thl = (p[ihl + 12] >> 4) * 4u;
	if (thl < 20 || len < ihl + thl)
		return 0;
	for (size_t o = 20; o + 1 < thl;) {
		if (p[ihl + o] == 0)
			return 0;
		if (p[ihl + o] == 1) {
			o++;
			continue;
		}
		size_t olen = p[ihl + o + 1];
		if (olen < 2 || o + olen > thl)
			return 0;
		if (p[ihl + o] == 2 && olen == 4)
			return ihl + o + 2;
		o += olen;
	}
	return 0;
}

static void check_mss(const uint8_t *pkt, size_t len, unsigned mss)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t vo = mss_value_at(pkt, len), ihl = len ? (pkt[0] & 0xf) * 4u : 0;
	bool sum_ok = vo && tcp_sum(pkt, len) == 0xffff;
	unsigned before = vo ? (unsigned)(pkt[vo] << 8 | pkt[vo + 1]) : 0;
	bool want = vo && mss && before > mss;

	memcpy(p, pkt, len);
	bool r = dp_clamp_mss(p, len, mss);
	if (r != want)
		FAIL("MSS option %u at %zu, limit %u: clamp said %d", before, vo, mss, r);
	for (size_t i = 0; i < len; i++)
		if (p[i] != pkt[i] && !(want && (i == vo || i == vo + 1 || i == ihl + 16 ||
						 i == ihl + 17)))
			FAIL("byte %zu changed (MSS value at %zu, limit %u)", i, vo, mss);
	if (want) {
		unsigned after = (unsigned)(p[vo] << 8 | p[vo + 1]);
		if (after != mss)
			FAIL("MSS %u clamped to %u with the limit %u", before, after, mss);
		if (sum_ok && tcp_sum(p, len) != 0xffff)
			FAIL("a right TCP checksum is wrong after clamping (MSS value at TCP "
			     "offset %zu)", vo - ihl);
	}
	if (dp_clamp_mss(p, len, mss))
		FAIL("clamping twice changed the packet again");
	free(p);
}

/* ---- ESP ----------------------------------------------------------------- */

struct transform {
	const char *name;
	uint16_t enc, integ;
	size_t enc_len, int_len;
	struct dp_esp *out, *in;
};

static struct transform transforms[] = {
	{ "aes128-sha256", ENCR_AES_CBC, AUTH_HMAC_SHA2_256_128, 16, 32, NULL, NULL },
	{ "aes256-sha1", ENCR_AES_CBC, AUTH_HMAC_SHA1_96, 32, 20, NULL, NULL },
	{ "aes128gcm16", ENCR_AES_GCM_ICV16, AUTH_UNDEFINED, 20, 0, NULL, NULL },
	{ "null-sha256", ENCR_NULL, AUTH_HMAC_SHA2_256_128, 0, 32, NULL, NULL },
};
#define NTRANSFORMS (sizeof(transforms) / sizeof(transforms[0]))

static uint8_t ek[32], ik[32];

static struct dp_esp *sender(const struct transform *t)
{
	return dp_esp_create(t->enc, ek, t->enc_len, t->integ, ik, t->int_len, false);
}

/* OpenSSL keeps tables of its own until the process ends (strongSwan's
 * openssl plugin loads it): not a leak of ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcrypto.so\n";
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (!library_init(NULL, "fuzz_esp") ||
	    !lib->plugins->load(lib->plugins, "random nonce openssl hmac"))
		FAIL("strongSwan's library and crypto plugins do not load");
	for (size_t i = 0; i < sizeof(ek); i++)
		ek[i] = (uint8_t)(0x11 * i), ik[i] = (uint8_t)(0x5a ^ i);
	for (size_t i = 0; i < NTRANSFORMS; i++) {
		struct transform *t = &transforms[i];
		t->out = sender(t);
		t->in = dp_esp_create(t->enc, ek, t->enc_len, t->integ, ik, t->int_len, true);
		/* ENCR_NULL is not in every libipsec: skip what is missing, but
		 * not all of them. */
		if (!t->out || !t->in) {
			fprintf(stderr, "fuzz_esp: transform %s not available\n", t->name);
			if (i < 3)
				FAIL("transform %s must be available", t->name);
		}
	}
}

/* The model: every sequence number accepted so far. */
struct model {
	uint32_t window, top;
	uint32_t seen[1024];
	size_t nseen;
};

static bool model_accepts(const struct model *m, uint32_t seq)
{
	if (!m->window)
		return true;
	if (seq == 0)
		return false;
	if (seq > m->top)
		return true;
	if (m->top - seq >= m->window)
		return false;
	for (size_t i = 0; i < m->nseen; i++)
		if (m->seen[i] == seq)
			return false;
	return true;
}

static void model_accept(struct model *m, uint32_t seq)
{
	if (!m->window)
		return;
	if (m->nseen < sizeof(m->seen) / sizeof(m->seen[0]))
		m->seen[m->nseen++] = seq;
	if (seq > m->top)
		m->top = seq;
}

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool get(struct reader *r, void *out, size_t n)
{
	if (r->left < n)
		return false;
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static const char *const names[] = { "OK", "NOT_IPV4", "REPLAYED", "TRUNCATED", "FAILED" };

static void esp(struct transform *t, struct reader *r)
{
	struct dp_replay win = { 0 };
	struct model m = { 0 };
	uint8_t w[2], op, pkt[512], payload[256], nh;
	uint8_t *inner;
	size_t inner_len;

	if (!t->in || !get(r, w, 2))
		return;
	m.window = (uint32_t)(w[0] << 8 | w[1]) % (DP_REPLAY_MAX + 1);
	while (get(r, &op, 1)) {
		uint8_t seqb[4], len;
		long n;
		op %= 4;
		if (op == 3) {
			if (!get(r, &len, 1) || len < 8 || !get(r, pkt, len))
				return;
			struct dp_replay before = win;
			enum dp_decap d = dp_esp_decap(t->in, &win, m.window, pkt, len, &inner,
						       &inner_len);
			if (d == DP_DECAP_OK || d == DP_DECAP_NOT_IPV4)
				FAIL("%s: %u raw bytes pass as %s", t->name, len, names[d]);
			if (memcmp(&before, &win, sizeof(win)) != 0)
				FAIL("%s: raw bytes moved the window", t->name);
			continue;
		}
		if (!get(r, seqb, 4) || !get(r, &nh, 1) || !get(r, &len, 1) ||
		    !get(r, payload, len))
			return;
		uint32_t seq = (uint32_t)seqb[0] << 24 | seqb[1] << 16 | seqb[2] << 8 | seqb[3];
		uint8_t next = nh ? nh : IPPROTO_IPIP;
		n = dp_esp_encrypt(t->out, 0x1000, seq, payload, len, next, pkt, sizeof(pkt));
		if (n < 0) {
			/* GCM's sequential IVs never repeat a lower number: a
			 * fresh sender for a replay or a late packet. */
			dp_esp_destroy(t->out);
			t->out = sender(t);
			n = dp_esp_encrypt(t->out, 0x1000, seq, payload, len, next, pkt, sizeof(pkt));
		}
		if (n < 0)
			FAIL("%s: %u bytes do not encrypt", t->name, len);
		size_t plen = (size_t)n;
		if (op == 1 || op == 2) {
			uint8_t pos[2], x = 0;
			if (!get(r, pos, 2) || (op == 1 && !get(r, &x, 1)))
				return;
			size_t at = (size_t)(pos[0] << 8 | pos[1]) % plen;
			if (op == 1)
				pkt[at] ^= x | 1;
			else
				plen = at < 8 ? 8 : at;
			if (op == 2 && plen == (size_t)n)
				continue;
			/* A changed sequence number may be one the window
			 * refuses before authentication: still not a pass. */
			struct dp_replay before = win;
			enum dp_decap d = dp_esp_decap(t->in, &win, m.window, pkt, plen, &inner,
						       &inner_len);
			if (d == DP_DECAP_OK || d == DP_DECAP_NOT_IPV4)
				FAIL("%s: a packet %s at byte %zu passes as %s", t->name,
				     op == 1 ? "changed" : "cut", at, names[d]);
			if (memcmp(&before, &win, sizeof(win)) != 0)
				FAIL("%s: a refused packet moved the window", t->name);
			continue;
		}
		bool want = model_accepts(&m, seq);
		enum dp_decap d = dp_esp_decap(t->in, &win, m.window, pkt, plen, &inner, &inner_len);
		if (!want) {
			if (d != DP_DECAP_REPLAYED)
				FAIL("%s: window %u, top %u: seq %u is %s, the model refuses it", t->name,
				     m.window, m.top, seq, names[d]);
			continue;
		}
		if (d != DP_DECAP_OK && d != DP_DECAP_NOT_IPV4)
			FAIL("%s: window %u, top %u: seq %u is %s, the model takes it", t->name,
			     m.window, m.top, seq, names[d]);
		model_accept(&m, seq);
		if (inner_len != len || memcmp(inner, payload, len) != 0)
			FAIL("%s: %u bytes decrypt to %zu others", t->name, len, inner_len);
		bool ipv4 = next == IPPROTO_IPIP && len >= 20 && (payload[0] >> 4) == 4;
		if ((d == DP_DECAP_OK) != ipv4)
			FAIL("%s: next header %u, %u bytes, version %u: %s", t->name, next, len,
			     len ? payload[0] >> 4 : 0, names[d]);
		if (d == DP_DECAP_OK)
			check_mss(inner, inner_len, 1240 + (seq & 0xff));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data + 1, size ? size - 1 : 0 };

	if (!size)
		return 0;
	if (data[0] & 0x80) {
		if (size < 3)
			return 0;
		check_mss(data + 3, size - 3, (unsigned)(data[1] << 8 | data[2]));
		return 0;
	}
	init_once();
	esp(&transforms[data[0] % NTRANSFORMS], &r);
	return 0;
}
