/* Least privilege once vpnsipd has started: see privilege.c and
 * docs/security-privilege.md. */
#ifndef VPNSIP_DAEMON_PRIVILEGE_H
#define VPNSIP_DAEMON_PRIVILEGE_H

/* Keep only the capabilities the daemon needs (also as its bounding set,
 * which is what dhclient, spawned as root, gets), set no-new-privs, turn
 * core dumps off (unless VPNSIP_COREDUMP=1) and load the system call
 * filter (VPNSIP_SECCOMP=off|log|on, default on).  Call once, before any
 * thread is started: capabilities are per thread, threads inherit them and
 * the filter.  Logs what it did; returns -1 when something could not be
 * restricted (the daemon carries on with what it has). */
int privilege_restrict(void);

#endif
