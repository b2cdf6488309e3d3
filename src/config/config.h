/* The one model of the configuration.
 *
 * Command handlers (declared next to each feature) write it; "show
 * running-config" and "write memory" are generated from it by the section
 * writers the features register; the subsystems that touch the kernel are
 * told about changes through the appliers the daemon installs (none in
 * "vpnsipd -t", unit tests and the fuzzer). */
#ifndef VPNSIP_CONFIG_CONFIG_H
#define VPNSIP_CONFIG_CONFIG_H

#include <stdbool.h>
#include <time.h>

#include "cli/cli.h"
#include "log/log.h"
#include "net/iface.h"
#include "util/strbuf.h"

struct system_cfg {
	char *hostname;          /* NULL: the default, "Router" */
	char *banner_motd;
	bool password_encryption; /* service password-encryption */
	char *enable_secret;     /* "5 $1$…" / "9 $9$…": type and hash */
	char *enable_password;   /* clear text in memory; shown as type 7 when encrypting */
};

struct config_ext;

struct config {
	struct system_cfg sys;
	struct log_settings logging;
	struct iface_table ifaces;
	time_t last_change;
	char *last_change_by;
	struct config_ext *ext; /* features' parts of the model, see config_ext_get() */
};

/* A feature's own part of the model (crypto objects, routes, ...) hangs
 * off the configuration under the feature's type, so struct config does
 * not grow a field per feature; config_free() frees it with type->free
 * (NULL: plain free()). */
struct config_ext_type {
	const char *name;
	void (*free)(void *ext);
};
void *config_ext_get(const struct config *cfg, const struct config_ext_type *type);
/* The same, created zeroed (size bytes) on first use. */
void *config_ext_get_or_create(struct config *cfg, const struct config_ext_type *type,
			       size_t size);

/* What command handlers work on: the model plus where it lives on disk. */
struct config_env {
	struct config *cfg;
	const char *startup_path; /* -f */
	const char *state_dir;    /* -D */
	bool check_only;          /* -t: nothing is applied to the system */
};

static inline struct config_env *cfg_env(struct cli_exec *x)
{
	return (struct config_env *)cli_session_app(x->s);
}
static inline struct config *cfg_of(struct cli_exec *x)
{
	return cfg_env(x)->cfg;
}

void config_init(struct config *cfg);
void config_free(struct config *cfg);
const char *config_hostname(const struct config *cfg);

/* Install every feature's commands, modes and running-config sections.
 * Call once per process (features.c lists them). */
void config_features_init(void);

/* running-config sections, written in ascending order. */
typedef void (*config_writer_fn)(const struct config *cfg, struct strbuf *out);
void config_section_register(int order, const char *name, config_writer_fn fn);

/* The configuration text ("!" separators, ending in "end"). */
void config_write(const struct config *cfg, struct strbuf *out);
/* "show running-config": header plus text. */
void config_show_running(const struct config *cfg, struct strbuf *out);

/* Run one line through the session and keep the bookkeeping (last change,
 * "debug config" lines without secrets). */
void config_exec_line(struct config_env *env, struct cli_session *s, const char *line,
		      struct strbuf *out, struct cli_result *res);

/* Apply a file line by line as IOS does at boot: a bad line is reported as
 * "FILE:LINE: message" into report and skipped, the rest still applies.
 * A line accepted and ignored (IOS boilerplate, CLI_IGNORED) is reported as
 * "FILE:LINE: % Ignored: why" and is not a bad line.  Returns the number of
 * bad lines (unsupported ones included), or -1 when the file cannot be read
 * (errno set). */
struct config_load_stats {
	unsigned lines, applied, errors, unsupported, ignored;
};
#define CONFIG_IGNORED_TAG "% Ignored: "
int config_load_file(struct config_env *env, const char *path, struct strbuf *report,
		     struct config_load_stats *st);

/* Write the running configuration to path atomically: a crash at any
 * moment leaves the old file or the new one, never a mix. */
int config_save_file(const struct config *cfg, const char *path);
/* Remove the temporary files of writes that were killed half-way. */
void config_remove_stale_temp_files(const char *path);

#endif
