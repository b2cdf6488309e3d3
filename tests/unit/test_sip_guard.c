/* The SIP user agent's guard (src/sip/sip_guard.c): trusted networks, the
 * kernel steering program (interpreted here, and run by the kernel on two
 * loopback sockets), token buckets, the rate-limited log lines, and the
 * c= address rules of src/sip/sdp.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "log/log.h"
#include "sip/sdp.h"
#include "sip/sip_guard.h"
#include "util/strbuf.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static struct sip_net net(const char *s)
{
	struct sip_net n = { 0, 0 };

	if (!sip_net_parse(s, &n))
		harness_fail(__FILE__, __LINE__, "cannot parse %s", s);
	return n;
}

TEST(net_parse_match_format)
{
	struct sip_net n;
	char buf[32];

	CHECK(sip_net_parse("198.51.100.77/24", &n));
	CHECK_STR(sip_net_format(&n, buf, sizeof(buf)), "198.51.100.0/24");
	CHECK(sip_net_match(&n, 1, ip("198.51.100.200")));
	CHECK(!sip_net_match(&n, 1, ip("198.51.101.1")));
	CHECK(sip_net_parse("192.0.2.1", &n));
	CHECK_STR(sip_net_format(&n, buf, sizeof(buf)), "192.0.2.1");
	CHECK(sip_net_match(&n, 1, ip("192.0.2.1")) && !sip_net_match(&n, 1, ip("192.0.2.2")));
	CHECK(!sip_net_parse("192.0.2.1/33", &n));
	CHECK(!sip_net_parse("192.0.2/8", &n));
	CHECK(!sip_net_parse("192.0.2.1/", &n));
	CHECK(!sip_net_match(NULL, 0, ip("192.0.2.1")));
}

static const char invite[] = "INVITE sip:0311111111@192.0.2.11 SIP/2.0\r\n";
static const char response[] = "SIP/2.0 200 OK\r\n";

static int steer(const struct sock_filter *p, size_t n, const char *src, const char *payload)
{
	return sip_steer_run(p, n, ip(src), (const uint8_t *)payload, strlen(payload));
}

TEST(steering_program)
{
	struct sip_net nets[] = { net("192.0.2.1"), net("198.51.100.0/24") };
	uint32_t peers[] = { ip("203.0.113.9") };
	struct sock_filter prog[BPF_MAXINSNS];
	size_t n = sip_steer_build(nets, 2, peers, 1, prog, BPF_MAXINSNS);

	CHECK(n > 0);
	CHECK_INT(steer(prog, n, "192.0.2.1", invite), SIP_STEER_STACK);       /* the server */
	CHECK_INT(steer(prog, n, "198.51.100.42", invite), SIP_STEER_STACK);   /* trusted-source */
	CHECK_INT(steer(prog, n, "203.0.113.9", "BYE sip:x SIP/2.0"), SIP_STEER_STACK); /* a peer */
	CHECK_INT(steer(prog, n, "192.0.2.12", invite), SIP_STEER_DRAIN);      /* anyone else */
	CHECK_INT(steer(prog, n, "198.51.101.1", "OPTIONS x"), SIP_STEER_DRAIN);
	CHECK_INT(steer(prog, n, "192.0.2.12", response), SIP_STEER_STACK);    /* responses */
	CHECK_INT(steer(prog, n, "192.0.2.12", "\r\n"), SIP_STEER_STACK);      /* runts: sofia drops */
	/* Nothing trusted (a server name not resolved yet): only responses. */
	n = sip_steer_build(NULL, 0, NULL, 0, prog, BPF_MAXINSNS);
	CHECK_INT(steer(prog, n, "192.0.2.1", invite), SIP_STEER_DRAIN);
	CHECK_INT(steer(prog, n, "192.0.2.1", response), SIP_STEER_STACK);
	/* The caps fit in one program; one more than fits is refused. */
	struct sip_net many[SIP_GUARD_MAX_NETS];
	uint32_t *pp = calloc(SIP_GUARD_MAX_PEERS, sizeof(*pp));
	for (size_t i = 0; i < SIP_GUARD_MAX_NETS; i++)
		many[i] = (struct sip_net){ htonl(0xc6336400u + ((uint32_t)i << 2)), htonl(0xfffffffcu) };
	for (size_t i = 0; i < SIP_GUARD_MAX_PEERS; i++)
		pp[i] = htonl(0xcb007100u + (uint32_t)i);
	n = sip_steer_build(many, SIP_GUARD_MAX_NETS, pp, SIP_GUARD_MAX_PEERS, prog, BPF_MAXINSNS);
	CHECK(n > 0 && n <= BPF_MAXINSNS);
	CHECK_INT(steer(prog, n, "203.0.114.0", invite), SIP_STEER_STACK);      /* the last peer */
	CHECK_INT(steer(prog, n, "198.51.100.254", invite), SIP_STEER_STACK);   /* the last net */
	CHECK_INT(steer(prog, n, "198.51.101.0", invite), SIP_STEER_DRAIN);
	CHECK_INT(sip_steer_build(many, SIP_GUARD_MAX_NETS, pp, SIP_GUARD_MAX_PEERS, prog, 100), 0);
	free(pp);
}

