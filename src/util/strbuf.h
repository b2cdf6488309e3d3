/* A growable, always NUL-terminated string buffer. */
#ifndef VPNSIP_UTIL_STRBUF_H
#define VPNSIP_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Detach the buffer: the caller owns the returned string. */
char *sb_steal(struct strbuf *sb);
/* Always a valid C string, even when nothing was added. */
const char *sb_str(const struct strbuf *sb);

#endif
