/* The crypto configuration model: IKEv2 keyrings, profiles, proposals and
 * policies, IPsec transform sets and profiles, the global IPsec/IKEv2
 * options, PKI trustpoints and certificate maps -- and the fingerprints
 * VPN-SIP exchanges in SDP (RFC 6193 / TS-1017).
 *
 * This is the READ API the other components use (the IKE engine builds its
 * libcharon snapshot from it; SIP asks for the local fingerprint).  It is
 * stable: it grows, it does not change.
 *
 * Threading: the model belongs to the main thread.  Every pointer returned
 * here points into the model and stays valid only until the next
 * configuration command runs; copy what you keep (the
 * crypto_config_changed hook tells you when to copy again).  Secrets (pre-shared keys) are plaintext in
 * memory only: never log them, never put them in debug output.
 *
 * Names: IOS compares crypto object names case-sensitively ("Self" and
 * "self" are two trustpoints); so do the lookups here. */
#ifndef VPNSIP_CRYPTO_CRYPTO_H
#define VPNSIP_CRYPTO_CRYPTO_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/iface.h"
#include "util/hook.h"
#include "util/strbuf.h"

struct config;

/* ---- identities ------------------------------------------------------------ */

enum crypto_id_type {
	CRYPTO_ID_NONE = 0,
	CRYPTO_ID_KEY_ID,  /* ID_KEY_ID: the SIP number in VPN-SIP ("0388884001") */
	CRYPTO_ID_FQDN,    /* ID_FQDN */
	CRYPTO_ID_ADDRESS, /* ID_IPV4_ADDR */
	CRYPTO_ID_EMAIL,   /* ID_RFC822_ADDR */
};

struct crypto_id {
	enum crypto_id_type type;
	char *value;         /* as typed (key-id, fqdn, email, dotted address);
			      * NULL for "identity local address": our own */
	struct in_addr addr; /* CRYPTO_ID_ADDRESS */
	/* "match identity remote" only: */
	unsigned prefix_len; /* address A MASK (0 when not given: /32; 0.0.0.0: any) */
	bool domain;         /* fqdn|email domain NAME: NAME is a suffix */
};

/* "key-id 1234", "fqdn r1.example", "address 192.0.2.1" (IOS spelling). */
const char *crypto_id_type_name(enum crypto_id_type t);
bool crypto_id_equal(const struct crypto_id *a, const struct crypto_id *b);
void crypto_id_free(struct crypto_id *id);
void crypto_id_copy(struct crypto_id *dst, const struct crypto_id *src);
/* Does a "match identity remote" rule accept the identity a peer presented
 * (type, value or addr)?  key-id: the same octets; address: inside A/MASK;
 * fqdn: the same name (case-insensitive); fqdn domain D: D itself or a
 * name ending in ".D"; email: the same address; email domain D: the part
 * after '@' is D or ends in ".D".  Any thread (no model access). */
bool crypto_id_matches(const struct crypto_id *rule, const struct crypto_id *presented);
/* "fqdn domain example.net", "address 192.0.2.0 255.255.255.0" (appended). */
void crypto_id_text(const struct crypto_id *id, struct strbuf *out);

/* ---- IKEv2 keyring ----------------------------------------------------------- */

struct ikev2_keyring_peer {
	char *name;
	char *description;
	bool has_address;           /* "address A.B.C.D [MASK]": peer's IP */
	struct ipv4_prefix address;
	struct crypto_id identity;  /* "identity key-id|fqdn|address|email ..." */
	char *psk_local;            /* key we sign with (plaintext, memory only) */
	char *psk_remote;           /* key we verify the peer with */
	bool psk_both;              /* set with "pre-shared-key KEY" (one key, both ways) */
};

struct ikev2_keyring {
	char *name;
	struct ikev2_keyring_peer **peers; /* in configuration order */
	size_t npeers, cappeers;
	/* identity "TYPE\tVALUE" -> peer: O(1) lookup for 1000s of peers */
	struct hashmap by_identity;
};

/* ---- IKEv2 profile --------------------------------------------------------------- */

enum ikev2_auth {
	IKEV2_AUTH_NONE = 0,
	IKEV2_AUTH_PSK,     /* pre-share */
	IKEV2_AUTH_RSA_SIG, /* rsa-sig */
};

