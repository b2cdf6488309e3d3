/* Interface names as operators type them.  IOS types are matched by unique
 * prefix and may be split from their number ("tun 1"); anything else is a
 * Linux device name.  "Ethernet" is deliberately not an IOS type here, so
 * that Linux's "eth0" stays a Linux name. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

static const struct cli_iftype ios_types[] = {
	{ "Cellular", "Cellular interface" },
	{ "Dialer", "Dialer interface" },
	{ "FastEthernet", "FastEthernet IEEE 802.3" },
	{ "GigabitEthernet", "GigabitEthernet IEEE 802.3z" },
	{ "Loopback", "Loopback interface" },
	{ "TenGigabitEthernet", "Ten Gigabit Ethernet" },
	{ "Tunnel", "Tunnel interface" },
	{ "Vlan", "Catalyst Vlans" },
};

const struct cli_iftype *cli_iftypes(size_t *n)
{
	*n = ARRAY_SIZE(ios_types);
	return ios_types;
}

bool cli_ifname_is_ios(const char *canon)
{
	for (size_t i = 0; i < ARRAY_SIZE(ios_types); i++) {
		size_t n = strlen(ios_types[i].name);
		if (strncmp(canon, ios_types[i].name, n) == 0 && isdigit((unsigned char)canon[n]))
			return true;
	}
	return false;
}

/* "0", "0/1", "0/0/1", "0/1.100" */
static bool valid_slot(const char *s, size_t len)
{
	bool digit = false, dot = false;

	if (!len || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (isdigit((unsigned char)c)) {
			digit = true;
		} else if ((c == '/' || c == '.') && digit && !dot) {
			digit = false;
			dot = c == '.';
		} else {
			return false;
		}
	}
	return digit;
}

static bool valid_linux_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 15 || isdigit((unsigned char)s[0]) || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* Index of the single IOS type that prefix (of len chars) abbreviates, -1
 * for none, -2 when ambiguous. */
static int ios_type(const char *prefix, size_t len)
{
	int found = -1;

	for (size_t i = 0; i < ARRAY_SIZE(ios_types); i++) {
		size_t tl = strlen(ios_types[i].name);
		if (tl >= len && strncasecmp(ios_types[i].name, prefix, len) == 0) {
			if (tl == len)
				return (int)i; /* spelled out */
			found = found == -1 ? (int)i : -2;
		}
	}
	return found;
}

/* "0/001.010" -> "0/1.10": one spelling per interface. */
static char *slot_canon(const char *type, const char *slot)
{
	char *out = xmalloc(strlen(type) + strlen(slot) + 1), *o;

	o = out + sprintf(out, "%s", type);
	for (const char *p = slot; *p;) {
		if (isdigit((unsigned char)*p)) {
			while (*p == '0' && isdigit((unsigned char)p[1]))
				p++;
			while (isdigit((unsigned char)*p))
				*o++ = *p++;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

char *cli_ifname_canon(const char *w1, const char *w2, int *consumed)
{
	size_t alpha = 0;
	int t;

	*consumed = 0;
	while (isalpha((unsigned char)w1[alpha]) || (alpha && w1[alpha] == '-'))
		alpha++;
	t = alpha ? ios_type(w1, alpha) : -1;
	if (t == -2)
		return NULL; /* "t1": Tunnel or TenGigabitEthernet? */
	if (t >= 0) {
		const char *rest = w1 + alpha;
		if (*rest) {
			if (!valid_slot(rest, strlen(rest)))
				return NULL;
			*consumed = 1;
			return slot_canon(ios_types[t].name, rest);
		}
		if (!w2) {
			*consumed = -1; /* the number is still to come */
			return NULL;
		}
		if (!valid_slot(w2, strlen(w2)))
			return NULL;
		*consumed = 2;
		return slot_canon(ios_types[t].name, w2);
	}
	if (!valid_linux_name(w1))
		return NULL;
	*consumed = 1;
	return xstrdup(w1);
}
