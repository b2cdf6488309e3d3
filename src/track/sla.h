/* IP SLA operations, between sla.c (operations, probes) and track.c. */
#ifndef VPNSIP_TRACK_SLA_H
#define VPNSIP_TRACK_SLA_H

#include <stdbool.h>
#include <time.h>

enum sla_rc {
	SLA_RC_UNKNOWN = 0, /* not run yet */
	SLA_RC_OK,
	SLA_RC_OVER_THRESHOLD,
	SLA_RC_TIMEOUT,
	SLA_RC_NO_CONNECTION, /* could not send: no route, no source */
};

struct sla_result {
	enum sla_rc rc;
	unsigned rtt_ms; /* valid for OK and OVER_THRESHOLD */
};

struct config;

/* The latest result of cfg's operation id; false if it does not exist. */
bool sla_latest(const struct config *cfg, unsigned id, struct sla_result *out);
const char *sla_rc_name(enum sla_rc rc);

/* Shared with ping: the Internet checksum of an ICMP message, and the
 * Linux device behind a configured interface name (NULL: an IOS name
 * that is not configured). */
#include <stddef.h>
#include <stdint.h>
uint16_t sla_icmp_checksum(const void *data, size_t len);
const char *sla_ifdev(const char *ifname);

/* track.c: an operation of cfg completed (or was removed/stopped). */
void track_sla_updated(const struct config *cfg, unsigned sla_id);

#endif
