# Least privilege of the daemon (src/daemon/privilege.c): libcap for the
# capability sets, libseccomp for the system call filter.  See
# docs/security-privilege.md.
DEB_BUILD_PACKAGES   += libcap-dev libseccomp-dev
DEB_RUNTIME_PACKAGES += libcap2 libseccomp2
FEATURE_LIBS += -lseccomp -lcap
PKG_CHECK    += libseccomp libcap
