/* Answerers' IKE ports (src/vpnsip/port_alloc.c): 4500 first, a port of
 * its own for a second session with the same peer address, opened and
 * closed on the data plane (a fake one here, which counts and can refuse). */
#include <string.h>

#include "dataplane/dataplane.h"
#include "harness.h"
#include "vpnsip/port_alloc.h"
#include "vpnsip/vpnsip_int.h"

static struct {
	unsigned opened, closed;
	uint16_t last_closed;
	uint16_t refuse; /* port_open of this port fails */
} F;

static int fake_open(struct dataplane *dp, uint16_t port)
{
	if (port == F.refuse)
		return -1;
	F.opened++;
	return 0;
}

static void fake_close(struct dataplane *dp, uint16_t port)
{
	F.closed++;
	F.last_closed = port;
}

static struct dataplane fake_dp = {
	.name = "fake",
	.port_open = fake_open,
	.port_close = fake_close,
};

static void answer(struct vpnsip_ports *p, struct vpnsip_session *s, const char *peer)
{
	s->local_port = vpnsip_port_for_answer(p, s, peer);
}

TEST(port_4500_then_own_ports_per_peer_address)
{
	struct vpnsip_ports p;
	struct vpnsip_session a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

	memset(&F, 0, sizeof(F));
	dataplane_set(&fake_dp);
	vpnsip_ports_init(&p);
	answer(&p, &a, "192.0.2.1");
	CHECK_INT(a.local_port, VPNSIP_IKE_PORT);
	CHECK_STR(a.port_key, "192.0.2.1:4500");
	CHECK_INT(F.opened, 0); /* 4500 is always open */
	answer(&p, &b, "192.0.2.1");
	CHECK_INT(b.local_port, VPNSIP_PORT_MIN);
	CHECK_INT(F.opened, 1);
	answer(&p, &c, "192.0.2.2"); /* another peer address: 4500 again */
	CHECK_INT(c.local_port, VPNSIP_IKE_PORT);
	/* The next port is tried first, even after a release. */
	vpnsip_port_release(&p, &b);
	CHECK_INT(F.closed, 1);
	CHECK_INT(F.last_closed, VPNSIP_PORT_MIN);
	CHECK_STR(b.port_key, "");
	F.refuse = VPNSIP_PORT_MIN + 1; /* cannot be opened: skipped */
	answer(&p, &d, "192.0.2.1");
	CHECK_INT(d.local_port, VPNSIP_PORT_MIN + 2);
	/* 4500's release closes nothing; 4500 is free for the peer again. */
	vpnsip_port_release(&p, &a);
	CHECK_INT(F.closed, 1);
	memset(&a, 0, sizeof(a));
	answer(&p, &a, "192.0.2.1");
	CHECK_INT(a.local_port, VPNSIP_IKE_PORT);
	vpnsip_ports_fini(&p);
	dataplane_set(NULL);
}

TEST(port_claim_refuses_taken_pair)
{
	struct vpnsip_ports p;
	struct vpnsip_session a = { 0 }, b = { 0 };

	dataplane_set(NULL);
	vpnsip_ports_init(&p);
	CHECK(vpnsip_port_claim(&p, &a, "192.0.2.9", VPNSIP_IKE_PORT, false));
	CHECK(!vpnsip_port_claim(&p, &b, "192.0.2.9", VPNSIP_IKE_PORT, false));
	CHECK_STR(b.port_key, "");
	/* A release by a session that does not hold the claim leaves it. */
	strcpy(b.port_key, a.port_key);
	vpnsip_port_release(&p, &b);
	CHECK(!vpnsip_port_claim(&p, &b, "192.0.2.9", VPNSIP_IKE_PORT, false));
	vpnsip_ports_fini(&p);
}
