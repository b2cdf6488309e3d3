/* A tiny unit-test harness: TEST(name) { CHECK(...); } and a registry.
 * Each test binary prints one line per test and a closing
 * "N passed, N failed" line, and exits non-zero when anything failed. */
#ifndef VPNSIP_TEST_HARNESS_H
#define VPNSIP_TEST_HARNESS_H

#include <stdbool.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void harness_register(struct unit_test *t);
void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)                                                         \
	static void test_##name(void);                                     \
	static struct unit_test test_desc_##name = { #name, test_##name, 0 }; \
	__attribute__((constructor)) static void test_reg_##name(void)     \
	{                                                                  \
		harness_register(&test_desc_##name);                       \
	}                                                                  \
	static void test_##name(void)

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			harness_fail(__FILE__, __LINE__, "%s", #cond);     \
	} while (0)

#define CHECK_INT(a, b)                                                    \
	do {                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);        \
		if (a_ != b_)                                              \
			harness_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
				     #a, a_, b_);                          \
	} while (0)

#define CHECK_STR(a, b)                                                    \
	do {                                                               \
		const char *a_ = (a), *b_ = (b);                           \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                     \
			harness_fail(__FILE__, __LINE__,                   \
				     "%s:\n--- got ---\n%s\n--- expected ---\n%s", \
				     #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#endif
