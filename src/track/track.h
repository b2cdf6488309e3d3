/* Object tracking ("track N ip sla M reachability|state", "track N
 * interface IF line-protocol") and the IP SLA operations behind it.
 *
 * Clients (static routes, later VPN-SIP) ask for a track object's state and
 * subscribe to track_state_changed; a change is announced once per object, so a client
 * keeps its own index from track number to what depends on it.  The
 * objects and operations belong to the configuration they were configured
 * in; only the running configuration's probe and delay.  Main thread only. */
#ifndef VPNSIP_TRACK_TRACK_H
#define VPNSIP_TRACK_TRACK_H

#include <stdbool.h>
#include <stddef.h>

#include "util/hook.h"

#define TRACK_MAX 65535

struct config;

bool track_exists(const struct config *cfg, unsigned id);
/* A track object that does not exist is down (IOS). */
bool track_is_up(const struct config *cfg, unsigned id);

/* Object id of cfg went up or down (a removed object that was up goes
 * down).  Main thread: a probe's result, a delay timer, netmon, a command. */
HOOK_DECLARE(track_state_changed, (const struct config *cfg, unsigned id, bool up), (cfg, id, up));

/* "Tracked by:" in show track: a client names itself and counts its users
 * of an object. */
struct track_client {
	const char *name; /* "Static IP Routing" */
	size_t (*users)(const struct config *cfg, unsigned id);
	struct track_client *next;
};
void track_client_register(struct track_client *c);

void track_cli_init(void);
void sla_cli_init(void);
/* With the daemon (daemon/feature.c): delayed track changes need the
 * loop, probes run from start to stop. */
struct config_env;
struct evloop;
extern const struct config_ext_type track_ext, sla_ext;
int track_start(struct evloop *loop, struct config_env *env);
void track_stop(void);
int sla_start(struct evloop *loop, struct config_env *env);
void sla_stop(void);

#endif
