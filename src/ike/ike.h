/* The IKEv2 engine: strongSwan's libcharon embedded in vpnsipd.
 *
 * One IKE session per tunnel interface.  The session orchestrator (VPN-SIP)
 * starts a session once SIP has agreed on addresses, ports and fingerprints;
 * static tunnels ("tunnel destination A.B.C.D" with "tunnel protection")
 * are started by the engine itself.  Everything here is main-thread API;
 * events are delivered on the main thread.
 *
 * Fingerprint binding (RFC 6193, TS-1017): when a session carries an
 * expected fingerprint, IKE_AUTH succeeds only if the hash of the peer's
 * certificate (DER) or of the pre-shared key used for the peer equals it,
 * on top of IKEv2's own AUTH verification; a self-signed peer certificate
 * is accepted only through this binding.  The PSK is looked up in the
 * IKEv2 profile's keyring by the identity the peer presents, else by its
 * key-id (its SIP number); which identities a session accepts is the
 * profile's "match identity remote" (docs/ike.md, Identities). */
#ifndef VPNSIP_IKE_IKE_H
#define VPNSIP_IKE_IKE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hook.h"
#include "vpnsip/peer.h"

struct evloop;

/* Before anything else: are the loaded libstrongswan, libcharon and
 * libipsec the files vpnsipd was built against (GNU build IDs)?  false with
 * the reason in err (one line, says what to install). */
bool ike_library_check(char *err, size_t errlen);
/* The Debian version of the strongSwan libraries ("5.9.8-5+deb12u6"). */
const char *ike_library_version(void);

enum ike_role {
	IKE_ROLE_INITIATOR,
	IKE_ROLE_RESPONDER,
};

struct ike_session_params {
	const char *tunnel;     /* "Tunnel1": the interface the SAs belong to */
	enum ike_role role;
	uint16_t local_port;    /* IKE/ESP port of this session; 0: 500/4500 */
	/* The peer from its SDP (or the tunnel destination: address only):
	 * address, port (0: 500) and the expected fingerprint (fp.len 0: no
	 * binding). */
	struct vpnsip_peer peer;
	const char *local_id;   /* key-id identity (SIP number); NULL: profile's */
	const char *remote_id;  /* key-id identity (SIP number); NULL: any */
	const char *ipsec_profile;  /* NULL: the tunnel's "tunnel protection" */
	const char *ikev2_profile;  /* NULL: the tunnel's or the IPsec profile's */
	bool vpn_sip;           /* shown as Capabilities:S */
};

/* Start (or restart) the session of p->tunnel.  Returns 0, or -1 with a
 * reason in err (unknown profile, no key for the peer, ...). */
int ike_session_start(const struct ike_session_params *p, char *err, size_t errlen);
/* Delete the session's IKE SA (INFORMATIONAL delete).  IKE_EV_DOWN with
 * cause "stopped" follows once the peer answered or after timeout_ms. */
void ike_session_stop(const char *tunnel, unsigned timeout_ms);
bool ike_session_exists(const char *tunnel);

enum ike_event_type {
	IKE_EV_UP,          /* IKE SA and CHILD SA established */
	IKE_EV_DOWN,        /* the session ended: cause says why */
	IKE_EV_AUTH_FAILED, /* IKE_AUTH failed (reason: fingerprint, PSK, ...) */
	IKE_EV_REKEYED,     /* CHILD SA rekeyed (new SPIs) */
	IKE_EV_IKE_REKEYED, /* IKE SA rekeyed: the session follows the new one */
};

struct ike_event {
	enum ike_event_type type;
	const char *tunnel;
	uint32_t spi_in, spi_out;        /* UP, REKEYED */
	struct sockaddr_in local, remote; /* outer addresses and ports */
	const char *cause;               /* DOWN, AUTH_FAILED */
	/* UP, REKEYED: the CHILD SA's transforms (IKEv2 transform IDs, key
	 * bits; int_alg 0 with AEAD), e.g. for QoS's ESP size table. */
	uint16_t enc_alg, enc_key_bits, int_alg;
};

/* Main thread: events for every session.  Subscribers: QoS (the ESP size
 * table follows the SA's transforms, first) and the orchestrator through
 * ike/ike_vpnsip.c. */
HOOK_DECLARE(ike_event, (const struct ike_event *ev), (ev));

/* Daemon wiring: dataplane_init(loop, ike_dataplane_hooks()), then
 * ike_init(); ike_shutdown() before the data plane goes. */
struct dp_ike_hooks;
const struct dp_ike_hooks *ike_dataplane_hooks(void);
struct config;
int ike_init(struct evloop *loop, struct config *cfg);
void ike_shutdown(void);
void ike_cli_init(void);

#endif
