#ifndef VPNSIP_VERSION_H
#define VPNSIP_VERSION_H
#define VPNSIP_VERSION "0.1.0"
#endif