enum ikev2_dpd_mode {
	IKEV2_DPD_OFF = 0,
	IKEV2_DPD_PERIODIC,
	IKEV2_DPD_ON_DEMAND,
};

#define IKEV2_LIFETIME_DEFAULT 86400 /* seconds, IOS default */

struct ikev2_profile {
	char *name;
	char *description;
	/* match */
	bool match_any;                 /* "match identity remote any" */
	struct crypto_id *match_ids;    /* "match identity remote key-id|fqdn|address|email" */
	size_t nmatch_ids, capmatch_ids;
	char **match_cert_maps;         /* "match certificate MAP" */
	size_t nmatch_cert_maps, capmatch_cert_maps;
	/* identity and authentication */
	struct crypto_id identity_local; /* "identity local key-id N" (NONE: address) */
	enum ikev2_auth auth_local;
	char *auth_local_key;            /* "authentication local pre-share key KEY" (wildcard) */
	bool auth_remote_psk;            /* "authentication remote pre-share [key KEY]" */
	bool auth_remote_rsa;            /* "authentication remote rsa-sig" */
	char *auth_remote_key;
	char *keyring_local;             /* "keyring local NAME" */
	char *pki_trustpoint;            /* "pki trustpoint NAME" */
	/* liveness and NAT */
	unsigned dpd_interval, dpd_retry; /* "dpd I R periodic|on-demand" */
	enum ikev2_dpd_mode dpd_mode;
	bool nat_force_encap;            /* "nat force-encap" */
	unsigned nat_keepalive;          /* "nat keepalive S" (0: global value) */
	unsigned lifetime;               /* "lifetime S" (IKE SA), default 86400 */
};

/* ---- IKEv2 proposal and policy ------------------------------------------------------- */

enum ikev2_encr {
	IKEV2_ENCR_AES_CBC_128 = 0,
	IKEV2_ENCR_AES_CBC_192,
	IKEV2_ENCR_AES_CBC_256,
	IKEV2_ENCR_AES_GCM_128,
	IKEV2_ENCR_AES_GCM_256,
	IKEV2_ENCR_3DES,
	IKEV2_ENCR_COUNT
};

enum ikev2_hash { /* integrity and PRF */
	IKEV2_HASH_SHA1 = 0,
	IKEV2_HASH_SHA256,
	IKEV2_HASH_SHA384,
	IKEV2_HASH_SHA512,
	IKEV2_HASH_MD5,
	IKEV2_HASH_COUNT
};

#define IKEV2_MAX_ALGS 8

struct ikev2_proposal {
	char *name;
	enum ikev2_encr encr[IKEV2_MAX_ALGS];
	size_t nencr;
	enum ikev2_hash integ[IKEV2_MAX_ALGS];
	size_t ninteg;
	enum ikev2_hash prf[IKEV2_MAX_ALGS];  /* empty: the integrity algorithms */
	size_t nprf;
	unsigned group[IKEV2_MAX_ALGS];       /* DH groups 1 2 5 14 15 16 19 20 21 24 */
	size_t ngroup;
};

struct ikev2_policy {
	char *name;
	char **proposals;                 /* "proposal NAME", in order */
	size_t nproposals, capproposals;
	bool has_match_local;             /* "match address local A.B.C.D" */
	struct in_addr match_local;
};

/* IOS-style names ("AES-CBC-256", "SHA256", "DH_GROUP_2048_MODP/Group 14")
 * and the strongSwan proposal keywords ("aes256", "aes256gcm16",
 * "sha256", "prfsha256", "modp2048", "ecp256"). */
const char *ikev2_encr_name(enum ikev2_encr e);         /* "aes-cbc-256" (config) */
const char *ikev2_encr_show(enum ikev2_encr e);         /* "AES-CBC-256" */
const char *ikev2_encr_swan(enum ikev2_encr e);
bool ikev2_encr_is_aead(enum ikev2_encr e);
const char *ikev2_hash_name(enum ikev2_hash h);         /* "sha256" */
const char *ikev2_hash_show(enum ikev2_hash h);         /* "SHA256" */
const char *ikev2_integ_swan(enum ikev2_hash h);        /* "sha256" */
const char *ikev2_prf_swan(enum ikev2_hash h);          /* "prfsha256" */
const char *ikev2_group_swan(unsigned group);           /* "modp2048", NULL if unknown */
const char *ikev2_group_show(unsigned group);           /* "DH_GROUP_2048_MODP/Group 14" */
bool ikev2_group_valid(unsigned group);
/* A proposal as strongSwan proposal strings appended to out, e.g.
 * "aes256-sha512-sha384-sha256-prfsha512-prfsha384-prfsha256-ecp256-modp2048-ecp521"
 * (AEAD ciphers go into a second proposal without integrity, joined by ","). */
