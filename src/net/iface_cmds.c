/* Interface configuration commands and their running-config block. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "net/iface_kernel.h"

static const struct iface_applier *applier;
static bool deferring;
static struct hashmap dirty; /* names changed while deferring */

void iface_set_applier(const struct iface_applier *a)
{
	applier = a;
}

void iface_changed(struct config *cfg, struct iface_cfg *ifc)
{
	hook_call(iface_changed, cfg, ifc);
	if (!applier)
		return;
	if (deferring)
		hashmap_put(&dirty, ifc->name, (void *)1);
	else
		applier->changed(cfg, ifc);
}

void iface_defer_apply(void)
{
	if (!deferring)
		hashmap_init(&dirty, true);
	deferring = true;
}

void iface_flush_apply(const struct config *cfg)
{
	if (!deferring)
		return;
	deferring = false;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&dirty, e));) {
		struct iface_cfg *ifc = iface_find(&cfg->ifaces, e->key);
		if (ifc && applier)
			applier->changed(cfg, ifc);
	}
	hashmap_clear(&dirty);
}

/* The interface the config-if session edits; NULL (with a message) when
 * another shell removed it meanwhile. */
struct iface_cfg *iface_current(struct cli_exec *x)
{
	const char *name = cli_key(x, "config-if");
	struct iface_cfg *ifc = name ? iface_find(&cfg_of(x)->ifaces, name) : NULL;

	if (!ifc)
		cli_error(x, "Interface %s no longer exists", name ? name : "?");
	return ifc;
}

static int cmd_interface(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	const char *name = cli_arg(x, "name");
	struct iface_cfg *ifc;

	if (x->is_no) {
		ifc = iface_find(&cfg->ifaces, name);
		if (!ifc)
			return cli_error(x, "Interface %s is not configured", name);
		if (!iface_change_allowed(x, cfg, ifc, "removal"))
			return CLI_ERR_FAILED;
		char *dev = iface_device(ifc) ? xstrdup(iface_device(ifc)) : NULL;
		if (deferring)
			hashmap_del(&dirty, name);
		hook_call(iface_deleted, cfg, ifc);
		iface_delete(&cfg->ifaces, name);
		if (applier)
			applier->removed(cfg, name, dev);
		free(dev);
		return CLI_OK;
	}
	if (iface_kind_of(name) != IFACE_PHYSICAL && strlen(name) > 15)
		return cli_error(x, "Interface number too large: Linux device names have at most 15 characters");
	ifc = iface_find(&cfg->ifaces, name);
	if (!ifc) {
		ifc = iface_get_or_create(&cfg->ifaces, name);
		iface_changed(cfg, ifc);
	}
	cli_enter(x, "config-if", ifc->name);
	return CLI_OK;
}