/* Which socket a datagram from src reaches (0: stack, 1: drain, -1: none). */
static int arrives(int stack, int drain, const struct sockaddr_in *to, const char *src,
		   const char *payload)
{
	int c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = ip(src) };
	struct pollfd pf[2] = { { stack, POLLIN, 0 }, { drain, POLLIN, 0 } };
	char buf[256];
	int got = -1;

	if (c < 0 || bind(c, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    sendto(c, payload, strlen(payload), 0, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		harness_fail(__FILE__, __LINE__, "send from %s: %s", src, strerror(errno));
		if (c >= 0)
			close(c);
		return -2;
	}
	close(c);
	if (poll(pf, 2, 1000) > 0) {
		got = pf[0].revents & POLLIN ? 0 : 1;
		if (recv(got ? drain : stack, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			got = -1;
	}
	return got;
}

TEST(kernel_steers_like_the_interpreter)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = ip("127.0.0.1") };
	socklen_t sl = sizeof(sa);
	int stack = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), drain, one = 1;
	struct sip_net nets[] = { net("127.0.0.2") };
	uint32_t peers[] = { ip("127.0.0.4") };
	struct sock_filter prog[64];
	size_t n;

	/* Bound as sofia-sip binds it: SO_REUSEADDR, no SO_REUSEPORT. */
	setsockopt(stack, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(stack, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(stack, (struct sockaddr *)&sa, &sl) == 0);
	CHECK_INT(sip_guard_find_udp(sa.sin_addr.s_addr, sa.sin_port), stack);
	CHECK_INT(sip_guard_find_udp(sa.sin_addr.s_addr, htons(1)), -1);
	drain = sip_guard_drain_open(stack);
	CHECK(drain >= 0);
	n = sip_steer_build(nets, 1, peers, 1, prog, 64);
	CHECK(sip_guard_steer(drain, prog, n) == 0);
	const struct {
		const char *src, *payload;
	} cases[] = {
		{ "127.0.0.2", invite },   { "127.0.0.3", invite }, { "127.0.0.3", response },
		{ "127.0.0.4", "BYE x" },  { "127.0.0.5", "OPTIONS sip:x SIP/2.0" },
		{ "127.0.0.5", "ab" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int want = steer(prog, n, cases[i].src, cases[i].payload);
		int got = arrives(stack, drain, &sa, cases[i].src, cases[i].payload);
		if (got != want)
			harness_fail(__FILE__, __LINE__, "%s \"%.10s\": socket %d, expected %d",
				     cases[i].src, cases[i].payload, got, want);
	}
	/* The drain gone: everything reaches the stack again. */
	close(drain);
	CHECK_INT(arrives(stack, -1, &sa, "127.0.0.3", invite), 0);
	close(stack);
}

TEST(token_bucket)
{
	struct sip_bucket b = { 0 };
	int n = 0;

	while (sip_bucket_take(&b, 1000, 10, 5))
		n++;
	CHECK_INT(n, 5);                              /* the burst */
	CHECK(!sip_bucket_take(&b, 1050, 10, 5));     /* half a token */
	CHECK(sip_bucket_take(&b, 1100, 10, 5));      /* 100 ms at 10/s: one */
	CHECK(!sip_bucket_take(&b, 1100, 10, 5));
	n = 0;
	while (sip_bucket_take(&b, 100000, 10, 5))
		n++;
	CHECK_INT(n, 5);                              /* refilled to the burst, not beyond */
}

TEST(rate_limits_per_source_and_global)
{
	struct sip_ratelimit *rl = calloc(1, sizeof(*rl));
	struct sip_limits lim = { .source_rate = 1, .source_burst = 3, .global_rate = 1, .global_burst = 5 };
	int pass = 0, src = 0, glob = 0;

	for (int i = 0; i < 10; i++) {
		enum sip_rl_verdict v = sip_ratelimit_check(rl, &lim, ip("192.0.2.1"), true, 5000);
		pass += v == SIP_RL_PASS;
		src += v == SIP_RL_SOURCE;
	}
	CHECK_INT(pass, 3);
	CHECK_INT(src, 7);
	/* Another source has its own bucket, until the global one is empty. */
	for (int i = 0; i < 10; i++) {
		enum sip_rl_verdict v = sip_ratelimit_check(rl, &lim, ip("198.51.100.1"), true, 5000);
		glob += v == SIP_RL_GLOBAL;
	}
	CHECK_INT(glob, 1); /* 3 of the source's burst, 2 left globally */
	/* A source outside the global count (the SIP server): its own bucket only. */
	pass = 0;
	for (int i = 0; i < 10; i++)
		pass += sip_ratelimit_check(rl, &lim, ip("203.0.113.1"), false, 5000) == SIP_RL_PASS;
	CHECK_INT(pass, 3);
	/* Zero limits are the defaults: a burst of SIP_BURST_SOURCE_DEFAULT. */
	memset(rl, 0, sizeof(*rl));
	pass = 0;
	for (int i = 0; i < SIP_BURST_SOURCE_DEFAULT + 10; i++)
		pass += sip_ratelimit_check(rl, NULL, ip("192.0.2.1"), true, 1000) == SIP_RL_PASS;
	CHECK_INT(pass, SIP_BURST_SOURCE_DEFAULT);
	free(rl);
}

TEST(sdp_address_rules)
{
	CHECK(sdp_addr_rule("192.0.2.12") == NULL);
	CHECK(sdp_addr_rule("198.51.100.1") == NULL);
	CHECK(sdp_addr_rule("10.1.2.3") == NULL);
	CHECK_STR(sdp_addr_rule("127.0.0.1"), "c= address is loopback (127.0.0.0/8)");
	CHECK_STR(sdp_addr_rule("0.0.0.0"), "c= address is unspecified (0.0.0.0/8)");
	CHECK_STR(sdp_addr_rule("169.254.7.7"), "c= address is link-local (169.254.0.0/16)");
	CHECK_STR(sdp_addr_rule("224.0.0.1"), "c= address is multicast (224.0.0.0/4)");
	CHECK_STR(sdp_addr_rule("239.255.255.250"), "c= address is multicast (224.0.0.0/4)");
	CHECK_STR(sdp_addr_rule("255.255.255.255"), "c= address is reserved or broadcast (240.0.0.0/4)");
	CHECK(sdp_addr_rule("2001:db8::1") != NULL);

	static const char offer[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
				    "t=0 0\r\nm=application 4500 udp ike-esp-udpencap\r\nb=AS:64\r\n"
				    "a=ike-setup:active\r\n"
				    "a=psk-fingerprint:SHA-1 F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86\r\n";
	struct sdp_ike o;
	const char *why = NULL;
	CHECK_INT(sdp_parse(offer, strlen(offer), &o), SDP_OK);
	CHECK_INT(sdp_check_offer(&o, SDP_FP_PSK, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE, &why), 488);
	CHECK_STR(why, "c= address is loopback (127.0.0.0/8)");
	CHECK_INT(sdp_check_answer(&o, SDP_SETUP_PASSIVE, SDP_FP_PSK, &why), 488);
}

struct test_if {
	struct ifaddrs ifa;
	struct sockaddr_in addr, mask, brd;
};

/* An IPv4 address as getifaddrs() lists it: brd NULL when none is set
 * ("ip address add A/24" without brd), else the broadcast or, without
 * IFF_BROADCAST, the point-to-point peer. */
static void test_if(struct test_if *t, struct test_if *next, unsigned flags, const char *addr,
		    const char *mask, const char *brd)
{
	memset(t, 0, sizeof(*t));
	t->ifa.ifa_next = next ? &next->ifa : NULL;
	t->ifa.ifa_name = (char *)"test0";
	t->ifa.ifa_flags = flags | IFF_UP;
	t->addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = ip(addr) };
	t->mask = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = ip(mask) };
	t->ifa.ifa_addr = (struct sockaddr *)&t->addr;
	t->ifa.ifa_netmask = (struct sockaddr *)&t->mask;
	if (brd) {
		t->brd = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = ip(brd) };
		t->ifa.ifa_broadaddr = (struct sockaddr *)&t->brd;
	}
}

