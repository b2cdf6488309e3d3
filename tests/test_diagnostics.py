"""Diagnostics from the router.  ping: vpnsipd in a namespace of its own,
echoes to its loopback and to a veth peer in a second namespace the test
creates (documentation addresses), IOS's output checked line by line, and
the daemon answering other shells while a ping waits.  show version, show
clock."""
import calendar
import os
import re
import subprocess
import time

import pytest

from conftest import Netns

pytestmark = pytest.mark.netns

LOCAL, PEER, ABSENT = "198.51.100.1", "198.51.100.2", "198.51.100.3"
RTT = r"round-trip min/avg/max = \d+/\d+/\d+ ms"


@pytest.fixture
def peer():
    ns = Netns()
    yield ns
    ns.delete()


def wire(d, peer):
    """A veth pair: LOCAL in the daemon's namespace, PEER in the other."""
    subprocess.run(["ip", "link", "add", "vping0", "netns", d.netns.name, "type", "veth",
                    "peer", "name", "vping1", "netns", peer.name], check=True)
    for ns, dev, addr in ((d.netns, "vping0", LOCAL), (peer, "vping1", PEER)):
        assert ns.run("ip", "addr", "add", addr + "/24", "dev", dev).returncode == 0
        assert ns.run("ip", "link", "set", dev, "up").returncode == 0


def test_ping_loopback(build, daemon_factory):
    d = daemon_factory(build, "hostname R1\n").start()
    out = d.sh("ping 127.0.0.1").stdout
    assert re.fullmatch(r"Type escape sequence to abort\.\n"
                        r"Sending 5, 100-byte ICMP Echos to 127\.0\.0\.1, timeout is 2 seconds:\n"
                        r"!!!!!\n"
                        r"Success rate is 100 percent \(5/5\), " + RTT + r"\n", out), out


