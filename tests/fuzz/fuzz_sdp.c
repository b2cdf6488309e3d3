/* libFuzzer target for the RFC 6193 / TS-1017 SDP unit (src/sip/sdp.c).
 *
 * Each input is an SDP body as it could arrive in an INVITE or its answer.
 * It goes through sdp_parse(); whatever parsed is run through the offer and
 * answer rules with every local mode, and an accepted offer is answered
 * with sdp_write() and parsed again.  Invariants (abort() on breach):
 *   - the parser never reports more than it read: port and bandwidth as
 *     parsed, a fingerprint's length equals its hash's;
 *   - our own answer to an accepted offer parses and passes the peer's
 *     answer rules (what the caller will check). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"
#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_ike o;
	enum sdp_error e = sdp_parse((const char *)data, size, &o);
	const char *why = NULL;
	char hex[SDP_FP_MAX * 3 + 1];
	char num[SIP_NUMBER_MAX];

	(void)sdp_strerror(e);
	if (o.nfingerprints && o.fp.len != sdp_hash_len(o.fp.hash))
		abort();
	sdp_fp_hex(&o.fp, hex, sizeof(hex));
	if (e != SDP_OK)
		return 0;
	for (int fp = SDP_FP_CERT; fp <= SDP_FP_PSK; fp++) {
		for (unsigned roles = 1; roles <= 3; roles++) {
			why = NULL;
			if (sdp_check_offer(&o, (enum sdp_fp_kind)fp, roles, &why)) {
				if (!why)
					abort();
				continue;
			}
			struct sdp_fingerprint mine = { .kind = (enum sdp_fp_kind)fp,
							.hash = SDP_HASH_SHA256, .len = 32 };
			memset(mine.digest, 0x5a, 32);
			enum sdp_setup role = sdp_answer_role(o.setup, roles);
			struct sdp_local l = { .addr = "192.0.2.11", .port = 4500,
					       .bw_kbps = o.bw_kbps < 1000 ? o.bw_kbps : 1000,
					       .setup = role, .fp = &mine, .sess_id = 1,
					       .sess_version = 1 };
			char *ans = sdp_write(&l);
			struct sdp_ike a;
			if (sdp_parse(ans, strlen(ans), &a) != SDP_OK ||
			    sdp_check_answer(&a, o.setup, (enum sdp_fp_kind)fp, &why) != 0)
				abort();
			free(ans);
		}
	}
	/* The URI helper on the same bytes (NUL-terminated copy). */
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	sip_uri_number(s, num, sizeof(num));
	free(s);
	return 0;
}
