/* daemon/feature.c: the table starts and stops the features in the order
 * vpnsipd has always used (tests grep the start failure lines, and the
 * shutdown order is what lets IKE deletes and BYEs out), and its rows are
 * well formed. */
#include <string.h>

#include "daemon/feature.h"
#include "harness.h"
#include "util/strbuf.h"

TEST(start_order)
{
	struct strbuf sb = STRBUF_INIT;

	feature_order(false, &sb);
	CHECK_STR(sb_str(&sb), "interfaces\n"
			       "data plane\n"
			       "ikev2\n"
			       "vpn-sip call history\n"
			       "kernel links\n"
			       "track\n"
			       "ip sla\n"
			       "ip route\n"
			       "ip nat\n"
			       "dhcp client\n"
			       "qos\n"
			       "vpn-sip\n");
	sb_free(&sb);
}

TEST(stop_order)
{
	struct strbuf sb = STRBUF_INIT;

	feature_order(true, &sb);
	CHECK_STR(sb_str(&sb), "vpn-sip\n"
			       "ikev2\n"
			       "dhcp client\n"
			       "ip nat\n"
			       "ip route\n"
			       "ip sla\n"
			       "track\n"
			       "kernel links\n"
			       "snmp-server\n"
			       "vpn-sip call history\n"
			       "qos\n"
			       "interfaces\n"
			       "data plane\n");
	sb_free(&sb);
}

static const struct feature *find(const struct feature *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

TEST(rows)
{
	size_t n;
	const struct feature *t = feature_table(&n);

	CHECK(n > 0);
	/* generated from every registered debug flag: last */
	CHECK_STR(t[n - 1].name, "debug");
	for (size_t i = 0; i < n; i++) {
		const struct feature *f = &t[i];
		CHECK(find(t, n, f->name) == f); /* names are unique */
		for (size_t j = 0; j < i; j++) {
			if (f->start && t[j].start)
				CHECK(f->order != t[j].order);
			if (f->stop && t[j].stop)
				CHECK(f->stop_order != t[j].stop_order);
		}
		if (f->fail_tag)
			CHECK(f->start && f->fail_text);
		if (f->needs) {
			const struct feature *dep = find(t, n, f->needs);
			CHECK(dep && dep->start && dep->phase <= f->phase && dep->order < f->order);
		}
	}
	/* the SIP user agent registers with the boot configuration */
	CHECK_INT(find(t, n, "vpn-sip")->phase, FEATURE_AFTER_LOAD);
}