void ikev2_proposal_swan(const struct ikev2_proposal *p, struct strbuf *out);

/* The proposals in effect, best first, into out (at most max; returns the
 * count).  The first configured policy whose "match address local" equals
 * local (or that has no match) gives its proposals, in order, skipping names
 * not configured; with no policy configured (or none matching / no usable
 * proposal), the IOS-like built-in "default" proposal (see
 * crypto_default_proposal).  local may be NULL (match any). */
size_t crypto_ikev2_proposals(const struct config *cfg, const struct in_addr *local,
			      const struct ikev2_proposal **out, size_t max);
/* The built-in "default" proposal: AES-CBC-256; integrity and PRF SHA512,
 * SHA384, SHA256; DH groups 19, 14, 21, 20 (IOS XE 16's default, with
 * SHA256 and group 20 added, group 5 dropped as too weak). */
const struct ikev2_proposal *crypto_default_proposal(void);

/* ---- IPsec transform set and profile --------------------------------------------------- */

enum esp_cipher {
	ESP_CIPHER_NONE = 0, /* integrity-only set */
	ESP_CIPHER_AES,      /* esp-aes [128|192|256] (CBC), default 128 */
	ESP_CIPHER_GCM,      /* esp-gcm [128|192|256], default 256 (AEAD, 16-byte ICV) */
	ESP_CIPHER_GMAC,     /* esp-gmac [128|192|256], default 256 (auth only) */
	ESP_CIPHER_3DES,
	ESP_CIPHER_DES,
	ESP_CIPHER_NULL,     /* esp-null */
};

enum esp_integ {
	ESP_INTEG_NONE = 0,
	ESP_INTEG_SHA1,   /* esp-sha-hmac */
	ESP_INTEG_SHA256, /* esp-sha256-hmac */
	ESP_INTEG_SHA384, /* esp-sha384-hmac */
	ESP_INTEG_SHA512, /* esp-sha512-hmac */
	ESP_INTEG_MD5,    /* esp-md5-hmac */
};

enum ipsec_mode {
	IPSEC_MODE_TUNNEL = 0, /* default */
	IPSEC_MODE_TRANSPORT,
};

struct ipsec_transform_set {
	char *name;
	enum esp_cipher cipher;
	unsigned keysize; /* bits, for AES/GCM/GMAC */
	enum esp_integ integ;
	enum ipsec_mode mode;
};

/* The transform sets of an IPsec profile in effect, in priority order
 * (names not configured are skipped); none: IOS's built-in "default"
 * { esp-aes esp-sha-hmac } (AES-CBC-128, HMAC-SHA1-96), tunnel mode. */
struct ipsec_profile;
size_t crypto_ipsec_transform_sets(const struct config *cfg, const struct ipsec_profile *p,
				   const struct ipsec_transform_set **out, size_t max);
/* "esp-aes 256 esp-sha256-hmac" (as running-config writes it). */
void ipsec_transform_set_text(const struct ipsec_transform_set *ts, struct strbuf *out);
/* strongSwan ESP proposal: "aes256-sha256", "aes256gcm16", "null-sha1". */
void ipsec_transform_set_swan(const struct ipsec_transform_set *ts, struct strbuf *out);

#define IPSEC_REPLAY_DEFAULT 64 /* packets */
#define IPSEC_REPLAY_MAX 1024
#define IPSEC_LIFETIME_SECONDS_DEFAULT 3600
#define IPSEC_LIFETIME_KB_DEFAULT 4608000

struct ipsec_profile {
	char *name;
	char *description;
	char **transform_sets;     /* "set transform-set A [B ...]" (up to 6) */
	size_t ntransform_sets;
	char *ikev2_profile;       /* "set ikev2-profile NAME" */
	unsigned idle_time;        /* "set security-association idle-time S" (0: global) */
	unsigned lifetime_seconds; /* 0: global */
	unsigned lifetime_kb;      /* 0: global */
	unsigned pfs_group;        /* "set pfs groupN" (0: no PFS, TS-1017 4.3) */
	unsigned replay_window;    /* "set security-association replay window-size N" (0: global) */
	bool replay_disable;       /* "set security-association replay disable" */
};

