/* Internals shared by the files of the IKE sessions; only they include it:
 *
 *   ike_snap.c      the snapshot registry libcharon's threads read
 *   ike_backend.c   backend_t: peer_cfgs and ike_cfgs from the snapshots
 *   ike_creds.c     credential_set_t: PSKs, pinned peer certificates, our
 *                   own certificates and keys
 *   ike_listener.c  listener_t: fingerprint binding, state; posts copies
 *                   of events to the main thread
 *   ike_peer_cfg.c  a session's snapshot (peer_cfg, child_cfg, PSKs) built
 *                   from the configuration model
 *   ike_session.c   the sessions (main thread): start, stop, events
 *   ike_liveness.c  DPD and NAT keepalives (main thread)
 *   ike_static.c    static tunnels and configuration changes (main thread)
 *   ike_show.c      show commands (text and JSON)
 *
 * Include <library.h> and <daemon.h> before this. */
#ifndef VPNSIP_IKE_IKE_SESSION_INT_H
#define VPNSIP_IKE_IKE_SESSION_INT_H

#include "crypto/crypto.h"
#include "ike/ike_int.h"
#include "util/evloop.h"

/* A slot of a strongSwan interface, filled with a METHOD() function. */
#define SLOT(type, member, fn) .member = (__typeof__(((type *)0)->member))(fn)

/* ---- snapshots (ike_snap.c): any thread ---- */

/* What libcharon's threads need of a session, immutable but for the
 * fields marked mutable; shared by reference. */
struct snap {
	refcount_t ref;
	char *tunnel;
	uint32_t if_id;
	peer_cfg_t *peer_cfg;
	char *remote_key;           /* "%Y" of the remote identity ("" for any) */
	char endpoint_key[32];      /* "peer-address:local-port" */
	struct vpnsip_peer peer;    /* a copy of the session's: its address, and
				     * the fingerprint expected from its SDP
				     * (peer.fp.len 0: none) */
	/* The keys found for the session's own peer (VPN-SIP: its number as
	 * key-id; a static tunnel: its address) or the profile's wildcard
	 * keys: what we sign with before we know the peer's identity. */
	shared_key_t *psk_local, *psk_remote;
	bool has_psk_fp;
	struct crypto_fingerprint psk_fp; /* hash of the own remote PSK, same hash */
	/* The profile's keyring (a shared read-only copy), where the keys of
	 * the identity the peer presents are looked up; NULL: none. */
	struct ike_keyring *keyring;
	bool remote_psk;            /* the peer authenticates with a PSK */
	bool vpn_sip;               /* our local key is the one our SDP named */
	/* "match identity remote": the identities the peer may present.
	 * accept_any: every identity; sip_id: the VPN-SIP number as key-id
	 * (a PSK session's "any", and the default without match lines). */
	struct crypto_id *id_rules;
	size_t nid_rules;
	bool accept_any;
	char *sip_id;
	/* "match certificate MAP" of the IKEv2 profile (copies): the peer's
	 * certificate must satisfy one of them. */
	struct pki_cert_map **maps;
	size_t nmaps;
	char *profile;              /* the IKEv2 profile's name, for logs */
	/* "revocation-check crl" of the profile's trustpoint: its CRL file
	 * (read at each IKE_AUTH) and CA certificate; NULL: no check. */
	char *crl_path, *crl_trustpoint;
	certificate_t *crl_ca;
	/* Mutable, under the registry's lock (ike_snap_pin, ike_snap_*_cause): */
	certificate_t *pinned;      /* peer certificate accepted by fingerprint */
	char *cause;                /* last failure */
	char *peer_notify;          /* the last error notify the peer sent ("NO_PROPOSAL_CHOSEN") */
	/* Last authenticated IKE message in / any IKE message out
	 * (evloop_now_ms clock), written by libcharon's threads (atomics):
	 * DPD answers and keepalive timing. */
	uint64_t last_ike_in_ms, last_ike_out_ms;
};

void ike_snaps_init(void);
void ike_snaps_shutdown(void);
void ike_snap_put(struct snap *s);
/* Lookups return a reference (ike_snap_put it) or NULL. */
struct snap *ike_snap_find(const char *tunnel);
struct snap *ike_snap_find_remote(identification_t *id);
struct snap *ike_snap_of_sa(ike_sa_t *ike_sa);
struct snap *ike_snap_of_thread(void);
/* Main thread: S replaces the tunnel's snapshot (the registry takes the
 * reference); remove drops it. */
void ike_snap_install(struct snap *s);
void ike_snap_remove(const char *tunnel);
/* FN on every snapshot under the read lock: FN must not block. */
void ike_snap_each(void (*fn)(struct snap *s, void *ctx), void *ctx);
void ike_snap_set_cause(struct snap *s, const char *cause);
char *ike_snap_take_cause(struct snap *s, const char *dflt);
bool ike_snap_has_auth_cause(struct snap *s);
/* The peer's last error notify while the SA was set up (NULL: forget it);
 * a copy of it, or NULL. */
void ike_snap_set_peer_notify(struct snap *s, const char *name);
char *ike_snap_peer_notify(struct snap *s);
void ike_snap_pin(struct snap *s, certificate_t *c);
certificate_t *ike_snap_pinned(struct snap *s);
void ike_endpoint_key(struct in_addr peer, unsigned local_port, char *buf, size_t n);
void ike_id_key(identification_t *id, char *buf, size_t n);
void ike_id_show(identification_t *id, char *buf, size_t n);
/* "fqdn rtrb.example.net", "address 192.0.2.12", "dn CN=rtrC": a
 * presented identity with its type, for logs. */
