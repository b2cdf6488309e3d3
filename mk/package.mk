# The Debian package (debian/) and the systemd unit (conf/systemd/).
#
#   make deb    build/deb/vpnsip_VERSION_ARCH.deb: dpkg-buildpackage -us -uc -b
#               in a copy of the tree (build/deb/src/), so that the package's
#               clean and its PREFIX=/usr build leave this tree's build/ alone
#
# debhelper builds the package (dpkg-buildpackage also checks for
# build-essential); libsystemd (sd_notify) is a core library (PKGS in the
# Makefile); systemd-analyze checks the unit in the tests.
DEB_BUILD_PACKAGES += debhelper build-essential
DEB_TEST_PACKAGES  += systemd

DEB_DIR := build/deb

deb: deps-build
	@sh tools/make-deb.sh $(DEB_DIR)

.PHONY: deb
