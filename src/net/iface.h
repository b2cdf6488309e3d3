/* Interfaces in the configuration model: Loopback and Tunnel interfaces are
 * virtual (the daemon creates them as TUN devices); every other name is a
 * physical port, either a Linux device named directly ("bak0") or an IOS
 * name bound to one with "linux-device" ("GigabitEthernet8"). */
#ifndef VPNSIP_NET_IFACE_H
#define VPNSIP_NET_IFACE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "util/hashmap.h"
#include "util/hook.h"
#include "util/strbuf.h"

enum iface_kind {
	IFACE_LOOPBACK,
	IFACE_TUNNEL,
	IFACE_PHYSICAL,
};

struct ipv4_prefix {
	struct in_addr addr;
	unsigned len;
};

/* A feature's own per-interface settings ("ip nat inside", "tunnel
 * protection", "vpn-sip local-number ...") hang off the interface under the
 * feature's type, so the core struct does not grow a field per feature. */
struct iface_ext_type {
	const char *name;
	void (*free)(void *ext); /* NULL: plain free() */
};
struct iface_ext;

struct iface_cfg {
	char *name;            /* canonical: "Tunnel1", "GigabitEthernet8", "bak0" */
	enum iface_kind kind;
	char *description;
	bool shutdown;
	bool has_addr;
	bool addr_dhcp;        /* "ip address dhcp" (the DHCP client, src/dhcp) */
	struct ipv4_prefix addr;
	struct ipv4_prefix *secondary;
	size_t nsecondary, capsecondary;
	char *unnumbered;      /* interface whose address this one borrows */
	char *linux_device;    /* IOS-named port: the Linux device behind it */
	unsigned mtu;          /* "ip mtu"; 0 = the device's default */
	struct iface_ext *ext; /* features' settings, see iface_ext_get() */
};

struct iface_table {
	struct hashmap by_name; /* case-insensitive canonical name -> iface_cfg */
};

struct config;

void iface_table_init(struct iface_table *t);
void iface_table_free(struct iface_table *t);
struct iface_cfg *iface_find(const struct iface_table *t, const char *name);
struct iface_cfg *iface_get_or_create(struct iface_table *t, const char *name);
void iface_delete(struct iface_table *t, const char *name);
/* Compare names with their numbers as numbers ("Tunnel2" < "Tunnel10"). */
int iface_name_cmp(const char *a, const char *b);
/* Interfaces sorted the way IOS lists them (caller frees the array). */
struct iface_cfg **iface_sorted(const struct iface_table *t, size_t *n);
enum iface_kind iface_kind_of(const char *canon_name);
/* The Linux device an interface lives on ("Tunnel1", "bak0"), or NULL for
 * an IOS-named port without linux-device. */
const char *iface_device(const struct iface_cfg *ifc);

/* The daemon's kernel side: told after each change (NULL in -t mode). */
struct iface_applier {
	void (*changed)(const struct config *cfg, const struct iface_cfg *ifc);
	void (*removed)(const struct config *cfg, const char *name, const char *device);
};
void iface_set_applier(const struct iface_applier *a);
/* While loading a whole file: collect changes, then apply each interface
 * once (a 1000-tunnel boot would otherwise program each one many times). */
void iface_defer_apply(void);
void iface_flush_apply(const struct config *cfg);

void iface_cli_init(void);

/* A feature's settings on an interface, or NULL. */
void *iface_ext_get(const struct iface_cfg *ifc, const struct iface_ext_type *type);
/* The same, created zeroed (size bytes) on first use. */
void *iface_ext_get_or_create(struct iface_cfg *ifc, const struct iface_ext_type *type,
			      size_t size);
/* Drop (and free) a feature's settings, e.g. when its last line is removed. */
void iface_ext_drop(struct iface_cfg *ifc, const struct iface_ext_type *type);

/* Features that must follow interfaces in the model (a vpn-sip session on a
 * tunnel, routes through an interface) subscribe here.  Main thread: the
 * command that changed the interface calls them.  iface_changed runs after
 * every command that changed the interface (see iface_changed() below),
 * iface_deleted before "no interface X" frees it. */
HOOK_DECLARE(iface_changed, (struct config *cfg, struct iface_cfg *ifc), (cfg, ifc));
HOOK_DECLARE(iface_deleted, (struct config *cfg, struct iface_cfg *ifc), (cfg, ifc));

struct cli_exec;
/* Features that reserve an interface (VPN-SIP's "vpn-sip tunnel source
 * LoopbackM", its tunnels' settings) are asked before the core interface
 * commands and the data plane's tunnel commands change it: allow() returns
 * false after printing the refusal with cli_error().  what names the change
 * ("ip address", "shutdown", "removal", ...; "tunnel source", "tunnel mode",
 * "tunnel destination", "tunnel protection").  Commands that would not
 * change anything (the same value again) are not asked. */
struct iface_guard {
	bool (*allow)(struct cli_exec *x, const struct config *cfg, const struct iface_cfg *ifc,
		      const char *what);
	struct iface_guard *next;
};
void iface_guard_register(struct iface_guard *g);
bool iface_change_allowed(struct cli_exec *x, const struct config *cfg,
			  const struct iface_cfg *ifc, const char *what);

/* For a feature's interface commands: the interface the config-if session
 * edits (NULL, with the error printed, if another shell removed it), and
 * the call to make after changing it (listeners, then the kernel side). */
struct cli_exec;
struct iface_cfg *iface_current(struct cli_exec *x);
void iface_changed(struct config *cfg, struct iface_cfg *ifc);

/* Lines inside an "interface" block come from writers ordered by number
 * (10 linux-device and description, 30 addresses, 32 ip mtu, 50 shutdown;
 * features 100 and up; IOS puts "ip dhcp client" (25) before the address
 * and "ip nat" (40) after it). */
typedef void (*iface_writer_fn)(const struct config *cfg, const struct iface_cfg *ifc,
				struct strbuf *out);
void iface_writer_register(int order, iface_writer_fn fn);
/* One "interface X" block with its lines and a closing "!". */
void iface_write_one(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out);

/* "show interfaces [NAME]" (net/iface_show.c): after the kernel's view of
 * an interface (state, addresses, counters), each registered function may
 * append lines, in ascending order (the data plane adds tunnel counters).
 * ifc is NULL for a Linux device that no "interface" block names; dev is
 * NULL for a configured interface with no device. */
struct config;
typedef void (*iface_show_fn)(const struct config *cfg, const struct iface_cfg *ifc,
			      const char *dev, struct strbuf *out);
void iface_show_register(int order, iface_show_fn fn);
void iface_show_cli_init(void);

/* Helpers shared by features that take addresses. */
bool ipv4_mask_to_len(struct in_addr mask, unsigned *len);
struct in_addr ipv4_len_to_mask(unsigned len);

#endif
