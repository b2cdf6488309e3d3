/* RFC 6193 / TS-1017 SDP: parser, the 488 rules, writer.  See sdp.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sdp.h"
#include "util/strbuf.h"

static const struct {
	const char *name;
	size_t len;
} hashes[SDP_HASH_COUNT] = {
	[SDP_HASH_SHA1] = { "SHA-1", 20 },     [SDP_HASH_SHA224] = { "SHA-224", 28 },
	[SDP_HASH_SHA256] = { "SHA-256", 32 }, [SDP_HASH_SHA384] = { "SHA-384", 48 },
	[SDP_HASH_SHA512] = { "SHA-512", 64 },
};

const char *sdp_hash_name(enum sdp_hash h)
{
	return (unsigned)h < SDP_HASH_COUNT ? hashes[h].name : "?";
}

size_t sdp_hash_len(enum sdp_hash h)
{
	return (unsigned)h < SDP_HASH_COUNT ? hashes[h].len : 0;
}

int sdp_hash_parse(const char *name, size_t len)
{
	for (int i = 0; i < SDP_HASH_COUNT; i++)
		if (strlen(hashes[i].name) == len && strncasecmp(hashes[i].name, name, len) == 0)
			return i;
	return -1;
}

const char *sdp_setup_name(enum sdp_setup s)
{
	switch (s) {
	case SDP_SETUP_ACTIVE: return "active";
	case SDP_SETUP_PASSIVE: return "passive";
	case SDP_SETUP_ACTPASS: return "actpass";
	case SDP_SETUP_OTHER: return "other";
	case SDP_SETUP_NONE: break;
	}
	return "none";
}

const char *sdp_strerror(enum sdp_error e)
{
	switch (e) {
	case SDP_OK: return "ok";
	case SDP_ERR_EMPTY: return "no session description";
	case SDP_ERR_TOO_LONG: return "session description too long";
	case SDP_ERR_SYNTAX: return "malformed session description";
	case SDP_ERR_ORIGIN: return "missing or malformed o= line";
	case SDP_ERR_MEDIA: return "missing or malformed m= line";
	case SDP_ERR_CONNECTION: return "missing or malformed c= line";
	case SDP_ERR_BANDWIDTH: return "malformed b=AS line";
	case SDP_ERR_FINGERPRINT: return "malformed fingerprint";
	}
	return "unknown error";
}

char *sdp_fp_hex(const struct sdp_fingerprint *fp, char *buf, size_t bufsize)
{
	size_t o = 0;

	if (bufsize)
		buf[0] = '\0';
	for (size_t i = 0; i < fp->len && i < SDP_FP_MAX; i++) {
		size_t need = i ? 3 : 2;
		if (o + need + 1 > bufsize)
			break;
		o += (size_t)snprintf(buf + o, bufsize - o, i ? ":%02X" : "%02X", fp->digest[i]);
	}
	return buf;
}

/* ---- parsing ------------------------------------------------------------ */

/* A view of part of a line. */
struct span {
	const char *p;
	size_t n;
};

static bool span_eq(struct span s, const char *lit)
{
	return strlen(lit) == s.n && memcmp(s.p, lit, s.n) == 0;
}

/* Next space-separated token of *s (advances it). */
static struct span next_token(struct span *s)
{
	struct span t;

	while (s->n && s->p[0] == ' ')
		s->p++, s->n--;
	t.p = s->p;
	t.n = 0;
	while (t.n < s->n && s->p[t.n] != ' ')
		t.n++;
	s->p += t.n;
	s->n -= t.n;
	return t;
}