/* ---- globals --------------------------------------------------------------------------- */

enum ipsec_df_bit {
	IPSEC_DF_COPY = 0, /* default */
	IPSEC_DF_CLEAR,
	IPSEC_DF_SET,
};

#define IKEV2_FRAGMENTATION_MTU_DEFAULT 576

struct crypto_globals {
	unsigned sa_idle_time;        /* "crypto ipsec security-association idle-time S" */
	unsigned sa_lifetime_seconds; /* "... lifetime seconds S" (default 3600) */
	unsigned sa_lifetime_kb;      /* "... lifetime kilobytes K" (default 4608000) */
	unsigned replay_window;       /* "... replay window-size N" (default 64) */
	bool replay_disable;          /* "... replay disable" */
	enum ipsec_df_bit df_bit;     /* "crypto ipsec df-bit clear|set|copy" */
	unsigned nat_keepalive;       /* "crypto ikev2|isakmp nat keepalive S" (0: off) */
	bool fragmentation;           /* "crypto ikev2 fragmentation [mtu N]" */
	unsigned fragmentation_mtu;   /* default 576 */
	bool invalid_spi_recovery;    /* "crypto isakmp invalid-spi-recovery" */
};

/* Per tunnel interface: "crypto ipsec df-bit clear|set|copy" in config-if
 * (iface_ext of type crypto_iface_ext_type; absent: the global value). */
struct crypto_iface {
	bool has_df_bit;
	enum ipsec_df_bit df_bit;
};
extern const struct iface_ext_type crypto_iface_ext_type;

const char *ipsec_df_bit_name(enum ipsec_df_bit d); /* "clear" "set" "copy" */

/* ---- PKI -------------------------------------------------------------------------------- */

enum pki_enrollment {
	PKI_ENROLL_NONE = 0,
	PKI_ENROLL_SELFSIGNED,
	PKI_ENROLL_URL,      /* SCEP: configurable, "crypto pki enroll" refuses it */
	PKI_ENROLL_TERMINAL, /* the certificate is pasted: "crypto pki import NAME certificate" */
};

enum pki_serial {
	PKI_SERIAL_ASK = 0, /* not configured (vpnsip does not ask: no serial) */
	PKI_SERIAL_NONE,    /* "serial-number none" */
	PKI_SERIAL_INCLUDE, /* "serial-number": the machine-id goes into the subject */
};

enum pki_revocation {
	PKI_REVOCATION_DEFAULT = 0, /* no line: crl, as IOS */
	PKI_REVOCATION_NONE,
	PKI_REVOCATION_CRL,
};

#define PKI_RSA_MODULUS_DEFAULT 2048

struct pki_trustpoint {
	char *name;
	enum pki_enrollment enrollment;
	char *enrollment_url;
	char *subject_name;          /* "CN=peer2,O=..." as typed; NULL: CN=<hostname> */
	enum pki_serial serial;
	enum pki_revocation revocation;
	char *rsakeypair;            /* key label; NULL: the default key (hostname) */
	unsigned rsakeypair_modulus; /* 0: default 2048 (used when enroll generates it) */
};

/* "crypto pki certificate map NAME SEQ" with its field matches. */
enum pki_map_field {
	PKI_MAP_SUBJECT_NAME = 0,
	PKI_MAP_ISSUER_NAME,
};
enum pki_map_op {
	PKI_MAP_EQ = 0, /* eq: the whole field equals VALUE (case-insensitive) */
	PKI_MAP_NE,     /* ne */
	PKI_MAP_CO,     /* co: the field contains VALUE (case-insensitive) */
	PKI_MAP_NC,     /* nc: does not contain */
};
struct pki_map_rule {
	enum pki_map_field field;
	enum pki_map_op op;
	char *value; /* as typed, may contain spaces ("cn = orange") */
};
struct pki_cert_map_entry {
	unsigned seq;
	struct pki_map_rule *rules;
	size_t nrules, caprules;
};
struct pki_cert_map {
	char *name;
	struct pki_cert_map_entry **entries; /* sorted by seq */
	size_t nentries, capentries;
};

