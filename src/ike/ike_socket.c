/* libcharon's socket over the data plane's UDP ports.  The data plane
 * thread reads every port (ESP and IKE share them), hands IKE messages to
 * ike_socket_rx(), and libcharon's receiver thread takes them from a
 * bounded queue here.  Sending goes out of the port of the packet's source
 * (the session's port), with the non-ESP marker on every port but 500. */
#include <library.h>
#include <daemon.h>
#include <threading/mutex.h>
#include <threading/thread.h>

#include "ike/ike_int.h"
#include "log/log.h"

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define RXQ_MAX 4096

typedef struct rx_item {
	packet_t *packet;
	struct rx_item *next;
} rx_item_t;

typedef struct {
	socket_t public;
	mutex_t *mutex;
	rx_item_t *head, *tail;
	unsigned count;
	uint64_t dropped;
	int efd;
} ike_socket_t;

static ike_socket_t *the_socket;

static host_t *host_of(const struct sockaddr_in *sin)
{
	return host_create_from_sockaddr((sockaddr_t *)sin);
}

static void rx(void *arg, const struct sockaddr_in *src, const struct sockaddr_in *dst,
	       const uint8_t *data, size_t len)
{
	ike_socket_t *this = the_socket;
	rx_item_t *item;
	uint64_t one = 1;

	if (!this)
		return;
	if (debug_on(&debug_ikev2_packet))
		log_debug_line("IKEv2-PAK: received %zu bytes from %s:%u", len,
			       inet_ntoa(src->sin_addr), ntohs(src->sin_port));
	this->mutex->lock(this->mutex);
	if (this->count >= RXQ_MAX) {
		this->dropped++;
		this->mutex->unlock(this->mutex);
		return;
	}
	INIT(item, .packet = packet_create_from_data(host_of(src), host_of(dst),
						     chunk_clone(chunk_create((u_char *)data, len))));
	if (this->tail)
		this->tail->next = item;
	else
		this->head = item;
	this->tail = item;
	this->count++;
	this->mutex->unlock(this->mutex);
	if (write(this->efd, &one, sizeof(one)) < 0)
		return;
}

static void expire(void *arg, uint32_t spi, const struct sockaddr_in *dst, bool hard)
{
	host_t *h = host_of(dst);

	if (charon && charon->kernel)
		charon->kernel->expire(charon->kernel, IPPROTO_ESP, htonl(spi), h, hard);
	h->destroy(h);
}

const struct dp_ike_hooks ike_dp_hooks = { .ike_rx = rx, .sa_expire = expire };

const struct dp_ike_hooks *ike_dataplane_hooks(void)
{
	return &ike_dp_hooks;
}

METHOD(socket_t, receive, status_t, ike_socket_t *this, packet_t **packet)
{
	for (;;) {
		struct pollfd pfd = { .fd = this->efd, .events = POLLIN };
		rx_item_t *item;
		uint64_t v;
		bool old;

		this->mutex->lock(this->mutex);
		item = this->head;
		if (item) {
			this->head = item->next;
			if (!this->head)
				this->tail = NULL;
			this->count--;
		}
		this->mutex->unlock(this->mutex);
		if (item) {
			*packet = item->packet;
			free(item);
			return SUCCESS;
		}
		old = thread_cancelability(TRUE);
		int rc = poll(&pfd, 1, -1);
		thread_cancelability(old);
		if (rc < 0 && errno != EINTR)
			return FAILED;
		if (read(this->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return FAILED;
	}
}

METHOD(socket_t, sender, status_t, ike_socket_t *this, packet_t *packet)
{
	struct dataplane *dp = dataplane_get();
	host_t *src = packet->get_source(packet), *dst = packet->get_destination(packet);
	chunk_t data = packet->get_data(packet);
	struct sockaddr_in s, d;

	if (!dp || src->get_family(src) != AF_INET || dst->get_family(dst) != AF_INET)
		return FAILED;
	memcpy(&s, src->get_sockaddr(src), sizeof(s));
	memcpy(&d, dst->get_sockaddr(dst), sizeof(d));
	if (!s.sin_port)
		s.sin_port = htons(CHARON_UDP_PORT);
	if (debug_on(&debug_ikev2_packet))
		log_debug_line("IKEv2-PAK: sending %zu bytes from port %u to %s:%u", data.len,
			       ntohs(s.sin_port), inet_ntoa(d.sin_addr), ntohs(d.sin_port));
	if (dp->ike_send(dp, &s, &d, data.ptr, data.len) < 0) {
		DBG1(DBG_NET, "error writing to socket: %s", strerror(errno));
		return FAILED;
	}
	return SUCCESS;
}

METHOD(socket_t, get_port, uint16_t, ike_socket_t *this, bool nat_t)
{
	return nat_t ? CHARON_NATT_PORT : CHARON_UDP_PORT;
}

METHOD(socket_t, supported_families, socket_family_t, ike_socket_t *this)
{
	return SOCKET_FAMILY_IPV4;
}

METHOD(socket_t, destroy, void, ike_socket_t *this)
{
	struct dataplane *dp = dataplane_get();

	the_socket = NULL;
	if (dp) {
		dp->port_close(dp, CHARON_UDP_PORT);
		dp->port_close(dp, CHARON_NATT_PORT);
	}
	while (this->head) {
		rx_item_t *item = this->head;
		this->head = item->next;
		item->packet->destroy(item->packet);
		free(item);
	}
	close(this->efd);
	this->mutex->destroy(this->mutex);
	free(this);
}

socket_t *ike_socket_create(void)
{
	struct dataplane *dp = dataplane_get();
	ike_socket_t *this;

	if (!dp)
		return NULL;
	INIT(this,
		.public = {
			.receive = _receive,
			.send = _sender,
			.get_port = _get_port,
			.supported_families = _supported_families,
			.destroy = _destroy,
		},
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
	);
	/* 500/4500 for static tunnels and peers that use the standard ports. */
	if (dp->port_open(dp, CHARON_UDP_PORT) < 0 || dp->port_open(dp, CHARON_NATT_PORT) < 0)
		DBG1(DBG_NET, "could not open UDP ports %d/%d: %s", CHARON_UDP_PORT,
		     CHARON_NATT_PORT, strerror(errno));
	the_socket = this;
	return &this->public;
}