static int cmd_description(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	free(ifc->description);
	ifc->description = x->is_no ? NULL : xstrdup(cli_arg(x, "text"));
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static int cmd_shutdown(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	if (!x->is_no && !ifc->shutdown && !iface_change_allowed(x, cfg_of(x), ifc, "shutdown"))
		return CLI_ERR_FAILED;
	ifc->shutdown = !x->is_no;
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static bool parse_prefix(struct cli_exec *x, struct ipv4_prefix *p)
{
	struct in_addr mask;

	inet_pton(AF_INET, cli_arg(x, "addr"), &p->addr);
	inet_pton(AF_INET, cli_arg(x, "mask"), &mask);
	if (!ipv4_mask_to_len(mask, &p->len) || p->len == 0) {
		cli_error(x, "Bad mask %s for address %s", cli_arg(x, "mask"), cli_arg(x, "addr"));
		return false;
	}
	return true;
}

static bool same_prefix(const struct ipv4_prefix *a, const struct ipv4_prefix *b)
{
	return a->addr.s_addr == b->addr.s_addr && a->len == b->len;
}

static int cmd_ip_address(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);
	struct ipv4_prefix p;
	bool secondary = cli_has(x, "secondary");

	if (!ifc)
		return CLI_ERR_FAILED;
	if (x->is_no && !cli_has(x, "addr")) {
		if ((ifc->has_addr || ifc->addr_dhcp || ifc->nsecondary) &&
		    !iface_change_allowed(x, cfg_of(x), ifc, "ip address"))
			return CLI_ERR_FAILED;
		ifc->has_addr = false;
		ifc->addr_dhcp = false;
		ifc->nsecondary = 0;
		iface_changed(cfg_of(x), ifc);
		return CLI_OK;
	}
	if (!parse_prefix(x, &p))
		return CLI_ERR_FAILED;
	if (x->is_no) {
		if (secondary) {
			for (size_t i = 0; i < ifc->nsecondary; i++)
				if (same_prefix(&ifc->secondary[i], &p)) {
					if (!iface_change_allowed(x, cfg_of(x), ifc, "ip address"))
						return CLI_ERR_FAILED;
					memmove(&ifc->secondary[i], &ifc->secondary[i + 1],
						(ifc->nsecondary - i - 1) * sizeof(p));
					ifc->nsecondary--;
					iface_changed(cfg_of(x), ifc);
					return CLI_OK;
				}
			return cli_error(x, "Address %s not found", cli_arg(x, "addr"));
		}
		if (!ifc->has_addr || !same_prefix(&ifc->addr, &p))
			return cli_error(x, "Address %s not found", cli_arg(x, "addr"));
		if (ifc->nsecondary)
			return cli_error(x, "Must delete secondary before deleting primary");
		if (!iface_change_allowed(x, cfg_of(x), ifc, "ip address"))
			return CLI_ERR_FAILED;
		ifc->has_addr = false;
		iface_changed(cfg_of(x), ifc);
		return CLI_OK;
	}
	if (secondary) {
		if (!ifc->has_addr)
			return cli_error(x, "Secondary address requires a primary address");
		if (same_prefix(&ifc->addr, &p))
			return cli_error(x, "%s is the primary address", cli_arg(x, "addr"));
		for (size_t i = 0; i < ifc->nsecondary; i++)
			if (same_prefix(&ifc->secondary[i], &p))
				return CLI_OK;
		if (!iface_change_allowed(x, cfg_of(x), ifc, "ip address"))
			return CLI_ERR_FAILED;
		xgrow(&ifc->secondary, &ifc->capsecondary, ifc->nsecondary + 1, sizeof(p));
		ifc->secondary[ifc->nsecondary++] = p;
	} else {
		/* The first address is not a change of a reserved interface:
		 * the seed's own example reserves the loopback before it
		 * configures it. */
		bool first = !ifc->has_addr && !ifc->addr_dhcp && !ifc->unnumbered;
		bool same = ifc->has_addr && same_prefix(&ifc->addr, &p) && !ifc->addr_dhcp;
		if (!first && !same && !iface_change_allowed(x, cfg_of(x), ifc, "ip address"))
			return CLI_ERR_FAILED;
		ifc->addr = p;
		ifc->has_addr = true;
		ifc->addr_dhcp = false;
		free(ifc->unnumbered);
		ifc->unnumbered = NULL;
	}
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static int cmd_ip_unnumbered(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		if (ifc->unnumbered && !iface_change_allowed(x, cfg_of(x), ifc, "ip unnumbered"))
			return CLI_ERR_FAILED;
		free(ifc->unnumbered);
		ifc->unnumbered = NULL;
		iface_changed(cfg_of(x), ifc);
		return CLI_OK;
	}
	const char *src = cli_arg(x, "src");
	if (strcasecmp(src, ifc->name) == 0)
		return cli_error(x, "An interface cannot borrow its own address");
	bool first = !ifc->has_addr && !ifc->addr_dhcp && !ifc->unnumbered;
	bool same = ifc->unnumbered && strcasecmp(ifc->unnumbered, src) == 0;
	if (!first && !same && !iface_change_allowed(x, cfg_of(x), ifc, "ip unnumbered"))
		return CLI_ERR_FAILED;
	free(ifc->unnumbered);
	ifc->unnumbered = xstrdup(src);
	ifc->has_addr = false;
	ifc->addr_dhcp = false;
	ifc->nsecondary = 0;
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static int cmd_ip_mtu(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	unsigned mtu = x->is_no ? 0 : (unsigned)cli_arg_long(x, "bytes", 0);
	if (mtu != ifc->mtu && !iface_change_allowed(x, cfg_of(x), ifc, "ip mtu"))
		return CLI_ERR_FAILED;
	ifc->mtu = mtu;
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static int cmd_linux_device(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	struct iface_cfg *ifc = iface_current(x);
	int used;
	char *canon;

	if (!ifc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		free(ifc->linux_device);
		ifc->linux_device = NULL;
		iface_changed(cfg, ifc);
		return CLI_OK;
	}
	const char *dev = cli_arg(x, "dev");
	if (ifc->kind != IFACE_PHYSICAL || (iface_device(ifc) && !ifc->linux_device))
		return cli_error(x, "linux-device binds an IOS-named port (GigabitEthernet8, ...) "
				    "to a Linux device; %s is not one", ifc->name);
	canon = cli_ifname_canon(dev, NULL, &used);
	if (!canon || strcmp(canon, dev) != 0) {
		free(canon);
		return cli_error(x, "'%s' is not a valid Linux device name", dev);
	}
	free(canon);
	size_t n;
	struct iface_cfg **all = iface_sorted(&cfg->ifaces, &n);
	for (size_t i = 0; i < n; i++)
		if (all[i] != ifc && iface_device(all[i]) && strcmp(iface_device(all[i]), dev) == 0) {
			const char *owner = all[i]->name;
			free(all);
			return cli_error(x, "Linux device %s already backs %s", dev, owner);
		}
	free(all);
	free(ifc->linux_device);
	ifc->linux_device = xstrdup(dev);
	iface_changed(cfg, ifc);
	return CLI_OK;
}

/* ---- running-config ------------------------------------------------------- */

struct iface_writer {
	int order;
	iface_writer_fn fn;
};
static struct iface_writer *writers;
static size_t nwriters, capwriters;

void iface_writer_register(int order, iface_writer_fn fn)
{
	size_t i;

	xgrow(&writers, &capwriters, nwriters + 1, sizeof(*writers));
	for (i = nwriters; i > 0 && writers[i - 1].order > order; i--)
		writers[i] = writers[i - 1];
	writers[i] = (struct iface_writer){ order, fn };
	nwriters++;
}

void iface_write_one(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	sb_printf(out, "interface %s\n", ifc->name);
	for (size_t i = 0; i < nwriters; i++)
		writers[i].fn(cfg, ifc, out);
	sb_puts(out, "!\n");
}

static void write_interfaces(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct iface_cfg **v = iface_sorted(&cfg->ifaces, &n);

	for (size_t i = 0; i < n; i++)
		iface_write_one(cfg, v[i], out);
	free(v);
}

static void write_core(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	if (ifc->linux_device)
		sb_printf(out, " linux-device %s\n", ifc->linux_device);
	if (ifc->description)
		sb_printf(out, " description %s\n", ifc->description);
}

static void write_addr(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	struct in_addr mask;

	if (ifc->addr_dhcp) {
		sb_puts(out, " ip address dhcp\n");
	} else if (ifc->unnumbered) {
		sb_printf(out, " ip unnumbered %s\n", ifc->unnumbered);
	} else if (ifc->has_addr) {
		mask = ipv4_len_to_mask(ifc->addr.len);
		sb_printf(out, " ip address %s %s\n", inet_ntop(AF_INET, &ifc->addr.addr, a, sizeof(a)),
			  inet_ntop(AF_INET, &mask, m, sizeof(m)));
		for (size_t i = 0; i < ifc->nsecondary; i++) {
			mask = ipv4_len_to_mask(ifc->secondary[i].len);
			sb_printf(out, " ip address %s %s secondary\n",
				  inet_ntop(AF_INET, &ifc->secondary[i].addr, a, sizeof(a)),
				  inet_ntop(AF_INET, &mask, m, sizeof(m)));
		}
	} else {
		sb_puts(out, " no ip address\n");
	}
}

static void write_mtu(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	if (ifc->mtu)
		sb_printf(out, " ip mtu %u\n", ifc->mtu);
}

static void write_shutdown(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	if (ifc->shutdown)
		sb_puts(out, " shutdown\n");
}

#define NO "Negate a command or set its defaults"
#define IP_IF "Interface Internet Protocol config commands\n"

static const struct cli_cmd iface_cmds[] = {
	{ "config", "interface IFNAME$name", "Select an interface to configure\nInterface name",
	  cmd_interface, 0 },
	{ "config", "no interface IFNAME$name", NO, cmd_interface, 0 },
	{ "config-if", "description LINE$text",
	  "Interface specific description\nUp to 240 characters describing this interface",
	  cmd_description, 0 },
	{ "config-if", "no description [LINE]", NO, cmd_description, 0 },
	{ "config-if", "shutdown", "Shutdown the selected interface", cmd_shutdown, 0 },
	{ "config-if", "no shutdown", NO, cmd_shutdown, 0 },
	{ "config-if", "ip address A.B.C.D$addr A.B.C.D$mask [secondary]",
	  IP_IF "Set the IP address of an interface\nIP address\nIP subnet mask\n"
		"Make this IP address a secondary address",
	  cmd_ip_address, 0 },
	{ "config-if", "no ip address [A.B.C.D$addr A.B.C.D$mask [secondary]]",
	  NO, cmd_ip_address, 0 },
	{ "config-if", "ip unnumbered IFNAME$src",
	  "\nEnable IP processing without an explicit address\nInterface whose address is borrowed",
	  cmd_ip_unnumbered, 0 },
	{ "config-if", "no ip unnumbered [IFNAME]", NO, cmd_ip_unnumbered, 0 },
	{ "config-if", "ip mtu (68-65535)$bytes", "\nSet IP Maximum Transmission Unit\nMTU (bytes)",
	  cmd_ip_mtu, 0 },
	{ "config-if", "no ip mtu [(68-65535)]", NO, cmd_ip_mtu, 0 },
	{ "config-if", "linux-device WORD$dev",
	  "Bind this IOS-named port to a Linux network device\nLinux device name (e.g. eth0)",
	  cmd_linux_device, 0 },
	{ "config-if", "no linux-device [WORD]", NO, cmd_linux_device, 0 },
};

void iface_cli_init(void)
{
	iface_kernel_debug_register();
	cli_node_register("config-if", "(config-if)#", "config");
	CLI_INSTALL(iface_cmds);
	config_section_register(500, "interfaces", write_interfaces);
	iface_writer_register(10, write_core);
	iface_writer_register(30, write_addr);
	iface_writer_register(32, write_mtu);
	iface_writer_register(50, write_shutdown);
}