/* Does a certificate (DER) satisfy the map (any entry whose rules all
 * hold)?  Subject/issuer are compared in OpenSSL's one-line RFC 2253-ish
 * form "cn=peer2,o=example" with spaces around '=' removed, case-insensitive. */
bool crypto_cert_map_match(const struct config *cfg, const char *map, const uint8_t *der,
			   size_t len);

/* A certificate map for other threads (the IKE engine's authorize hook):
 * crypto_cert_map_copy() on the main thread (NULL: no such map), then
 * crypto_cert_map_copy_match() from any thread, crypto_cert_map_copy_free(). */
struct pki_cert_map *crypto_cert_map_copy(const struct config *cfg, const char *map);
bool crypto_cert_map_copy_match(const struct pki_cert_map *m, const uint8_t *der, size_t len);
void crypto_cert_map_copy_free(struct pki_cert_map *m);
/* The subject of a certificate (DER) in the RFC 2253 form the maps compare
 * ("CN=rtrB,O=example"); false if it does not parse.  Any thread. */
bool crypto_cert_subject_text(const uint8_t *der, size_t len, char *buf, size_t n);

/* Files under the daemon's state directory (-D), all mode 0600:
 *   STATE/pki/keys/LABEL.key       RSA private key, PEM (PKCS#8)
 *   STATE/pki/certs/TRUSTPOINT.crt the router's certificate, PEM
 *   STATE/pki/ca/TRUSTPOINT.crt    the trustpoint's CA certificate, PEM
 *   STATE/pki/crl/TRUSTPOINT.crl   the CA's CRL, PEM or DER, put there by
 *                                  the operator (read at each IKE_AUTH)
 * The returned strings are newly allocated (NULL without a state dir). */
char *crypto_pki_key_path(const struct config *cfg, const char *label);
char *crypto_pki_cert_path(const struct config *cfg, const char *trustpoint);
char *crypto_pki_ca_path(const struct config *cfg, const char *trustpoint);
char *crypto_pki_crl_path(const struct config *cfg, const char *trustpoint);
/* "revocation-check crl" in effect (also with no line, as IOS): a peer
 * certificate the trustpoint's CA issued needs a good status in its CRL. */
bool crypto_pki_checks_crl(const struct pki_trustpoint *tp);
/* The key label a trustpoint uses: its rsakeypair, else the hostname. */
const char *crypto_pki_key_label(const struct config *cfg, const struct pki_trustpoint *tp);

/* Material of a trustpoint, DER, newly allocated (caller frees); false when
 * there is none (not enrolled / not authenticated / no such key). */
bool crypto_pki_cert_der(const struct config *cfg, const char *trustpoint, uint8_t **der,
			 size_t *len);
bool crypto_pki_ca_der(const struct config *cfg, const char *trustpoint, uint8_t **der,
		       size_t *len);
/* The private key (PKCS#1 RSAPrivateKey DER: strongSwan's
 * BUILD_BLOB_ASN1_DER for KEY_RSA).  Wipe it (explicit_bzero) after use. */
bool crypto_pki_key_der(const struct config *cfg, const char *label, uint8_t **der,
			size_t *len);

/* ---- lookups ------------------------------------------------------------------------------ */

const struct crypto_globals *crypto_globals(const struct config *cfg);
const struct ikev2_keyring *crypto_keyring_find(const struct config *cfg, const char *name);
const struct ikev2_profile *crypto_ikev2_profile_find(const struct config *cfg,
						      const char *name);
const struct ikev2_proposal *crypto_ikev2_proposal_find(const struct config *cfg,
							const char *name);
const struct ikev2_policy *crypto_ikev2_policy_find(const struct config *cfg, const char *name);
const struct ipsec_transform_set *crypto_transform_set_find(const struct config *cfg,
							    const char *name);
const struct ipsec_profile *crypto_ipsec_profile_find(const struct config *cfg,
						      const char *name);
const struct pki_trustpoint *crypto_trustpoint_find(const struct config *cfg, const char *name);
const struct pki_cert_map *crypto_cert_map_find(const struct config *cfg, const char *name);

/* Iteration in running-config order: fn(object, arg) for each; a callback
 * returning false stops.  Object types per function as named. */
void crypto_foreach_ikev2_profile(const struct config *cfg,
				  bool (*fn)(const struct ikev2_profile *p, void *arg), void *arg);
