/* Numbers out of tel: and sip: URIs (the asserted caller, the callee). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sip/sip.h"

bool sip_uri_number(const char *uri, char *out, size_t outsize)
{
	const char *p = NULL, *end;
	bool is_tel = false;

	if (!uri || !outsize)
		return false;
	for (const char *s = uri; *s; s++) {
		if (strncasecmp(s, "tel:", 4) == 0) {
			p = s + 4, is_tel = true;
			break;
		}
		if (strncasecmp(s, "sip:", 4) == 0) {
			p = s + 4;
			break;
		}
		if (strncasecmp(s, "sips:", 5) == 0) {
			p = s + 5;
			break;
		}
	}
	if (!p)
		return false;
	end = p + strcspn(p, is_tel ? ";>,? \t" : "@;>,? \t");
	if (!is_tel && *end != '@')
		return false; /* sip:host has no user part */
	size_t o = 0;
	for (const char *s = p; s < end; s++) {
		char c = *s;
		if (c == '-' || c == '.' || c == '(' || c == ')')
			continue; /* RFC 3966 visual separators */
		if (!isdigit((unsigned char)c) && !(c == '+' && o == 0) && c != '*' && c != '#')
			return false;
		if (o + 1 >= outsize)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return o > 0;
}
