# json-c: machine-readable show output (the trailing "json" keyword,
# docs/json.md) and the call-history file's JSON lines (src/vpnsip/cdr.c);
# <json-c/json.h>: no -I needed.
DEB_BUILD_PACKAGES   += libjson-c-dev
DEB_RUNTIME_PACKAGES += libjson-c5

JSONC_LIBS   = $(shell pkg-config --libs json-c 2>/dev/null)
FEATURE_LIBS += $(JSONC_LIBS)
PKG_CHECK    += json-c
