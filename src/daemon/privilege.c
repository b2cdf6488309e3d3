/* Least privilege once vpnsipd has started.
 *
 * vpnsipd stays uid 0 (its files are root's: /etc/vpnsip, the state
 * directory) but keeps only three capabilities, in every thread:
 *
 *   CAP_NET_ADMIN         rtnetlink (addresses, routes, links), TUN devices,
 *                         tc, nftables, conntrack, libcharon's kernel-netlink
 *                         and kernel-libipsec, SO_RCVBUFFORCE on netlink
 *   CAP_NET_RAW           IP SLA ICMP echo (raw socket); dhclient's packet
 *                         socket and SO_BINDTODEVICE
 *   CAP_NET_BIND_SERVICE  SIP on 5060, IKE on 500/4500 (libcharon's
 *                         socket-default), dhclient on 68 -- bound again
 *                         whenever the configuration changes them
 *
 * The bounding set is cut to the same three: dhclient (and its script),
 * spawned as root, get exactly these and nothing more.  No ambient
 * capabilities, none inheritable, and raising ambient ones is locked out.
 * no-new-privs: no exec can gain anything (no setuid binary, no file
 * capabilities).  Core dumps are off (PR_SET_DUMPABLE 0, RLIMIT_CORE 0): a
 * core would hold the master key, PSKs and IKE keys; VPNSIP_COREDUMP=1 in
 * the environment keeps them for debugging.
 *
 * The system call filter (seccomp, libseccomp) is an allow-list: what glibc,
 * OpenSSL, libcharon, sofia-sip, libnl and libnftables use for files,
 * memory, threads, time, signals, events, sockets and spawning dhclient and
 * the configuration checker.  Everything else fails with EPERM -- module
 * loading, kexec, mount, namespaces (unshare, setns, clone with CLONE_NEW*),
 * ptrace, bpf, keyctl, userfaultfd, perf, io_uring, uid/gid changes, clock
 * setting, reboot.  socket() is limited to the families used (UNIX, INET,
 * INET6, NETLINK, PACKET).  ioctl() and prctl() are not filtered by request
 * (TUN and interface ioctls are many; prctl cannot widen privileges).
 * clone3() answers ENOSYS so that glibc uses clone(), whose flags can be
 * checked (refusals are not logged: every thread start would be).
 * VPNSIP_SECCOMP=log allows what the list lacks and has the kernel log it
 * (audit type=1326 with the call's number; syscall=435 is clone3), =off
 * loads no filter: for finding a missing call, never for production. */
#include "daemon/privilege.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#ifndef SECBIT_NO_CAP_AMBIENT_RAISE
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1 << 7)
#endif

static const cap_value_t kept_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE };

static bool is_kept(cap_value_t c)
{
	for (size_t i = 0; i < ARRAY_SIZE(kept_caps); i++)
		if (kept_caps[i] == c)
			return true;
	return false;
}

