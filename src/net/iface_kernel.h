/* Applying interface configuration to the kernel (the daemon only). */
#ifndef VPNSIP_NET_IFACE_KERNEL_H
#define VPNSIP_NET_IFACE_KERNEL_H

#include "util/evloop.h"

int iface_kernel_init(struct evloop *loop);
/* Remove every device, address and setting the daemon installed. */
void iface_kernel_shutdown(void);
/* The flag of "debug interface events", registered with the interface commands. */
void iface_kernel_debug_register(void);

/* Tunnel TUN devices are handed to their owner (the IPsec data plane)
 * instead of being drained here: attach() takes the fd and closes it in
 * detach().  Set before interfaces are applied. */
struct config;
struct iface_cfg;
struct iface_tun_owner {
	void (*attach)(const struct config *cfg, const struct iface_cfg *ifc, int fd);
	void (*detach)(const char *name);
};
void iface_kernel_set_tun_owner(const struct iface_tun_owner *o);

#endif
