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
#include <sys/types.h>
#include <time.h>

#include "cli/cli.h"
#include "log/log.h"
#include "net/iface.h"
#include "util/hook.h"
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
	void (*init)(void *ext); /* optional: run once on the zeroed data */
};
void *config_ext_get(const struct config *cfg, const struct config_ext_type *type);
/* The same, created on first use: size bytes, zeroed, then the type's init. */
void *config_ext_get_or_create(struct config *cfg, const struct config_ext_type *type,
			       size_t size);

/* What command handlers work on: the model plus where it lives on disk. */
struct config_env {
	struct config *cfg;
	const char *startup_path; /* -f */
	const char *state_dir;    /* -D */
	bool check_only;          /* -t: nothing is applied to the system */
	/* The daemon's executable, run as "-t -p" to check a file before a
	 * replace (NULL: no configure replace, as in unit tests). */
	const char *checker;
	/* Around a whole file applied (boot, replace): the daemon batches
	 * kernel and IKE updates (NULL: nothing to batch). */
	void (*batch)(bool begin, struct config *cfg);
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

/* The commands of the configuration's own parts (system_cmds.c,
 * archive.c, replace.c, planned.c, ignored.c). */
void system_cli_init(void);
/* Main thread, "show version": each component that links a library of its
 * own appends "NAME VERSION" to out, after a ", " when out is not empty
 * (priority: the order on the line).  OpenSSL, which every part uses,
 * comes last from the command itself. */
HOOK_DECLARE(show_version_library, (struct strbuf *out), (out));
void archive_cli_init(void);
/* The flag of "debug config", registered with the system commands. */
void config_debug_register(void);
extern const struct config_ext_type archive_ext;
void replace_cli_init(void);
void planned_cli_init(void);
void ignored_cli_init(void);

/* running-config sections, written in ascending order. */
typedef void (*config_writer_fn)(const struct config *cfg, struct strbuf *out);
void config_section_register(int order, const char *name, config_writer_fn fn);

/* The configuration text ("!" separators, ending in "end"). */
void config_write(const struct config *cfg, struct strbuf *out);
/* "show running-config": header plus text. */
void config_show_running(const struct config *cfg, struct strbuf *out);

/* The configuration text with every secret replaced by "<removed>" (what
 * sessions below privilege 15 see), and whether such a text is being
 * written (for the writers of secrets). */
void config_show_running_masked(const struct config *cfg, struct strbuf *out);
bool config_write_masked(void);

/* Reversible secrets of the configuration text (pre-shared keys, the SIP
 * digest password, the enable password): type 6 when "password encryption
 * aes" is on and a master key exists, else type 7 under "service
 * password-encryption", else clear; "<removed>" in a masked text.  The
 * crypto component provides type 6 through a codec; without one, 0 and 7. */
void config_secret_write(const struct config *cfg, const char *plain, struct strbuf *out);
/* A command's TYPE and TEXT (type NULL or "0": clear) to the clear secret;
 * NULL after writing an error into x. */
char *config_secret_decode(struct cli_exec *x, const char *type, const char *text);
struct config_secret_codec {
	void (*write)(const struct config *cfg, const char *plain, struct strbuf *out);
	char *(*decode)(struct cli_exec *x, const char *type, const char *text);
};
void config_secret_set_codec(const struct config_secret_codec *codec);

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

/* Write data to path so that a crash at any moment leaves the old file or
 * the new one, never a mix: a temporary file CONFIG_TEMP_PREFIX "BASE.XXXXXX"
 * beside it (created exclusively, never through a symbolic link, its mode
 * set before the first byte), fsync, rename over path, fsync of the
 * directory.  The one writer of every file vpnsipd keeps (configuration,
 * archive, master key, PKI material).  Returns 0, or -1 with errno set. */
#define CONFIG_TEMP_PREFIX ".vpnsipd-tmp."
int config_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The running configuration to path (mode 0600), with that writer. */
int config_save_file(const struct config *cfg, const char *path);
/* After "write memory": the archive's copy, when "archive / write-memory"
 * asks for one (a failure is reported into x's output, the write stands). */
void config_archive_after_write(struct cli_exec *x);
/* Replace the running configuration with a file (configure replace,
 * SIGHUP): checked whole first (nothing applied when a line is bad: the
 * report names each one, also in the log), then the difference applied
 * through the CLI -- "no" lines for what the file no longer has, then the
 * lines it adds -- in passes until nothing differs, else the old
 * configuration is restored.  Messages (and with list, the commands of each
 * pass) go to out; CONFIG_I is logged naming who.  Returns 0 when the
 * running configuration is the file's, -1 when it is unchanged (or, rarely,
 * could not be restored entirely: out says so). */
struct config_replace_who {
	const char *who;  /* for logs: "alice on vty3 (pid 1234)", "SIGHUP" */
	const char *user; /* the last change's author */
};
int config_replace(struct config_env *env, const char *path, const struct config_replace_who *who,
		   bool list, struct strbuf *out);
/* The CLI lines that turn configuration text old_text into new_text (both
 * as config_write() spells them). */
void config_diff(const char *old_text, const char *new_text, struct strbuf *out);

/* Remove the temporary files of writes of path that were killed half-way
 * (only those: other files beside it are left alone). */
void config_remove_stale_temp_files(const char *path);
/* The same for every temporary file in a directory of vpnsipd's own. */
void config_remove_stale_temp_dir(const char *dir);
/* The state directory (-D) at start: mode 0700 whatever it was, and the
 * temporary files of killed writes in it removed.  -1 with errno when it
 * cannot be opened or its mode changed. */
int config_state_dir_prepare(const char *dir);

#endif
