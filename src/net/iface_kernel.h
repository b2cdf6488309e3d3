/* Applying interface configuration to the kernel (the daemon only). */
#ifndef VPNSIP_NET_IFACE_KERNEL_H
#define VPNSIP_NET_IFACE_KERNEL_H

#include "util/evloop.h"

int iface_kernel_init(struct evloop *loop);
/* Remove every device, address and setting the daemon installed. */
void iface_kernel_shutdown(void);

#endif
