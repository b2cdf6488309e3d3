/* Log lines to remote syslog servers ("logging host"), sent by a thread of
 * their own so that a slow or absent server never holds up whoever logs. */
#ifndef VPNSIP_LOG_REMOTE_H
#define VPNSIP_LOG_REMOTE_H

#include <stddef.h>

#include "log/log.h"

/* The hosts to send to: kept hosts keep their connection and queue, new
 * ones start, the others stop.  The thread starts with the first host. */
void log_remote_configure(const struct log_host *hosts, size_t n);
/* Queue one line (its "<PRI>SEQ: " header included) for every host;
 * never blocks on the network.  A full queue drops the line (counted). */
void log_remote_enqueue(const char *msg);
bool log_remote_active(void);
/* Per-host lines of "show logging". */
void log_remote_show(struct strbuf *out);
/* Stop the thread, drop every host. */
void log_remote_shutdown(void);

#endif