void crypto_foreach_ipsec_profile(const struct config *cfg,
				  bool (*fn)(const struct ipsec_profile *p, void *arg), void *arg);
void crypto_foreach_keyring(const struct config *cfg,
			    bool (*fn)(const struct ikev2_keyring *k, void *arg), void *arg);

/* Main thread, after "no ... security-association idle-time": the
 * tunnels that now have no idle timer although they need one, each
 * appended to tunnels as ", NAME" (a VPN-SIP call is billed by its time and
 * only the idle timer ends it when the traffic stops).  Subscriber: the
 * VPN-SIP configuration.  The command prints a warning naming them. */
HOOK_DECLARE(crypto_idle_time_missing, (const struct config *cfg, struct strbuf *tunnels),
	     (cfg, tunnels));

/* Effective IPsec SA values for a profile (NULL: globals only). */
unsigned crypto_ipsec_idle_time(const struct config *cfg, const struct ipsec_profile *p);
unsigned crypto_ipsec_lifetime_seconds(const struct config *cfg, const struct ipsec_profile *p);
unsigned crypto_ipsec_lifetime_kb(const struct config *cfg, const struct ipsec_profile *p);
/* Replay window in packets; 0 means replay checking is disabled. */
unsigned crypto_ipsec_replay_window(const struct config *cfg, const struct ipsec_profile *p);
/* DF bit for a tunnel interface: its own setting, else the global one. */
enum ipsec_df_bit crypto_ipsec_df_bit(const struct config *cfg, const struct iface_cfg *ifc);

/* ---- pre-shared keys ------------------------------------------------------------------------ */

/* The keys for a peer identity.  Pointers into the model (plaintext). */
struct crypto_psk {
	const char *local;  /* we sign our AUTH with it (NULL: none) */
	const char *remote; /* we verify the peer's AUTH with it (NULL: none) */
	const struct ikev2_keyring_peer *peer; /* the keyring peer, NULL for profile keys */
};

/* A keyring for other threads (the IKE engine's credential set, which
 * looks keys up by the identity the peer presented): a deep copy made on
 * the main thread (NULL: no such keyring), read-only afterwards, looked up
 * with crypto_keyring_copy_psk() from any thread (the same rules as
 * crypto_keyring_psk), freed (keys wiped) with crypto_keyring_copy_free(). */
struct ikev2_keyring *crypto_keyring_copy(const struct config *cfg, const char *name);
bool crypto_keyring_copy_psk(const struct ikev2_keyring *k, const struct crypto_id *id,
			     struct crypto_psk *out);
void crypto_keyring_copy_free(struct ikev2_keyring *k);
/* Counts crypto configuration changes (any command, also inside a deferred
 * batch): a copy made at one value is current while it stays. */
unsigned long crypto_generation(void);

/* "PSK for identity" in one keyring: the peer whose identity equals id
 * (key-id compared exactly, fqdn/email case-insensitively, address as an
 * address).  O(1).  For an address identity, a peer with no identity
 * whose "address" prefix contains the address matches too (longest prefix). */
bool crypto_keyring_psk(const struct config *cfg, const char *keyring,
			const struct crypto_id *id, struct crypto_psk *out);
/* The same through an IKEv2 profile: its "keyring local", then its
 * "authentication local|remote pre-share key" wildcard keys for what the
 * keyring did not provide. */
bool crypto_profile_psk(const struct config *cfg, const char *profile,
			const struct crypto_id *id, struct crypto_psk *out);

/* ---- fingerprints (RFC 4572 / RFC 8122 hash names; RFC 6193) --------------------------------- */

enum crypto_hash {
	CRYPTO_HASH_SHA1 = 0, /* the default of VPN-SIP (TS-1017 examples, Cisco) */
	CRYPTO_HASH_SHA224,
	CRYPTO_HASH_SHA256,
	CRYPTO_HASH_SHA384,
	CRYPTO_HASH_SHA512,
};
#define CRYPTO_HASH_MAX_LEN 64

/* "sha-1", "sha-224", "sha-256", "sha-384", "sha-512": the RFC 4572 tokens. */
const char *crypto_hash_name(enum crypto_hash h);
/* Parses a hash-func token case-insensitively ("SHA-1" as in TS-1017 and
 * the Cisco guide, "sha-256"); "md5"/"md2" and unknown tokens: false. */
