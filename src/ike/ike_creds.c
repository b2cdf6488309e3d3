/* credential_set_t (libcharon's threads): the PSKs of the session an IKE
 * SA belongs to (found by the SA, else by the peer's identity) and the
 * peer certificate pinned by its SDP fingerprint, the CRL of a trustpoint
 * with "revocation-check crl".  Beside it a mem_cred_t
 * with our own certificates and private keys and the trustpoints' CA
 * certificates, loaded while snapshots are built (main thread). */
#include <library.h>
#include <daemon.h>
#include <credentials/credential_set.h>
#include <credentials/certificates/x509.h>
#include <credentials/sets/mem_cred.h>

#include "ike/ike_session_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"

typedef struct {
	enumerator_t public;
	shared_key_t *keys[2];
	bool own[2]; /* made for this lookup: destroyed with the enumerator */
	int n, i;
	struct snap *s;
} shared_enum_t;

METHOD(enumerator_t, shared_enumerate, bool, shared_enum_t *this, va_list args)
{
	shared_key_t **key;
	id_match_t *me, *other;

	VA_ARGS_VGET(args, key, me, other);
	if (this->i >= this->n)
		return FALSE;
	*key = this->keys[this->i++];
	if (me)
		*me = ID_MATCH_PERFECT;
	if (other)
		*other = ID_MATCH_PERFECT;
	return TRUE;
}

METHOD(enumerator_t, shared_destroy, void, shared_enum_t *this)
{
	for (int i = 0; i < this->n; i++)
		if (this->own[i])
			this->keys[i]->destroy(this->keys[i]);
	ike_snap_put(this->s);
	free(this);
}

static struct snap *snap_by_remote(identification_t *id)
{
	struct snap *s;
	/* The session of the IKE_SA this thread works on, if it has one. */
	if ((s = ike_snap_of_thread()))
		return s;
	if (!id || id->get_type(id) == ID_ANY)
		return NULL;
	return ike_snap_find_remote(id);
}

METHOD(credential_set_t, create_shared_enumerator, enumerator_t *, credential_set_t *this,
       shared_key_type_t type, identification_t *me, identification_t *other)
{
	shared_enum_t *e;
	struct snap *s;

	if (type != SHARED_IKE && type != SHARED_ANY)
		return NULL;
	s = snap_by_remote(other);
	if (!s)
		return NULL;
	INIT(e, .public = { .enumerate = enumerator_enumerate_default,
			    .venumerate = _shared_enumerate,
			    .destroy = _shared_destroy },
	     .s = s);
	/* The keyring peer of the identity the peer presented (other: its
	 * IDi to a responder, its IDr to an initiator verifying it), else the
	 * session's own keys.  In a VPN-SIP session we sign with the key our
	 * SDP named, whatever the peer presents. */
	const char *klocal, *kremote;
	ike_snap_keys_for(s, other, &klocal, &kremote);
	if (s->vpn_sip)
		klocal = NULL;
	/* The local key first: get_shared() signs with the first one; the
	 * peer's AUTH is checked against each. */
	if (klocal) {
		e->own[e->n] = true;
		e->keys[e->n++] = shared_key_create(SHARED_IKE, chunk_clone(chunk_from_str((char *)klocal)));
	} else if (s->psk_local) {
		e->keys[e->n++] = s->psk_local;
	}
	if (kremote && (!klocal || strcmp(klocal, kremote) != 0)) {
		e->own[e->n] = true;
		e->keys[e->n++] = shared_key_create(SHARED_IKE, chunk_clone(chunk_from_str((char *)kremote)));
	} else if (!kremote && s->psk_remote) {
		e->keys[e->n++] = s->psk_remote;
	}
	return &e->public;
}

/* Is CRL the one of CA that the revocation plugin asks for by ID (the
 * CA's key identifier, or a name)?  A CRL without an authority key
 * identifier is found by its issuer name being the CA's subject. */
static bool crl_of(certificate_t *crl, certificate_t *ca, identification_t *id)
{
	if (!id || crl->has_issuer(crl, id))
		return true;
	if (id->get_type(id) != ID_KEY_ID || ca->get_type(ca) != CERT_X509 ||
	    !crl->get_issuer(crl)->equals(crl->get_issuer(crl), ca->get_subject(ca)))
		return false;
	return chunk_equals(((x509_t *)ca)->get_subjectKeyIdentifier((x509_t *)ca),
			    id->get_encoding(id));
}

/* The CRL of the session's trustpoint ("revocation-check crl"), read from
 * its file at each use so that a CRL the operator replaced counts at the
 * next IKE_AUTH; the plugin checks its signature and dates. */
