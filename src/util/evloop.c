#include "util/evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

struct ev_io {
	struct evloop *loop;
	int fd;
	ev_io_fn fn;
	void *arg;
	bool dead;
	struct ev_io *next_dead;
};

struct ev_timer {
	struct evloop *loop;
	uint64_t due;
	uint64_t seq; /* ties fire in the order they were added */
	size_t slot;  /* index in the heap */
	ev_timer_fn fn;
	void *arg;
};

struct post {
	ev_post_fn fn;
	void *arg;
	struct post *next;
};

struct evloop {
	int epfd;
	int wakefd;
	bool running;
	struct ev_timer **heap;
	size_t nheap, capheap;
	uint64_t seq;
	struct ev_io *dead; /* freed after the current dispatch round */
	pthread_mutex_t lock;
	struct post *posts, **posts_tail;
};

uint64_t evloop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct evloop *evloop_new(void)
{
	struct evloop *l = xcalloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd < 0 || l->wakefd < 0)
		abort();
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
	pthread_mutex_init(&l->lock, NULL);
	l->posts_tail = &l->posts;
	return l;
}

static void reap(struct evloop *l)
{
	while (l->dead) {
		struct ev_io *io = l->dead;
		l->dead = io->next_dead;
		free(io);
	}
}

static void run_posts(struct evloop *l);

void evloop_free(struct evloop *l)
{
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	/* Posted work owns its argument: let it run (and free it). */
	run_posts(l);
	reap(l);
	close(l->epfd);
	close(l->wakefd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

struct ev_io *ev_io_add(struct evloop *l, int fd, uint32_t events, ev_io_fn fn, void *arg)
{
	struct ev_io *io = xcalloc(1, sizeof(*io));
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->loop = l;
	io->fd = fd;
	io->fn = fn;
	io->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

void ev_io_modify(struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void ev_io_del(struct ev_io *io)
{
	if (!io || io->dead)
		return;
	epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->dead = true;
	io->next_dead = io->loop->dead;
	io->loop->dead = io;
}

/* ---- timer heap ---- */

static bool earlier(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(struct evloop *l, size_t i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void sift_up(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];

	while (i > 0 && earlier(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void sift_down(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && earlier(l->heap[c + 1], l->heap[c]))
			c++;
		if (!earlier(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

struct ev_timer *ev_timer_add(struct evloop *l, uint64_t after_ms, ev_timer_fn fn, void *arg)
{
	struct ev_timer *t = xcalloc(1, sizeof(*t));

	t->loop = l;
	t->due = evloop_now_ms() + after_ms;
	t->seq = l->seq++;
	t->fn = fn;
	t->arg = arg;
	xgrow(&l->heap, &l->capheap, l->nheap + 1, sizeof(*l->heap));
	heap_set(l, l->nheap++, t);
	sift_up(l, t->slot);
	return t;
}

void ev_timer_del(struct ev_timer *t)
{
	struct evloop *l;
	size_t i;

	if (!t)
		return;
	l = t->loop;
	i = t->slot;
	if (i >= l->nheap || l->heap[i] != t)
		return;
	l->nheap--;
	if (i != l->nheap) {
		heap_set(l, i, l->heap[l->nheap]);
		sift_down(l, i);
		sift_up(l, l->heap[i]->slot);
	}
	free(t);
}

void evloop_post(struct evloop *l, ev_post_fn fn, void *arg)
{
	struct post *p = xmalloc(sizeof(*p));
	uint64_t one = 1;

	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&l->lock);
	*l->posts_tail = p;
	l->posts_tail = &p->next;
	pthread_mutex_unlock(&l->lock);
	if (write(l->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		abort();
}

static void run_posts(struct evloop *l)
{
	struct post *p;
	uint64_t v;

	if (read(l->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&l->lock);
	p = l->posts;
	l->posts = NULL;
	l->posts_tail = &l->posts;
	pthread_mutex_unlock(&l->lock);
	while (p) {
		struct post *next = p->next;
		p->fn(p->arg);
		free(p);
		p = next;
	}
}

void evloop_stop(struct evloop *l)
{
	l->running = false;
}

void evloop_run(struct evloop *l)
{
	struct epoll_event evs[64];

	l->running = true;
	while (l->running) {
		int timeout = -1;
		uint64_t now = evloop_now_ms();

		while (l->nheap && l->heap[0]->due <= now) {
			struct ev_timer *t = l->heap[0];
			ev_timer_fn fn = t->fn;
			void *arg = t->arg;
			l->nheap--;
			if (l->nheap) {
				heap_set(l, 0, l->heap[l->nheap]);
				sift_down(l, 0);
			}
			free(t);
			fn(NULL, arg);
			if (!l->running)
				return;
		}
		if (l->nheap)
			timeout = (int)(l->heap[0]->due - now);
		int n = epoll_wait(l->epfd, evs, 64, timeout);
		for (int i = 0; i < n && l->running; i++) {
			struct ev_io *io = evs[i].data.ptr;
			if (!io)
				run_posts(l);
			else if (!io->dead)
				io->fn(io, evs[i].events, io->arg);
		}
		reap(l);
	}
}
