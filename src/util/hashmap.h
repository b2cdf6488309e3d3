/* A string-keyed hash map (chained, power-of-two buckets, grows at load 1).
 * Keys are copied; values are owned by the caller.  Lookup is O(1) on
 * average, which is what lets per-event lookups stay flat at scale. */
#ifndef VPNSIP_UTIL_HASHMAP_H
#define VPNSIP_UTIL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hashmap_entry {
	struct hashmap_entry *next;
	unsigned hash;
	char *key;
	void *value;
};

struct hashmap {
	struct hashmap_entry **buckets;
	size_t nbuckets;
	size_t count;
	bool nocase; /* keys compare case-insensitively */
};

void hashmap_init(struct hashmap *m, bool nocase);
/* Frees the entries (not the values). */
void hashmap_clear(struct hashmap *m);
void *hashmap_get(const struct hashmap *m, const char *key);
/* Inserts or replaces; returns the previous value or NULL. */
void *hashmap_put(struct hashmap *m, const char *key, void *value);
/* Removes; returns the value or NULL. */
void *hashmap_del(struct hashmap *m, const char *key);

/* Iteration: for (it = NULL; (it = hashmap_next(m, it));) — unordered. */
struct hashmap_entry *hashmap_next(const struct hashmap *m, struct hashmap_entry *it);
/* All values as a newly allocated array (caller frees), for sorting. */
void **hashmap_values(const struct hashmap *m, size_t *n);

#endif
