/* The local values a session's SDP needs from other components: the local
 * fingerprint (the crypto model) and the local IKE/ESP port (data plane).
 * The one place the orchestrator asks for them. */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "dataplane/tunnel.h"
#include "vpnsip/vpnsip_int.h"

struct only_profile {
	const char *name;
	unsigned n;
};

static bool count_profile(const struct ikev2_profile *p, void *arg)
{
	struct only_profile *o = arg;

	o->name = p->name;
	o->n++;
	return true;
}

/* The IKEv2 profile of a tunnel: the one the IKE engine uses for its SAs
 * (tunnel_ikev2_profile).  A tunnel without "tunnel protection" starts no
 * IKE (a SIP-only tunnel); its SDP still needs a fingerprint, which is
 * unambiguous only when the configuration has one IKEv2 profile.  NULL
 * with the reason in err. */
static const char *tunnel_profile(const struct config *cfg, const char *tunnel, char *err,
				  size_t errlen)
{
	const struct iface_cfg *ifc = iface_find(&cfg->ifaces, tunnel);
	const struct tunnel_ext *t = ifc ? tunnel_ext_get(ifc) : NULL;
	const struct ipsec_profile *ip;
	const char *name = tunnel_ikev2_profile(cfg, ifc, &ip);
	struct only_profile o = { 0 };

	if (name)
		return name;
	if (t && t->ipsec_profile) {
		if (!ip)
			snprintf(err, errlen, "IPsec profile %s (tunnel protection) is not configured",
				 t->ipsec_profile);
		else
			snprintf(err, errlen, "IPsec profile %s names no IKEv2 profile (set ikev2-profile)",
				 t->ipsec_profile);
		return NULL;
	}
	crypto_foreach_ikev2_profile(cfg, count_profile, &o);
	if (o.n == 1)
		return o.name;
	if (!o.n)
		snprintf(err, errlen, "no IKEv2 profile is configured");
	else
		snprintf(err, errlen,
			 "no tunnel protection and %u IKEv2 profiles: which one signs is ambiguous", o.n);
	return NULL;
}

bool vpnsip_local_fingerprint(const struct config *cfg, const char *tunnel,
			      const char *remote_number, enum sdp_hash hash,
			      struct sdp_fingerprint *fp, char *err, size_t errlen)
{
	const char *profile;
	struct crypto_fingerprint cfp;
	enum ikev2_auth auth = IKEV2_AUTH_NONE;

	memset(fp, 0, sizeof(*fp));
	profile = tunnel_profile(cfg, tunnel, err, errlen);
	if (!profile)
		return false;
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
