/* Commands of features that are planned but not built yet.  Lines that use
 * them are reported as unsupported, naming the feature, instead of as
 * invalid input: the seed configurations load today and the report shrinks
 * as features land.  Remove an entry when its feature installs commands.
 * G: a global line (typed in an interface block, it ends the block);
 * B: it opens a block whose lines follow. */
#include "cli/cli.h"

#define G CLI_PLANNED_GLOBAL
#define B CLI_PLANNED_BLOCK

static const struct {
	const char *words;
	const char *feature;
	unsigned flags;
} planned[] = {
	{ "ip virtual-reassembly", "Interface IP options", 0 },
	{ "load-interval", "Interface statistics", 0 },
	{ "duplex", "Ethernet port settings (Linux negotiates; not planned)", 0 },
	{ "speed", "Ethernet port settings (Linux negotiates; not planned)", 0 },
	{ "switchport", "Layer-2 switching (not a router feature; not planned)", 0 },
	{ "show ip", "IP show commands", 0 },
};

void planned_cli_init(void);
void planned_cli_init(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(planned); i++)
		cli_planned(planned[i].words, planned[i].feature, planned[i].flags);
}
