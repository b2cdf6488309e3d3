/* SDP for the SIP-triggered VPN: RFC 6193 media descriptions for IKE as
 * profiled by TTC TS-1017 (sections 4.1.2.x, Appendix II).
 *
 * The parser reads any SDP (RFC 4566 syntax, CRLF or LF lines) into the few
 * facts VPN-SIP needs: how many media descriptions there are, and for the
 * first one its port, transport/format, connection address, b=AS,
 * a=ike-setup and a=fingerprint / a=psk-fingerprint.  The checks that decide
 * "488 Not Acceptable Here" are separate (sdp_check_offer/answer), so the
 * parser stays a plain syntax unit.  The writer produces exactly the lines
 * TS-1017 Appendix II shows.
 *
 * Pure functions, no allocation in the parser: safe on any thread. */
#ifndef VPNSIP_SIP_SDP_H
#define VPNSIP_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_LEN 8192     /* larger bodies are refused (not a VPN-SIP offer) */
#define SDP_FP_MAX 64        /* SHA-512 */
#define SDP_ADDR_MAX 64      /* an IPv4/IPv6 address as text, or an FQDN prefix */

enum sdp_setup {
	SDP_SETUP_NONE = 0, /* no a=ike-setup line */
	SDP_SETUP_ACTIVE,   /* will initiate IKE (TS-1017: the VPN client) */
	SDP_SETUP_PASSIVE,  /* will respond to IKE (the VPN server) */
	SDP_SETUP_ACTPASS,  /* either (RFC 6193 5.2) */
	SDP_SETUP_OTHER,    /* a value RFC 6193 does not define (holdconn, junk) */
};

enum sdp_fp_kind {
	SDP_FP_NONE = 0,
	SDP_FP_CERT, /* a=fingerprint: hash of a certificate (RFC 4572) */
	SDP_FP_PSK,  /* a=psk-fingerprint: hash of a pre-shared key (RFC 6193) */
};

enum sdp_hash {
	SDP_HASH_SHA1 = 0,
	SDP_HASH_SHA224,
	SDP_HASH_SHA256,
	SDP_HASH_SHA384,
	SDP_HASH_SHA512,
	SDP_HASH_COUNT,
};

struct sdp_fingerprint {
	enum sdp_fp_kind kind;
	enum sdp_hash hash;
	size_t len; /* bytes in digest: the hash's length */
	uint8_t digest[SDP_FP_MAX];
};

/* What a received SDP says (the first media description). */
struct sdp_ike {
	unsigned nmedia;    /* number of m= lines */
	char media[16];     /* "application" */
	char proto[16];     /* "udp" */
	char fmt[32];       /* "ike-esp-udpencap" */
	uint16_t port;
	int af;             /* 4 or 6: the c= line in effect (media level first) */
	char addr[SDP_ADDR_MAX];
	bool has_bw;
	unsigned bw_kbps;   /* b=AS, media level first, else session level */
	enum sdp_setup setup;
	unsigned nfingerprints; /* fingerprint lines of either kind */
	struct sdp_fingerprint fp; /* the first of them */
	uint64_t sess_id, sess_version; /* o= */
};

enum sdp_error {
	SDP_OK = 0,
	SDP_ERR_EMPTY,       /* no body */
	SDP_ERR_TOO_LONG,
	SDP_ERR_SYNTAX,      /* a line is not "x=value", or v= is not first/0 */
	SDP_ERR_ORIGIN,      /* o= missing or malformed */
	SDP_ERR_MEDIA,       /* an m= line is malformed, or there is none */
	SDP_ERR_CONNECTION,  /* no usable c= line for the media */
	SDP_ERR_BANDWIDTH,   /* b=AS malformed */
	SDP_ERR_FINGERPRINT, /* unknown hash or digest of the wrong length */
};

/* Parse len bytes (need not be NUL-terminated).  out is always filled as
 * far as parsing went; returns SDP_OK or the first error. */
enum sdp_error sdp_parse(const char *text, size_t len, struct sdp_ike *out);
const char *sdp_strerror(enum sdp_error e);

/* The rules of TS-1017 4.1.2 and the Cisco guide, for an offer received in
 * an initial INVITE and for the answer to our offer.  Both return 0 when
 * acceptable, else the SIP status to use (488) with a reason in *why.
 *
 *   local_fp:  the kind of fingerprint we send (SDP_FP_PSK when the tunnel
 *              authenticates with a pre-shared key, SDP_FP_CERT with a
 *              certificate).
 *   roles:     bit mask of the roles we can take (SDP_ROLE_*). */
#define SDP_ROLE_ACTIVE 0x1
#define SDP_ROLE_PASSIVE 0x2
int sdp_check_offer(const struct sdp_ike *offer, enum sdp_fp_kind local_fp, unsigned roles,
		    const char **why);
int sdp_check_answer(const struct sdp_ike *answer, enum sdp_setup offered,
		     enum sdp_fp_kind local_fp, const char **why);
/* The rule an IPv4 c= address breaks, NULL if it is a unicast address IKE
 * may be started towards: "c= address is loopback (127.0.0.0/8)" and the
 * like for unspecified, link-local, multicast and reserved/broadcast.
 * (Whether it is one of ours, the caller checks with sdp_addr_local_rule.)
 * Both checks above apply it. */
const char *sdp_addr_rule(const char *addr);
/* The rule an IPv4 c= address breaks given this router's addresses ifs
 * (as getifaddrs() lists them): "c= address is one of ours", or "c=
 * address is the broadcast of one of our subnets" (the address an
 * interface has as its broadcast, or the all-ones host of a subnet of /30
 * or wider, which the kernel treats as broadcast either way); NULL if
 * neither. */
struct ifaddrs;
const char *sdp_addr_local_rule(const char *addr, const struct ifaddrs *ifs);
/* Our role in the answer to an offer that passed sdp_check_offer(). */
enum sdp_setup sdp_answer_role(enum sdp_setup offered, unsigned roles);

/* What we send. */
struct sdp_local {
	const char *addr;      /* IPv4 address, dotted */
	uint16_t port;         /* our IKE/ESP-in-UDP port */
	unsigned bw_kbps;
	enum sdp_setup setup;  /* ACTIVE or PASSIVE (ACTPASS allowed in offers) */
	const struct sdp_fingerprint *fp; /* NULL: no fingerprint line */
	uint64_t sess_id, sess_version;
};
/* A newly allocated SDP body with CRLF line ends:
 *   v=0 / o=- ID VER IN IP4 ADDR / s=- / c=IN IP4 ADDR / t=0 0 /
 *   m=application PORT udp ike-esp-udpencap / b=AS:BW / a=ike-setup:ROLE /
 *   a=fingerprint:HASH HEX or a=psk-fingerprint:HASH HEX */
char *sdp_write(const struct sdp_local *l);

/* "SHA-1", "SHA-256", ... (the names RFC 4572 registers, upper case). */
const char *sdp_hash_name(enum sdp_hash h);
/* Case-insensitive; -1 if unknown. */
int sdp_hash_parse(const char *name, size_t len);
size_t sdp_hash_len(enum sdp_hash h);
const char *sdp_setup_name(enum sdp_setup s);
/* "AB:CD:..." (upper case) into buf; returns buf.  bufsize >= 3*len. */
char *sdp_fp_hex(const struct sdp_fingerprint *fp, char *buf, size_t bufsize);

#endif
