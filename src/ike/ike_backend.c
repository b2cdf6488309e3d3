/* backend_t (libcharon's threads): the peer_cfgs and ike_cfgs of the
 * snapshots, by IKE SA, by remote identity or all of them, each a
 * reference taken under the registry's read lock. */
#include <library.h>
#include <daemon.h>
#include <config/backend.h>

#include "ike/ike_session_int.h"

static void list_cleanup(void *list)
{
	((linked_list_t *)list)->destroy_offset(list, offsetof(peer_cfg_t, destroy));
}

static void ike_list_cleanup(void *list)
{
	((linked_list_t *)list)->destroy_offset(list, offsetof(ike_cfg_t, destroy));
}

static void add_peer_cfg(struct snap *s, void *list)
{
	((linked_list_t *)list)->insert_last(list, s->peer_cfg->get_ref(s->peer_cfg));
}

METHOD(backend_t, create_peer_cfg_enumerator, enumerator_t *, backend_t *this,
       identification_t *me, identification_t *other)
{
	linked_list_t *list = linked_list_create();
	struct snap *own = ike_snap_of_thread();

	if (own) {
		/* A responder's IKE_AUTH: other is the peer's IDi.  An identity
		 * the session does not accept finds no peer_cfg, which libcharon
		 * answers AUTHENTICATION_FAILED. */
		ike_sa_t *sa = charon->bus->get_sa(charon->bus);
		if (other && other->get_type(other) != ID_ANY && sa &&
		    !ike_snap_accepts_id(own, other)) {
			ike_snap_id_refused(own, sa, other);
			ike_snap_put(own);
			return enumerator_create_cleaner(list->create_enumerator(list), list_cleanup,
							 list);
		}
		add_peer_cfg(own, list);
		ike_snap_put(own);
		return enumerator_create_cleaner(list->create_enumerator(list), list_cleanup, list);
	}
	if (other && other->get_type(other) != ID_ANY) {
		struct snap *s = ike_snap_find_remote(other);
		if (s) {
			add_peer_cfg(s, list);
			ike_snap_put(s);
		}
	}
	/* Responder before IKE_AUTH, or an identity we do not key on. */
	if (!list->get_count(list))
		ike_snap_each(add_peer_cfg, list);
	return enumerator_create_cleaner(list->create_enumerator(list), list_cleanup, list);
}

struct ike_cfgs_of {
	linked_list_t *list;
	bool any;            /* every ike_cfg, else those towards peer */
	struct vpnsip_addr peer;
};

static void add_ike_cfg(struct snap *s, void *arg)
{
	struct ike_cfgs_of *q = arg;

	if (q->any || vpnsip_addr_equal(&s->peer.addr, &q->peer)) {
		ike_cfg_t *ic = s->peer_cfg->get_ike_cfg(s->peer_cfg);
		q->list->insert_last(q->list, ic->get_ref(ic));
	}
}

METHOD(backend_t, create_ike_cfg_enumerator, enumerator_t *, backend_t *this, host_t *me,
       host_t *other)
{
	struct ike_cfgs_of q = {
		.list = linked_list_create(),
		.any = !other || other->is_anyaddr(other) || other->get_family(other) != AF_INET,
	};
	struct snap *own = ike_snap_of_thread();

	if (own) {
		q.any = true;
		add_ike_cfg(own, &q);
		ike_snap_put(own);
	} else {
		if (!q.any)
			q.peer = vpnsip_addr_v4(((struct sockaddr_in *)other->get_sockaddr(other))->sin_addr);
		ike_snap_each(add_ike_cfg, &q);
	}
	return enumerator_create_cleaner(q.list->create_enumerator(q.list), ike_list_cleanup,
					 q.list);
}

METHOD(backend_t, get_peer_cfg_by_name, peer_cfg_t *, backend_t *this, char *name)
{
	struct snap *s = ike_snap_find(name);
	peer_cfg_t *cfg = NULL;

	if (s) {
		cfg = s->peer_cfg->get_ref(s->peer_cfg);
		ike_snap_put(s);
	}
	return cfg;
}

static backend_t ike_backend = {
	SLOT(backend_t, create_peer_cfg_enumerator, create_peer_cfg_enumerator),
	SLOT(backend_t, create_ike_cfg_enumerator, create_ike_cfg_enumerator),
	SLOT(backend_t, get_peer_cfg_by_name, get_peer_cfg_by_name),
};

void ike_backend_register(void)
{
	charon->backends->add_backend(charon->backends, &ike_backend);
}

void ike_backend_unregister(void)
{
	charon->backends->remove_backend(charon->backends, &ike_backend);
}