def test_ping_veth_peer_source_size_df_bit(build, daemon_factory, peer):
    d = daemon_factory(build, "hostname R1\n").start()
    wire(d, peer)
    out = d.sh("ping %s source %s repeat 3 size 1400 df-bit" % (PEER, LOCAL)).stdout
    assert out.splitlines()[1:] == [
        "Sending 3, 1400-byte ICMP Echos to %s, timeout is 2 seconds:" % PEER,
        "Packet sent with a source address of %s " % LOCAL,
        "Packet sent with the DF bit set",
        "!!!",
        out.splitlines()[-1]], out
    assert re.fullmatch(r"Success rate is 100 percent \(3/3\), " + RTT, out.splitlines()[-1]), out
    # Larger than the link's MTU with DF: not sent ('M'); without DF the
    # kernel fragments and the peer answers.
    out = d.sh("ping %s repeat 2 size 1600 df-bit" % PEER).stdout
    assert "\nMM\nSuccess rate is 0 percent (0/2)\n" in out, out
    out = d.sh("ping %s repeat 2 size 1600" % PEER).stdout
    assert "\n!!\nSuccess rate is 100 percent (2/2)" in out, out
    # The peer saw the echoes (its counters), and iputils from the peer
    # back to the router agrees that the path works.
    r = peer.run("ping", "-c", "1", "-W", "2", LOCAL)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ping_unreachable_and_silent(build, daemon_factory, peer):
    d = daemon_factory(build, "hostname R1\n").start()
    wire(d, peer)
    # No route at all: each echo is lost at once.
    start = time.time()
    out = d.sh("ping 192.0.2.99").stdout
    assert "\n.....\nSuccess rate is 0 percent (0/5)\n" in out, out
    assert "round-trip" not in out
    assert time.time() - start < 5
    # A peer that does not answer: each echo waits its timeout, and the
    # daemon serves other shells meanwhile.
    assert peer.run("sysctl", "-w", "net.ipv4.icmp_echo_ignore_all=1").returncode == 0
    start = time.time()
    p = subprocess.Popen([str(build / "vpnsipsh"), "-S", d.sock, "-c",
                          "ping %s repeat 3 timeout 1" % PEER], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    t0 = time.time()
    assert "hostname R1" in d.sh("show running-config").stdout
    assert time.time() - t0 < 1.0
    out, _ = p.communicate(timeout=20)
    assert p.returncode == 0
    assert time.time() - start >= 2.5
    assert "timeout is 1 seconds:\n...\nSuccess rate is 0 percent (0/3)\n" in out, out
    # Nobody on the address: timeouts or host unreachable, never a reply
    out = d.sh("ping %s repeat 2 timeout 1" % ABSENT).stdout
    assert re.search(r"\n[.U]{2}\nSuccess rate is 0 percent \(0/2\)\n", out), out


def test_shell_that_leaves_mid_ping(build, daemon_factory, peer):
    """The shell goes while its ping waits: the ping stops, the daemon
    carries on (and exits clean, sanitizer build included)."""
    d = daemon_factory(build, "hostname R1\n").start()
    wire(d, peer)
    assert peer.run("sysctl", "-w", "net.ipv4.icmp_echo_ignore_all=1").returncode == 0
    p = subprocess.Popen([str(build / "vpnsipsh"), "-S", d.sock, "-c",
                          "ping %s repeat 100 timeout 5" % PEER, "-c", "show version"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    p.kill()
    p.wait()
    time.sleep(0.5)
    assert "hostname R1" in d.sh("show running-config").stdout
    # A request sent behind a ping runs once the ping has ended
    out = d.sh("ping 127.0.0.1 repeat 2", "show running-config | include ^hostname").stdout
    assert "Success rate is 100 percent (2/2)" in out and "hostname R1" in out, out
    assert out.index("Success rate is 100 percent") < out.index("hostname R1"), out


def test_ping_errors(build, daemon_factory):
    d = daemon_factory(build, "hostname R1\n").start()
    r = d.sh("ping 127.0.0.1 source Loopback9", check=False)
    assert r.returncode != 0 and "% Invalid source interface - Loopback9" in r.stdout + r.stderr
    r = d.sh("ping 127.0.0.1 size 20", check=False)
    assert r.returncode != 0 and "% Invalid input" in r.stderr


def test_show_version_and_clock(build, daemon_factory):
    d = daemon_factory(build, "hostname R1\n").start()
    out = d.sh("show version").stdout
    assert re.search(r"^R1 uptime is \d+ minutes?$", out, re.M), out
    assert re.search(r"^System started at \d\d:\d\d:\d\d \S+ \w{3} \w{3} [ \d]\d 20\d\d$", out, re.M)
    assert "Kernel: Linux %s %s\n" % (os.uname().release, os.uname().machine) in out, out
    assert re.search(r"^strongSwan \(libcharon\) 5\.\S+, sofia-sip 1\.12\S*, OpenSSL 3\.", out, re.M), out
    out = d.sh("show clock").stdout
    m = re.fullmatch(r"(\d\d):(\d\d):(\d\d)\.\d{3} (\S+) \w{3} (\w{3}) (\d{1,2}) (20\d\d)\n", out)
    assert m, out
    if m[4] == "UTC":
        shown = calendar.timegm(time.strptime("%s %s %s %s:%s:%s" % (m[7], m[5], m[6], m[1], m[2], m[3]),
                                              "%Y %b %d %H:%M:%S"))
        assert abs(shown - time.time()) < 5, out


def test_traceroute_two_hops(build, daemon_factory, peer):
    """router -- peer (forwards) -- far: one line per hop, the trace ends
    where the destination answers."""
    far = Netns()
    try:
        d = daemon_factory(build, "hostname R1\n").start()
        wire(d, peer)
        subprocess.run(["ip", "link", "add", "vtr0", "netns", peer.name, "type", "veth", "peer",
                        "name", "vtr1", "netns", far.name], check=True)
        for ns, cmd in ((peer, "ip addr add 203.0.113.1/24 dev vtr0"), (peer, "ip link set vtr0 up"),
                        (far, "ip addr add 203.0.113.2/24 dev vtr1"), (far, "ip link set vtr1 up"),
                        (far, "ip route add 198.51.100.0/24 via 203.0.113.1"),
                        (peer, "sysctl -w net.ipv4.ip_forward=1"),
                        # every probe answered, not one ICMP error a second
                        (peer, "sysctl -w net.ipv4.icmp_ratelimit=0"),
                        (far, "sysctl -w net.ipv4.icmp_ratelimit=0"),
                        (d.netns, "ip route add 203.0.113.0/24 via " + PEER)):
            r = ns.run(*cmd.split())
            assert r.returncode == 0, (cmd, r.stderr)
        out = d.sh("traceroute 203.0.113.2 timeout 2").stdout
        lines = out.splitlines()
        assert lines[:2] == ["Type escape sequence to abort.", "Tracing the route to 203.0.113.2"], out
        assert re.fullmatch(r"  1 198\.51\.100\.2 \d+ msec \d+ msec \d+ msec", lines[2]), out
        assert re.fullmatch(r"  2 203\.0\.113\.2 \d+ msec \d+ msec \d+ msec", lines[3]), out
        assert len(lines) == 4, out
        out = d.sh("traceroute 203.0.113.2 source %s probe 1 maxttl 1" % LOCAL).stdout
        assert re.search(r"\n  1 198\.51\.100\.2 \d+ msec\n$", out), out
        out = d.sh("traceroute 192.0.2.99").stdout
        assert out.endswith("\n  1 % Network is unreachable\n"), out
    finally:
        far.delete()
