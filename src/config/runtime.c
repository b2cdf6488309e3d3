/* Start/stop hooks of the features that run in the daemon: see runtime.h. */
#include "config/runtime.h"

#include <stddef.h>

static struct runtime_hooks *hooks; /* sorted by order */
static struct evloop *loop_running;

void runtime_register(struct runtime_hooks *h)
{
	struct runtime_hooks **pp = &hooks;

	while (*pp && (*pp)->order <= h->order)
		pp = &(*pp)->next;
	h->next = *pp;
	*pp = h;
}

void runtime_start(struct evloop *loop, struct config_env *env)
{
	loop_running = loop;
	for (struct runtime_hooks *h = hooks; h; h = h->next)
		if (h->start)
			h->start(loop, env);
}

static void stop_rec(struct runtime_hooks *h)
{
	if (!h)
		return;
	stop_rec(h->next);
	if (h->stop)
		h->stop();
}

void runtime_stop(void)
{
	if (!loop_running)
		return;
	stop_rec(hooks);
	loop_running = NULL;
}

struct evloop *runtime_loop(void)
{
	return loop_running;
}
