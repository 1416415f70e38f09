#ifndef PICOLAYER_CZLIB_SHIM_H
#define PICOLAYER_CZLIB_SHIM_H
#include <zlib.h>
#endif
