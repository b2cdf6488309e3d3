/* The interface table of the configuration model. */
#include "net/iface.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "util/xalloc.h"

void iface_table_init(struct iface_table *t)
{
	hashmap_init(&t->by_name, true);
}

struct iface_ext {
	const struct iface_ext_type *type;
	struct iface_ext *next;
	void *data;
};

void *iface_ext_get(const struct iface_cfg *ifc, const struct iface_ext_type *type)
{
	for (struct iface_ext *e = ifc->ext; e; e = e->next)
		if (e->type == type)
			return e->data;
	return NULL;
}

void *iface_ext_get_or_create(struct iface_cfg *ifc, const struct iface_ext_type *type,
			      size_t size)
{
	void *data = iface_ext_get(ifc, type);

	if (data)
		return data;
	struct iface_ext *e = xcalloc(1, sizeof(*e));
	e->type = type;
	e->data = xcalloc(1, size);
	e->next = ifc->ext;
	ifc->ext = e;
	return e->data;
}

static void ext_free(struct iface_ext *e)
{
	if (e->type->free)
		e->type->free(e->data);
	else
		free(e->data);
	free(e);
}

void iface_ext_drop(struct iface_cfg *ifc, const struct iface_ext_type *type)
{
	for (struct iface_ext **pp = &ifc->ext; *pp; pp = &(*pp)->next) {
		if ((*pp)->type == type) {
			struct iface_ext *e = *pp;
			*pp = e->next;
			ext_free(e);
			return;
		}
	}
}

HOOK_DEFINE(iface_changed);
HOOK_DEFINE(iface_deleted);

static struct iface_guard *guards;

void iface_guard_register(struct iface_guard *g)
{
	g->next = guards;
	guards = g;
}

bool iface_change_allowed(struct cli_exec *x, const struct config *cfg,
			  const struct iface_cfg *ifc, const char *what)
{
	for (struct iface_guard *g = guards; g; g = g->next)
		if (g->allow && !g->allow(x, cfg, ifc, what))
			return false;
	return true;
}

static void iface_free(struct iface_cfg *ifc)
{
	while (ifc->ext) {
		struct iface_ext *e = ifc->ext;
		ifc->ext = e->next;
		ext_free(e);
	}
	free(ifc->name);
	free(ifc->description);
	free(ifc->secondary);
	free(ifc->unnumbered);
	free(ifc->linux_device);
	free(ifc);
}

void iface_table_free(struct iface_table *t)
{
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&t->by_name, e));)
		iface_free(e->value);
	hashmap_clear(&t->by_name);
}

struct iface_cfg *iface_find(const struct iface_table *t, const char *name)
{
	return hashmap_get(&t->by_name, name);
}

struct iface_cfg *iface_get_or_create(struct iface_table *t, const char *name)
{
	struct iface_cfg *ifc = iface_find(t, name);

	if (ifc)
		return ifc;
	ifc = xcalloc(1, sizeof(*ifc));
	ifc->name = xstrdup(name);
	ifc->kind = iface_kind_of(name);
	hashmap_put(&t->by_name, name, ifc);
	return ifc;
}

void iface_delete(struct iface_table *t, const char *name)
{
	struct iface_cfg *ifc = hashmap_del(&t->by_name, name);

	if (ifc)
		iface_free(ifc);
}

enum iface_kind iface_kind_of(const char *name)
{
	if (strncmp(name, "Loopback", 8) == 0 && isdigit((unsigned char)name[8]))
		return IFACE_LOOPBACK;
	if (strncmp(name, "Tunnel", 6) == 0 && isdigit((unsigned char)name[6]))
		return IFACE_TUNNEL;
	return IFACE_PHYSICAL;
}

const char *iface_device(const struct iface_cfg *ifc)
{
	if (ifc->kind != IFACE_PHYSICAL)
		return ifc->name;
	if (ifc->linux_device)
		return ifc->linux_device;
	/* An IOS-named port needs linux-device; a Linux name is its device. */
	return cli_ifname_is_ios(ifc->name) ? NULL : ifc->name;
}

/* IOS order: Loopbacks, Tunnels, other IOS types, then Linux names; the
 * numbers compared numerically, slot by slot ("Tunnel2" < "Tunnel10"). */
static int kind_rank(const struct iface_cfg *ifc)
{
	if (ifc->kind == IFACE_LOOPBACK)
		return 0;
	if (ifc->kind == IFACE_TUNNEL)
		return 1;
	return cli_ifname_is_ios(ifc->name) ? 2 : 3;
}

int iface_name_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long na = strtoul(a, &ea, 10), nb = strtoul(b, &eb, 10);
			if (na != nb)
				return na < nb ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int iface_cmp(const void *x, const void *y)
{
	const struct iface_cfg *a = *(struct iface_cfg *const *)x, *b = *(struct iface_cfg *const *)y;
	int ra = kind_rank(a), rb = kind_rank(b);

	if (ra != rb)
		return ra - rb;
	int c = iface_name_cmp(a->name, b->name);
	return c ? c : strcmp(a->name, b->name); /* Linux names like "e01"/"e1" */
}

struct iface_cfg **iface_sorted(const struct iface_table *t, size_t *n)
{
	struct iface_cfg **v = (struct iface_cfg **)hashmap_values(&t->by_name, n);

	qsort(v, *n, sizeof(*v), iface_cmp);
	return v;
}

bool ipv4_mask_to_len(struct in_addr mask, unsigned *len)
{
	uint32_t m = ntohl(mask.s_addr);
	unsigned n = 0;

	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	if (n < 32 && (m << n) != 0)
		return false; /* not contiguous */
	*len = n;
	return true;
}

struct in_addr ipv4_len_to_mask(unsigned len)
{
	struct in_addr a;

	a.s_addr = htonl(len ? 0xffffffffu << (32 - len) : 0);
	return a;
}
