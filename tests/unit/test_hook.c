/* util/hook.h: subscribers run by priority, then in registration order;
 * unregistering removes exactly one; answer hooks return the first answer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "util/hook.h"

HOOK_DECLARE(test_event, (const char *what, int n), (what, n));
HOOK_DEFINE(test_event);
HOOK_DECLARE_ANSWER(test_question, int, -1, (int q), (q));
HOOK_DEFINE(test_question);
HOOK_DECLARE_NOARGS(test_tick);
HOOK_DEFINE(test_tick);

static char trace[256];
/* args are compared as pointers: one object each */
static char tag_t0[] = "t0", tag_t1[] = "t1", tag_none[] = "none";

static void note(const char *tag, const char *what, int n)
{
	size_t len = strlen(trace);

	snprintf(trace + len, sizeof(trace) - len, "%s%s:%s%d", len ? " " : "", tag, what, n);
}

static void sub_a(const char *what, int n, void *arg)
{
	note("a", what, n);
}

static void sub_b(const char *what, int n, void *arg)
{
	note("b", what, n);
}

/* One function, told apart by its arg. */
static void sub_tagged(const char *what, int n, void *arg)
{
	note(arg, what, n);
}

static void register_a(int prio)
{
	hook_register(test_event, sub_a, NULL, prio);
}

TEST(hook_order_by_priority_then_registration)
{
	trace[0] = 0;
	hook_call(test_event, "x", 1); /* no subscriber: nothing happens */
	CHECK_STR(trace, "");
	CHECK(hook_empty(test_event));

	hook_register(test_event, sub_b, NULL, HOOK_PRIO_LAST);
	register_a(HOOK_PRIO_DEFAULT);
	hook_register(test_event, sub_tagged, tag_t1, HOOK_PRIO_DEFAULT);
	hook_register(test_event, sub_tagged, tag_t0, HOOK_PRIO_FIRST);
	CHECK_INT(hook_count(&hook_test_event), 4);
	CHECK(!hook_empty(test_event));

	hook_call(test_event, "e", 7);
	CHECK_STR(trace, "t0:e7 a:e7 t1:e7 b:e7");

	/* the same site again: one subscription still */
	register_a(HOOK_PRIO_DEFAULT);
	CHECK_INT(hook_count(&hook_test_event), 4);

	/* unregister one: by function and arg */
	trace[0] = 0;
	hook_unregister(test_event, sub_tagged, tag_t1);
	hook_unregister(test_event, sub_tagged, tag_none);
	CHECK_INT(hook_count(&hook_test_event), 3);
	hook_call(test_event, "f", 8);
	CHECK_STR(trace, "t0:f8 a:f8 b:f8");

	/* unregistered, the site may register again, now at a new place */
	trace[0] = 0;
	hook_unregister(test_event, sub_a, NULL);
	register_a(HOOK_PRIO_LAST + 1);
	hook_call(test_event, "g", 9);
	CHECK_STR(trace, "t0:g9 b:g9 a:g9");

	CHECK(!hook_del(&hook_test_event, (void (*)(void))sub_tagged, tag_t1));
	hook_unregister(test_event, sub_a, NULL);
	hook_unregister(test_event, sub_b, NULL);
	hook_unregister(test_event, sub_tagged, tag_t0);
	CHECK(hook_empty(test_event));
	CHECK_INT(hook_count(&hook_test_event), 0);
}

static int answer_none(int q, void *arg)
{
	return -1;
}

static int answer_even(int q, void *arg)
{
	return q % 2 == 0 ? 100 + q : -1;
}

static int answer_all(int q, void *arg)
{
	return 200 + q;
}

TEST(hook_answer_is_the_first_by_priority)
{
	CHECK_INT(hook_call(test_question, 2), -1);
	hook_register(test_question, answer_all, NULL, HOOK_PRIO_LAST);
	hook_register(test_question, answer_none, NULL, HOOK_PRIO_FIRST);
	hook_register(test_question, answer_even, NULL, HOOK_PRIO_DEFAULT);
	CHECK_INT(hook_call(test_question, 2), 102);
	CHECK_INT(hook_call(test_question, 3), 203);
	hook_unregister(test_question, answer_all, NULL);
	CHECK_INT(hook_call(test_question, 3), -1);
	CHECK_INT(hook_call(test_question, 4), 104);
	hook_unregister(test_question, answer_even, NULL);
	hook_unregister(test_question, answer_none, NULL);
	CHECK(hook_empty(test_question));
}

static void tick(void *arg)
{
	(*(int *)arg)++;
}

TEST(hook_without_parameters)
{
	int a = 0, b = 0;

	hook_call(test_tick); /* no subscriber: nothing happens */
	hook_register(test_tick, tick, &a, HOOK_PRIO_DEFAULT);
	hook_register(test_tick, tick, &b, HOOK_PRIO_DEFAULT);
	hook_call(test_tick);
	hook_call(test_tick);
	CHECK_INT(a, 2);
	CHECK_INT(b, 2);
	hook_unregister(test_tick, tick, &a);
	hook_call(test_tick);
	CHECK_INT(a, 2);
	CHECK_INT(b, 3);
	hook_unregister(test_tick, tick, &b);
	CHECK(hook_empty(test_tick));
}

/* A caller on another thread while the main thread subscribes and
 * unsubscribes: every call sees a well-formed list (the sanitizer build
 * catches a use of a torn link). */
static int calls_seen;

static void count_call(const char *what, int n, void *arg)
{
	__atomic_add_fetch(&calls_seen, 1, __ATOMIC_RELAXED);
}

static void other_call(const char *what, int n, void *arg) {}

static bool stop_caller;

static unsigned long rounds;

static void *caller(void *unused)
{

	while (!__atomic_load_n(&stop_caller, __ATOMIC_ACQUIRE) || rounds < 1000) {
		hook_call(test_event, "c", 0);
		rounds++;
	}
	return NULL;
}

TEST(hook_call_from_another_thread)
{
	pthread_t t;

	hook_register(test_event, count_call, NULL, HOOK_PRIO_DEFAULT);
	CHECK_INT(pthread_create(&t, NULL, caller, NULL), 0);
	for (int i = 0; i < 20000; i++) {
		if (i % 2 == 0)
			hook_register(test_event, other_call, NULL, i % 7 - 3);
		else
			hook_unregister(test_event, other_call, NULL);
	}
	__atomic_store_n(&stop_caller, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	/* count_call never left: calls reached it (a call racing a
	 * re-registration may skip it once) */
	CHECK(rounds >= 1000);
	CHECK(__atomic_load_n(&calls_seen, __ATOMIC_RELAXED) >= (int)(rounds / 2));
	hook_unregister(test_event, count_call, NULL);
	CHECK(hook_empty(test_event));
}