static enumerator_t *crl_enumerator(identification_t *id)
{
	struct snap *s = ike_snap_of_thread();
	certificate_t *crl = NULL;

	if (!s || !s->crl_ca) {
		ike_snap_put(s);
		return NULL;
	}
	if (s->crl_path && access(s->crl_path, R_OK) == 0)
		crl = lib->creds->create(lib->creds, CRED_CERTIFICATE, CERT_X509_CRL,
					 BUILD_FROM_FILE, s->crl_path, BUILD_END);
	if (!crl)
		log_msg("IKEV2", SEV_WARNING, "CRL_UNAVAILABLE",
			"%s: trustpoint %s: no CRL (%s %s): the peer certificate's status is unknown",
			s->tunnel, s->crl_trustpoint, s->crl_path ? s->crl_path : "no state directory",
			s->crl_path && access(s->crl_path, R_OK) == 0 ? "does not parse" : "missing");
	else if (!crl_of(crl, s->crl_ca, id)) {
		crl->destroy(crl);
		crl = NULL;
	}
	ike_snap_put(s);
	return crl ? enumerator_create_single(crl, (void *)crl->destroy) : NULL;
}

METHOD(credential_set_t, create_cert_enumerator, enumerator_t *, credential_set_t *this,
       certificate_type_t cert, key_type_t key, identification_t *id, bool trusted)
{
	struct snap *s;
	certificate_t *c;

	if (cert == CERT_X509_CRL)
		return crl_enumerator(id);
	s = snap_by_remote(id);
	if (!s)
		return NULL;
	c = ike_snap_pinned(s);
	ike_snap_put(s);
	if (!c)
		return NULL;
	if ((cert != CERT_ANY && cert != c->get_type(c))) {
		c->destroy(c);
		return NULL;
	}
	/* The certificate matched the session's SDP fingerprint: it is the
	 * peer's, trusted without a CA (RFC 6193). */
	return enumerator_create_single(c, (void *)c->destroy);
}

static credential_set_t ike_credset = {
	.create_private_enumerator = (void *)return_null,
	SLOT(credential_set_t, create_cert_enumerator, create_cert_enumerator),
	SLOT(credential_set_t, create_shared_enumerator, create_shared_enumerator),
	.create_cdp_enumerator = (void *)return_null,
	.cache_cert = (void *)nop,
};

static mem_cred_t *local_creds; /* our certificates and private keys */

/* A DER certificate (freed here) as a trusted certificate of our credential
 * set: a reference for the caller, NULL when it does not parse. */
static certificate_t *trusted_cert_from_der(uint8_t *der, size_t len)
{
	certificate_t *c = lib->creds->create(lib->creds, CRED_CERTIFICATE, CERT_X509,
					      BUILD_BLOB_ASN1_DER, chunk_create(der, len),
					      BUILD_END);

	free(der);
	return c ? local_creds->add_cert_ref(local_creds, TRUE, c) : NULL;
}

/* The certificate of a trustpoint, with its private key added to our
 * credential set (the key never leaves memory we wipe); NULL when the
 * trustpoint is not enrolled. */
certificate_t *ike_creds_local_cert(const struct config *cfg, const char *trustpoint)
{
	const struct pki_trustpoint *tp = crypto_trustpoint_find(cfg, trustpoint);
	uint8_t *der;
	size_t len;
	certificate_t *c;

	if (!tp || !crypto_pki_cert_der(cfg, trustpoint, &der, &len))
		return NULL;
	c = trusted_cert_from_der(der, len);
	if (!c)
		return NULL;
	if (crypto_pki_key_der(cfg, crypto_pki_key_label(cfg, tp), &der, &len)) {
		private_key_t *k = lib->creds->create(lib->creds, CRED_PRIVATE_KEY, KEY_RSA,
						      BUILD_BLOB_ASN1_DER, chunk_create(der, len),
						      BUILD_END);
		explicit_bzero(der, len);
		free(der);
		if (k)
			local_creds->add_key(local_creds, k);
	}
	return c;
}

/* The CA certificate of a trustpoint, trusted in our credential set (a
 * reference for the caller); NULL when the trustpoint has none. */
certificate_t *ike_creds_ca_cert(const struct config *cfg, const char *trustpoint)
{
	uint8_t *der;
	size_t len;

	if (!crypto_pki_ca_der(cfg, trustpoint, &der, &len))
		return NULL;
	return trusted_cert_from_der(der, len);
}

void ike_creds_clear_local(void)
{
	local_creds->clear(local_creds);
}

void ike_creds_register(void)
{
	local_creds = mem_cred_create();
	lib->credmgr->add_set(lib->credmgr, &local_creds->set);
	lib->credmgr->add_set(lib->credmgr, &ike_credset);
}

void ike_creds_unregister(void)
{
	lib->credmgr->remove_set(lib->credmgr, &ike_credset);
	lib->credmgr->remove_set(lib->credmgr, &local_creds->set);
	local_creds->destroy(local_creds);
}