static bool span_u64(struct span t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!t.n || t.n > 20)
		return false;
	for (size_t i = 0; i < t.n; i++) {
		if (!isdigit((unsigned char)t.p[i]))
			return false;
		unsigned d = (unsigned)(t.p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static void span_copy(struct span t, char *dst, size_t dstsize)
{
	size_t n = t.n < dstsize - 1 ? t.n : dstsize - 1;
	memcpy(dst, t.p, n);
	dst[n] = '\0';
}

/* "IN IP4 ADDR" of c= (and o=): returns false if malformed. */
static bool parse_conn(struct span s, int *af, char *addr, size_t addrsize)
{
	struct span nt = next_token(&s), at = next_token(&s), a = next_token(&s);
	char buf[SDP_ADDR_MAX];
	unsigned char bin[16];

	if (!span_eq(nt, "IN") || !a.n || a.n >= sizeof(buf) || next_token(&s).n)
		return false;
	span_copy(a, buf, sizeof(buf));
	/* RFC 4566 allows "/ttl" for multicast; VPN-SIP has no use for it. */
	if (span_eq(at, "IP4")) {
		if (inet_pton(AF_INET, buf, bin) != 1)
			return false;
		*af = 4;
	} else if (span_eq(at, "IP6")) {
		/* Only the characters of an IPv6 address: TS-1017 Appendix II
		 * itself carries a seven-group address (a typo), and IPv6
		 * media are refused by the checks anyway. */
		if (strspn(buf, "0123456789abcdefABCDEF:.") != a.n || !strchr(buf, ':'))
			return false;
		*af = 6;
	} else {
		return false;
	}
	if (addr)
		span_copy(a, addr, addrsize);
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "HASH XX:XX:..." (RFC 4572 4). */
static bool parse_fingerprint(struct span s, enum sdp_fp_kind kind, struct sdp_fingerprint *fp)
{
	struct span h = next_token(&s), hex = next_token(&s);
	int alg = sdp_hash_parse(h.p, h.n);

	if (alg < 0 || !hex.n || next_token(&s).n)
		return false;
	size_t want = hashes[alg].len;
	if (hex.n != want * 3 - 1)
		return false;
	for (size_t i = 0; i < want; i++) {
		int hi = hexval(hex.p[3 * i]), lo = hexval(hex.p[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i + 1 < want && hex.p[3 * i + 2] != ':'))
			return false;
		fp->digest[i] = (uint8_t)(hi << 4 | lo);
	}
	fp->kind = kind;
	fp->hash = (enum sdp_hash)alg;
	fp->len = want;
	return true;
}

enum sdp_error sdp_parse(const char *text, size_t len, struct sdp_ike *out)
{
	/* Session-level values, overridden by the first media description's. */
	int sess_af = 0, media_af = 0;
	char sess_addr[SDP_ADDR_MAX] = "", media_addr[SDP_ADDR_MAX] = "";
	bool sess_bw = false, media_bw = false, have_origin = false;
	unsigned sess_kbps = 0, media_kbps = 0;
	enum sdp_error err = SDP_OK;
	size_t pos = 0, lineno = 0;

	memset(out, 0, sizeof(*out));
	if (!text || !len)
		return SDP_ERR_EMPTY;
	if (len > SDP_MAX_LEN)
		return SDP_ERR_TOO_LONG;

	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n' && text[end] != '\r')
			end++;
		struct span line = { text + pos, end - pos };
		/* CRLF, LF, or a lone CR all end a line. */
		pos = end;
		if (pos < len && text[pos] == '\r')
			pos++;
		if (pos < len && text[pos] == '\n')
			pos++;
		if (!line.n) {
			continue; /* blank lines (a trailing CRLF CRLF) are tolerated */
		}
		if (memchr(line.p, '\0', line.n))
			return SDP_ERR_SYNTAX;
		if (line.n < 2 || line.p[1] != '=' || !islower((unsigned char)line.p[0]))
			return SDP_ERR_SYNTAX;
		char type = line.p[0];
		struct span v = { line.p + 2, line.n - 2 };
		lineno++;
		if (lineno == 1) {
			if (type != 'v' || !span_eq(v, "0"))
				return SDP_ERR_SYNTAX;
			continue;
		}
		bool in_media = out->nmedia > 0, first_media = out->nmedia == 1;
		switch (type) {
		case 'v':
			return SDP_ERR_SYNTAX;
		case 'o': {
			struct span user = next_token(&v), id = next_token(&v), ver = next_token(&v);
			int af;
			if (have_origin || in_media || !user.n ||
			    !span_u64(id, UINT64_MAX, &out->sess_id) ||
			    !span_u64(ver, UINT64_MAX, &out->sess_version) ||
			    !parse_conn(v, &af, NULL, 0))
				return SDP_ERR_ORIGIN;
			have_origin = true;
			break;
		}
		case 'm': {
			struct span media = next_token(&v), port = next_token(&v),
				    proto = next_token(&v), fmt = next_token(&v);
			uint64_t p;
			out->nmedia++;
			if (!media.n || !proto.n || !fmt.n)
				return SDP_ERR_MEDIA;
			/* "PORT/NUMBER" (RFC 4566 5.14) is not for VPN-SIP. */
			if (!span_u64(port, 65535, &p))
				return SDP_ERR_MEDIA;
			if (out->nmedia == 1) {
				span_copy(media, out->media, sizeof(out->media));
				span_copy(proto, out->proto, sizeof(out->proto));
				span_copy(fmt, out->fmt, sizeof(out->fmt));
				/* more than one fmt: keep the first, as the
				 * checks compare against exactly one */
				if (next_token(&v).n)
					out->fmt[0] = '\0';
				out->port = (uint16_t)p;
			}
			break;
		}
		case 'c': {
			int af;
			char addr[SDP_ADDR_MAX];
			if (!parse_conn(v, &af, addr, sizeof(addr)))
				return SDP_ERR_CONNECTION;
			/* RFC 4566 allows several c= per level only for layered
			 * multicast; IKE needs one unicast address, not a guess. */
			if (in_media ? (first_media && media_af) : sess_af)
				return SDP_ERR_CONNECTION;
			if (!in_media) {
				sess_af = af;
				memcpy(sess_addr, addr, sizeof(addr));
			} else if (first_media) {
				media_af = af;
				memcpy(media_addr, addr, sizeof(addr));
			}
			break;
		}
		case 'b': {
			const char *colon = memchr(v.p, ':', v.n);
			if (!colon)
				return SDP_ERR_SYNTAX;
			struct span bwtype = { v.p, (size_t)(colon - v.p) };
			struct span val = { colon + 1, v.n - bwtype.n - 1 };
			uint64_t kbps;
			if (!span_eq(bwtype, "AS"))
				break; /* CT, TIAS, ...: not ours */
			if (!span_u64(val, 100000000, &kbps))
				return SDP_ERR_BANDWIDTH;
			if (!in_media)
				sess_bw = true, sess_kbps = (unsigned)kbps;
			else if (first_media)
				media_bw = true, media_kbps = (unsigned)kbps;
			break;
		}
		case 'a': {
			const char *colon = memchr(v.p, ':', v.n);
			struct span name = { v.p, colon ? (size_t)(colon - v.p) : v.n };
			struct span val = { colon ? colon + 1 : v.p + v.n,
					    colon ? v.n - name.n - 1 : 0 };
			/* RFC 6193 attributes are media level; a session-level
			 * one is taken the same way (there is one medium). */
			if (in_media && !first_media)
				break;
			if (span_eq(name, "ike-setup")) {
				if (span_eq(val, "active"))
					out->setup = SDP_SETUP_ACTIVE;
				else if (span_eq(val, "passive"))
					out->setup = SDP_SETUP_PASSIVE;
				else if (span_eq(val, "actpass"))
					out->setup = SDP_SETUP_ACTPASS;
				else
					out->setup = SDP_SETUP_OTHER;
			} else if (span_eq(name, "fingerprint") || span_eq(name, "psk-fingerprint")) {
				struct sdp_fingerprint fp;
				enum sdp_fp_kind kind =
					name.n == strlen("fingerprint") ? SDP_FP_CERT : SDP_FP_PSK;
				if (!parse_fingerprint(val, kind, &fp))
					return SDP_ERR_FINGERPRINT;
				if (out->nfingerprints++ == 0)
					out->fp = fp;
			}
			break;
		}
		default:
			/* s=, t=, i=, u=, e=, p=, z=, k=, r=: nothing for us */
			break;
		}
	}
	if (!lineno)
		return SDP_ERR_EMPTY;
	if (!have_origin)
		err = SDP_ERR_ORIGIN;
	else if (!out->nmedia)
		err = SDP_ERR_MEDIA;
	if (media_af) {
		out->af = media_af;
		memcpy(out->addr, media_addr, sizeof(out->addr));
	} else if (sess_af) {
		out->af = sess_af;
		memcpy(out->addr, sess_addr, sizeof(out->addr));
	} else if (!err) {
		err = SDP_ERR_CONNECTION;
	}
	out->has_bw = media_bw || sess_bw;
	out->bw_kbps = media_bw ? media_kbps : sess_kbps;
	return err;
}

/* ---- the 488 rules ----------------------------------------------------- */

/* Common to offers and answers: one medium, ike-esp-udpencap over UDP on a
 * real port, IPv4, b=AS present. */
static int check_common(const struct sdp_ike *s, const char **why)
{
	if (s->nmedia != 1) {
		*why = "more than one media description";
		return 488;
	}
	if (strcmp(s->media, "application") != 0 || strcasecmp(s->proto, "udp") != 0 ||
	    strcmp(s->fmt, "ike-esp-udpencap") != 0) {
		*why = "media is not application/ike-esp-udpencap";
		return 488;
	}
	if (s->port == 0) {
		*why = "media port 0 (media refused)";
		return 488;
	}
	if (s->af != 4) {
		*why = "only IPv4 media is supported";
		return 488;
	}
	/* IKE goes where c= says: never to ourselves or to a group. */
	if ((*why = sdp_addr_rule(s->addr)))
		return 488;
	if (!s->has_bw) {
		*why = "no b=AS bandwidth";
		return 488;
	}
	if (s->bw_kbps == 0) {
		*why = "b=AS:0";
		return 488;
	}
	return 0;
}

const char *sdp_addr_rule(const char *addr)
{
	struct in_addr a;
	uint32_t h;

	if (inet_pton(AF_INET, addr, &a) != 1)
		return "c= address is not an IPv4 address";
	h = ntohl(a.s_addr);
	if ((h >> 24) == 0)
		return "c= address is unspecified (0.0.0.0/8)";
	if ((h >> 24) == 127)
		return "c= address is loopback (127.0.0.0/8)";
	if ((h >> 16) == 0xa9fe)
		return "c= address is link-local (169.254.0.0/16)";
	if ((h >> 28) == 0xe)
		return "c= address is multicast (224.0.0.0/4)";
	if ((h >> 28) == 0xf)
		return "c= address is reserved or broadcast (240.0.0.0/4)";
	return NULL;
}

static bool ipv4_is(const struct sockaddr *sa, uint32_t addr)
{
	return sa && sa->sa_family == AF_INET &&
	       ((const struct sockaddr_in *)sa)->sin_addr.s_addr == addr;
}

const char *sdp_addr_local_rule(const char *addr, const struct ifaddrs *ifs)
{
	struct in_addr a;

	if (inet_pton(AF_INET, addr, &a) != 1)
		return NULL;
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t mine = ((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		if (mine == a.s_addr)
			return "c= address is one of ours";
		/* Without IFF_BROADCAST the field is the point-to-point peer. */
		if ((i->ifa_flags & IFF_BROADCAST) && ipv4_is(i->ifa_broadaddr, a.s_addr))
			return "c= address is the broadcast of one of our subnets";
		/* "ip address add A/24" sets no broadcast, yet the kernel
		 * routes the subnet's all-ones host as one (not on /31, /32). */
		if (i->ifa_netmask && i->ifa_netmask->sa_family == AF_INET) {
			uint32_t host = ~ntohl(((const struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
			if (host > 1 && (ntohl(mine) | host) == ntohl(a.s_addr))
				return "c= address is the broadcast of one of our subnets";
		}
	}
	return NULL;
}

static int check_fingerprint(const struct sdp_ike *s, enum sdp_fp_kind local_fp, bool required,
			     const char **why)
{
	if (s->nfingerprints > 1) {
		*why = "more than one fingerprint";
		return 488;
	}
	if (s->nfingerprints == 0) {
		/* PSK needs the peer's key digest (TS-1017 4.1.2.6); with
		 * certificates the VPN client may send none (Appendix II.1.1). */
		if (local_fp == SDP_FP_PSK || required) {
			*why = "no fingerprint";
			return 488;
		}
		return 0;
	}
	if (s->fp.kind == SDP_FP_CERT && local_fp == SDP_FP_PSK) {
		*why = "a=fingerprint but only pre-shared keys are configured";
		return 488;
	}
	if (s->fp.kind == SDP_FP_PSK && local_fp == SDP_FP_CERT) {
		*why = "a=psk-fingerprint but only certificates are configured";
		return 488;
	}
	return 0;
}

int sdp_check_offer(const struct sdp_ike *offer, enum sdp_fp_kind local_fp, unsigned roles,
		    const char **why)
{
	int rc = check_common(offer, why);

	if (rc)
		return rc;
	switch (offer->setup) {
	case SDP_SETUP_ACTIVE:
		if (!(roles & SDP_ROLE_PASSIVE)) {
			*why = "ike-setup:active but we cannot be the IKE responder";
			return 488;
		}
		break;
	case SDP_SETUP_PASSIVE:
		if (!(roles & SDP_ROLE_ACTIVE)) {
			*why = "ike-setup:passive but we cannot be the IKE initiator";
			return 488;
		}
		break;
	case SDP_SETUP_ACTPASS:
		if (!roles) {
			*why = "no IKE role available";
			return 488;
		}
		break;
	case SDP_SETUP_NONE:
		*why = "no a=ike-setup";
		return 488;
	case SDP_SETUP_OTHER:
		*why = "unknown ike-setup role";
		return 488;
	}
	return check_fingerprint(offer, local_fp, false, why);
}

enum sdp_setup sdp_answer_role(enum sdp_setup offered, unsigned roles)
{
	switch (offered) {
	case SDP_SETUP_ACTIVE: return SDP_SETUP_PASSIVE;
	case SDP_SETUP_PASSIVE: return SDP_SETUP_ACTIVE;
	default:
		/* actpass: the offerer placed the call because it has traffic;
		 * let it initiate IKE when we can respond. */
		return (roles & SDP_ROLE_PASSIVE) ? SDP_SETUP_PASSIVE : SDP_SETUP_ACTIVE;
	}
}

int sdp_check_answer(const struct sdp_ike *answer, enum sdp_setup offered,
		     enum sdp_fp_kind local_fp, const char **why)
{
	int rc = check_common(answer, why);

	if (rc)
		return rc;
	bool ok;
	switch (offered) {
	case SDP_SETUP_ACTIVE: ok = answer->setup == SDP_SETUP_PASSIVE; break;
	case SDP_SETUP_PASSIVE: ok = answer->setup == SDP_SETUP_ACTIVE; break;
	default:
		ok = answer->setup == SDP_SETUP_ACTIVE || answer->setup == SDP_SETUP_PASSIVE;
		break;
	}
	if (!ok) {
		*why = "answer's ike-setup role does not complement the offer";
		return 488;
	}
	/* The answerer is the one whose key or certificate we check. */
	return check_fingerprint(answer, local_fp, local_fp == SDP_FP_PSK, why);
}

/* ---- writer ------------------------------------------------------------ */

char *sdp_write(const struct sdp_local *l)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
		       "t=0 0\r\nm=application %u udp ike-esp-udpencap\r\nb=AS:%u\r\n"
		       "a=ike-setup:%s\r\n",
		  l->sess_id, l->sess_version, l->addr, l->addr, l->port, l->bw_kbps,
		  sdp_setup_name(l->setup));
	if (l->fp && l->fp->kind != SDP_FP_NONE && l->fp->len) {
		char hex[SDP_FP_MAX * 3 + 1];
		sb_printf(&sb, "a=%s:%s %s\r\n", l->fp->kind == SDP_FP_PSK ? "psk-fingerprint" : "fingerprint",
			  sdp_hash_name(l->fp->hash), sdp_fp_hex(l->fp, hex, sizeof(hex)));
	}
	return sb_steal(&sb);
}
