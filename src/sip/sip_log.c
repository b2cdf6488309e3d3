/* Debug flags of the SIP user agent and sofia-sip's logs routed into ours.
 *
 * "debug vpn-sip sip messages" shows every SIP message sent and received:
 * sofia-sip's transport logs each one (TPTAG_LOG) through its default log,
 * which is redirected here, assembled into lines and printed with the
 * credentials removed.  The other flags print our own lines and, where
 * sofia-sip has a matching log, raise its level (see the notes below, which
 * "show debugging" prints). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_log.h>

#include "sip/sip.h"
#include "sip/sip_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* sofia-sip exports these without declaring them in its public headers. */
extern su_log_t nua_log[], nta_log[], tport_log[];

struct debug_flag sip_debug_messages = {
	.path = "vpn-sip sip messages",
	.help = "VPN-SIP\nSession Initiation Protocol\nEach SIP message sent and received",
	.title = "VPN-SIP SIP messages",
	.note = "credentials removed",
};
struct debug_flag sip_debug_calls = {
	.path = "vpn-sip sip calls",
	.help = "VPN-SIP\nSession Initiation Protocol\nCall setup and teardown",
	.title = "VPN-SIP SIP calls",
};
struct debug_flag sip_debug_events = {
	.path = "vpn-sip sip events",
	.help = "VPN-SIP\nSession Initiation Protocol\nSIP stack events",
	.title = "VPN-SIP SIP events",
	.note = "with sofia-sip nua log level 5",
};
struct debug_flag sip_debug_error = {
	.path = "vpn-sip sip error",
	.help = "VPN-SIP\nSession Initiation Protocol\nSIP errors",
	.title = "VPN-SIP SIP error",
	.note = "with sofia-sip nua/nta/tport log level 2",
};
struct debug_flag sip_debug_states = {
	.path = "vpn-sip sip states",
	.help = "VPN-SIP\nSession Initiation Protocol\nCall and registration state changes",
	.title = "VPN-SIP SIP states",
};
struct debug_flag sip_debug_transport = {
	.path = "vpn-sip sip transport",
	.help = "VPN-SIP\nSession Initiation Protocol\nSIP transport",
	.title = "VPN-SIP SIP transport",
	.note = "with sofia-sip tport log level 5, nta level 3",
};
struct debug_flag sip_debug_non_call = {
	.path = "vpn-sip sip non-call",
	.help = "VPN-SIP\nSession Initiation Protocol\n"
		"SIP messages outside calls (REGISTER, OPTIONS, SUBSCRIBE, ...)",
	.title = "VPN-SIP SIP non-call",
	.note = "messages whose CSeq method is not a call's; credentials removed",
};
struct debug_flag sip_debug_info = {
	.path = "vpn-sip sip info",
	.help = "VPN-SIP\nSession Initiation Protocol\nSIP stack warnings and progress",
	.title = "VPN-SIP SIP info",
	.note = "sofia-sip nua/nta/tport log level 3",
};
struct debug_flag sip_debug_verbose = {
	.path = "vpn-sip sip verbose",
	.help = "VPN-SIP\nSession Initiation Protocol\nEverything the SIP stack logs",
	.title = "VPN-SIP SIP verbose",
	.note = "sofia-sip nua/nta/tport log level 9, with its function entries; credentials removed",
};
struct debug_flag sip_debug_all = {
	.path = "vpn-sip sip all",
	.help = "VPN-SIP\nSession Initiation Protocol\nAll SIP debugging",
	.title = "VPN-SIP SIP all",
	.note = "every SIP flag; sofia-sip nua/nta/tport log level 5",
};

