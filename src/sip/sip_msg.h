/* What the user agent reads from a received SIP message, as functions of
 * the parsed message alone (sofia-sip's sip_t): the SIP thread calls them
 * from its nua callback, the SIP fuzzer (tests/fuzz/fuzz_sip.c) on messages
 * parsed from its input.  Includes sofia-sip's headers: for src/sip and
 * tests only. */
#ifndef VPNSIP_SIP_SIP_MSG_H
#define VPNSIP_SIP_SIP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/sip.h>

#include "sip/sip.h"

/* A body other than SDP: such an INVITE is refused 415 (RFC 3261 21.4.16). */
bool sip_body_not_sdp(const sip_t *sip);

/* Into ev: the caller (P-Asserted-Identity when the INVITE came from a
 * trusted hop, else From), the callee
 * (P-Called-Party-ID, else To, else the Request-URI) and the peer's SDP
 * (has_sdp, sdp_err, sdp) of a received INVITE. */
void sip_invite_parties(const sip_t *sip, bool from_trusted_hop, struct sip_event *ev);

/* A re-INVITE or UPDATE in a call whose SDP of ours is local_sdp and whose
 * peer announced remote_addr/remote_port (when remote_known): 0 when its
 * offer, if any, is acceptable, else the status to refuse it with (415,
 * 488) and *why. */
int sip_reoffer_status(const char *local_sdp, bool remote_known, const char *remote_addr,
		       uint16_t remote_port, const sip_t *sip, const char **why);

#endif
