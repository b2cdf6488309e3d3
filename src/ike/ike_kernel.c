/* libcharon's kernel IPsec interface over our data plane: SAs go to the
 * tunnel named by their if_id; policies are implicit (a tunnel's SA is
 * chosen per tunnel, never by selector), so policy calls only succeed.
 * Time-based lifetimes are scheduled here (the data plane counts volume),
 * and expiry goes back to libcharon as a kernel expire event, which is
 * what makes it rekey or delete the CHILD_SA. */
#include <library.h>
#include <daemon.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

#include "ike/ike_int.h"

#include <string.h>

typedef struct {
	kernel_ipsec_t public;
	rng_t *rng;
	mutex_t *mutex;
} ike_kernel_t;

static void to_sin(host_t *h, struct sockaddr_in *out)
{
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	if (h && h->get_family(h) == AF_INET) {
		memcpy(out, h->get_sockaddr(h), sizeof(*out));
	}
}

METHOD(kernel_ipsec_t, get_features, kernel_feature_t, ike_kernel_t *this)
{
	return KERNEL_REQUIRE_UDP_ENCAPSULATION;
}

METHOD(kernel_ipsec_t, get_spi, status_t, ike_kernel_t *this, host_t *src, host_t *dst,
       uint8_t protocol, uint32_t *spi)
{
	struct dataplane *dp = dataplane_get();
	uint32_t v;

	if (protocol != IPPROTO_ESP || !dp)
		return FAILED;
	for (int i = 0; i < 100; i++) {
		this->mutex->lock(this->mutex);
		bool ok = this->rng->get_bytes(this->rng, sizeof(v), (uint8_t *)&v);
		this->mutex->unlock(this->mutex);
		if (!ok)
			return FAILED;
		v |= 0xc0000000; /* out of the reserved range, and easy to spot */
		if (!dp->sa_exists(dp, v, true)) {
			*spi = htonl(v);
			return SUCCESS;
		}
	}
	return FAILED;
}

METHOD(kernel_ipsec_t, get_cpi, status_t, ike_kernel_t *this, host_t *src, host_t *dst,
       uint16_t *cpi)
{
	return NOT_SUPPORTED;
}

typedef struct {
	uint32_t spi; /* host order */
	host_t *dst;
	bool hard;
} expire_job_t;

static void expire_job_destroy(expire_job_t *e)
{
	e->dst->destroy(e->dst);
	free(e);
}

static job_requeue_t expire_job_run(expire_job_t *e)
{
	struct dataplane *dp = dataplane_get();

	if (dp && dp->sa_exists(dp, e->spi, true))
		charon->kernel->expire(charon->kernel, IPPROTO_ESP, htonl(e->spi), e->dst, e->hard);
	return JOB_REQUEUE_NONE;
}

static void schedule_expire(uint32_t spi, host_t *dst, uint32_t seconds, bool hard)
{
	expire_job_t *e;

	if (!seconds)
		return;
	INIT(e, .spi = spi, .dst = dst->clone(dst), .hard = hard);
	lib->scheduler->schedule_job(lib->scheduler,
				     (job_t *)callback_job_create((callback_job_cb_t)expire_job_run, e,
								  (callback_job_cleanup_t)expire_job_destroy,
								  NULL),
				     seconds);
}

METHOD(kernel_ipsec_t, add_sa, status_t, ike_kernel_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_add_sa_t *data)
{
	struct dataplane *dp = dataplane_get();
	lifetime_cfg_t *lt = data->lifetime;
	struct dp_sa sa = {
		.spi = ntohl(id->spi),
		.inbound = data->inbound,
		.tunnel_id = id->if_id,
		.enc_alg = data->enc_alg,
		.int_alg = data->int_alg,
		.enc_key = data->enc_key.ptr,
		.enc_key_len = data->enc_key.len,
		.int_key = data->int_key.ptr,
		.int_key_len = data->int_key.len,
		.replay_window = data->replay_window,
	};

	if (!dp || id->proto != IPPROTO_ESP || data->mode != MODE_TUNNEL || data->ipcomp) {
		DBG1(DBG_KNL, "vpnsip data plane: only ESP tunnel mode without IPComp");
		return NOT_SUPPORTED;
	}
	if (!id->if_id) {
		DBG1(DBG_KNL, "vpnsip data plane: SA 0x%.8x names no tunnel interface",
		     ntohl(id->spi));
		return FAILED;
	}
	if (data->esn) {
		DBG1(DBG_KNL, "vpnsip data plane: extended sequence numbers not supported");
		return NOT_SUPPORTED;
	}
	to_sin(data->inbound ? id->dst : id->src, &sa.local);
	to_sin(data->inbound ? id->src : id->dst, &sa.remote);
	if (lt) {
		sa.soft_bytes = lt->bytes.rekey;
		sa.hard_bytes = lt->bytes.life;
		sa.soft_packets = lt->packets.rekey;
		sa.hard_packets = lt->packets.life;
	}
	if (dp->sa_add(dp, &sa) < 0)
		return FAILED;
	if (data->inbound && lt) {
		schedule_expire(sa.spi, id->dst, (uint32_t)lt->time.rekey, FALSE);
		schedule_expire(sa.spi, id->dst, (uint32_t)lt->time.life, TRUE);
	}
	return SUCCESS;
}

