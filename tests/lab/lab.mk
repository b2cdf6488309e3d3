# The carrier-network lab (tests/lab/lab.sh, docs/lab.md).
#
# Packages: Kamailio (the NGN SIP registrar/proxy), SIPp (independent SIP peers
# for the lab self-test), dnsmasq-base (DHCP with options 120/125, DNS inside
# the NGN namespace; the -base package has no service that could start in the
# root namespace), iproute2/nftables/tc, ping, tshark (captures), iperf3
# (benchmarks).  tshark's only debconf question (wireshark-common/
# install-setuid) defaults to "no" and tools/deps.sh installs with
# DEBIAN_FRONTEND=noninteractive, so it never prompts.
DEB_TEST_PACKAGES += kamailio sip-tester dnsmasq-base iproute2 iputils-ping \
                nftables tshark iperf3 python3 python3-pytest procps

LAB_SH := tests/lab/lab.sh

lab-up:
	$(LAB_SH) up $(LAB_ARGS)

lab-down:
	$(LAB_SH) down

lab-status:
	$(LAB_SH) status

.PHONY: lab-up lab-down lab-status
