/* Allocation helpers that abort on exhaustion: a router daemon that cannot
 * allocate a few bytes has no sane way to continue, and checking every
 * small allocation hides the real error paths. */
#ifndef VPNSIP_UTIL_XALLOC_H
#define VPNSIP_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr so that it holds at least want elements of size sz. */
void xgrow(void *arrp, size_t *cap, size_t want, size_t sz);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
