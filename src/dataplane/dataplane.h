/* The IPsec data plane of tunnel interfaces, behind one interface.
 *
 * A backend carries the ESP traffic of every "interface TunnelN" in
 * "tunnel mode ipsec ipv4": packets the kernel routes into the tunnel are
 * encrypted with that tunnel's outbound SA (chosen per tunnel, never by
 * traffic selector: every SVTI has 0.0.0.0/0 selectors) and sent as
 * ESP-in-UDP (RFC 3948); inbound ESP is demultiplexed by SPI to its SA and
 * so to its tunnel.  The backend also owns the UDP ports IKE runs on,
 * because with UDP encapsulation IKE and ESP share them (non-ESP marker).
 *
 * Implemented: the user-space backend (dataplane_user_create), one TUN
 * device per tunnel, ESP with strongSwan's crypto primitives (libipsec's
 * esp_context), because this kernel has no ESP.  A kernel XFRM +
 * xfrm-interface backend would implement the same struct for production
 * kernels.
 *
 * Threads: the methods may be called from any thread (libcharon's workers
 * add and delete SAs); hooks marked "main thread" run on the event loop.
 * Nothing here knows about libcharon: src/ike adapts it (kernel_ipsec_t,
 * socket_t) onto this interface. */
#ifndef VPNSIP_DATAPLANE_DATAPLANE_H
#define VPNSIP_DATAPLANE_DATAPLANE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hook.h"

struct evloop;

/* Outer DF bit of ESP packets ("crypto ipsec df-bit"). */
enum dp_df_mode {
	DP_DF_COPY = 0, /* IOS default: copy the inner packet's DF bit */
	DP_DF_CLEAR,
	DP_DF_SET,
};

#define DP_REPLAY_DEFAULT 64u
#define DP_REPLAY_MAX 1024u

/* Per-tunnel settings, from the interface and its IPsec profile. */
struct dp_tunnel_cfg {
	const char *name;      /* "Tunnel1" */
	uint32_t id;           /* the tunnel's if_id: SAs name it (dp_tunnel_id()) */
	unsigned mss;          /* ip tcp adjust-mss; 0: off */
	enum dp_df_mode df;
	unsigned idle_seconds; /* idle timer of the SA; 0: none */
};

/* One SA as IKE negotiated it.  Keys are copied. */
struct dp_sa {
	uint32_t spi; /* host byte order */
	bool inbound;
	uint32_t tunnel_id;
	struct sockaddr_in local, remote; /* outer addresses and UDP ports */
	uint16_t enc_alg, int_alg;        /* IKEv2 transform IDs */
	const uint8_t *enc_key;
	size_t enc_key_len;
	const uint8_t *int_key;
	size_t int_key_len;
	uint32_t replay_window; /* packets, up to DP_REPLAY_MAX; 0: no replay check */
	/* Volume limits; 0: none.  Reaching one raises sa_expire once. */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
};

struct dp_sa_stats {
	uint64_t bytes, packets;
	uint64_t last_use_ms; /* evloop_now_ms() clock; 0: never used */
	uint64_t errors;      /* decrypt/encrypt errors on this SA */
	uint64_t replay_drops;
	uint32_t replay_window;
};

struct dp_tunnel_stats {
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out; /* inner packets/bytes */
	/* What left on the wire for the tunnel at layer 3: each ESP packet
	 * with its outer IPv4 and UDP headers (QoS's outer-rate feedback;
	 * tunnel_clear_counters leaves them). */
	uint64_t outer_pkts_out, outer_bytes_out;
	uint64_t encrypt_errors, decrypt_errors, replay_drops;
	/* Routed into the tunnel without an SA: put in the trigger queue,
	 * and dropped (no attempt under way, the queue full, or the attempt
	 * over without SA). */
	uint64_t trigger_queued, trigger_drops;
	uint64_t triggers;      /* trigger events raised */
	uint64_t mss_clamped;
	unsigned n_sa_in, n_sa_out;
	uint32_t spi_in, spi_out; /* newest SAs, 0 if none */
	uint64_t last_use_ms;
	bool attached;            /* the TUN device is ours */
};

/* Packets that belong to no tunnel, counted once per backend. */
struct dp_global_stats {
	uint64_t ike_in, ike_out, keepalives_in;
	uint64_t esp_unknown_spi, esp_truncated, esp_garbage;
	uint64_t invalid_spi_reports; /* rate-limited reports to IKE */
	/* The kernel's drops on the UDP ports: datagrams to an address the
	 * ports do not accept (ports_accept), and a full receive buffer. */
	uint64_t port_kernel_drops;
};

