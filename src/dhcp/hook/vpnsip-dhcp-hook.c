/* vpnsip-dhcp-hook SOCKET IFNAME: the script dhclient runs (through the
 * small wrapper vpnsipd writes), reporting one event to vpnsipd.
 *
 * dhclient passes the lease in environment variables (reason, new_*,
 * old_*).  This sends those, as "NAME=VALUE\n" lines after a first line
 * naming the configured interface, in one datagram to vpnsipd's DHCP socket
 * and exits 0: vpnsipd applies the address itself, so that everything in
 * the kernel stays recorded by the daemon.  For the few reasons where
 * dhclient asks the script a question (TIMEOUT: is an old lease still
 * usable?), the answer is no: dhclient then keeps asking the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static int wanted(const char *kv)
{
	static const char *const prefixes[] = { "reason=", "interface=", "new_", "old_", "medium=" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[60000];
	size_t len = 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *reason = getenv("reason");
	int fd, n;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: vpnsip-dhcp-hook SOCKET IFNAME (run by dhclient)\n");
		return 2;
	}
	if (reason && strcmp(reason, "TIMEOUT") == 0)
		return 1;
	n = snprintf(buf, sizeof(buf), "ifname=%s\n", argv[2]);
	len = (size_t)n;
	for (char **e = environ; *e; e++) {
		size_t l = strlen(*e);
		if (!wanted(*e) || strchr(*e, '\n') || len + l + 2 > sizeof(buf))
			continue;
		memcpy(buf + len, *e, l);
		len += l;
		buf[len++] = '\n';
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("vpnsip-dhcp-hook: vpnsipd");
		return 0; /* dhclient carries on; vpnsipd restarts it if it is gone */
	}
	close(fd);
	return 0;
}
