/* Typed hooks: the list under each hook.  Writers hold the hook's lock;
 * callers walk the list without it, so every link is published with a
 * release store after the entry it points to is complete. */
#include <stdio.h>
#include <stdlib.h>

#include "util/hook.h"

bool hook_add(struct hook *h, struct hook_entry *e, void (*fn)(void), void *arg, int priority,
              const char *fn_name)
{
	struct hook_entry **pos;

	pthread_mutex_lock(&h->lock);
	if (e->linked) {
		if (e->fn != fn || e->arg != arg) {
			/* one static entry per call site: a helper that passes
			 * different subscribers through one site loses them */
			fprintf(stderr, "hook %s: one registration site used for %s and %s\n",
			        h->name, e->fn_name, fn_name);
			abort();
		}
		pthread_mutex_unlock(&h->lock);
		return false;
	}
	__atomic_store_n(&e->fn, fn, __ATOMIC_RELAXED);
	__atomic_store_n(&e->arg, arg, __ATOMIC_RELAXED);
	e->priority = priority;
	e->fn_name = fn_name;
	for (pos = &h->head; *pos && (*pos)->priority <= priority; pos = &(*pos)->next)
		;
	__atomic_store_n(&e->next, *pos, __ATOMIC_RELAXED);
	e->linked = true;
	__atomic_store_n(pos, e, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&h->lock);
	return true;
}

bool hook_del(struct hook *h, void (*fn)(void), void *arg)
{
	struct hook_entry **pos;

	pthread_mutex_lock(&h->lock);
	for (pos = &h->head; *pos; pos = &(*pos)->next) {
		struct hook_entry *e = *pos;

		if (e->fn == fn && e->arg == arg) {
			/* e->next stays: a caller standing on e walks on. */
			__atomic_store_n(pos, e->next, __ATOMIC_RELEASE);
			e->linked = false;
			pthread_mutex_unlock(&h->lock);
			return true;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return false;
}

unsigned hook_count(struct hook *h)
{
	unsigned n = 0;

	pthread_mutex_lock(&h->lock);
	for (const struct hook_entry *e = h->head; e; e = e->next)
		n++;
	pthread_mutex_unlock(&h->lock);
	return n;
}
