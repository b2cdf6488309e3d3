/* The daemon's event loop while its features run (daemon/feature.c sets
 * it before the first start and clears it after the last stop), else NULL:
 * "vpnsipd -t", unit tests and the fuzzer never run them, and commands
 * then only change the model. */
#ifndef VPNSIP_CONFIG_RUNTIME_H
#define VPNSIP_CONFIG_RUNTIME_H

#include "util/evloop.h"

struct evloop *runtime_loop(void);
void runtime_loop_set(struct evloop *loop);

#endif
