/* QoS: class-map / policy-map, "service-policy output" on interfaces, and
 * the implicit bandwidth policy of VPN-SIP tunnels, programmed into the
 * kernel's tc (HTB + u32 over rtnetlink).  See docs/qos.md.
 *
 * The orchestrator (src/vpnsip) calls, on the main thread:
 *
 *   session about to come up:
 *       if (qos_vpnsip_check(cfg, "Tunnel1", child, err, sizeof(err)) < 0)
 *               fail the session, logging err;
 *       qos_vpnsip_attach(cfg, "Tunnel1", negotiated_kbps, child, &esp, err, sizeof(err));
 *   b=AS renegotiated:     qos_vpnsip_update("Tunnel1", kbps);
 *   SA rekeyed (cipher):   qos_vpnsip_set_esp("Tunnel1", &esp);
 *   session down:          qos_vpnsip_detach("Tunnel1");
 *
 * and QoS asks which tunnels carry VPN-SIP through the qos_vpnsip_tunnel
 * and qos_vpnsip_policy hooks. */
#ifndef VPNSIP_QOS_QOS_H
#define VPNSIP_QOS_QOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hook.h"

struct config;
struct iface_cfg;
struct evloop;

/* ---- ESP-in-UDP overhead (TS-1017 4.1.2.3: b=AS is the outer L3 rate) ---
 *
 * The shaper runs on TunnelN's egress and sees inner IP packets of L bytes;
 * the carrier sees
 *
 *   outer(L) = fixed_bytes + iv_len + roundup(L + 2, block_size) + icv_len
 *
 * fixed_bytes: outer IPv4 (20) + UDP (8) + ESP SPI and sequence (8) = 36;
 * the 2 bytes are ESP's pad length and next header; block_size is the
 * cipher's block (16 for AES-CBC) or 4 for AEAD/stream modes (ESP aligns to
 * 4 bytes at least).  Examples: AES-CBC + HMAC-SHA1-96: {36, 16, 12, 16};
 * AES-CBC + HMAC-SHA256-128: {36, 16, 16, 16}; AES-GCM-16: {36, 4, 16, 8}. */
struct qos_esp_overhead {
	unsigned fixed_bytes;
	unsigned block_size;
	unsigned icv_len;
	unsigned iv_len;
};
#define QOS_ESP_FIXED_UDP_ENCAP 36u

/* The outer L3 length of an inner packet of inner_len bytes (NULL: no
 * ESP, the inner length). */
unsigned qos_esp_outer_len(const struct qos_esp_overhead *esp, unsigned inner_len);

/* ---- the implicit policy of a VPN-SIP tunnel ---------------------------- */

/* Can a session come up on this tunnel with this child policy (NULL: none)?
 * 0, or -1 with the reason in err (one line, no "%"): a static
 * "service-policy output" on the tunnel (the seed: the session fails), an
 * unknown child policy, or a child that uses absolute "bandwidth KBPS"
 * (the session's rate is negotiated). */
int qos_vpnsip_check(const struct config *cfg, const char *tunnel, const char *child_policy,
		     char *err, size_t errlen);

/* Attach "VPN-SIP-<tunnel>-Bandwidth" to the tunnel's egress: shape average
 * kbps (the outer rate when esp is given; NULL shapes inner bytes), DSCP
 * cs4, the child policy's classes as shares of kbps.  Replaces an implicit
 * policy already there.  Not shown in running-config.  0 or -1 with err.
 * Without a kernel side (vpnsipd -t, unit tests) only the state is kept. */
int qos_vpnsip_attach(const struct config *cfg, const char *tunnel, unsigned kbps,
		      const char *child_policy, const struct qos_esp_overhead *esp, char *err,
		      size_t errlen);
/* New negotiated rate: tc change of every class, nothing is dropped. */
int qos_vpnsip_update(const char *tunnel, unsigned kbps);
/* New ESP parameters (a rekey to another cipher): the size table changes. */
int qos_vpnsip_set_esp(const char *tunnel, const struct qos_esp_overhead *esp);
/* The ESP parameters of IKEv2 transforms (IANA transform IDs: encryption
 * with its key bits, integrity; 0 with AEAD).  false for a transform QoS
 * does not know. */
bool qos_esp_from_transforms(unsigned enc_alg, unsigned enc_key_bits, unsigned int_alg,
			     struct qos_esp_overhead *out);
/* The IKE engine reports a tunnel's CHILD SA up or rekeyed: the size table
 * of its implicit policy follows the SA's transforms (no-op without an
 * implicit policy or for an unknown transform: the table stays). */
void qos_vpnsip_sa_transforms(const char *tunnel, unsigned enc_alg, unsigned enc_key_bits,
			      unsigned int_alg);
/* Remove the implicit policy (no-op when none). */
void qos_vpnsip_detach(const char *tunnel);
/* The implicit policy's rate in kbps, 0 when none is attached. */
unsigned qos_vpnsip_kbps(const char *tunnel);

/* The DSCP for the outer header of an inner IPv4/IPv6 packet leaving the
 * tunnel: the "set dscp" of the child class it falls in, else cs4 (the
 * implicit policy's marking); -1 when the tunnel has no implicit policy
 * (copy the inner DSCP).  Main thread; O(classes of the policy).  The data
 * plane calls it so that the outer DSCP follows the class (qos
 * pre-classify): this kernel has no tc pedit action to rewrite the inner
 * header. */
int qos_outer_dscp(const char *tunnel, const uint8_t *pkt, size_t len);

/* ---- what QoS asks of the VPN-SIP configuration -------------------------- */

/* Main thread (configuration commands); true when any subscriber says
 * so.  QoS itself subscribes the VPN-SIP configuration's answers; tests
 * add their own.
 * qos_vpnsip_tunnel: does the interface carry a "vpn-sip local-number ...
 * remote-number" line? */
HOOK_DECLARE_ANSWER(qos_vpnsip_tunnel, bool, false,
		    (const struct config *cfg, const struct iface_cfg *ifc), (cfg, ifc));
/* qos_vpnsip_policy: is the policy named by a "vpn-sip ... service-policy
 * NAME" line? */
HOOK_DECLARE_ANSWER(qos_vpnsip_policy, bool, false, (const struct config *cfg, const char *policy),
		    (cfg, policy));

/* For the vpn-sip line's handler: may this policy be a VPN-SIP child?
 * 0, or -1 with the seed's reason in err. */
int qos_vpnsip_policy_usable(const struct config *cfg, const char *policy, char *err,
			     size_t errlen);

/* Is "service-policy output" configured on the interface? */
const char *qos_iface_output_policy(const struct iface_cfg *ifc);
/* "qos pre-classify" on the interface? */
bool qos_iface_pre_classify(const struct iface_cfg *ifc);

/* ---- daemon ----------------------------------------------------------- */

/* The kernel side: static policies follow the configuration, implicit ones
 * the API above.  Without it, only the model and state exist. */
int qos_kernel_init(struct evloop *loop, struct config *cfg);
/* Remove every qdisc QoS installed (SIGTERM, exit). */
void qos_kernel_shutdown(void);

void qos_cli_init(void);
extern const struct config_ext_type qos_ext_type;

#endif