bool crypto_hash_from_name(const char *name, enum crypto_hash *h);
size_t crypto_hash_len(enum crypto_hash h);
/* out receives crypto_hash_len(h) bytes; returns that length (0 on failure). */
size_t crypto_hash(enum crypto_hash h, const void *data, size_t len,
		   uint8_t out[CRYPTO_HASH_MAX_LEN]);

struct crypto_fingerprint {
	enum crypto_hash hash;
	size_t len;
	uint8_t md[CRYPTO_HASH_MAX_LEN];
};

/* RFC 4572 form: upper-case hex pairs joined by ':' ("4A:AD:B9:..."); buf
 * needs 3 * CRYPTO_HASH_MAX_LEN bytes at most. */
#define CRYPTO_FINGERPRINT_TEXT_MAX (3 * CRYPTO_HASH_MAX_LEN)
void crypto_fingerprint_text(const struct crypto_fingerprint *fp, char *buf, size_t n);
/* Parses hash-func and the hex text (case-insensitive, ':' separators; a
 * wrong length for the hash: false). */
bool crypto_fingerprint_parse(const char *hash_name, const char *hex,
			      struct crypto_fingerprint *fp);
/* Same hash and same value, compared in constant time. */
bool crypto_fingerprint_equal(const struct crypto_fingerprint *a,
			      const struct crypto_fingerprint *b);

/* The fingerprint of a pre-shared key: the hash over the key's octets
 * exactly as configured (the plaintext characters typed after
 * "pre-shared-key", no terminator, no length prefix, no encoding).  This
 * is RFC 6193's psk-fingerprint: hash-func applied to the PSK. */
bool crypto_psk_fingerprint(enum crypto_hash h, const char *psk, struct crypto_fingerprint *fp);
/* The fingerprint of a certificate: the hash over its DER encoding, as
 * RFC 4572 defines a=fingerprint. */
bool crypto_cert_fingerprint(enum crypto_hash h, const uint8_t *der, size_t len,
			     struct crypto_fingerprint *fp);

/* The local fingerprint of a VPN-SIP session, what SIP puts into
 * a=psk-fingerprint (pre-share) or a=fingerprint (rsa-sig):
 *   - "authentication local pre-share": the hash over the LOCAL key of the
 *     keyring peer whose identity is "key-id REMOTE_NUMBER" in the
 *     profile's "keyring local" (else the profile's wildcard local key);
 *   - "authentication local rsa-sig": the hash over the DER of the
 *     certificate of the profile's "pki trustpoint".
 * *auth (may be NULL) receives the local method.  On failure returns false
 * and writes a one-line reason into err (never containing a key). */
bool crypto_local_fingerprint(const struct config *cfg, const char *ikev2_profile,
			      const char *remote_number, enum crypto_hash h,
			      struct crypto_fingerprint *fp, enum ikev2_auth *auth, char *err,
			      size_t errlen);
/* What the peer's fingerprint must equal for a pre-share session: the hash
 * over the REMOTE key found for "key-id REMOTE_NUMBER" (the key we verify
 * the peer's AUTH with, which is the peer's local key). */
bool crypto_remote_psk_fingerprint(const struct config *cfg, const char *ikev2_profile,
				   const char *remote_number, enum crypto_hash h,
				   struct crypto_fingerprint *fp, char *err, size_t errlen);

/* ---- short keys --------------------------------------------------------------------------- */

/* A PSK whose fingerprint travels over SIP can be brute-forced offline
 * from the a=psk-fingerprint line: keys shorter than this many characters
 * get a loud warning when configured. */
#define CRYPTO_PSK_WARN_MIN_LEN 20

/* ---- change notification ------------------------------------------------------------------- */

/* Main thread, after a command changed the crypto configuration (any
 * object above, PKI material included) -- once per command, or once at the
 * end of a deferred batch (a whole file loaded at boot or on SIGHUP).
 * Subscribers: the data plane (tunnel settings), the IKE engine's static
 * tunnels and snapshots. */
HOOK_DECLARE(crypto_config_changed, (const struct config *cfg), (cfg));
/* Batching for the file loader: changes are collected, subscribers are
 * told once at the flush. */
void crypto_defer_notify(void);
void crypto_flush_notify(const struct config *cfg);

/* ---- wiring --------------------------------------------------------------------------------- */

void crypto_cli_init(void);
extern const struct config_ext_type crypto_ext_type;

#endif
