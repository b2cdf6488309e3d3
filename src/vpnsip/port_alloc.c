/* Answerers' IKE ports: see port_alloc.h. */
#include <stdio.h>

#include "dataplane/dataplane.h"
#include "vpnsip/port_alloc.h"
#include "vpnsip/vpnsip_int.h"

void vpnsip_ports_init(struct vpnsip_ports *p)
{
	hashmap_init(&p->by_peer, false);
	p->next = 0;
}

void vpnsip_ports_fini(struct vpnsip_ports *p)
{
	hashmap_clear(&p->by_peer);
}

bool vpnsip_port_claim(struct vpnsip_ports *p, struct vpnsip_session *s, const char *peer,
		       uint16_t port, bool open)
{
	struct dataplane *dp = dataplane_get();
	char key[sizeof(s->port_key)];

	snprintf(key, sizeof(key), "%s:%u", peer, port);
	if (hashmap_get(&p->by_peer, key))
		return false;
	if (open && dp && dp->port_open && dp->port_open(dp, port) < 0)
		return false;
	snprintf(s->port_key, sizeof(s->port_key), "%s", key);
	hashmap_put(&p->by_peer, s->port_key, s);
	return true;
}

uint16_t vpnsip_port_for_answer(struct vpnsip_ports *p, struct vpnsip_session *s,
				const char *peer)
{
	unsigned span = VPNSIP_PORT_MAX - VPNSIP_PORT_MIN + 1;

	if (vpnsip_port_claim(p, s, peer, VPNSIP_IKE_PORT, false))
		return VPNSIP_IKE_PORT;
	for (unsigned i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(VPNSIP_PORT_MIN + (p->next + i) % span);
		if (!vpnsip_port_claim(p, s, peer, port, true))
			continue;
		p->next = (uint16_t)((p->next + i + 1) % span);
		return port;
	}
	return 0;
}

void vpnsip_port_release(struct vpnsip_ports *p, struct vpnsip_session *s)
{
	struct dataplane *dp = dataplane_get();

	if (!s->port_key[0])
		return;
	if (hashmap_get(&p->by_peer, s->port_key) == s)
		hashmap_del(&p->by_peer, s->port_key);
	if (s->local_port != VPNSIP_IKE_PORT && s->local_port && dp && dp->port_close)
		dp->port_close(dp, s->local_port);
	s->port_key[0] = '\0';
}
