#include "ctl/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

void ctl_frame(struct strbuf *out, enum ctl_type type, uint16_t flags, const void *payload,
	       size_t len)
{
	struct ctl_hdr h = { (uint32_t)len, (uint8_t)type, 0, flags };

	sb_add(out, (const char *)&h, sizeof(h));
	if (len)
		sb_add(out, payload, len);
}

int ctl_take_frame(struct strbuf *in, struct ctl_hdr *hdr, char **payload)
{
	if (in->len < sizeof(*hdr))
		return 0;
	memcpy(hdr, in->buf, sizeof(*hdr));
	if (hdr->len > CTL_MAX_PAYLOAD)
		return -1;
	if (in->len < sizeof(*hdr) + hdr->len)
		return 0;
	*payload = xmalloc(hdr->len + 1);
	memcpy(*payload, in->buf + sizeof(*hdr), hdr->len);
	(*payload)[hdr->len] = '\0';
	memmove(in->buf, in->buf + sizeof(*hdr) + hdr->len, in->len - sizeof(*hdr) - hdr->len);
	in->len -= sizeof(*hdr) + hdr->len;
	in->buf[in->len] = '\0';
	return 1;
}

int ctl_send(int fd, enum ctl_type type, uint16_t flags, const void *payload, size_t len)
{
	struct strbuf f = STRBUF_INIT;
	size_t off = 0;

	ctl_frame(&f, type, flags, payload, len);
	while (off < f.len) {
		ssize_t n = write(fd, f.buf + off, f.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sb_free(&f);
			return -1;
		}
		off += (size_t)n;
	}
	sb_free(&f);
	return 0;
}

int ctl_recv(int fd, struct strbuf *buf, struct ctl_hdr *hdr, char **payload)
{
	char tmp[65536];

	for (;;) {
		int r = ctl_take_frame(buf, hdr, payload);
		if (r != 0)
			return r;
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		sb_add(buf, tmp, (size_t)n);
	}
}
