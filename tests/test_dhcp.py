"""The DHCP client in the lab: vpnsipd's supervised dhclient on
rtrA's unaddressed bak0 (lab --backup none) learns its address and the SIP
server from the lab's dnsmasq, option 120 in both RFC 3361 encodings and
option 125; an address change updates what the show commands (ifstate) say;
a killed client is restarted; "no ip address dhcp" and SIGTERM leave no
address and no process behind."""
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from lib import routing_util as ru  # noqa: E402

pytestmark = pytest.mark.netns

lab = labctl.lab_fixture(up_args=["--backup", "none"], name="lab")

CONFIG = """\
hostname rtrA
interface GigabitEthernet8
 linux-device bak0
 ip dhcp client request sip-server-address
 ip dhcp client request vendor-identifying-specific
 ip address dhcp
"""


def bak0_addrs(lab):
    out = lab.exec("rtrA", "ip", "-4", "-br", "addr", "show", "bak0").stdout.split()
    return out[2:]


def dhclients(d):
    """dhclient processes started for this daemon's state directory."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % p).read().split("\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith("dhclient") and any(d.state in a for a in cmd):
            out.append(int(p))
    return out


def sip_dhcp(d):
    return d.sh("show vpn-sip sip dhcp").stdout


def test_lease_options_and_changes(build, lab, tmp_path):
    lab.set_sip_option("domain")
    assert bak0_addrs(lab) == []
    d = ru.start(build, lab, "rtrA", tmp_path, CONFIG)
    try:
        labctl.wait_for(lambda: "dns:example.ne.jp" in sip_dhcp(d), 15, interval=0.2,
                        what="option 120 (domain encoding)")
        out = sip_dhcp(d)
        assert re.search(r"SIP-DHCP interface: GigabitEthernet8\n\nSIP server address:\s*\n"
                         r"Domain name:\s+dns:example\.ne\.jp", out), out
        assert bak0_addrs(lab) == ["192.0.2.11/24"]
        assert lab.exec("rtrA", "ip", "route", "show", "default").stdout == ""  # no option 3
        lease = d.sh("show dhcp lease").stdout
        assert "Temp IP addr: 192.0.2.11  for peer on Interface: GigabitEthernet8" in lease, lease
        assert "DHCP Lease server: 192.0.2.1, state: Bound" in lease
        # option 125: enterprise 32473 (00 00 7e d9), sub-option 1 "vpnsip-lab"
        assert "00 00 7e d9 0c 01 0a 76 70 6e 73 69 70 2d 6c 61 62" in lease, lease
        brief = d.sh("show ip interface brief").stdout
        assert re.search(r"^GigabitEthernet8\s+192\.0\.2\.11\s+YES DHCP\s+up\s+up", brief, re.M), brief
        assert "ip address dhcp" in d.running_config()

        # option 120 in the IPv4 encoding
        lab.set_sip_option("ipv4")
        d.sh("renew dhcp GigabitEthernet8")
        labctl.wait_for(lambda: "SIP server address: 192.0.2.1" in sip_dhcp(d), 15, interval=0.2,
                        what="option 120 (IPv4 encoding)")
        assert "dns:" not in sip_dhcp(d)

        # an address change: the server gives another MAC another address
        lab.exec("rtrA", "ip", "link", "set", "bak0", "address", "02:76:73:00:02:7e", check=True)
        d.sh("renew dhcp GigabitEthernet8")
        labctl.wait_for(lambda: re.search(r"Temp IP addr: 192\.0\.2\.2\d\d ",
                                          d.sh("show dhcp lease").stdout), 20, interval=0.2,
                        what="a pool address after the MAC change")
        new = re.search(r"Temp IP addr: (\S+)", d.sh("show dhcp lease").stdout).group(1)
        assert bak0_addrs(lab) == [new + "/24"], "the old address is gone, the new one is there"
        brief = d.sh("show ip interface brief").stdout
        assert re.search(r"^GigabitEthernet8\s+%s\s+YES DHCP" % re.escape(new), brief, re.M), brief
        log = d.sh("show logging").stdout
        assert "assigned DHCP address %s" % new in log, log

        # supervision: a killed client comes back and keeps the lease
        pids = dhclients(d)
        assert len(pids) == 1, pids
        # the client got its lease with the daemon's three capabilities and
        # nothing more, under its system call filter
        st = dict(l.split(":\t", 1) for l in open("/proc/%d/status" % pids[0]).read().splitlines()
                  if ":\t" in l)
        for k in ("CapEff", "CapPrm", "CapBnd"):
            assert int(st[k], 16) == 0x3400, (k, st[k])  # NET_ADMIN, NET_RAW, NET_BIND_SERVICE
        assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
        os.kill(pids[0], 9)
        labctl.wait_for(lambda: "DHCP client exited" in d.sh("show logging").stdout, 5,
                        what="the client's death noticed")
        labctl.wait_for(lambda: len(dhclients(d)) == 1 and dhclients(d) != pids, 10, interval=0.2,
                        what="dhclient restarted")
        assert bak0_addrs(lab) == [new + "/24"]

        # the line goes: address and client go
        ru.config(d, "interface GigabitEthernet8", "no ip address dhcp")
        assert bak0_addrs(lab) == []
        assert dhclients(d) == []
        out = sip_dhcp(d)
        assert "192.0.2.1" not in out and "dns:" not in out, out
        ru.config(d, "interface GigabitEthernet8", "ip address dhcp")
        labctl.wait_for(lambda: bak0_addrs(lab) == [new + "/24"], 15, interval=0.2,
                        what="the lease again")
    finally:
        lab.exec("rtrA", "ip", "link", "set", "bak0", "address", "02:76:73:00:02:01")
        lab.set_sip_option("domain")
        ru.stop_clean(d)
    assert bak0_addrs(lab) == []
    assert dhclients(d) == []
    assert not os.path.exists(os.path.join(d.state, "dhcp"))


def test_sip_dhcp_debug(build, lab, tmp_path):
    """debug vpn-sip sip dhcp: what option 120 of each lease said, in both
    encodings, and that the lease went with its SIP servers."""
    lab.set_sip_option("ipv4")
    d = ru.start(build, lab, "rtrA", tmp_path, CONFIG)
    try:
        labctl.wait_for(lambda: "SIP server address: 192.0.2.1" in sip_dhcp(d), 15, interval=0.2,
                        what="option 120 (IPv4 encoding)")
        assert "VPN-SIP SIP-DHCP debugging is on" in d.sh("debug vpn-sip sip dhcp").stdout
        assert "SIP-DHCP: " not in d.log.read_text()  # nothing before the flag
        d.sh("renew dhcp GigabitEthernet8")
        labctl.wait_for(lambda: "SIP-DHCP: GigabitEthernet8: option 120 (IPv4 address encoding): "
                        "SIP servers 192.0.2.1\n" in d.log.read_text(), 15, interval=0.2,
                        what=lambda: "the IPv4 encoding traced\n" + d.log.read_text()[-2000:])
        lab.set_sip_option("domain")
        d.sh("renew dhcp GigabitEthernet8")
        labctl.wait_for(lambda: "SIP-DHCP: GigabitEthernet8: option 120 (domain name encoding): "
                        "SIP servers example.ne.jp\n" in d.log.read_text(), 15, interval=0.2,
                        what=lambda: "the domain encoding traced\n" + d.log.read_text()[-2000:])
        ru.config(d, "interface GigabitEthernet8", "no ip address dhcp")
        labctl.wait_for(lambda: "SIP-DHCP: GigabitEthernet8: lease gone, its option 120 SIP "
                        "servers with it" in d.log.read_text(), 10, interval=0.2,
                        what=lambda: "the lease's end traced\n" + d.log.read_text()[-2000:])
        d.sh("undebug vpn-sip sip dhcp")
        n = d.log.read_text().count("SIP-DHCP: ")
        ru.config(d, "interface GigabitEthernet8", "ip address dhcp")
        labctl.wait_for(lambda: bak0_addrs(lab) == ["192.0.2.11/24"], 15, interval=0.2,
                        what="the lease again")
        assert d.log.read_text().count("SIP-DHCP: ") == n  # off: no more lines
    finally:
        lab.set_sip_option("domain")
        ru.stop_clean(d)


def default_routes(lab):
    return lab.exec("rtrA", "ip", "-4", "route", "show", "default").stdout.strip()


def test_option3_default_route_distance_254(build, lab, tmp_path):
    """The lease's router (option 3) becomes the default route at distance
    254, as IOS installs it: a configured default route wins, the DHCP one
    floats back when that goes, and it leaves with the lease."""
    lab.set_dhcp_router(True)
    d = ru.start(build, lab, "rtrA", tmp_path, CONFIG)
    try:
        labctl.wait_for(lambda: default_routes(lab) == "default via 192.0.2.1 dev bak0 proto static",
                        15, interval=0.2, what="the DHCP default route\n" + default_routes(lab))
        out = d.sh("show ip route").stdout
        assert "Gateway of last resort is 192.0.2.1 to network 0.0.0.0" in out, out
        assert re.search(r"^S\*\s+0\.0\.0\.0/0 \[254/0\] via 192\.0\.2\.1$", out, re.M), out
        assert "Temp default-gateway addr: 192.0.2.1" in d.sh("show dhcp lease").stdout
        assert "0.0.0.0 0.0.0.0" not in d.running_config()  # not a configuration line

        ru.config(d, "ip route 0.0.0.0 0.0.0.0 198.51.100.5")
        assert default_routes(lab) == "default via 198.51.100.5 dev wan0 proto static"
        rc = d.sh("configure terminal", "no ip route 0.0.0.0 0.0.0.0 bak0 192.0.2.1", check=False)
        assert "% No matching route to delete" in rc.stdout, rc.stdout
        ru.config(d, "no ip route 0.0.0.0 0.0.0.0")
        assert default_routes(lab) == "default via 192.0.2.1 dev bak0 proto static"

        # the lease goes (the line removed): so does its route
        ru.config(d, "interface GigabitEthernet8", "no ip address dhcp")
        assert default_routes(lab) == ""
        ru.config(d, "interface GigabitEthernet8", "ip address dhcp")
        labctl.wait_for(lambda: default_routes(lab) != "", 15, interval=0.2, what="the lease again")
    finally:
        lab.set_dhcp_router(False)
        ru.stop_clean(d)
    assert default_routes(lab) == ""
    assert bak0_addrs(lab) == []
