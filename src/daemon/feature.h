/* The features of vpnsipd in one ordered table (feature.c): each one's
 * commands, its part of the configuration model, and what runs of it in
 * the daemon.
 *
 * Every process registers the commands (feature_cli_init_all: vpnsipd,
 * "vpnsipd -t", unit tests, fuzzers); only the daemon starts and stops the
 * running parts.  Starts run in ascending order, in two phases: before the
 * boot configuration is loaded and after it.  Stops run at shutdown in
 * descending stop order; that is not always the reverse of the start:
 * IKE sends its deletes while routes and NAT still stand, and the data
 * plane goes last because the interfaces it backs go before it. */
#ifndef VPNSIP_DAEMON_FEATURE_H
#define VPNSIP_DAEMON_FEATURE_H

#include <stdbool.h>
#include <stddef.h>

struct config_env;
struct config_ext_type;
struct evloop;
struct strbuf;

enum feature_phase {
	FEATURE_BEFORE_LOAD, /* with the event loop, before the boot configuration */
	FEATURE_AFTER_LOAD,  /* once the boot configuration is applied */
};

struct feature {
	const char *name;
	/* its part of struct config; NULL: none of its own (system, logging
	 * and the interfaces with their DHCP settings are struct config's
	 * fields; shows, ping and debug keep no configuration) */
	const struct config_ext_type *model;
	void (*cli_init)(void);              /* commands, modes, running-config sections */
	enum feature_phase phase;
	int order;      /* start: ascending */
	int stop_order; /* stop: descending */
	/* <0: it did not start (logged by it, or by fail_tag below) */
	int (*start)(struct evloop *loop, struct config_env *env);
	void (*stop)(void); /* also run when start failed, as the start may be partial */
	const char *needs;  /* started only when this feature started */
	/* when start fails: %SYS-3-<fail_tag>: <fail_text> */
	const char *fail_tag, *fail_text;
};

/* The table, in command registration order (the debug commands last: they
 * are generated from every registered flag). */
const struct feature *feature_table(size_t *n);

void feature_cli_init_all(void);
/* The names of the features that start (stop: that stop), one a line, in
 * the order feature_start (feature_stop_all) runs them. */
void feature_order(bool stop, struct strbuf *out);
/* vpnsipd only: each feature of phase in ascending order. */
void feature_start(enum feature_phase phase, struct evloop *loop, struct config_env *env);
/* Every feature of a phase that was started, in descending stop order. */
void feature_stop_all(void);

#endif
