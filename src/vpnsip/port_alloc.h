/* Our IKE/ESP-in-UDP ports for the calls we answer (port_alloc.c).  Many
 * numbers may sit behind one peer address, and a responder finds its
 * session by (peer address, our port): a second answered call from an
 * address that 4500 already serves gets a port of its own, opened on the
 * data plane.  Main thread. */
#ifndef VPNSIP_VPNSIP_PORT_ALLOC_H
#define VPNSIP_VPNSIP_PORT_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "util/hashmap.h"

#define VPNSIP_PORT_MIN 40000
#define VPNSIP_PORT_MAX 59999

struct vpnsip_session;

struct vpnsip_ports {
	struct hashmap by_peer;  /* "peer-address:port" -> session */
	uint16_t next;           /* the next port to try above VPNSIP_PORT_MIN */
};

void vpnsip_ports_init(struct vpnsip_ports *p);
/* Forgets the claims (the sessions are not freed). */
void vpnsip_ports_fini(struct vpnsip_ports *p);
/* peer:port becomes s's (s->port_key; open: opened on the data plane
 * first); false when another session has it or the port cannot be
 * opened. */
bool vpnsip_port_claim(struct vpnsip_ports *p, struct vpnsip_session *s, const char *peer,
		       uint16_t port, bool open);
/* Our port for an answered call from peer: 4500 unless another session
 * with that peer address has it, else a free one from
 * VPNSIP_PORT_MIN..MAX, opened on the data plane now (the caller's
 * IKE_SA_INIT may come before the ACK).  0: none free.  O(1) unless
 * ports run short. */
uint16_t vpnsip_port_for_answer(struct vpnsip_ports *p, struct vpnsip_session *s,
				const char *peer);
/* s's claim goes; a port of its own (s->local_port) closes on the data
 * plane. */
void vpnsip_port_release(struct vpnsip_ports *p, struct vpnsip_session *s);

#endif