TEST(sdp_address_ours_and_our_broadcasts)
{
	static const char ours[] = "c= address is one of ours";
	static const char bcast[] = "c= address is the broadcast of one of our subnets";
	struct test_if ifs[5];

	/* 192.0.2.11/24 brd 192.0.2.255; 198.51.100.5/24 without brd;
	 * 10.9.9.1/24 brd 10.9.9.127 (set by hand); a point-to-point link
	 * 203.0.113.1 peer 203.0.113.2; 10.0.0.0/31 (RFC 3021). */
	test_if(&ifs[0], &ifs[1], IFF_BROADCAST, "192.0.2.11", "255.255.255.0", "192.0.2.255");
	test_if(&ifs[1], &ifs[2], IFF_BROADCAST, "198.51.100.5", "255.255.255.0", NULL);
	test_if(&ifs[2], &ifs[3], IFF_BROADCAST, "10.9.9.1", "255.255.255.0", "10.9.9.127");
	test_if(&ifs[3], &ifs[4], IFF_POINTOPOINT, "203.0.113.1", "255.255.255.255", "203.0.113.2");
	test_if(&ifs[4], NULL, IFF_BROADCAST, "10.0.0.0", "255.255.255.254", NULL);
	const struct ifaddrs *list = &ifs[0].ifa;

	CHECK_STR(sdp_addr_local_rule("192.0.2.11", list), ours);
	CHECK_STR(sdp_addr_local_rule("10.0.0.0", list), ours);
	CHECK_STR(sdp_addr_local_rule("192.0.2.255", list), bcast);
	CHECK_STR(sdp_addr_local_rule("198.51.100.255", list), bcast);
	CHECK_STR(sdp_addr_local_rule("10.9.9.127", list), bcast);
	CHECK_STR(sdp_addr_local_rule("10.9.9.255", list), bcast);
	CHECK(sdp_addr_local_rule("192.0.2.12", list) == NULL);   /* a neighbour */
	CHECK(sdp_addr_local_rule("192.0.2.254", list) == NULL);
	CHECK(sdp_addr_local_rule("192.0.3.255", list) == NULL);  /* not our subnet */
	CHECK(sdp_addr_local_rule("203.0.113.2", list) == NULL);  /* the link's peer */
	CHECK(sdp_addr_local_rule("10.0.0.1", list) == NULL);     /* the /31's other end */
	CHECK(sdp_addr_local_rule("192.0.2.255", NULL) == NULL);
	CHECK(sdp_addr_local_rule("not an address", list) == NULL);
	/* The all-ones and all-zeros addresses break the class rules. */
	CHECK(sdp_addr_rule("255.255.255.255") != NULL && sdp_addr_rule("0.0.0.0") != NULL);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

TEST(log_rate_limit)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(200, 2);
	struct strbuf out = STRBUF_INIT;
	struct log_settings set;

	log_get_settings(&set);
	set.buffered = true;
	set.buffer_size = 65536;
	log_set_settings(&set);
	log_buffer_clear();
	for (int i = 0; i < 50; i++)
		log_msg_limited(&rl, "TEST", SEV_WARNING, "FLOOD", "message %d", i);
	log_ratelimit_flush(); /* the interval is not over: nothing yet */
	log_show(&out);
	CHECK_INT(count(sb_str(&out), "%TEST-4-FLOOD: message"), 2);
	CHECK_INT(count(sb_str(&out), "suppressed"), 0);
	usleep(250 * 1000);
	log_ratelimit_flush();
	sb_free(&out);
	log_show(&out);
	CHECK_INT(count(sb_str(&out), "%TEST-4-FLOOD: 48 messages suppressed"), 1);
	/* A new interval lets messages through again; the count starts over. */
	log_msg_limited(&rl, "TEST", SEV_WARNING, "FLOOD", "message again");
	log_ratelimit_flush();
	sb_free(&out);
	log_show(&out);
	CHECK_INT(count(sb_str(&out), "message again"), 1);
	CHECK_INT(count(sb_str(&out), "suppressed"), 1);
	CHECK_INT(rl.suppressed_total, 48);
	sb_free(&out);
	log_buffer_clear();
}
