/* Internals of the crypto component shared by its model, commands and PKI. */
#ifndef VPNSIP_CRYPTO_INT_H
#define VPNSIP_CRYPTO_INT_H

#include "config/config.h"
#include "crypto/crypto.h"
#include "util/hashmap.h"

/* An ordered set of named objects: O(1) lookup, configuration order kept. */
struct named_list {
	struct hashmap by_name; /* case-sensitive */
	void **v;
	size_t n, cap;
};

struct pki_material; /* pki_store.c: loaded keys and certificates */

struct crypto_cfg {
	struct crypto_globals g;
	struct named_list keyrings;   /* struct ikev2_keyring */
	struct named_list profiles;   /* struct ikev2_profile */
	struct named_list proposals;  /* struct ikev2_proposal */
	struct named_list policies;   /* struct ikev2_policy */
	struct named_list tsets;      /* struct ipsec_transform_set */
	struct named_list ipsec_profiles; /* struct ipsec_profile */
	struct named_list trustpoints; /* struct pki_trustpoint */
	struct named_list cert_maps;  /* struct pki_cert_map */
	/* key config-key password-encrypt / password encryption aes */
	bool password_encryption_aes;
	bool nat_keepalive_isakmp;   /* spelled "crypto isakmp nat keepalive" */
	char *state_dir;             /* where PKI material and the master key live */
	bool check_only;             /* vpnsipd -t: never write files */
	struct pki_material *pki;    /* runtime cache, not configuration */
};

/* The model, created on first use (commands). */
struct crypto_cfg *crypto_model(struct config *cfg);
/* The model for reading, or NULL when nothing crypto was ever configured. */
const struct crypto_cfg *crypto_model_get(const struct config *cfg);
/* From a command: the model with the environment (state dir, -t) noted. */
struct crypto_cfg *crypto_model_x(struct cli_exec *x);

void nl_init(struct named_list *l);
void *nl_get(const struct named_list *l, const char *name);
void nl_add(struct named_list *l, const char *name, void *obj);
void *nl_del(struct named_list *l, const char *name);
void nl_free(struct named_list *l, void (*free_fn)(void *));

/* Free an object of a named list; kind: "keyring", "profile", "proposal",
 * "policy", "tset", "ipsec-profile", "trustpoint", "cert-map". */
void crypto_free_object(const char *kind, void *o);
void cert_map_entry_free(struct pki_cert_map_entry *e);

/* Keyring peers: the identity index is rebuilt after a change, or (a
 * configuration being loaded) extended by the last peer alone. */
void keyring_peer_free(struct ikev2_keyring_peer *p);
void keyring_reindex(struct ikev2_keyring *k);
void keyring_index_peer(struct ikev2_keyring *k, struct ikev2_keyring_peer *p, bool had_identity);
/* A proposal names a cipher, (for non-AEAD) an integrity algorithm and a
 * group: IOS calls the others incomplete. */
bool ikev2_proposal_complete(const struct ikev2_proposal *p);

/* Parse "key-id|fqdn|address|email VALUE" arguments into id; false: bad
 * address.  value NULL with "address": our own address. */
bool crypto_id_set(struct crypto_id *id, const char *type, const char *value);

/* A command changed the crypto configuration: the crypto_config_changed
 * subscribers are told. */
void crypto_changed(struct config *cfg);

/* Secrets in the configuration text. */
char *crypto_key_decode(struct cli_exec *x, const char *type, const char *text);
void crypto_key_write(const struct config *cfg, const char *plain, struct strbuf *out);
void crypto_warn_short_psk(struct cli_exec *x, const char *key);

/* Type 6 (password encryption aes): master key in STATE/master-key. */
char *crypto_type6_encode(const struct crypto_cfg *c, const char *plain);
char *crypto_type6_decode(const struct crypto_cfg *c, const char *enc, const char **why);
bool crypto_master_key_present(const struct crypto_cfg *c);

void crypto_key_cmds_init(void);
void crypto_ikev2_cmds_init(void);
void crypto_ipsec_cmds_init(void);
void crypto_pki_cmds_init(void);
/* The PKI store's cache of loaded material: freed with the model, forgotten
 * (reloaded on next use) after a key or certificate changes. */
void pki_material_free(struct pki_material *m);
void pki_material_forget(struct crypto_cfg *c, const char *trustpoint, const char *label);

#define NO_HELP "Negate a command or set its defaults"

#endif
