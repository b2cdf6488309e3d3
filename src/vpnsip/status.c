/* One line on the SIP registration for the service manager (systemd's
 * STATUS=, "systemctl status vpnsipd"), and the hook that tells the daemon
 * when that line may have changed (the registration state, the
 * configuration or the local address did).  See vpnsip.h. */
#include <stdio.h>
#include <string.h>

#include "vpnsip/vpnsip_int.h"

HOOK_DEFINE(vpnsip_status_changed);

/* Why a number is not trying to register (its state is OFF). */
static const char *off_reason(const struct vpnsip_rt *r, const struct vpnsip_cfg *c, char *buf,
			      size_t len)
{
	if (!r->local_addr[0])
		snprintf(buf, len, "no IPv4 address on %s", c->addr_iface ? c->addr_iface : "its interface");
	else if (!r->sip_server[0])
		snprintf(buf, len, "no SIP server (vpn-sip sip-server or DHCP option 120)");
	else
		snprintf(buf, len, "starting");
	return buf;
}

const char *vpnsip_reg_last_text(const struct sip_reg_status *r, char *buf, size_t n)
{
	if (r->last_local)
		snprintf(buf, n, "%s", r->last_phrase);
	else
		snprintf(buf, n, "%d %s", r->last_status, r->last_phrase);
	return buf;
}

void vpnsip_status_line(char *buf, size_t len)
{
	struct vpnsip_rt *r = vpnsip_rt();
	const struct vpnsip_cfg *c = r ? vpnsip_cfg_get(r->cfg) : NULL;
	unsigned count[SIP_REG_FAILED + 1] = { 0 };
	const struct sip_reg_status *one = NULL;
	char why[112]; /* a registration failure: status and phrase */

	if (!r || !r->ua) {
		snprintf(buf, len, "SIP user agent not running");
		return;
	}
	if (!c || !c->enabled) {
		snprintf(buf, len, "VPN-SIP disabled");
		return;
	}
	if (!c->n_numbers) {
		snprintf(buf, len, "VPN-SIP enabled, no local number");
		return;
	}
	for (size_t i = 0; i < c->n_numbers; i++) {
		const struct sip_reg_status *st = hashmap_get(&r->regs, c->numbers[i]);
		enum sip_reg_state s = st ? st->state : SIP_REG_OFF;
		count[s <= SIP_REG_FAILED ? s : SIP_REG_OFF]++;
		if (i == 0)
			one = st;
	}
	if (c->n_numbers == 1) {
		const char *num = c->numbers[0];
		switch (one ? one->state : SIP_REG_OFF) {
		case SIP_REG_REGISTERED:
			snprintf(buf, len, "SIP %s registered at %s", num, one->registrar);
			break;
		case SIP_REG_REGISTERING:
			snprintf(buf, len, "SIP %s registering at %s", num, r->sip_server);
			break;
		case SIP_REG_FAILED:
			if (one->last_status)
				snprintf(buf, len, "SIP %s not registered (%s), retrying", num,
					 vpnsip_reg_last_text(one, why, sizeof(why)));
			else
				snprintf(buf, len, "SIP %s not registered, retrying", num);
			break;
		case SIP_REG_OFF:
			snprintf(buf, len, "SIP %s not registered: %s", num,
				 off_reason(r, c, why, sizeof(why)));
			break;
		}
		return;
	}
	snprintf(buf, len, "SIP: %u of %zu numbers registered, %u registering, %u failed, %u off",
		 count[SIP_REG_REGISTERED], c->n_numbers, count[SIP_REG_REGISTERING],
		 count[SIP_REG_FAILED], count[SIP_REG_OFF]);
	if (count[SIP_REG_OFF] == c->n_numbers) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, " (%s)", off_reason(r, c, why, sizeof(why)));
	}
}
