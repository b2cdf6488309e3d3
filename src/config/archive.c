/* The configuration archive, as IOS has it:
 *
 *   archive
 *    path /var/lib/vpnsip/archive/startup
 *    maximum 10
 *    write-memory
 *
 * With write-memory, every "write memory" also keeps a copy of the saved
 * configuration as PATH-N (N counting up); "archive config" keeps one on
 * demand.  The newest "maximum" copies are kept.  "show archive" lists them,
 * "configure replace PATH-N" goes back to one.  The copies are the files in
 * the directory (nothing else is remembered), so the numbering carries on
 * after a restart. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#define ARCHIVE_NODE "config-archive"
#define ARCHIVE_MAX_DEFAULT 10
#define ARCHIVE_MAX_LIMIT 14

struct archive_cfg {
	bool present;   /* the "archive" block exists */
	char *path;     /* directory and file name prefix */
	unsigned maximum;
	bool write_memory;
};

static void archive_free(void *p)
{
	struct archive_cfg *a = p;

	free(a->path);
	free(a);
}

const struct config_ext_type archive_ext = { .name = "archive", .free = archive_free };

static struct archive_cfg *archive_get(struct config *cfg)
{
	return config_ext_get_or_create(cfg, &archive_ext, sizeof(struct archive_cfg));
}

static unsigned archive_maximum(const struct archive_cfg *a)
{
	return a->maximum ? a->maximum : ARCHIVE_MAX_DEFAULT;
}

/* The copies in the directory: PREFIX-N, sorted by N.  Returns their count;
 * *numbers is allocated. */
static size_t archive_list(const char *path, unsigned long **numbers)
{
	char *dcopy = xstrdup(path), *bcopy = xstrdup(path);
	const char *dir = dirname(dcopy), *base = basename(bcopy);
	size_t blen = strlen(base), n = 0, cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	*numbers = NULL;
	while (d && (e = readdir(d))) {
		const char *p = e->d_name;
		char *end;
		if (strncmp(p, base, blen) != 0 || p[blen] != '-' || !p[blen + 1] ||
		    strspn(p + blen + 1, "0123456789") != strlen(p + blen + 1))
			continue;
		unsigned long v = strtoul(p + blen + 1, &end, 10);
		if (!v || *end)
			continue;
		xgrow(numbers, &cap, n + 1, sizeof(**numbers));
		size_t i = n++;
		for (; i > 0 && (*numbers)[i - 1] > v; i--)
			(*numbers)[i] = (*numbers)[i - 1];
		(*numbers)[i] = v;
	}
	if (d)
		closedir(d);
	free(dcopy);
	free(bcopy);
	return n;
}

/* Keep a copy of the running configuration; the oldest copies beyond the
 * maximum go.  The name of the new copy into *name (allocated). */
static int archive_save(const struct config *cfg, const struct archive_cfg *a, char **name)
{
	unsigned long *nums;
	size_t n = archive_list(a->path, &nums);
	unsigned long next = n ? nums[n - 1] + 1 : 1;
	struct strbuf body = STRBUF_INIT;
	int rc;

	*name = xasprintf("%s-%lu", a->path, next);
	config_write(cfg, &body);
	rc = config_file_write_atomic(*name, body.buf, body.len, 0600);
	sb_free(&body);
	if (rc == 0) {
		for (size_t i = 0; i + archive_maximum(a) < n + 1 && i < n; i++) {
			char *old = xasprintf("%s-%lu", a->path, nums[i]);
			unlink(old);
			free(old);
		}
	}
	free(nums);
	return rc;
}

void config_archive_after_write(struct cli_exec *x)
{
	struct archive_cfg *a = config_ext_get(cfg_of(x), &archive_ext);
	char *name;

	if (!a || !a->present || !a->path || !a->write_memory)
		return;
	if (archive_save(cfg_of(x), a, &name) < 0)
		cli_out(x, "%% Could not archive the configuration as %s: %s\n", name,
			strerror(errno));
	free(name);
}

/* ---- commands ------------------------------------------------------------------------------ */

static int cmd_archive(struct cli_exec *x)
{
	struct archive_cfg *a = archive_get(cfg_of(x));

	if (x->is_no) {
		free(a->path);
		memset(a, 0, sizeof(*a));
		return CLI_OK;
	}
	a->present = true;
	cli_enter(x, ARCHIVE_NODE, NULL);
	return CLI_OK;
}

