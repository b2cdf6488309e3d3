/* See runtime.h. */
#include "config/runtime.h"

#include <stddef.h>

static struct evloop *loop_running;

struct evloop *runtime_loop(void)
{
	return loop_running;
}

void runtime_loop_set(struct evloop *loop)
{
	loop_running = loop;
}
