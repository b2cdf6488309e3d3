/* Features that run in the daemon (timers, netlink sockets, child
 * processes) register start/stop hooks here from their *_cli_init();
 * vpnsipd calls runtime_start() once its event loop and the kernel side of
 * interfaces exist (before the startup configuration is loaded), and
 * runtime_stop() at shutdown, in reverse order, before the interfaces are
 * taken down.  "vpnsipd -t", unit tests and the fuzzer never start them:
 * their commands then only change the model. */
#ifndef VPNSIP_CONFIG_RUNTIME_H
#define VPNSIP_CONFIG_RUNTIME_H

#include <stdbool.h>

#include "util/evloop.h"

struct config_env;

struct runtime_hooks {
	const char *name;
	int order; /* ascending at start, descending at stop */
	void (*start)(struct evloop *loop, struct config_env *env); /* env->cfg, ->state_dir */
	void (*stop)(void);
	struct runtime_hooks *next;
};

void runtime_register(struct runtime_hooks *h);
void runtime_start(struct evloop *loop, struct config_env *env);
void runtime_stop(void);
/* The loop while the daemon runs, else NULL (commands use it to know
 * whether to touch the system). */
struct evloop *runtime_loop(void);

#endif
