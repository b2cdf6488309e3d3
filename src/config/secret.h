/* IOS password and secret encodings.
 *   type 7: the reversible Vigenère-style scrambling of "service
 *           password-encryption" (obfuscation only, as on IOS);
 *   type 5: md5crypt; type 9: scrypt (N=16384, r=1, p=1) with Cisco's
 *           alphabet, the IOS XE default for "enable secret". */
#ifndef VPNSIP_CONFIG_SECRET_H
#define VPNSIP_CONFIG_SECRET_H

#include <stdbool.h>

char *secret_type7_encode(const char *plain, unsigned seed);
char *secret_type7_decode(const char *enc); /* NULL if malformed */
/* What a password or key may hold: printable ASCII, no spaces (what the
 * type-7 decoders accept back, so a secret shown encrypted reads back). */
bool secret_text_ok(const char *s);

char *secret_hash_type9(const char *plain); /* "$9$salt$hash" */
/* Check plain against a stored "TYPE HASH" (types 5 and 9). */
bool secret_verify(const char *stored, const char *plain);
/* Is hash a well-formed hash of that type? */
bool secret_hash_valid(int type, const char *hash);

#endif
