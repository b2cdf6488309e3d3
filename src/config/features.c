/* The one place that wires features into the command engine and the
 * running configuration.  A new feature adds its init call here. */
#include "config/config.h"
#include "crypto/crypto.h"
#include "dataplane/dataplane.h"
#include "ike/ike.h"
#include "log/debug.h"
#include "log/log.h"
#include "net/iface.h"
#include "qos/qos.h"
#include "route/route.h"
#include "snmp/snmp.h"
#include "vpnsip/vpnsip.h"

void config_features_init(void)
{
	system_cli_init();
	archive_cli_init();
	replace_cli_init();
	log_cli_init();
	iface_cli_init();
	vpnsip_cli_init();
	crypto_cli_init();
	dataplane_cli_init();
	ike_cli_init();
	routing_cli_init();
	qos_cli_init();
	snmp_cli_init();
	planned_cli_init();
	ignored_cli_init();
	/* Last: the debug commands are generated from every flag registered. */
	debug_cli_init();
}
