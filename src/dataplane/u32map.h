/* A hash map from 32-bit keys (SPIs, tunnel ids, ports) to pointers:
 * chained, power-of-two buckets, grows at load 1, so lookups stay O(1)
 * with thousands of tunnels and SAs.  Not thread-safe by itself. */
#ifndef VPNSIP_DATAPLANE_U32MAP_H
#define VPNSIP_DATAPLANE_U32MAP_H

#include <stddef.h>
#include <stdint.h>

struct u32map_entry {
	struct u32map_entry *next;
	uint32_t key;
	void *value;
};

struct u32map {
	struct u32map_entry **buckets;
	size_t nbuckets, count;
};

void u32map_init(struct u32map *m);
void u32map_clear(struct u32map *m); /* frees entries, not values */
void *u32map_get(const struct u32map *m, uint32_t key);
void *u32map_put(struct u32map *m, uint32_t key, void *value); /* previous value */
void *u32map_del(struct u32map *m, uint32_t key);
/* for (it = NULL; (it = u32map_next(m, it));) */
struct u32map_entry *u32map_next(const struct u32map *m, struct u32map_entry *it);

#endif