/* The rest of IOS's "debug vpn-sip sip" keywords: nothing here to show. */
static struct debug_refused sip_debug_refused[] = {
	{ "vpn-sip sip feature", "VPN-SIP\nSession Initiation Protocol\nFeature level debugging",
	  "vpnsipd has no separate SIP feature layer to trace; VPN-SIP's own events are "
	  "'debug vpn-sip event'", NULL },
	{ "vpn-sip sip function", "VPN-SIP\nSession Initiation Protocol\nSIP function debugging",
	  "vpnsipd keeps no function trace of its own; sofia-sip's function entries are part of "
	  "'debug vpn-sip sip verbose'", NULL },
	{ "vpn-sip sip level", "VPN-SIP\nSession Initiation Protocol\nInformation level debugging",
	  "IOS's information-level switch has no counterpart; 'debug vpn-sip sip info' shows the "
	  "SIP stack's warnings and progress, 'debug vpn-sip sip verbose' everything", NULL },
	{ "vpn-sip sip media", "VPN-SIP\nSession Initiation Protocol\nSIP media debugging",
	  "vpnsipd carries no media (RTP); nothing to debug", NULL },
	{ "vpn-sip sip preauth", "VPN-SIP\nSession Initiation Protocol\nSIP preauth debugging",
	  "vpnsipd has no SIP pre-authentication (AAA preauth of calls); nothing to debug", NULL },
	{ "vpn-sip sip translate", "VPN-SIP\nSession Initiation Protocol\nSIP translation debugging",
	  "vpnsipd has no number translation rules; numbers are used as configured", NULL },
};

void sip_debug_register(void)
{
	for (size_t i = 0; i < sizeof(sip_debug_refused) / sizeof(sip_debug_refused[0]); i++)
		debug_refuse_register(&sip_debug_refused[i]);
	debug_register(&sip_debug_non_call);
	debug_register(&sip_debug_info);
	debug_register(&sip_debug_verbose);
	debug_register(&sip_debug_messages);
	debug_register(&sip_debug_calls);
	debug_register(&sip_debug_events);
	debug_register(&sip_debug_error);
	debug_register(&sip_debug_states);
	debug_register(&sip_debug_transport);
	debug_register(&sip_debug_all);
}

static bool on(struct debug_flag *f)
{
	return debug_on(f) || debug_on(&sip_debug_all);
}

