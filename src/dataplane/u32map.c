#include "dataplane/u32map.h"

#include <stdlib.h>

#include "util/xalloc.h"

static size_t slot(const struct u32map *m, uint32_t key)
{
	/* Fibonacci hashing: SPIs are random, tunnel ids and ports are not. */
	return (size_t)((key * 2654435769u) >> 7) & (m->nbuckets - 1);
}

void u32map_init(struct u32map *m)
{
	m->nbuckets = 16;
	m->count = 0;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
}

void u32map_clear(struct u32map *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (struct u32map_entry *e = m->buckets[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = m->count = 0;
}

void *u32map_get(const struct u32map *m, uint32_t key)
{
	if (!m->nbuckets)
		return NULL;
	for (struct u32map_entry *e = m->buckets[slot(m, key)]; e; e = e->next)
		if (e->key == key)
			return e->value;
	return NULL;
}

static void grow(struct u32map *m)
{
	size_t old = m->nbuckets;
	struct u32map_entry **ob = m->buckets;

	m->nbuckets *= 2;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	for (size_t i = 0; i < old; i++) {
		for (struct u32map_entry *e = ob[i], *n; e; e = n) {
			size_t s = slot(m, e->key);
			n = e->next;
			e->next = m->buckets[s];
			m->buckets[s] = e;
		}
	}
	free(ob);
}

void *u32map_put(struct u32map *m, uint32_t key, void *value)
{
	struct u32map_entry *e;

	if (!m->nbuckets)
		u32map_init(m);
	for (e = m->buckets[slot(m, key)]; e; e = e->next) {
		if (e->key == key) {
			void *prev = e->value;
			e->value = value;
			return prev;
		}
	}
	if (m->count + 1 > m->nbuckets)
		grow(m);
	e = xcalloc(1, sizeof(*e));
	e->key = key;
	e->value = value;
	e->next = m->buckets[slot(m, key)];
	m->buckets[slot(m, key)] = e;
	m->count++;
	return NULL;
}

void *u32map_del(struct u32map *m, uint32_t key)
{
	if (!m->nbuckets)
		return NULL;
	for (struct u32map_entry **pp = &m->buckets[slot(m, key)]; *pp; pp = &(*pp)->next) {
		struct u32map_entry *e = *pp;
		if (e->key == key) {
			void *v = e->value;
			*pp = e->next;
			free(e);
			m->count--;
			return v;
		}
	}
	return NULL;
}

struct u32map_entry *u32map_next(const struct u32map *m, struct u32map_entry *it)
{
	size_t i;

	if (it && it->next)
		return it->next;
	i = it ? slot(m, it->key) + 1 : 0;
	for (; i < m->nbuckets; i++)
		if (m->buckets[i])
			return m->buckets[i];
	return NULL;
}
