/* Are the strongSwan libraries this process loaded the ones vpnsipd was
 * built against?  The headers come from Debian's source package of one
 * exact version (build/strongswan), and libcharon's structures are used
 * directly: a library of another build may lay them out differently, which
 * would corrupt memory rather than fail cleanly.  The identity compared is
 * the GNU build ID of each library file, recorded at build time
 * (tools/strongswan-ids.sh); a rebuild of the same version has another ID
 * and is refused too, which errs on the safe side. */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike.h"
#include "library-ids.h"

struct lib_want {
	const char *soname;
	const char *build_id; /* hex, from the build */
	char path[256];       /* where it was loaded from; "" : not loaded */
	char got[2 * 64 + 1]; /* its build ID, hex; "" : none */
};

static void note_build_id(const struct dl_phdr_info *info, const ElfW(Phdr) *ph, char *hex,
			  size_t hexlen)
{
	const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
	const unsigned char *end = p + ph->p_memsz;
	size_t align = ph->p_align == 8 ? 8 : 4;

	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
		const unsigned char *name = p + sizeof(*n);
		const unsigned char *desc = name + ((n->n_namesz + align - 1) & ~(align - 1));
		const unsigned char *next = desc + ((n->n_descsz + align - 1) & ~(align - 1));

		if (next > end)
			return;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
			size_t o = 0;
			for (size_t i = 0; i < n->n_descsz && o + 3 <= hexlen; i++)
				o += (size_t)snprintf(hex + o, hexlen - o, "%02x", desc[i]);
			return;
		}
		p = next;
	}
}

static int find_libs(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lib_want *w = arg;
	const char *base = strrchr(info->dlpi_name, '/');

	base = base ? base + 1 : info->dlpi_name;
	for (; w->soname; w++) {
		if (strcmp(base, w->soname) != 0 || w->path[0])
			continue;
		snprintf(w->path, sizeof(w->path), "%s", info->dlpi_name);
		for (int i = 0; i < info->dlpi_phnum && !w->got[0]; i++)
			if (info->dlpi_phdr[i].p_type == PT_NOTE)
				note_build_id(info, &info->dlpi_phdr[i], w->got, sizeof(w->got));
	}
	return 0;
}

bool ike_library_check(char *err, size_t errlen)
{
	struct lib_want want[] = {
		{ .soname = "libstrongswan.so.0", .build_id = VPNSIP_LIBSTRONGSWAN_BUILD_ID },
		{ .soname = "libcharon.so.0", .build_id = VPNSIP_LIBCHARON_BUILD_ID },
		{ .soname = "libipsec.so.0", .build_id = VPNSIP_LIBIPSEC_BUILD_ID },
		{ 0 },
	};

	dl_iterate_phdr(find_libs, want);
	for (struct lib_want *w = want; w->soname; w++) {
		if (w->path[0] && strcmp(w->got, w->build_id) == 0)
			continue;
		if (!w->path[0])
			snprintf(err, errlen, "%s is not loaded", w->soname);
		else
			snprintf(err, errlen,
				 "%s is not the strongSwan library vpnsipd was built against "
				 "(strongSwan %s, build ID %s; loaded: build ID %s). Install "
				 "strongswan-libcharon, libstrongswan and libcharon-extra-plugins %s, "
				 "or rebuild vpnsip against the installed ones",
				 w->path, VPNSIP_STRONGSWAN_DEB_VERSION, w->build_id,
				 w->got[0] ? w->got : "none", VPNSIP_STRONGSWAN_DEB_VERSION);
		return false;
	}
	return true;
}

const char *ike_library_version(void)
{
	/* ike_library_check() made sure the loaded files are this build. */
	return VPNSIP_STRONGSWAN_DEB_VERSION;
}
