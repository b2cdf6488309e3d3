/* The negotiated peer of a call: what the peer's SDP said, in binary form.
 * The session keeps it, the IKE engine gets it in its session parameters
 * and its snapshot for libcharon's threads carries it: one representation
 * from the SDP to IKE_AUTH, copied by value (no pointers inside, so a
 * thread may keep its copy).  Text is made only where text goes out: logs,
 * show, and libcharon's host and identity objects.  A static tunnel's
 * configured peer takes the same form (address only). */
#ifndef VPNSIP_VPNSIP_PEER_H
#define VPNSIP_VPNSIP_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "sip/sdp.h"

/* An IKE address: IPv4 today; an IPv6 address fits (af AF_INET6). */
struct vpnsip_addr {
	sa_family_t af; /* AF_INET, AF_INET6; AF_UNSPEC: none */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct vpnsip_peer {
	struct vpnsip_addr addr;      /* IKE goes there: the c= line */
	uint16_t port;                /* its IKE/ESP-in-UDP port: the m= line; 0: 500 */
	unsigned bw_kbps;             /* negotiated: the lower of both b=AS; 0: none */
	enum sdp_setup setup;         /* its role as agreed: ACTIVE (it initiates
				       * IKE) or PASSIVE; NONE: not from an SDP */
	/* Expected in IKE_AUTH (RFC 6193): the hash of its certificate or
	 * pre-shared key; fp.len 0: no fingerprint, no binding. */
	struct crypto_fingerprint fp;
};

/* The peer of a received SDP that passed sdp_check_offer/answer: its
 * address as binary, its fingerprint with the crypto model's hash, the
 * bandwidth the lower of its b=AS and bw_conf, setup its agreed role.
 * false if the c= address is not an IPv4/IPv6 address. */
bool vpnsip_peer_from_sdp(const struct sdp_ike *sdp, unsigned bw_conf, enum sdp_setup setup,
			  struct vpnsip_peer *p);
/* The crypto model's hash for an SDP hash-func. */
enum crypto_hash vpnsip_crypto_hash(enum sdp_hash h);

#define VPNSIP_ADDR_TEXT_MAX INET6_ADDRSTRLEN
/* An IPv4 address as a vpnsip_addr. */
static inline struct vpnsip_addr vpnsip_addr_v4(struct in_addr a)
{
	return (struct vpnsip_addr){ .af = AF_INET, .v4 = a };
}
/* "192.0.2.1" (or an IPv6 address) into buf; "0.0.0.0" for none, as an
 * unset in_addr printed before.  Returns buf. */
const char *vpnsip_addr_text(const struct vpnsip_addr *a, char *buf, size_t n);
bool vpnsip_addr_equal(const struct vpnsip_addr *a, const struct vpnsip_addr *b);

#endif
