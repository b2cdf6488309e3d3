/* The one place that wires features into the command engine and the
 * running configuration.  A new feature adds its init call here. */
#include "config/config.h"

void system_cli_init(void);
void archive_cli_init(void);
void replace_cli_init(void);
void log_cli_init(void);
void debug_cli_init(void);
void planned_cli_init(void);
void ignored_cli_init(void);
void vpnsip_cli_init(void);
void crypto_cli_init(void);
void dataplane_cli_init(void);
void ike_cli_init(void);
void routing_cli_init(void);
void qos_cli_init(void);
void snmp_cli_init(void);

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
