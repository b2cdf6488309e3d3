"""NAT over nftables in the lab: overload from lanA through wan0
(inet has no route back to lanA, so replies only come through the
translation), static NAT both ways, the SIP ALG switched on and off and seen
in the kernel (the helper object and a forwarded SIP flow's conntrack
helper), show/clear ip nat translations, every line's kernel state gone
with the line, nothing left after SIGTERM."""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from labctl import lab  # noqa: E402,F401
from lib import routing_util as ru  # noqa: E402

pytestmark = pytest.mark.netns

CONFIG = """\
interface lan0
 ip nat inside
interface wan0
 ip nat outside
access-list 1 deny host 203.0.113.4
access-list 1 permit 203.0.113.0 0.0.0.7
ip nat inside source list 1 interface wan0 overload
"""


def nft(lab):
    return lab.exec("rtrA", "nft", "list", "ruleset").stdout


def send_udp(lab, node, dst, dport, sport):
    code = ("import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            "s.bind(('', %d)); s.sendto(b'OPTIONS sip:x SIP/2.0\\r\\n\\r\\n', ('%s', %d))" %
            (sport, dst, dport))
    lab.exec(node, "python3", "-c", code, check=True)


def conntrack(lab, *args):
    return lab.exec("rtrA", "conntrack", "-L", *args).stdout


@pytest.fixture
def no_return_route(lab):
    """inet forgets lanA: only translated packets can be answered."""
    lab.exec("inet", "ip", "route", "del", "203.0.113.0/29", check=True)
    yield
    lab.exec("inet", "ip", "route", "replace", "203.0.113.0/29", "via", "198.51.100.6")
    lab.exec("inet", "ip", "route", "del", "198.51.100.100/32")
    lab.exec("rtrA", "conntrack", "-F")


def test_overload_static_and_sip_alg(build, lab, tmp_path, no_return_route):
    assert not lab.ping("lanA", "198.51.100.1"), "inet must not reach lanA without NAT"
    d = ru.start(build, lab, "rtrA", tmp_path, CONFIG)
    try:
        assert "table ip vpnsip_nat" in nft(lab)
        # overload: lanA (203.0.113.2) leaves as wan0's 198.51.100.6
        assert lab.ping("lanA", "198.51.100.1", count=2)
        tr = d.sh("show ip nat translations").stdout
        assert re.search(r"^icmp 198\.51\.100\.6:\d+\s+203\.0\.113\.2:\d+\s+198\.51\.100\.1:\d+", tr, re.M), tr
        assert "src=203.0.113.2" in conntrack(lab, "-p", "icmp")
        v = d.sh("show ip nat translations verbose").stdout
        assert "snat" in v and "Total number of translations" in v, v
        stats = d.sh("show ip nat statistics").stdout
        assert re.search(r"^Total active translations: (\d+) \(0 static, \1 dynamic; \1 extended\)$",
                         stats, re.M), stats
        assert "Outside interfaces:\n  wan0\nInside interfaces:\n  lan0\n" in stats, stats
        m = re.search(r"^\[Id: 1\] access-list 1 interface wan0 refcount (\d+)$", stats, re.M)
        assert m and int(m.group(1)) >= 1, stats

        # static NAT: lanA is 198.51.100.100 both ways
        lab.exec("inet", "ip", "route", "replace", "198.51.100.100/32", "via", "198.51.100.6", check=True)
        assert not lab.ping("inet", "198.51.100.100")
        ru.config(d, "ip nat inside source static 203.0.113.2 198.51.100.100")
        assert "dnat to 203.0.113.2" in nft(lab)
        assert lab.ping("inet", "198.51.100.100", count=2), "inbound static translation"
        tr = d.sh("show ip nat translations").stdout
        assert re.search(r"^---\s+198\.51\.100\.100\s+203\.0\.113\.2\s+---", tr, re.M), tr
        assert re.search(r"^Total active translations: \d+ \(1 static, \d+ dynamic",
                         d.sh("show ip nat statistics").stdout, re.M)
        assert re.search(r"^icmp 198\.51\.100\.100:\d+\s+203\.0\.113\.2:\d+\s+198\.51\.100\.5:\d+", tr, re.M), tr
        d.sh("clear ip nat translation *")
        assert "src=203.0.113.2" not in conntrack(lab, "-p", "icmp")
        assert lab.ping("lanA", "198.51.100.1")
        assert "dst=198.51.100.100" in conntrack(lab, "-p", "icmp"), "static wins over overload"
        ru.config(d, "no ip nat inside source static 203.0.113.2 198.51.100.100")
        assert "198.51.100.100" not in nft(lab)
        lab.exec("rtrA", "conntrack", "-F")

        # SIP ALG: on by default for 5060 (IOS), forwarded traffic only
        rs = nft(lab)
        assert 'ct helper sip_udp_5060' in rs and "fib daddr type != local udp dport 5060" in rs, rs
        send_udp(lab, "lanA", "198.51.100.1", 5060, 5062)
        assert re.search(r"dport=5060.*helper=sip", conntrack(lab, "-p", "udp")), conntrack(lab, "-p", "udp")
        out = d.sh("configure terminal", "no ip nat service sip udp port 5060", "end").stdout
        rs = nft(lab)
        assert "sip_udp_5060" not in rs and "sip_tcp_5060" in rs, rs
        lab.exec("rtrA", "conntrack", "-F")
        send_udp(lab, "lanA", "198.51.100.1", 5060, 5064)
        ct = conntrack(lab, "-p", "udp")
        assert "dport=5060" in ct and "helper=sip" not in ct, ct
        assert "no ip nat service sip udp port 5060" in d.running_config()
        out = d.sh("configure terminal", "ip nat service sip udp port 5060", "end").stdout
        assert "Warning: the SIP ALG" in out, out
        assert "sip_udp_5060" in nft(lab)
        ru.config(d, "no ip nat service sip udp port 5060", "no ip nat service sip tcp port 5060")
        assert "ct helper" not in nft(lab)

        # removing the last NAT line removes the table
        ru.config(d, "no ip nat inside source list 1")
        assert "vpnsip_nat" not in nft(lab)
        assert not lab.ping("lanA", "198.51.100.1")
        ru.config(d, "ip nat inside source list 1 interface wan0 overload", "no access-list 1")
        assert "masquerade" not in nft(lab), "no access list, nothing translated"
        ru.config(d, "access-list 1 permit any")
        assert "masquerade" in nft(lab)
        ru.config(d, "interface lan0", "no ip nat inside")
        assert "jump" not in nft(lab)
    finally:
        ru.stop_clean(d)
    assert "vpnsip_nat" not in nft(lab)
    assert "ct helper" not in nft(lab)
