/* The local values a session's SDP needs from other components: the local
 * fingerprint (the crypto model) and the local IKE/ESP port (data plane).
 * The one place the orchestrator asks for them. */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "vpnsip/vpnsip_int.h"

static bool first_profile(const struct ikev2_profile *p, void *arg)
{
	*(const char **)arg = p->name;
	return false;
}

/* The IKEv2 profile of a tunnel.  INTERIM until "tunnel protection ipsec
 * profile P ikev2-profile Q" lands with the IKE engine (branch ike,
 * tunnel_ext_get()): the first IKEv2 profile of the configuration. */
static const char *tunnel_ikev2_profile(const struct config *cfg, const char *tunnel)
{
	const char *name = NULL;

	crypto_foreach_ikev2_profile(cfg, first_profile, &name);
	return name;
}

bool vpnsip_local_fingerprint(const struct config *cfg, const char *tunnel,
			      const char *remote_number, enum sdp_hash hash,
			      struct sdp_fingerprint *fp, char *err, size_t errlen)
{
	const char *profile = tunnel_ikev2_profile(cfg, tunnel);
	struct crypto_fingerprint cfp;
	enum ikev2_auth auth = IKEV2_AUTH_NONE;

	memset(fp, 0, sizeof(*fp));
	if (!profile) {
		snprintf(err, errlen, "no IKEv2 profile for %s", tunnel);
		return false;
	}
	if (!crypto_local_fingerprint(cfg, profile, remote_number, vpnsip_crypto_hash(hash), &cfp,
				      &auth, err, errlen))
		return false;
	if (cfp.len != sdp_hash_len(hash) || cfp.len > sizeof(fp->digest)) {
		snprintf(err, errlen, "unexpected %s fingerprint length", sdp_hash_name(hash));
		return false;
	}
	fp->kind = auth == IKEV2_AUTH_RSA_SIG ? SDP_FP_CERT : SDP_FP_PSK;
	fp->hash = hash;
	fp->len = cfp.len;
	memcpy(fp->digest, cfp.md, cfp.len);
	return true;
}

uint16_t vpnsip_local_port(const char *tunnel)
{
	return VPNSIP_IKE_PORT;
}
