#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
	fputs("vpnsip: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

void xgrow(void *arrp, size_t *cap, size_t want, size_t sz)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap : 8;

	if (want <= *cap)
		return;
	while (ncap < want)
		ncap *= 2;
	*arr = xrealloc(*arr, ncap * sz);
	*cap = ncap;
}

void *xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n ? n : 1);

	if (n)
		memcpy(q, p, n);
	return q;
}