METHOD(kernel_ipsec_t, update_sa, status_t, ike_kernel_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_update_sa_t *data)
{
	struct dataplane *dp = dataplane_get();
	struct sockaddr_in src, dst;
	uint32_t spi = ntohl(id->spi);

	if (!dp)
		return FAILED;
	to_sin(data->new_src, &src);
	to_sin(data->new_dst, &dst);
	/* Which direction the SPI is ours: try inbound first. */
	if (dp->sa_update(dp, spi, true, &dst, &src) == 0)
		return SUCCESS;
	return dp->sa_update(dp, spi, false, &src, &dst) == 0 ? SUCCESS : NOT_FOUND;
}

static bool is_inbound(kernel_ipsec_sa_id_t *id)
{
	struct dataplane *dp = dataplane_get();

	/* Our inbound SPIs come from get_spi; an outbound SPI equal to one of
	 * them is possible, so prefer the table whose local address matches. */
	return dp->sa_exists(dp, ntohl(id->spi), true) &&
	       (!dp->sa_exists(dp, ntohl(id->spi), false) ||
		charon->kernel->get_interface(charon->kernel, id->dst, NULL));
}

METHOD(kernel_ipsec_t, query_sa, status_t, ike_kernel_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_query_sa_t *data, uint64_t *bytes, uint64_t *packets, time_t *time)
{
	struct dataplane *dp = dataplane_get();
	struct dp_sa_stats st;

	if (!dp || dp->sa_query(dp, ntohl(id->spi), is_inbound(id), &st) < 0)
		return NOT_FOUND;
	if (bytes)
		*bytes = st.bytes;
	if (packets)
		*packets = st.packets;
	if (time)
		*time = st.last_use_ms ? (time_t)(st.last_use_ms / 1000) : 0;
	return SUCCESS;
}

METHOD(kernel_ipsec_t, del_sa, status_t, ike_kernel_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_del_sa_t *data)
{
	struct dataplane *dp = dataplane_get();

	if (!dp)
		return FAILED;
	return dp->sa_del(dp, ntohl(id->spi), is_inbound(id)) == 0 ? SUCCESS : NOT_FOUND;
}

METHOD(kernel_ipsec_t, flush_sas, status_t, ike_kernel_t *this)
{
	return SUCCESS;
}

METHOD(kernel_ipsec_t, add_policy, status_t, ike_kernel_t *this, kernel_ipsec_policy_id_t *id,
       kernel_ipsec_manage_policy_t *data)
{
	return SUCCESS;
}

METHOD(kernel_ipsec_t, query_policy, status_t, ike_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_query_policy_t *data, time_t *use_time)
{
	/* Use times come from query_sa. */
	return NOT_SUPPORTED;
}

METHOD(kernel_ipsec_t, del_policy, status_t, ike_kernel_t *this, kernel_ipsec_policy_id_t *id,
       kernel_ipsec_manage_policy_t *data)
{
	return SUCCESS;
}

METHOD(kernel_ipsec_t, flush_policies, status_t, ike_kernel_t *this)
{
	return SUCCESS;
}

METHOD(kernel_ipsec_t, bypass_socket, bool, ike_kernel_t *this, int fd, int family)
{
	return TRUE;
}

METHOD(kernel_ipsec_t, enable_udp_decap, bool, ike_kernel_t *this, int fd, int family,
       uint16_t port)
{
	return TRUE;
}

METHOD(kernel_ipsec_t, destroy, void, ike_kernel_t *this)
{
	this->rng->destroy(this->rng);
	this->mutex->destroy(this->mutex);
	free(this);
}

kernel_ipsec_t *ike_kernel_ipsec_create(void)
{
	ike_kernel_t *this;

	INIT(this,
		.public = {
			.get_features = _get_features,
			.get_spi = _get_spi,
			.get_cpi = _get_cpi,
			.add_sa = _add_sa,
			.update_sa = _update_sa,
			.query_sa = _query_sa,
			.del_sa = _del_sa,
			.flush_sas = _flush_sas,
			.add_policy = _add_policy,
			.query_policy = _query_policy,
			.del_policy = _del_policy,
			.flush_policies = _flush_policies,
			.bypass_socket = _bypass_socket,
			.enable_udp_decap = _enable_udp_decap,
			.destroy = _destroy,
		},
		.rng = lib->crypto->create_rng(lib->crypto, RNG_WEAK),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	if (!this->rng) {
		this->mutex->destroy(this->mutex);
		free(this);
		return NULL;
	}
	return &this->public;
}
