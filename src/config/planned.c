/* Commands of features that are planned but not built yet.  Lines that use
 * them are reported as unsupported, naming the feature, instead of as
 * invalid input, and make "vpnsipd -t" fail: the configuration asks for
 * something this build does not do.  Remove an entry when its feature
 * installs commands.  Lines that mean nothing here (IOS boilerplate) are not
 * planned features: they are accepted and ignored (ignored.c).
 * G: a global line (typed in an interface block, it ends the block);
 * B: it opens a block whose lines follow. */
#include "cli/cli.h"
#include "config/config.h"

#define G CLI_PLANNED_GLOBAL
#define B CLI_PLANNED_BLOCK

static const struct {
	const char *words;
	const char *feature;
	unsigned flags;
} planned[] = {
	{ NULL, NULL, 0 }, /* none today */
};

void planned_cli_init(void)
{
	for (size_t i = 0; planned[i].words; i++)
		cli_planned(planned[i].words, planned[i].feature, planned[i].flags);
}
