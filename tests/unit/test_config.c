/* The configuration on disk and its replacement: the one atomic writer and
 * its temporary files, the difference between two configuration texts as
 * CLI lines, and configure replace's rollback when a line fails to apply
 * (with a stand-in checker: the file's text is taken as canonical). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/feature.h"
#include "harness.h"

static struct config cfg;
static struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent" };

static void features(void)
{
	static bool done;

	if (!done)
		feature_cli_init_all();
	done = true;
	config_free(&cfg);
	config_init(&cfg);
}

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/vpnsip-unit-XXXXXX");

	if (!mkdtemp(d)) {
		perror("mkdtemp");
		exit(1);
	}
	return d;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_steal(&sb);
}

#define CHECK_FILE(path, text)                                                                     \
	do {                                                                                       \
		char *got_ = slurp(path);                                                          \
		CHECK_STR(got_, text);                                                             \
		free(got_);                                                                        \
	} while (0)

static void spit(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void rmtree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	CHECK_INT(system(cmd), 0);
	free(cmd);
}

TEST(atomic_writer_and_its_temporary_files)
{
	char *dir = tmpdir();
	char *path = xasprintf("%s/startup.conf", dir);
	char *backup = xasprintf("%s/startup.conf.backup", dir);
	char *orig = xasprintf("%s/startup.conf.orig12", dir);
	char *stale = xasprintf("%s/" CONFIG_TEMP_PREFIX "startup.conf.Ab12Cd", dir);
	char *other = xasprintf("%s/" CONFIG_TEMP_PREFIX "other.conf.Ab12Cd", dir);
	struct stat st;

	CHECK_INT(config_file_write_atomic(path, "first\n", 6, 0600), 0);
	CHECK_FILE(path, "first\n");
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(count_entries(dir), 1); /* nothing left beside it */
	CHECK_INT(config_file_write_atomic(path, "second\n", 7, 0640), 0);
	CHECK_FILE(path, "second\n");
	/* the clean-up takes the file's own temporaries, nothing else */
	spit(backup, "keep\n", 0600);
	spit(orig, "keep\n", 0600);
	spit(stale, "half\n", 0600);
	spit(other, "other\n", 0600);
	config_remove_stale_temp_files(path);
	CHECK(access(backup, F_OK) == 0);
	CHECK(access(orig, F_OK) == 0);
	CHECK(access(other, F_OK) == 0);
	CHECK(access(stale, F_OK) != 0);
	/* a directory of ours: every temporary, never a link */
	char *link = xasprintf("%s/" CONFIG_TEMP_PREFIX "link.XXXXXX", dir);
	CHECK_INT(symlink(backup, link), 0);
	config_remove_stale_temp_dir(dir);
	CHECK(access(other, F_OK) != 0);
	CHECK(access(backup, F_OK) == 0);
	struct stat lst;
	CHECK_INT(lstat(link, &lst), 0);
	/* a link where the file goes is replaced, never written through */
	char *target = xasprintf("%s/target", dir), *linked = xasprintf("%s/linked.conf", dir);
	spit(target, "victim\n", 0644);
	CHECK_INT(symlink(target, linked), 0);
	CHECK_INT(config_file_write_atomic(linked, "mine\n", 5, 0600), 0);
	CHECK_FILE(target, "victim\n");
	CHECK_FILE(linked, "mine\n");
	CHECK_INT(lstat(linked, &lst), 0);
	CHECK(S_ISREG(lst.st_mode));
	CHECK_INT(lst.st_mode & 0777, 0600);
	free(target);
	free(linked);
	/* a directory that cannot be written: an error, the old file kept */
	char *ro = xasprintf("%s/ro", dir), *rofile = xasprintf("%s/ro/f", dir);
	mkdir(ro, 0700);
	spit(rofile, "old\n", 0600);
	chmod(ro, 0500);
	if (geteuid() != 0) { /* root writes anyway */
		CHECK_INT(config_file_write_atomic(rofile, "new\n", 4, 0600), -1);
		CHECK_FILE(rofile, "old\n");
	}
	chmod(ro, 0700);
	rmtree(dir);
	free(ro);
	free(rofile);
	free(link);
	free(dir);
	free(path);
	free(backup);
	free(orig);
	free(stale);
	free(other);
}

