#include "util/hashmap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

static unsigned hash_key(const char *s, bool nocase)
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		h ^= nocase ? (unsigned)tolower(c) : c;
		h *= 16777619u;
	}
	return h;
}

static bool key_eq(const struct hashmap *m, const char *a, const char *b)
{
	return m->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

void hashmap_init(struct hashmap *m, bool nocase)
{
	m->buckets = NULL;
	m->nbuckets = 0;
	m->count = 0;
	m->nocase = nocase;
}

void hashmap_clear(struct hashmap *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct hashmap_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(m->buckets);
	hashmap_init(m, m->nocase);
}

static struct hashmap_entry **find_slot(const struct hashmap *m, const char *key, unsigned h)
{
	struct hashmap_entry **pp;

	if (!m->nbuckets)
		return NULL;
	for (pp = &m->buckets[h & (m->nbuckets - 1)]; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && key_eq(m, (*pp)->key, key))
			return pp;
	return NULL;
}

void *hashmap_get(const struct hashmap *m, const char *key)
{
	struct hashmap_entry **pp = find_slot(m, key, hash_key(key, m->nocase));

	return pp ? (*pp)->value : NULL;
}

static void rehash(struct hashmap *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
	struct hashmap_entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct hashmap_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *hashmap_put(struct hashmap *m, const char *key, void *value)
{
	unsigned h = hash_key(key, m->nocase);
	struct hashmap_entry **pp = find_slot(m, key, h), *e;

	if (pp) {
		void *old = (*pp)->value;
		(*pp)->value = value;
		return old;
	}
	if (m->count + 1 > m->nbuckets)
		rehash(m);
	e = xmalloc(sizeof(*e));
	e->hash = h;
	e->key = xstrdup(key);
	e->value = value;
	e->next = m->buckets[h & (m->nbuckets - 1)];
	m->buckets[h & (m->nbuckets - 1)] = e;
	m->count++;
	return NULL;
}

void *hashmap_del(struct hashmap *m, const char *key)
{
	struct hashmap_entry **pp = find_slot(m, key, hash_key(key, m->nocase)), *e;
	void *v;

	if (!pp)
		return NULL;
	e = *pp;
	*pp = e->next;
	v = e->value;
	free(e->key);
	free(e);
	m->count--;
	return v;
}

struct hashmap_entry *hashmap_next(const struct hashmap *m, struct hashmap_entry *it)
{
	size_t i = 0;

	if (it) {
		if (it->next)
			return it->next;
		i = (it->hash & (m->nbuckets - 1)) + 1;
	}
	for (; i < m->nbuckets; i++)
		if (m->buckets[i])
			return m->buckets[i];
	return NULL;
}

void **hashmap_values(const struct hashmap *m, size_t *n)
{
	void **v = xcalloc(m->count + 1, sizeof(*v));
	size_t k = 0;

	for (struct hashmap_entry *e = NULL; (e = hashmap_next(m, e));)
		v[k++] = e->value;
	*n = k;
	return v;
}
