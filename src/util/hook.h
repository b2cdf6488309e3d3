/* Typed hooks with any number of subscribers.
 *
 * A module that publishes an event declares the hook once in its header,
 * with the prototype its subscribers implement (their last parameter is
 * the void *arg they registered with), and defines it in one C file:
 *
 *   foo.h:  HOOK_DECLARE(foo_changed, (const char *name), (name));
 *   foo.c:  HOOK_DEFINE(foo_changed);
 *           ...
 *           hook_call(foo_changed, name);
 *
 *   bar.c:  static void on_foo(const char *name, void *arg) { ... }
 *           hook_register(foo_changed, on_foo, NULL, HOOK_PRIO_DEFAULT);
 *
 * Subscribers run in ascending priority, those of equal priority in the
 * order they registered.  The compiler checks each subscriber against the
 * declared prototype.
 *
 * A hook whose news has no parameters is declared with
 * HOOK_DECLARE_NOARGS(name); its subscribers take only their arg, and it
 * is called as hook_call(name).
 *
 * A hook that asks a question instead of telling news is declared with
 * HOOK_DECLARE_ANSWER(name, type, none, params, args): hook_call() returns
 * the first answer other than none (in priority order), or none when no
 * subscriber has one.
 *
 * Each hook_register() call site owns one subscription (a static entry,
 * never freed): registering again from the same site while subscribed is
 * a no-op, so the site may run more than once (an init function called by
 * several tests); a site must not subscribe a different function or arg
 * while its subscription is linked (that aborts: a wiring error).
 * hook_unregister() removes the subscription with that function and arg.
 *
 * Threads: registration is serialised by the hook's lock; hook_call()
 * takes no lock, so a hook may be called from any thread (the data plane
 * thread, a logging thread) while the main thread registers.  A call that
 * runs while a subscriber is being removed sees it or not; one that runs
 * while a removed subscriber registers again may skip or repeat another
 * subscriber once.  Hooks called off the main thread therefore get their
 * subscribers at start-up and lose them at shutdown.  Each declaration
 * says which thread calls the hook. */
#ifndef VPNSIP_UTIL_HOOK_H
#define VPNSIP_UTIL_HOOK_H

#include <pthread.h>
#include <stdbool.h>

#define HOOK_PRIO_FIRST   (-1000)
#define HOOK_PRIO_DEFAULT 0
#define HOOK_PRIO_LAST    1000

/* One subscription.  fn holds the typed function cast to a generic one;
 * only the hook's typed caller casts it back. */
struct hook_entry {
	void (*fn)(void);
	void *arg;
	int priority;
	const char *fn_name;
	struct hook_entry *next; /* read without the lock by callers */
	bool linked;
};

struct hook {
	const char *name;
	struct hook_entry *head; /* read without the lock by callers */
	pthread_mutex_t lock;
};

/* Link e (a caller-owned entry that lives as long as the program) into
 * h by priority; false when e is already linked (nothing changes). */
bool hook_add(struct hook *h, struct hook_entry *e, void (*fn)(void), void *arg, int priority,
              const char *fn_name);
/* Unlink the subscription with fn and arg; false when there is none. */
bool hook_del(struct hook *h, void (*fn)(void), void *arg);
/* Subscriptions now linked (tests, show). */
unsigned hook_count(struct hook *h);

static inline struct hook_entry *hook_first(const struct hook *h)
{
	return __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
}

static inline struct hook_entry *hook_next(const struct hook_entry *e)
{
	return __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
}

/* fn and arg change only while the entry is unlinked, but a caller that
 * stood on it then may still read them. */
static inline void (*hook_entry_fn(const struct hook_entry *e))(void)
{
	return __atomic_load_n(&e->fn, __ATOMIC_RELAXED);
}

static inline void *hook_entry_arg(const struct hook_entry *e)
{
	return __atomic_load_n(&e->arg, __ATOMIC_RELAXED);
}

/* Has the hook no subscriber (e.g. skip preparing an event nobody wants)? */
#define hook_empty(name) (hook_first(&hook_##name) == NULL)

/* (a, b) -> (a, b, <the entry's arg>) */
#define HOOK_WITH_ARG_PARAM(...) (__VA_ARGS__, void *hook_arg_)
#define HOOK_WITH_ARG_VALUE(...) (__VA_ARGS__, hook_entry_arg(hook_entry_))

#define HOOK_DECLARE(name, params, args)                                                           \
	extern struct hook hook_##name;                                                            \
	typedef void hook_##name##_fn HOOK_WITH_ARG_PARAM params;                                  \
	static inline void hook_##name##_call params                                               \
	{                                                                                          \
		for (struct hook_entry *hook_entry_ = hook_first(&hook_##name); hook_entry_;       \
		     hook_entry_ = hook_next(hook_entry_))                                         \
			((hook_##name##_fn *)hook_entry_fn(hook_entry_)) HOOK_WITH_ARG_VALUE args; \
	}                                                                                          \
	struct hook_##name##_semicolon_

#define HOOK_DECLARE_NOARGS(name)                                                                  \
	extern struct hook hook_##name;                                                            \
	typedef void hook_##name##_fn(void *hook_arg_);                                            \
	static inline void hook_##name##_call(void)                                                \
	{                                                                                          \
		for (struct hook_entry *hook_entry_ = hook_first(&hook_##name); hook_entry_;       \
		     hook_entry_ = hook_next(hook_entry_))                                         \
			((hook_##name##_fn *)hook_entry_fn(hook_entry_))(                          \
			        hook_entry_arg(hook_entry_));                                      \
	}                                                                                          \
	struct hook_##name##_semicolon_

#define HOOK_DECLARE_ANSWER(name, type, none, params, args)                                        \
	extern struct hook hook_##name;                                                            \
	typedef type hook_##name##_fn HOOK_WITH_ARG_PARAM params;                                  \
	static inline type hook_##name##_call params                                               \
	{                                                                                          \
		for (struct hook_entry *hook_entry_ = hook_first(&hook_##name); hook_entry_;       \
		     hook_entry_ = hook_next(hook_entry_)) {                                       \
			type answer_ = ((hook_##name##_fn *)hook_entry_fn(                         \
			        hook_entry_))HOOK_WITH_ARG_VALUE args;                             \
			if (answer_ != (none))                                                     \
				return answer_;                                                    \
		}                                                                                  \
		return (none);                                                                     \
	}                                                                                          \
	struct hook_##name##_semicolon_

#define HOOK_DEFINE(name) struct hook hook_##name = {#name, NULL, PTHREAD_MUTEX_INITIALIZER}

#define hook_call(name, ...) hook_##name##_call(__VA_ARGS__)

/* The assignment to typed_ is the compile-time check of func's prototype. */
#define hook_register(name, func, arg, prio)                                                       \
	do {                                                                                       \
		static struct hook_entry hook_site_entry_;                                         \
		hook_##name##_fn *typed_ = (func);                                                 \
		hook_add(&hook_##name, &hook_site_entry_, (void (*)(void))typed_, (arg), (prio),   \
		         #func);                                                                   \
	} while (0)

#define hook_unregister(name, func, arg)                                                           \
	do {                                                                                       \
		hook_##name##_fn *typed_ = (func);                                                 \
		hook_del(&hook_##name, (void (*)(void))typed_, (arg));                             \
	} while (0)

#endif
