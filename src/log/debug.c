#include "log/debug.h"

#include <string.h>

static struct debug_flag *flags_head;

void debug_register(struct debug_flag *f)
{
	struct debug_flag **pp;

	/* Keep them sorted by path so show debugging and ? are stable; a
	 * feature's commands may be registered more than once (unit tests). */
	for (pp = &flags_head; *pp && strcmp((*pp)->path, f->path) < 0; pp = &(*pp)->next)
		;
	if (*pp == f)
		return;
	f->next = *pp;
	*pp = f;
}

static struct debug_refused *refused_head;

void debug_refuse_register(struct debug_refused *r)
{
	/* Once each, as debug_register (commands may be registered again). */
	for (struct debug_refused *p = refused_head; p; p = p->next)
		if (p == r)
			return;
	r->next = refused_head;
	refused_head = r;
}

struct debug_refused *debug_refused_list(void)
{
	return refused_head;
}

struct debug_flag *debug_flags(void)
{
	return flags_head;
}

struct debug_flag *debug_find(const char *path)
{
	for (struct debug_flag *f = flags_head; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

void debug_set(struct debug_flag *f, bool on)
{
	atomic_store(&f->on, on);
}

void debug_all_off(void)
{
	for (struct debug_flag *f = flags_head; f; f = f->next)
		atomic_store(&f->on, false);
}

void debug_show(struct strbuf *out)
{
	for (struct debug_flag *f = flags_head; f; f = f->next) {
		if (!debug_on(f))
			continue;
		sb_printf(out, "  %s debugging is on", f->title);
		if (f->note)
			sb_printf(out, " (%s)", f->note);
		sb_putc(out, '\n');
	}
}
