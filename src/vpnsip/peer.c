/* The negotiated peer (peer.h): made once from the peer's SDP. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "vpnsip/peer.h"

enum crypto_hash vpnsip_crypto_hash(enum sdp_hash h)
{
	switch (h) {
	case SDP_HASH_SHA224: return CRYPTO_HASH_SHA224;
	case SDP_HASH_SHA256: return CRYPTO_HASH_SHA256;
	case SDP_HASH_SHA384: return CRYPTO_HASH_SHA384;
	case SDP_HASH_SHA512: return CRYPTO_HASH_SHA512;
	default: return CRYPTO_HASH_SHA1;
	}
}

bool vpnsip_peer_from_sdp(const struct sdp_ike *sdp, unsigned bw_conf, enum sdp_setup setup,
			  struct vpnsip_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (sdp->af == 6 && inet_pton(AF_INET6, sdp->addr, &p->addr.v6) == 1)
		p->addr.af = AF_INET6;
	else if (sdp->af == 4 && inet_pton(AF_INET, sdp->addr, &p->addr.v4) == 1)
		p->addr.af = AF_INET;
	else
		return false;
	p->port = sdp->port;
	p->bw_kbps = sdp->bw_kbps < bw_conf ? sdp->bw_kbps : bw_conf;
	p->setup = setup;
	if (sdp->fp.kind != SDP_FP_NONE && sdp->fp.len <= sizeof(p->fp.md)) {
		p->fp.hash = vpnsip_crypto_hash(sdp->fp.hash);
		p->fp.len = sdp->fp.len;
		memcpy(p->fp.md, sdp->fp.digest, sdp->fp.len);
	}
	return true;
}

const char *vpnsip_addr_text(const struct vpnsip_addr *a, char *buf, size_t n)
{
	struct in_addr none = { 0 };

	if (a->af == AF_INET6)
		inet_ntop(AF_INET6, &a->v6, buf, (socklen_t)n);
	else
		inet_ntop(AF_INET, a->af == AF_INET ? &a->v4 : &none, buf, (socklen_t)n);
	return buf;
}

bool vpnsip_addr_equal(const struct vpnsip_addr *a, const struct vpnsip_addr *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == AF_INET6)
		return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
	return a->af != AF_INET || a->v4.s_addr == b->v4.s_addr;
}
