/* The main thread's event loop: epoll over file descriptors, a min-heap of
 * timers, and a queue other threads post closures to (woken by an eventfd).
 * Everything registered here runs on the loop's thread only; other threads
 * (the SIP stack, libcharon's workers) talk to it through evloop_post(). */
#ifndef VPNSIP_UTIL_EVLOOP_H
#define VPNSIP_UTIL_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct evloop;
struct ev_io;
struct ev_timer;

typedef void (*ev_io_fn)(struct ev_io *io, uint32_t events, void *arg);
typedef void (*ev_timer_fn)(struct ev_timer *t, void *arg);
typedef void (*ev_post_fn)(void *arg);

struct evloop *evloop_new(void);
void evloop_free(struct evloop *l);
/* Run until evloop_stop(). */
void evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l);
/* Milliseconds of a monotonic clock. */
uint64_t evloop_now_ms(void);

/* events: EPOLLIN / EPOLLOUT bits. */
struct ev_io *ev_io_add(struct evloop *l, int fd, uint32_t events, ev_io_fn fn, void *arg);
void ev_io_modify(struct ev_io *io, uint32_t events);
void ev_io_del(struct ev_io *io); /* safe from inside its own callback */

/* One-shot; re-arm from the callback for periodic work.  O(log n). */
struct ev_timer *ev_timer_add(struct evloop *l, uint64_t after_ms, ev_timer_fn fn, void *arg);
void ev_timer_del(struct ev_timer *t);

/* Thread-safe: fn(arg) runs on the loop's thread soon. */
void evloop_post(struct evloop *l, ev_post_fn fn, void *arg);

#endif