static size_t token_len(const char *p)
{
	size_t n = 0;

	while (p[n] && (strchr("-.!%*_+`'~", p[n]) || (p[n] >= '0' && p[n] <= '9') ||
			((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z')))
		n++;
	return n;
}

/* The rest of an Authorization header's line from p into sb, the response
 * value replaced (RFC 3261 25.1: LWS may stand around '=' and fold). */
static void redact_params(const char *p, struct sip_redact *st, struct strbuf *sb)
{
	while (*p) {
		switch (st->pending) {
		case 1: /* after "response" */
			if (*p == ' ' || *p == '\t') {
				sb_putc(sb, *p++);
			} else if (*p == '=') {
				sb_putc(sb, *p++);
				st->pending = 2;
			} else {
				st->pending = 0;
			}
			break;
		case 2: /* after '=' */
			if (*p == ' ' || *p == '\t') {
				sb_putc(sb, *p++);
			} else if (*p == '"') {
				sb_puts(sb, "<removed>");
				p++;
				st->pending = 3;
			} else {
				sb_puts(sb, "<removed>");
				p += strcspn(p, ", \t");
				st->pending = 0;
			}
			break;
		case 3: /* inside the quoted value, which may fold */
			if (*p == '\\' && p[1]) {
				p += 2;
			} else if (*p == '"') {
				p++;
				st->pending = 0;
			} else {
				p++;
			}
			break;
		default: {
			size_t n = token_len(p);
			if (n == 8 && strncasecmp(p, "response", 8) == 0)
				st->pending = 1;
			if (n) {
				sb_add(sb, p, n);
				p += n;
			} else {
				sb_putc(sb, *p++);
			}
			break;
		}
		}
	}
}

char *sip_redact_line(const char *line, struct sip_redact *st)
{
	size_t indent = strspn(line, " \t");
	const char *p = line + indent;
	struct strbuf sb = STRBUF_INIT;

	if (!st->auth_indent || indent < st->auth_indent) {
		/* Not a continuation: a header line starts "name SWS :" (the
		 * colon may even come on a folded line: sofia-sip reads that
		 * too). */
		size_t n = token_len(p);
		const char *colon = p + n + strspn(p + n, " \t");
		st->auth_indent = 0;
		st->pending = 0;
		if (!n || (*colon != ':' && *colon) ||
		    !((n == 13 && strncasecmp(p, "Authorization", 13) == 0) ||
		      (n == 19 && strncasecmp(p, "Proxy-Authorization", 19) == 0)))
			return xstrdup(line);
		st->auth_indent = indent + 1;
		p = *colon ? colon + 1 : colon;
	}
	/* Keep the scheme, username, realm, uri; drop what proves the password. */
	sb_add(&sb, line, (size_t)(p - line));
	redact_params(p, st, &sb);
	return sb_steal(&sb);
}

/* "debug vpn-sip sip non-call" alone: the lines of a message dump wait
 * until its CSeq tells whether it belongs to a call. */
enum non_call_state {
	NC_OUTSIDE = 0, /* no dump under way (or one that is being shown) */
	NC_PENDING,     /* a dump began, its CSeq not seen yet: lines held */
	NC_DROP,        /* the dump is a call's: dropped up to the next one */
};

/* One line assembler per log: sofia-sip writes lines in pieces. */
struct assembler {
	struct strbuf sb;
	const char *prefix;
	struct debug_flag *flag; /* NULL: the level decides */
	struct sip_redact redact; /* reset by the separator lines around each dump */
	enum non_call_state nc;
	struct strbuf held;       /* NC_PENDING: the cleaned lines, '\n'-separated */
};

static __thread struct assembler msg_asm = { .sb = STRBUF_INIT, .prefix = "SIP msg: ",
					     .flag = &sip_debug_messages, .held = STRBUF_INIT };
static __thread struct assembler nua_asm = { .sb = STRBUF_INIT, .prefix = "sofia nua: " };
static const char nta_prefix[] = "sofia nta: ";
static __thread struct assembler nta_asm = { .sb = STRBUF_INIT, .prefix = nta_prefix };
static __thread struct assembler tport_asm = { .sb = STRBUF_INIT, .prefix = "sofia tport: " };

/* The digest password, in case a sofia-sip log prints the NUTAG_AUTH()
 * tag it was handed: scrubbed from every line. */
static __thread char *secret;

void sip_log_set_secret(const char *s)
{
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	secret = s && *s ? xstrdup(s) : NULL;
}

static void scrub(char *line)
{
	char *p;

	if (!secret)
		return;
	size_t n = strlen(secret);
	while ((p = strstr(line, secret)))
		memset(p, '*', n);
}

/* Methods of the requests that make, change and end a call, and their
 * responses (by CSeq); every other message is outside a call. */
static bool call_method(const char *m, size_t n)
{
	static const char *const call[] = { "INVITE", "ACK",  "BYE",   "CANCEL",
					    "PRACK",  "UPDATE", "INFO", "REFER" };

	for (size_t i = 0; i < sizeof(call) / sizeof(call[0]); i++)
		if (strlen(call[i]) == n && strncmp(call[i], m, n) == 0)
			return true;
	return false;
}

/* The start of a dump: "send 412 bytes to udp/[192.0.2.1]:5060 at ..." or
 * "recv ... from ...". */
static bool dump_start(const char *line)
{
	return (strncmp(line, "send ", 5) == 0 || strncmp(line, "recv ", 5) == 0) &&
	       strstr(line, " bytes ");
}

static void flush_held(struct assembler *a)
{
	const char *p = sb_str(&a->held);

	while (*p) {
		size_t n = strcspn(p, "\n");
		log_debug_line("%s%.*s", a->prefix, (int)n, p);
		p += n + (p[n] == '\n');
	}
	sb_reset(&a->held);
}

/* A cleaned line of the message log when only non-call messages are
 * wanted: held from the start of a dump until its CSeq header says. */
static void non_call_line(struct assembler *a, const char *clean)
{
	const char *h = clean + strspn(clean, " \t");

	if (dump_start(clean)) {
		sb_reset(&a->held);
		a->nc = NC_PENDING;
	}
	switch (a->nc) {
	case NC_PENDING:
		sb_printf(&a->held, "%s\n", clean);
		if (strncasecmp(h, "CSeq", 4) == 0 && (h[4] == ':' || h[4] == ' ')) {
			const char *m = h + 4 + strspn(h + 4, " \t:");
			m += strspn(m, "0123456789");
			m += strspn(m, " \t");
			if (call_method(m, token_len(m))) {
				sb_reset(&a->held);
				a->nc = NC_DROP;
			} else {
				flush_held(a);
				a->nc = NC_OUTSIDE;
			}
		}
		break;
	case NC_OUTSIDE:
		log_debug_line("%s%s", a->prefix, clean);
		break;
	case NC_DROP:
		break;
	}
}

static void emit(struct assembler *a)
{
	char *clean = sip_redact_line(sb_str(&a->sb), &a->redact);
	scrub(clean);
	if (a == &msg_asm && !on(&sip_debug_messages))
		non_call_line(a, clean);
	else
		log_debug_line("%s%s", a->prefix, clean);
	free(clean);
	sb_reset(&a->sb);
}

/* nta's level asked for by the debug flags (nta runs at least at 5 so
 * that a request it refuses as malformed is always logged).  nta logs from
 * nua's stack thread, so this is shared, and the assembler is told by its
 * prefix (the thread-local addresses differ between threads). */
static atomic_uint nta_wanted;

/* nta's lines about a request it answers 400/413 itself (nta.c
 * agent_recv_request). */
static bool nta_bad_request(const char *fmt)
{
	return strstr(fmt, "has bad %s header") || strstr(fmt, "(%u) is %s") ||
	       strstr(fmt, "failed sanity check");
}

static void logger(void *stream, char const *fmt, va_list ap)
{
	struct assembler *a = stream;
	struct strbuf piece = STRBUF_INIT;

	bool is_nta = a->prefix == nta_prefix;

	if (is_nta && fmt && nta_bad_request(fmt)) {
		char line[256];
		va_list aq;
		va_copy(aq, ap);
		vsnprintf(line, sizeof(line), fmt, aq);
		va_end(aq);
		line[strcspn(line, "\r\n")] = '\0';
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
		log_msg_limited(&rl, "SIP", SEV_WARNING, "BAD_MSG", "Malformed SIP message refused: %s",
			line + (strncmp(line, "nta: ", 5) ? 0 : 5));
		if (nta_wanted < 5)
			return;
	} else if (is_nta && !nta_wanted) {
		return;
	}
	if (a->flag && !on(a->flag) && !(a == &msg_asm && debug_on(&sip_debug_non_call)))
		return;
	sb_vprintf(&piece, fmt, ap);
	for (const char *s = sb_str(&piece); *s;) {
		size_t n = strcspn(s, "\r\n");
		sb_add(&a->sb, s, n);
		s += n;
		if (*s == '\r' || *s == '\n') {
			/* the separator lines of sofia's dump add nothing */
			if (a->sb.len && strspn(sb_str(&a->sb), " -") != a->sb.len) {
				emit(a);
			} else {
				sb_reset(&a->sb);
				a->redact = (struct sip_redact){ 0 };
			}
			s += (*s == '\r' && s[1] == '\n') ? 2 : 1;
		}
	}
	sb_free(&piece);
}

void sip_log_init(void)
{
	su_log_redirect(su_log_default, logger, &msg_asm);
	su_log_redirect(nua_log, logger, &nua_asm);
	su_log_redirect(nta_log, logger, &nta_asm);
	su_log_redirect(tport_log, logger, &tport_asm);
	sip_log_levels_update();
}

void sip_log_fini(void)
{
	su_log_redirect(su_log_default, NULL, NULL);
	su_log_redirect(nua_log, NULL, NULL);
	su_log_redirect(nta_log, NULL, NULL);
	su_log_redirect(tport_log, NULL, NULL);
	sip_log_set_secret(NULL);
	sb_free(&msg_asm.sb);
	sb_free(&nua_asm.sb);
	sb_free(&nta_asm.sb);
	sb_free(&tport_asm.sb);
	sb_free(&msg_asm.held);
}

void sip_log_levels_update(void)
{
	bool all = debug_on(&sip_debug_all), err = debug_on(&sip_debug_error);
	unsigned base = (all || err) ? 2 : 0;
	unsigned nua = debug_on(&sip_debug_events) || all ? 5 : base;
	unsigned tport = debug_on(&sip_debug_transport) || all ? 5 : base;
	unsigned nta = debug_on(&sip_debug_transport) ? 3 : all ? 5 : base;
	/* info: sofia-sip's warnings and progress (3); verbose: all it logs (9). */
	unsigned floor = debug_on(&sip_debug_verbose) ? 9 : debug_on(&sip_debug_info) ? 3 : 0;

	nua = nua > floor ? nua : floor;
	tport = tport > floor ? tport : floor;
	nta = nta > floor ? nta : floor;

	/* su_log_default carries the message dumps (level 0 lines) and
	 * sofia's own odd errors: keep it at 0 so only the dumps pass. */
	su_log_set_level(su_log_default, 0);
	su_log_set_level(nua_log, nua);
	nta_wanted = nta;
	su_log_set_level(nta_log, nta < 5 ? 5 : nta);
	su_log_set_level(tport_log, tport);
}
