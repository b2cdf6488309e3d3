/* The local values a session's SDP needs from other components: the local
 * fingerprint (crypto model) and the local IKE/ESP port (data plane).
 *
 * PLACEHOLDER until the crypto model lands (branch crypto implements
 * crypto_local_fingerprint(), the ike branch the tunnel's "tunnel protection
 * ... ikev2-profile"): every tunnel authenticates with a pre-shared key and
 * its fingerprint is the configured hash over the empty key.  Only this file
 * changes when they land; the SIP side and the orchestrator already treat
 * certificate and PSK sessions alike. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "vpnsip/vpnsip_int.h"

static const EVP_MD *md_of(enum sdp_hash h)
{
	switch (h) {
	case SDP_HASH_SHA1: return EVP_sha1();
	case SDP_HASH_SHA224: return EVP_sha224();
	case SDP_HASH_SHA256: return EVP_sha256();
	case SDP_HASH_SHA384: return EVP_sha384();
	case SDP_HASH_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

bool vpnsip_local_fingerprint(const struct config *cfg, const char *tunnel,
			      const char *remote_number, enum sdp_hash hash,
			      struct sdp_fingerprint *fp, char *err, size_t errlen)
{
	const EVP_MD *md = md_of(hash);
	unsigned len = 0;
	static const char psk[] = "";

	memset(fp, 0, sizeof(*fp));
	if (!md || !EVP_Digest(psk, 0, fp->digest, &len, md, NULL) || len != sdp_hash_len(hash)) {
		snprintf(err, errlen, "cannot compute a %s fingerprint", sdp_hash_name(hash));
		return false;
	}
	fp->kind = SDP_FP_PSK;
	fp->hash = hash;
	fp->len = len;
	return true;
}

uint16_t vpnsip_local_port(const char *tunnel)
{
	return VPNSIP_IKE_PORT;
}
