/* The control socket: one CLI session per connected shell. */
#ifndef VPNSIP_DAEMON_CONTROL_H
#define VPNSIP_DAEMON_CONTROL_H

#include "config/config.h"
#include "util/evloop.h"

struct control;

/* Members of this group may use the socket (privilege 1, "enable" with the
 * enable secret); root gets privilege 15.  Looked up when the socket opens. */
#define CONTROL_GROUP "vpnsip"

/* Refuses to start when a live daemon already answers on path. */
struct control *control_open(struct evloop *loop, const char *path, struct config_env *env);
void control_close(struct control *c);
/* Its debug flag ("debug control"). */
void control_cli_init(void);

#endif
