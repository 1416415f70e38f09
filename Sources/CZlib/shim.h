#ifndef PICOLAYER_CZLIB_SHIM_H
#define PICOLAYER_CZLIB_SHIM_H
#include <zlib.h>

/* zlib's init functions are macros that Swift cannot import; these wrappers fix the raw-deflate settings
   (negative window bits: no zlib header or trailer, as ZIP requires). */
static inline int picolayer_deflate_init_raw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}

static inline int picolayer_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -MAX_WBITS);
}
#endif