static int cmd_path(struct cli_exec *x)
{
	struct archive_cfg *a = archive_get(cfg_of(x));

	if (x->is_no) {
		free(a->path);
		a->path = NULL;
		return CLI_OK;
	}
	const char *p = cli_arg(x, "prefix");
	if (p[0] != '/' || p[strlen(p) - 1] == '/' || strstr(p, "/../") || strchr(p, '$'))
		return cli_error(x, "Invalid archive path %s: an absolute file name prefix "
				    "(PATH-1, PATH-2, ... are written)", p);
	free(a->path);
	a->path = xstrdup(p);
	return CLI_OK;
}

static int cmd_maximum(struct cli_exec *x)
{
	archive_get(cfg_of(x))->maximum = x->is_no ? 0 : (unsigned)cli_arg_long(x, "n", 0);
	return CLI_OK;
}

static int cmd_write_memory(struct cli_exec *x)
{
	archive_get(cfg_of(x))->write_memory = !x->is_no;
	return CLI_OK;
}

static int cmd_archive_config(struct cli_exec *x)
{
	struct archive_cfg *a = config_ext_get(cfg_of(x), &archive_ext);
	char *name;

	if (cfg_env(x)->check_only)
		return CLI_OK;
	if (!a || !a->present || !a->path)
		return cli_error(x, "No archive path configured (archive / path)");
	if (archive_save(cfg_of(x), a, &name) < 0) {
		cli_error(x, "Could not write %s: %s", name, strerror(errno));
		free(name);
		return CLI_ERR_FAILED;
	}
	log_msg("SYS", SEV_NOTICE, "CONFIG_ARCHIVED", "Configuration archived as %s by %s", name,
		cli_session_who(x->s));
	free(name);
	return CLI_OK;
}

static int cmd_show_archive(struct cli_exec *x)
{
	struct archive_cfg *a = config_ext_get(cfg_of(x), &archive_ext);
	unsigned long *nums = NULL;
	size_t n = 0;
	unsigned max;

	if (!a || !a->present || !a->path)
		return cli_error(x, "Archive feature not enabled");
	max = archive_maximum(a);
	n = archive_list(a->path, &nums);
	cli_out(x, "The maximum archive configurations allowed is %u.\n", max);
	cli_out(x, "There are currently %zu archive configurations saved.\n", n);
	cli_out(x, "The next archive file will be named %s-%lu\n", a->path, n ? nums[n - 1] + 1 : 1);
	cli_out(x, " Archive #  Name\n");
	for (size_t i = 0; i < n; i++)
		cli_out(x, "   %-8zu %s-%lu%s\n", i + 1, a->path, nums[i],
			i + 1 == n ? " <- Most Recent" : "");
	free(nums);
	return CLI_OK;
}

static void write_archive(const struct config *cfg, struct strbuf *out)
{
	const struct archive_cfg *a = config_ext_get(cfg, &archive_ext);

	if (!a || !a->present)
		return;
	sb_puts(out, "archive\n");
	if (a->path)
		sb_printf(out, " path %s\n", a->path);
	if (a->maximum)
		sb_printf(out, " maximum %u\n", a->maximum);
	if (a->write_memory)
		sb_puts(out, " write-memory\n");
	sb_puts(out, "!\n");
}

#define NO "Negate a command or set its defaults\n"

static const struct cli_cmd archive_cmds[] = {
	{ "config", "archive", "Archive the configuration", cmd_archive, 0 },
	{ "config", "no archive", NO "Archive the configuration", cmd_archive, 0 },
	{ ARCHIVE_NODE, "path WORD$prefix",
	  "Path for backups\nFile name prefix: copies are PATH-1, PATH-2, ...", cmd_path, 0 },
	{ ARCHIVE_NODE, "no path [WORD]", NO "Path for backups\nFile name prefix", cmd_path, 0 },
	{ ARCHIVE_NODE, "maximum (1-14)$n",
	  "Maximum number of backup copies (default 10)\nMaximum number of backup copies",
	  cmd_maximum, 0 },
	{ ARCHIVE_NODE, "no maximum [(1-14)]", NO "Maximum number of backup copies\n",
	  cmd_maximum, 0 },
	{ ARCHIVE_NODE, "write-memory", "Enable automatic backup generation during write memory",
	  cmd_write_memory, 0 },
	{ ARCHIVE_NODE, "no write-memory", NO "Automatic backup generation during write memory",
	  cmd_write_memory, 0 },
	{ "exec", "archive config", "Manage archive files\nPerform an archive of the running config",
	  cmd_archive_config, CLI_PRIV },
	{ "exec", "show archive", "\nArchive functions", cmd_show_archive, 0 },
};

void archive_cli_init(void)
{
	cli_node_register(ARCHIVE_NODE, "(config-archive)#", "config");
	CLI_INSTALL(archive_cmds);
	config_section_register(880, "archive", write_archive);
}
