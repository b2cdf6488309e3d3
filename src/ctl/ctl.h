/* Framing for the control socket (see include/vpnsip/ctl.h). */
#ifndef VPNSIP_CTL_CTL_H
#define VPNSIP_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"
#include "vpnsip/ctl.h"

/* Append a frame to an output buffer. */
void ctl_frame(struct strbuf *out, enum ctl_type type, uint16_t flags, const void *payload,
	       size_t len);

/* Take one complete frame off the front of an input buffer.  Returns 1 with
 * *hdr and *payload (pointing into a newly allocated copy, NUL-terminated)
 * set, 0 when more bytes are needed, -1 on a malformed frame. */
int ctl_take_frame(struct strbuf *in, struct ctl_hdr *hdr, char **payload);

/* Blocking helpers for the shell. */
int ctl_send(int fd, enum ctl_type type, uint16_t flags, const void *payload, size_t len);
int ctl_recv(int fd, struct strbuf *buf, struct ctl_hdr *hdr, char **payload);

#endif