void ike_id_show_typed(identification_t *id, char *buf, size_t n);
/* A presented identity as the crypto model's (value points into buf);
 * false for types no match rule names (DN, any). */
bool ike_id_to_crypto(identification_t *id, struct crypto_id *out, char *buf, size_t n);
/* Does the session accept the identity the peer presented? */
bool ike_snap_accepts_id(const struct snap *s, identification_t *id);
/* The keys of the keyring peer of the identity the peer presented (NULL:
 * none there, the session's own keys apply).  Plaintext pointers into the
 * keyring copy, valid while the caller holds s. */
void ike_snap_keys_for(const struct snap *s, identification_t *other, const char **local,
		       const char **remote);

/* Shared read-only keyring copies (ike_snap.c), one per keyring and
 * configuration generation: built on the main thread, referenced by
 * snapshots, put from any thread. */
struct ike_keyring;
struct ike_keyring *ike_keyring_get(const struct config *cfg, const char *name);
void ike_keyring_put(struct ike_keyring *k);
const struct ikev2_keyring *ike_keyring_of(const struct ike_keyring *k);
void ike_keyrings_clear(void);

/* ---- libcharon's interfaces: registered at start, removed at shutdown ---- */

void ike_backend_register(void);
void ike_backend_unregister(void);
void ike_creds_register(void);
void ike_creds_unregister(void);
/* Forget our certificates and keys (they are loaded again per snapshot). */
void ike_creds_clear_local(void);
/* A trustpoint's certificate (with its key) / CA certificate, trusted in
 * our credential set: a reference, or NULL. */
certificate_t *ike_creds_local_cert(const struct config *cfg, const char *trustpoint);
certificate_t *ike_creds_ca_cert(const struct config *cfg, const char *trustpoint);
/* Log (level 3), record and report to the main thread a presented
 * identity the session does not accept: IKE_AUTH is refused
 * (ike_listener.c). */
void ike_snap_id_refused(struct snap *s, ike_sa_t *ike_sa, identification_t *id);
void ike_listener_register(void);
void ike_listener_unregister(void);

/* An event, copied on libcharon's thread for the main thread. */
struct ev_msg {
	enum ike_event_type type;
	char *tunnel;
	char *cause;
	uint32_t spi_in, spi_out, unique_id;
	struct sockaddr_in local, remote;
	uint16_t enc_alg, enc_key_bits, int_alg;
	bool nat_here; /* NAT-D: a NAT in front of us (keepalives) */
};

/* ---- sessions (ike_session.c): main thread ---- */

struct session {
	char *tunnel;
	enum ike_role role;
	uint16_t local_port;  /* opened on the data plane (0: default ports) */
	uint16_t ike_port;    /* our IKE port: 500, 4500 (what our SDP said) or local_port */
	struct vpnsip_peer peer; /* address, port (0: 500), expected fingerprint */
	char *local_id, *remote_id, *ipsec_profile, *ikev2_profile;
	bool vpn_sip, is_static;
	/* runtime */
	uint32_t unique_id;
	bool up, stopping;
	uint64_t up_since_ms;
	uint32_t spi_in, spi_out;
	uint16_t enc_alg, enc_key_bits, int_alg; /* the CHILD SA's (strongSwan's numbers) */
	struct sockaddr_in local, remote;
	char *last_cause;
	struct ev_timer *stop_timer;
	char *stop_arg; /* the timer's argument, freed with a deleted timer */
	unsigned id; /* session id for show */
	/* Liveness: DPD and NAT keepalives (from the IKEv2 profile/globals). */
	enum ikev2_dpd_mode dpd_mode;
	unsigned dpd_interval, dpd_retry, keepalive; /* seconds; 0: off */
	bool nat_here;
	struct ev_timer *dpd_timer, *ka_timer;
	struct ev_timer *retry_timer; /* static tunnel: initiate again */
	bool dpd_pending;
	unsigned dpd_tries;
	uint64_t dpd_sent_ms, ka_last_ms;
	uint64_t dpd_sent, keepalives_sent;
};

struct session *ike_session_find(const char *tunnel);
/* Every session, in no order: an array to free. */
struct session **ike_sessions_all(size_t *n);
/* The event a listener posted (struct ev_msg, freed here). */
void ike_session_deliver(void *msg);
/* Queue the initiation of the tunnel's IKE SA on a libcharon worker. */
void ike_session_initiate(const char *tunnel);
void ike_queue_terminate(uint32_t unique_id, bool force);
void ike_profiles_of(const struct session *se, const struct ipsec_profile **ip,
		     const char **ikev2_name);
/* The session's snapshot from the model (ike_peer_cfg.c); NULL with err. */
struct snap *ike_snap_build(struct session *se, char *err, size_t errlen);

/* ---- liveness (ike_liveness.c) ---- */

void ike_liveness_cfg(struct session *se);
void ike_liveness_start(struct session *se);
void ike_liveness_stop(struct session *se);

/* ---- static tunnels and configuration changes (ike_static.c) ---- */

void ike_static_init(const struct config *cfg);
void ike_static_shutdown(void);
/* A static tunnel's IKE SA ended: initiate again after a while. */
void ike_static_retry(struct session *se);

#endif