/* Who asks the UDP ports to accept IKE and ESP-in-UDP on its addresses. */
enum dp_addrs_owner {
	DP_ADDRS_TUNNELS = 0, /* the IKE engine: the tunnels' "tunnel source" addresses */
	DP_ADDRS_VPNSIP,      /* the orchestrator: VPN-SIP's SIP address */
	DP_ADDRS_OWNERS,
};

/* Callbacks into the IKE engine, called from the data plane's thread. */
struct dp_ike_hooks {
	/* An IKE message (non-ESP marker, if any, left on) arrived on a port. */
	void (*ike_rx)(void *arg, const struct sockaddr_in *src, const struct sockaddr_in *dst,
		       const uint8_t *data, size_t len);
	/* An SA reached its soft or hard volume limit. */
	void (*sa_expire)(void *arg, uint32_t spi, const struct sockaddr_in *dst, bool hard);
	void *arg;
};

struct dataplane {
	const char *name; /* "user-space" */

	/* UDP ports that carry IKE and ESP-in-UDP; reference counted. */
	int (*port_open)(struct dataplane *dp, uint16_t port);
	void (*port_close)(struct dataplane *dp, uint16_t port);
	/* The local addresses the ports accept datagrams on: the union of the
	 * owners' lists; a datagram to any other address of the router is
	 * dropped in the kernel (a socket filter), so IKE is not reachable
	 * there.  any: the owner needs every address (a tunnel without
	 * "tunnel source").  Nothing is filtered until an owner sets a list. */
	void (*ports_accept)(struct dataplane *dp, enum dp_addrs_owner owner,
			     const struct in_addr *addrs, size_t n, bool any);
	/* What the ports accept now: up to max addresses into out, their
	 * number returned; *filtered false: every address. */
	size_t (*ports_accepting)(struct dataplane *dp, struct in_addr *out, size_t max,
				  bool *filtered);
	/* Send an IKE message from src's port as it is (libcharon adds the
	 * non-ESP marker itself); src's address may be INADDR_ANY.  Received
	 * IKE messages reach dp_ike_hooks.ike_rx with the marker still on. */
	int (*ike_send)(struct dataplane *dp, const struct sockaddr_in *src,
			const struct sockaddr_in *dst, const uint8_t *data, size_t len);

	/* Tunnels: the TUN device fd is handed over (closed by detach). */
	int (*tunnel_attach)(struct dataplane *dp, const struct dp_tunnel_cfg *cfg, int tun_fd);
	/* mss and df only; the idle time has its own setter. */
	void (*tunnel_update)(struct dataplane *dp, const struct dp_tunnel_cfg *cfg);
	void (*tunnel_set_idle)(struct dataplane *dp, const char *name, unsigned seconds);
	void (*tunnel_detach)(struct dataplane *dp, const char *name);
	int (*tunnel_stats)(struct dataplane *dp, const char *name, struct dp_tunnel_stats *st);
	void (*tunnel_clear_counters)(struct dataplane *dp, const char *name);
	/* The attempt is over (the session ended, or may be tried again):
	 * packets waiting in the trigger queue are dropped (counted), and
	 * the next packet without SA raises a trigger again. */
	void (*trigger_rearm)(struct dataplane *dp, const char *name);
	/* The attempt failed and is not retried yet (back-off): the waiting
	 * packets are dropped (counted); the trigger stays disarmed until
	 * trigger_rearm. */
	void (*trigger_queue_drop)(struct dataplane *dp, const char *name);

	int (*sa_add)(struct dataplane *dp, const struct dp_sa *sa);
	/* Outer addresses changed (NAT mapping, MOBIKE). */
	int (*sa_update)(struct dataplane *dp, uint32_t spi, bool inbound,
			 const struct sockaddr_in *local, const struct sockaddr_in *remote);
	int (*sa_del)(struct dataplane *dp, uint32_t spi, bool inbound);
	int (*sa_query)(struct dataplane *dp, uint32_t spi, bool inbound, struct dp_sa_stats *st);
	bool (*sa_exists)(struct dataplane *dp, uint32_t spi, bool inbound);

	void (*global_stats)(struct dataplane *dp, struct dp_global_stats *st);
	void (*destroy)(struct dataplane *dp);
};

