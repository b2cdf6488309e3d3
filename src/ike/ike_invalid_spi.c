/* Invalid-SPI recovery ("crypto isakmp invalid-spi-recovery", Cisco IPsec
 * features guide ch. 4): ESP with an SPI we have no SA for, from a peer we
 * have an IKE SA with, is answered with an INVALID_SPI notification in an
 * INFORMATIONAL exchange of that IKE SA (RFC 7296 2.21.3, 3.10.1), so the
 * peer can delete its stale SA instead of black-holing traffic.
 *
 * Unlike IOS (IKEv1) we never create an IKE SA for it: the notification
 * needs an authenticated channel, and answering unauthenticated packets by
 * starting IKE is the DoS risk the guide warns about.  The data plane raises
 * the event at most once a second, so the notifications are bounded too. */
#include <library.h>
#include <daemon.h>
#include <encoding/payloads/notify_payload.h>
#include <processing/jobs/callback_job.h>
#include <sa/task.h>

#include "ike/ike_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"
#include "util/xalloc.h"

/* A one-shot INFORMATIONAL carrying N(INVALID_SPI).  libcharon's task
 * manager starts INFORMATIONAL exchanges for the task types it knows; ours
 * reports the type of a liveness check (TASK_IKE_DPD), an INFORMATIONAL
 * whose response needs nothing but arriving. */
typedef struct {
	task_t public;
	ike_sa_t *ike_sa;
	uint32_t spi; /* network order */
} inv_spi_task_t;

static status_t task_build(task_t *t, message_t *message)
{
	inv_spi_task_t *this = (inv_spi_task_t *)t;
	notify_payload_t *n =
	        notify_payload_create_from_protocol_and_type(PLV2_NOTIFY, PROTO_ESP, INVALID_SPI);

	n->set_notification_data(n, chunk_from_thing(this->spi));
	message->add_payload(message, (payload_t *)n);
	return NEED_MORE;
}

static status_t task_process(task_t *t, message_t *message)
{
	return SUCCESS; /* the peer's (empty) response */
}

static task_type_t task_type(task_t *t)
{
	return TASK_IKE_DPD;
}

static void task_migrate(task_t *t, ike_sa_t *ike_sa)
{
	((inv_spi_task_t *)t)->ike_sa = ike_sa;
}

static void task_destroy(task_t *t)
{
	free(t);
}

static task_t *inv_spi_task_create(ike_sa_t *ike_sa, uint32_t spi)
{
	inv_spi_task_t *this = xcalloc(1, sizeof(*this));

	this->public.build = task_build;
	this->public.process = task_process;
	this->public.get_type = task_type;
	this->public.migrate = task_migrate;
	this->public.destroy = task_destroy;
	this->ike_sa = ike_sa;
	this->spi = htonl(spi);
	return &this->public;
}

struct notify_job {
	char tunnel[64];
	char peer[INET_ADDRSTRLEN];
	uint32_t spi;
};

/* A charon worker: check the IKE SA out (never on the main thread, which
 * must not wait for a busy SA). */
static job_requeue_t send_notify(void *arg)
{
	struct notify_job *j = arg;
	ike_sa_t *sa =
	        charon->ike_sa_manager->checkout_by_name(charon->ike_sa_manager, j->tunnel, FALSE);

	if (!sa)
		return JOB_REQUEUE_NONE;
	if (sa->get_state(sa) != IKE_ESTABLISHED) {
		charon->ike_sa_manager->checkin(charon->ike_sa_manager, sa);
		return JOB_REQUEUE_NONE;
	}
	sa->queue_task(sa, inv_spi_task_create(sa, j->spi));
	log_msg("IKEV2", SEV_NOTICE, "INVALID_SPI_NOTIFY",
	        "%s: sent INVALID_SPI notify for SPI 0x%08X to %s (invalid-spi-recovery)",
	        j->tunnel, j->spi, j->peer);
	if (sa->initiate(sa, NULL, NULL) == DESTROY_ME) {
		charon->ike_sa_manager->checkin_and_destroy(charon->ike_sa_manager, sa);
		return JOB_REQUEUE_NONE;
	}
	charon->ike_sa_manager->checkin(charon->ike_sa_manager, sa);
	return JOB_REQUEUE_NONE;
}

/* Main thread, at most once a second (the data plane's rate limit). */
static void on_invalid_spi(const struct sockaddr_in *peer, uint16_t local_port, uint32_t spi,
                           void *arg)
{
	const struct crypto_globals *g = ike_cfg_model ? crypto_globals(ike_cfg_model) : NULL;
	struct notify_job *j;

	if (!ike_running || !g || !g->invalid_spi_recovery)
		return;
	j = xcalloc(1, sizeof(*j));
	if (!ike_tunnel_by_endpoint(peer->sin_addr, local_port, j->tunnel, sizeof(j->tunnel))) {
		dbg(&debug_ikev2, "IKEv2: invalid SPI 0x%08X from %s: no IKE SA with that peer",
		    spi, inet_ntoa(peer->sin_addr));
		free(j);
		return;
	}
	inet_ntop(AF_INET, &peer->sin_addr, j->peer, sizeof(j->peer));
	j->spi = spi;
	lib->processor->queue_job(lib->processor,
	                          (job_t *)callback_job_create(send_notify, j, free, NULL));
}

void ike_invalid_spi_init(void)
{
	hook_register(dp_invalid_spi, on_invalid_spi, NULL, HOOK_PRIO_DEFAULT);
}

void ike_invalid_spi_shutdown(void)
{
	hook_unregister(dp_invalid_spi, on_invalid_spi, NULL);
}