TEST(state_directory_is_forced_to_0700)
{
	char *dir = tmpdir();
	char *keys = xasprintf("%s/pki/keys", dir);
	char *stale = xasprintf("%s/" CONFIG_TEMP_PREFIX "R.key.Qw12Er", keys);
	struct stat st;

	features();
	chmod(dir, 0755);
	char *mk = xasprintf("mkdir -p '%s'", keys);
	CHECK_INT(system(mk), 0);
	free(mk);
	spit(stale, "half\n", 0600);
	CHECK_INT(config_state_dir_prepare(dir), 0);
	CHECK_INT(stat(dir, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK(access(stale, F_OK) != 0);
	rmtree(dir);
	free(dir);
	free(keys);
	free(stale);
}

static struct strbuf diffbuf = STRBUF_INIT;

static const char *diff(const char *a, const char *b)
{
	sb_reset(&diffbuf);
	config_diff(a, b, &diffbuf);
	return sb_str(&diffbuf);
}

TEST(difference_as_cli_lines)
{
	/* removals last first, inside the sub-modes they belong to; then the
	 * additions in the new text's order; "!" lines and "end" carry nothing */
	CHECK_STR(diff("!\nhostname A\n!\ninterface Loopback0\n description x\n ip address 10.0.0.1 "
		       "255.255.255.255\n!\ninterface Loopback5\n no ip address\n!\nend\n",
		       "hostname B\ninterface Loopback0\n description y\n ip address 10.0.0.1 "
		       "255.255.255.255\nend\n"),
		  "no interface Loopback5\n"
		  "interface Loopback0\n no description x\n exit\n"
		  "no hostname A\n"
		  "hostname B\n"
		  "interface Loopback0\n description y\n exit\n");
	/* three levels deep; a "no X" line that goes: X is set by the new text,
	 * or "default X" */
	CHECK_STR(diff("policy-map P\n class C\n  shape average 1000\n  priority\n"
		       "interface Tunnel1\n no shutdown\n",
		       "policy-map P\n class C\n  shape average 2000\n"
		       "interface Tunnel1\n shutdown\n"),
		  "policy-map P\n class C\n  no priority\n  no shape average 1000\n  exit\n exit\n"
		  "policy-map P\n class C\n  shape average 2000\n  exit\n exit\n"
		  "interface Tunnel1\n shutdown\n exit\n");
	CHECK_STR(diff("no logging buffered\nno ip nat service sip udp port 5060\n"
		       "interface Loopback1\n no ip address\n",
		       "logging buffered 8192\ninterface Loopback1\n ip unnumbered Loopback0\n"),
		  "interface Loopback1\n default ip address\n exit\n"
		  "default ip nat service sip udp port 5060\n"
		  "logging buffered 8192\n"
		  "interface Loopback1\n ip unnumbered Loopback0\n exit\n");
	/* a banner is one line of configuration over several lines of text */
	CHECK_STR(diff("banner motd ^C\nline one\nline two\n^C\nhostname R\n", "hostname R\n"),
		  "no banner motd\n");
	CHECK_STR(diff("hostname R\n", "hostname R\nbanner motd ^C\nnew\n^C\n"),
		  "banner motd ^C\nnew\n^C\n");
	CHECK_STR(diff("banner motd ^Cone^C\n", "banner motd ^Cone^C\n"), "");
	/* a whole new block, with its sub-block */
	CHECK_STR(diff("", "ip sla 5\n icmp-echo 192.0.2.1\n  frequency 30\n"),
		  "ip sla 5\n icmp-echo 192.0.2.1\n  frequency 30\n  exit\n exit\n");
	sb_free(&diffbuf);
}

/* ---- replace, with a stand-in checker ----------------------------------------------------------- */

static int cmd_refuse(struct cli_exec *x)
{
	return cli_error(x, "Refused on purpose");
}

static const struct cli_cmd refuse_cmds[] = {
	{ "config", "refuse-on-apply", "A line that always fails to apply", cmd_refuse, 0 },
};

static void run_lines(const char *const *lines)
{
	struct cli_session *s = cli_session_new(&env, 15);
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;

	for (; *lines; lines++) {
		sb_reset(&out);
		config_exec_line(&env, s, *lines, &out, &res);
	}
	sb_free(&out);
	cli_session_free(s);
}

TEST(replace_applies_the_difference_or_rolls_back)
{
	static bool installed;
	char *dir = tmpdir();
	char *checker = xasprintf("%s/checker", dir);
	char *target = xasprintf("%s/target.conf", dir);
	struct config_replace_who who = { "unit test", "unit" };
	struct strbuf out = STRBUF_INIT;
	static const char *const setup[] = {
		"configure terminal", "hostname A", "interface Loopback1",
		"ip address 192.0.2.1 255.255.255.255", "end", NULL,
	};

	features();
	if (!installed)
		CLI_INSTALL(refuse_cmds);
	installed = true;
	/* argv: -t -p -f FILE: the file as the canonical text */
	spit(checker, "#!/bin/sh\ncat \"$4\"\n", 0700);
	env.checker = checker;
	run_lines(setup);

	spit(target, "hostname B\ninterface Loopback2\n ip address 192.0.2.2 255.255.255.255\n", 0600);
	CHECK_INT(config_replace(&env, target, &who, true, &out), 0);
	CHECK_STR(config_hostname(&cfg), "B");
	CHECK(iface_find(&cfg.ifaces, "Loopback2") && !iface_find(&cfg.ifaces, "Loopback1"));
	CHECK(strstr(sb_str(&out), "!Pass 1\n!List of Commands:\nno interface Loopback1\n"));
	CHECK(strstr(sb_str(&out), "Total number of passes: 1\nRollback Done\n"));

	/* a line that fails every pass: the configuration before comes back */
	sb_reset(&out);
	spit(target, "hostname C\nrefuse-on-apply\n", 0600);
	CHECK_INT(config_replace(&env, target, &who, false, &out), -1);
	CHECK_STR(config_hostname(&cfg), "B");
	CHECK(iface_find(&cfg.ifaces, "Loopback2"));
	CHECK(strstr(sb_str(&out), "% These commands failed:\nrefuse-on-apply\n% Refused on purpose\n"));
	CHECK(strstr(sb_str(&out), "the previous configuration was restored"));

	/* a checker that finds errors: nothing applied */
	sb_reset(&out);
	spit(checker, "#!/bin/sh\necho \"$4:3: % Invalid input detected at '^' marker.\" >&2\n"
		      "echo \"$4: 3 lines, 2 applied, 1 errors, 0 unsupported, 0 ignored\" >&2\n"
		      "exit 1\n",
	     0700);
	spit(target, "hostname D\n", 0600);
	CHECK_INT(config_replace(&env, target, &who, false, &out), -1);
	CHECK_STR(config_hostname(&cfg), "B");
	CHECK(strstr(sb_str(&out), "target.conf:3: % Invalid input detected"));
	CHECK(strstr(sb_str(&out), "nothing was applied"));
	CHECK(!strstr(sb_str(&out), "3 lines, 2 applied"));

	env.checker = NULL;
	sb_free(&out);
	rmtree(dir);
	free(dir);
	free(checker);
	free(target);
}