/* The user-space backend: its own thread, TUN devices, UDP sockets. */
struct dataplane *dataplane_user_create(struct evloop *loop, const struct dp_ike_hooks *hooks);

/* ---- the daemon's data plane and the orchestrator's hooks ------------- */

/* The backend in use (NULL in "vpnsipd -t", unit tests, before init). */
struct dataplane *dataplane_get(void);
void dataplane_set(struct dataplane *dp);

/* The if_id of a tunnel interface ("Tunnel7" -> 8), 0 if not a tunnel. */
uint32_t dp_tunnel_id(const char *tunnel_name);

/* The trigger queue: packets routed into a tunnel without SA from the
 * trigger on wait, in order, until its outbound SA is added (then they
 * leave through it, before any newer packet) or the attempt ends
 * (trigger_rearm, trigger_queue_drop: dropped).  Bounded per tunnel: a
 * packet beyond either bound is dropped (trigger_drops). */
#define DP_TRIGGER_QUEUE_PKTS 32u
#define DP_TRIGGER_QUEUE_BYTES 65536u
/* A packet that waited longer (an attempt nobody ends: a static tunnel
 * whose peer is away) is dropped, not sent late. */
#define DP_TRIGGER_QUEUE_MAX_AGE_MS 30000u

/* Main thread.  dp_trigger: a packet was routed into a tunnel that has no
 * SA (raised once per attempt: again only after an SA came up and went, or
 * trigger_rearm); the packet itself waits in the trigger queue.
 * dp_idle: the tunnel's SA carried no packet for its idle time (raised once
 * per SA).  Ending the session is the orchestrator's job (ike/ike_vpnsip.c
 * subscribes). */
HOOK_DECLARE(dp_trigger, (const char *tunnel), (tunnel));
HOOK_DECLARE(dp_idle, (const char *tunnel), (tunnel));
/* Main thread.  dp_invalid_spi: an ESP packet whose SPI we have no SA for
 * came from PEER to our UDP port LOCAL_PORT.  Backends raise it at most
 * once a second (with the %IPSEC-4-RECVD_PKT_INV_SPI log line), so what
 * the subscribers do (IKE: an INVALID_SPI notify, "crypto isakmp
 * invalid-spi-recovery") is bounded in rate whatever the peer sends. */
HOOK_DECLARE(dp_invalid_spi, (const struct sockaddr_in *peer, uint16_t local_port, uint32_t spi),
	     (peer, local_port, spi));
/* Data plane thread.  dp_outer_dscp: the outer DSCP of ESP packets.
 * Default: the inner IPv4 packet's DSCP is copied to the outer header
 * (RFC 2983 uniform model; ECN is not copied, the outer header is
 * Not-ECT).  A classifier (QoS) subscribes: called for every outbound
 * packet of a tunnel (tunnel_id = dp_tunnel_id(), inner = the inner IPv4
 * packet, len >= 20), it returns the outer DSCP 0-63, or -1 for no answer
 * (the next subscriber, else copy).  It must be fast, must not block and
 * must not call the data plane; whatever it reads it must read
 * thread-safely.  A subscriber may come while traffic flows; one that
 * leaves must not be registered again until the data plane is gone.  The
 * same policy applies to every backend. */
HOOK_DECLARE_ANSWER(dp_outer_dscp, int, -1,
		    (uint32_t tunnel_id, const uint8_t *inner, size_t len),
		    (tunnel_id, inner, len));
/* For backends: the outer DSCP of one inner packet (hook, else copy). */
unsigned dataplane_outer_dscp(uint32_t tunnel_id, const uint8_t *inner, size_t len);

/* Called by backends (any thread): posted to the main thread. */
void dataplane_raise_trigger(const char *tunnel);
void dataplane_raise_idle(const char *tunnel);
void dataplane_raise_invalid_spi(const struct sockaddr_in *peer, uint16_t local_port,
				 uint32_t spi);

/* Daemon wiring: create the user-space backend and take over the Tunnel
 * TUN devices from net/iface_kernel.c. */
int dataplane_init(struct evloop *loop, const struct dp_ike_hooks *hooks);
void dataplane_shutdown(void);

/* Interface commands ("tunnel ...", "ip tcp adjust-mss"). */
void dataplane_cli_init(void);
/* The flag of "debug crypto ipsec packet" (dp_user.c), registered by the above. */
void dp_debug_register(void);

#endif
