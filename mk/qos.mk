# QoS (src/qos): tc over rtnetlink with libnl-route (already a core
# package); iperf3 and tc for the shaping tests and the benchmark.
DEB_TEST_PACKAGES += iperf3 iproute2