/* Returns 0, or -1 after logging what failed. */
static int drop_capabilities(struct strbuf *done)
{
	cap_t now = cap_get_proc(), want = cap_init();
	cap_value_t keep[ARRAY_SIZE(kept_caps)];
	int nkeep = 0, rc = 0;

	if (!now || !want) {
		cap_free(now);
		cap_free(want);
		return -1;
	}
	/* kept: those of the three we have */
	for (size_t i = 0; i < ARRAY_SIZE(kept_caps); i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(now, kept_caps[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			keep[nkeep++] = kept_caps[i];
	}
	/* The bounding set and the securebits need CAP_SETPCAP, which goes
	 * last. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (is_kept(c) || CAP_IS_SUPPORTED(c) == 0)
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL) {
			log_msg("SYS", SEV_WARNING, "PRIVILEGE",
				"Could not drop capability %d from the bounding set: %s", (int)c,
				strerror(errno));
			rc = -1;
			break;
		}
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		rc = -1;
	unsigned bits = (unsigned)cap_get_secbits();
	if (cap_set_secbits(bits | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) <
	    0)
		rc = -1;
	if (nkeep) {
		cap_set_flag(want, CAP_PERMITTED, nkeep, keep, CAP_SET);
		cap_set_flag(want, CAP_EFFECTIVE, nkeep, keep, CAP_SET);
	}
	if (cap_set_proc(want) < 0) {
		log_msg("SYS", SEV_WARNING, "PRIVILEGE", "Could not drop capabilities: %s",
			strerror(errno));
		rc = -1;
	} else {
		for (int i = 0; i < nkeep; i++) {
			char *name = cap_to_name(keep[i]);
			sb_printf(done, "%s%s", i ? "," : "capabilities ", name);
			cap_free(name);
		}
		if (!nkeep)
			sb_puts(done, "no capabilities");
	}
	cap_free(now);
	cap_free(want);
	return rc;
}

/* ---- the system call filter ------------------------------------------------------------------- */

static const char *const allowed_calls[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "open",
	"openat", "close", "close_range", "stat", "fstat", "lstat", "newfstatat", "statx", "lseek",
	"access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown", "truncate",
	"ftruncate", "fsync", "fdatasync", "dup", "dup2", "dup3", "fcntl", "flock", "ioctl", "pipe",
	"pipe2", "umask", "getcwd", "chdir", "fchdir", "statfs", "fstatfs", "fadvise64", "utimensat",
	/* memory */
	"mmap", "munmap", "mprotect", "mremap", "brk", "madvise", "mincore",
	"memfd_create", /* libsystemd (linked by libstrongswan): anonymous memory */
	/* threads and processes */
	"futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "gettid",
	"tgkill", "tkill", "sched_yield", "sched_getaffinity", "sched_getparam",
	"sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "exit",
	"exit_group", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
	"getresuid", "getresgid", "setsid", "setpgid", "getpgrp", "getpgid", "getsid", "prctl",
	"arch_prctl", "capget", "capset", "getrlimit", "setrlimit", "prlimit64", "getrusage",
	"times", "sysinfo", "uname", "getrandom", "getcpu", "getpriority", "execve", "execveat",
	"wait4", "waitid", "vfork", "fork", "pidfd_open", "pidfd_send_signal", "membarrier",
	/* time */
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "alarm", "setitimer", "getitimer",
	"timer_create", "timer_settime", "timer_gettime", "timer_delete", "timer_getoverrun",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend",
	"rt_sigpending", "sigaltstack", "signalfd", "signalfd4", "kill", "pause", "restart_syscall",
	/* events */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"poll", "ppoll", "select", "pselect6", "eventfd", "eventfd2",
	/* sockets (socket() itself below, by family) */
	"bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "shutdown",
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the threads with ptrace at exit */
	"ptrace", "process_vm_readv",
#endif
};

static const int socket_families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET };

/* Namespaces are the filter's to refuse: unprivileged user namespaces
 * would hand out capabilities again. */
#define CLONE_NAMESPACES                                                                        \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |         \
	 CLONE_NEWPID | CLONE_NEWNET)

/* Allow call when its first argument compares (a: value, or mask with b). */
static int allow_if(scmp_filter_ctx f, int call, enum scmp_compare op, scmp_datum_t a,
		    scmp_datum_t b)
{
	struct scmp_arg_cmp cmp = { .arg = 0, .op = op, .datum_a = a, .datum_b = b };

	return seccomp_rule_add_array(f, SCMP_ACT_ALLOW, call, 1, &cmp);
}

static int load_filter(const char *mode, struct strbuf *done)
{
	bool log_only = mode && strcmp(mode, "log") == 0;
	scmp_filter_ctx f = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM));
	unsigned n = 0;
	int rc = -1;

	if (!f)
		return -1;
	seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; i < ARRAY_SIZE(allowed_calls); i++) {
		int nr = seccomp_syscall_resolve_name(allowed_calls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		if (seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0) < 0)
			goto out;
		n++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(socket_families); i++)
		if (allow_if(f, SCMP_SYS(socket), SCMP_CMP_EQ, (scmp_datum_t)socket_families[i], 0) <
		    0)
			goto out;
	if (allow_if(f, SCMP_SYS(socketpair), SCMP_CMP_EQ, AF_UNIX, 0) < 0 ||
	    allow_if(f, SCMP_SYS(clone), SCMP_CMP_MASKED_EQ, CLONE_NAMESPACES, 0) < 0 ||
	    seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
		goto out;
	if (seccomp_load(f) < 0)
		goto out;
	sb_printf(done, ", seccomp allow-list of %u system calls%s", n + 3,
		  log_only ? " (log only)" : "");
	rc = 0;
out:
	seccomp_release(f);
	return rc;
}

int privilege_restrict(void)
{
	struct strbuf done = STRBUF_INIT;
	const char *core = getenv("VPNSIP_COREDUMP");
	const char *filter = getenv("VPNSIP_SECCOMP");
	int rc = 0;

	if (geteuid() == 0 && drop_capabilities(&done) < 0)
		rc = -1;
	else if (geteuid() != 0)
		sb_puts(&done, "not root: capabilities unchanged");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_msg("SYS", SEV_WARNING, "PRIVILEGE", "Could not set no-new-privs: %s",
			strerror(errno));
		rc = -1;
	} else {
		sb_puts(&done, ", no-new-privs");
	}
	if (core && strcmp(core, "1") == 0) {
		sb_puts(&done, ", core dumps allowed (VPNSIP_COREDUMP)");
	} else {
		struct rlimit none = { 0, 0 };
		if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			rc = -1;
		else
			sb_puts(&done, ", core dumps off");
	}
	if (filter && strcmp(filter, "off") == 0) {
		sb_puts(&done, ", no system call filter (VPNSIP_SECCOMP=off)");
	} else if (load_filter(filter, &done) < 0) {
		log_msg("SYS", SEV_WARNING, "PRIVILEGE", "Could not load the system call filter");
		rc = -1;
	}
	log_msg("SYS", rc ? SEV_WARNING : SEV_INFO, "PRIVILEGE", "Running with %s", sb_str(&done));
	sb_free(&done);
	return rc;
}
