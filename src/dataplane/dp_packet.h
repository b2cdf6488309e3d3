/* What the user-space data plane (dp_user.c) does to each packet, apart
 * from its sockets, maps and locks: the replay window (RFC 4303 3.4.3, no
 * ESN), ESP decapsulation of one SA, and TCP MSS clamping.  Pure functions
 * of their arguments, for the data plane thread, unit tests and the ESP
 * fuzzer (tests/fuzz/fuzz_esp.c). */
#ifndef VPNSIP_DATAPLANE_DP_PACKET_H
#define VPNSIP_DATAPLANE_DP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dataplane.h"
#include "dataplane/dp_esp.h"

/* An inbound SA's replay state; all zero before the first packet. */
struct dp_replay {
	uint32_t top;                        /* highest sequence number accepted */
	uint64_t bits[DP_REPLAY_MAX / 64];   /* bit i: top - i was accepted */
};

/* May a packet with seq pass a window of window packets (0: no check)? */
bool dp_replay_check(const struct dp_replay *r, uint32_t window, uint32_t seq);
/* seq was accepted (after authentication). */
void dp_replay_update(struct dp_replay *r, uint32_t window, uint32_t seq);

enum dp_decap {
	DP_DECAP_OK,        /* *inner is an IPv4 packet of the tunnel */
	DP_DECAP_NOT_IPV4,  /* authentic, but not IPv4 in ESP (next header, version, size) */
	DP_DECAP_REPLAYED,  /* refused by the replay window before decryption */
	DP_DECAP_TRUNCATED, /* too short for the transform, or not block aligned */
	DP_DECAP_FAILED,    /* authentication or padding failed */
};

/* pkt (SPI, sequence number, IV, ciphertext, ICV: at least 8 bytes, the
 * SPI already looked up) through the replay window r of the SA's window
 * and its transform esp, decrypted in place.  OK and NOT_IPV4 advanced the
 * window and set *inner (in pkt) and *inner_len. */
enum dp_decap dp_esp_decap(struct dp_esp *esp, struct dp_replay *r, uint32_t window, uint8_t *pkt,
			   size_t len, uint8_t **inner, size_t *inner_len);

/* A TCP SYN in IPv4 packet pkt (not a fragment beyond the first) whose MSS
 * option exceeds mss (0: off) gets mss, the TCP checksum updated (RFC
 * 1624).  True when the packet changed. */
bool dp_clamp_mss(uint8_t *pkt, size_t len, unsigned mss);

#endif
