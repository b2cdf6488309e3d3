"""Two vpnsipd in the lab with a real VPN-SIP session (Kamailio, IKE, the
user-space ESP data plane), for the QoS tests and the benchmark: the
negotiated b=AS is set on both sides, traffic from lanA to lanB rides
Tunnel1, and the OUTER rate is read where the carrier sees it: the NGN
bridge port of rtrA's backup link (its rx counters are what rtrA's bak0
sent, Ethernet header removed)."""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))
import labctl  # noqa: E402
from lib.vpnsip_conf import Peer, lab_router_config  # noqa: E402

PSK = "vpnsip-qos-key-0123456789"
HOST_B = "203.0.113.10"
TUN_ADDR = {"rtrA": "10.255.0.1", "rtrB": "10.255.0.2"}
PEER = {"rtrA": "rtrB", "rtrB": "rtrA"}
ETH = 14


def session_config(lab, node, kbps, child=None, extra="", transform="esp-aes 256 esp-sha256-hmac",
                   idle=None):
    lan_peer = lab.addr(PEER[node].replace("rtr", "lan"))
    net = ".".join(lan_peer.split(".")[:3] + [str(int(lan_peer.split(".")[3]) & ~7)])
    idle_line = f" set security-association idle-time {idle}\n" if idle else ""
    return lab_router_config(lab, node, PEER[node], TUN_ADDR[node], bandwidth=kbps, policy=child,
                             head=extra, keyring=[Peer("peer", PSK, key_id=lab.number(PEER[node]))],
                             transform=transform, ipsec_extra=idle_line,
                             tail=f"ip route {net} 255.255.255.248 Tunnel1\n")


class Session:
    """Both routers' vpnsipd; start() boots them, up() triggers the call."""

    def __init__(self, lab, build, tmp, kbps, child=None, extra="", **kw):
        self.lab, self.build, self.tmp = lab, str(build), str(tmp)
        self.kbps, self.child, self.extra, self.kw = kbps, child, extra, kw
        self.logs = {}
        lab.env["VPNSIPD"] = os.path.join(self.build, "vpnsipd")
        lab.env["VPNSIPSH"] = os.path.join(self.build, "vpnsipsh")
        lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"

    def start(self):
        for node in ("rtrA", "rtrB"):
            conf = os.path.join(self.tmp, node + ".conf")
            with open(conf, "w") as f:
                f.write(session_config(self.lab, node, self.kbps, self.child, self.extra,
                                       **self.kw))
            path = os.path.join(self.lab.dir, node, "vpnsipd.log")
            self.logs[node] = (path, os.path.getsize(path) if os.path.exists(path) else 0)
            self.lab.vpnsipd_start(node, conf)
        labctl.wait_for(lambda: all(": registered" in self.sh(n, "show vpn-sip registration-status")
                                    for n in ("rtrA", "rtrB")),
                        timeout=20, what="both registered\n" + self.log("rtrA")[-2000:])
        return self

    def stop(self):
        """SIGTERM both; fails unless each exits 0 without a sanitizer report."""
        self.lab.vpnsipd_stop_nodes("rtrA", "rtrB")

    def log(self, node):
        path, start = self.logs[node]
        with open(path, errors="replace") as f:
            return f.read()[start:]

    def sh(self, node, *cmds):
        """vpnsipsh with one -c per command (configuration sequences)."""
        args = [a for c in cmds for a in ("-c", c)]
        sock = os.path.join(self.lab.dir, node, "vpnsipd.sock")
        r = self.lab.exec(node, os.path.join(self.build, "vpnsipsh"), "-S", sock, *args)
        # errors fail; the warning of a tunnel without an idle timer does not
        # (these sessions end by clear)
        bad = [l for l in r.stdout.splitlines()
               if l.lstrip().startswith("% ") and not l.lstrip().startswith("% Warning")]
        assert r.returncode == 0 and not bad, (cmds, r.stdout, r.stderr)
        return r.stdout

    def up(self, timeout=40):
        """Ping from lanA triggers the call; returns once traffic flows."""
        ok = labctl.wait_for(lambda: self.lab.ping("lanA", HOST_B, count=1, wait=1),
                             timeout=timeout, interval=0.2,
                             what="ping through the VPN-SIP tunnel\nA:\n%s\nB:\n%s" % (
                                 self.log("rtrA")[-3000:], self.log("rtrB")[-3000:]))
        assert ok
        return self

    def set_bandwidth(self, kbps, child=None):
        """Both sides' b=AS (the negotiated value is the minimum); the next
        call uses it."""
        self.kbps, self.child = kbps, child
        for node in ("rtrA", "rtrB"):
            sp = f" service-policy {child}" if child else ""
            self.sh(node, "configure terminal", "interface Tunnel1",
                    f"vpn-sip local-number {self.lab.number(node)} remote-number "
                    f"{self.lab.number(PEER[node])} bandwidth {kbps}{sp}", "end")

    def clear(self, timeout=15):
        self.sh("rtrA", "clear vpn-sip session")
        labctl.wait_for(lambda: all("qdisc htb" not in self.tc_qdisc(n) for n in ("rtrA", "rtrB")),
                        timeout=timeout, what="implicit policy removed")

    def tc_qdisc(self, node):
        return self.lab.exec(node, "tc", "-s", "qdisc", "show", "dev", "Tunnel1").stdout


def port_counters(lab, router="rtrA"):
    """(bytes, packets) that router's bak0 put on the NGN bridge."""
    ns = "ngn"
    b = int(lab.exec(ns, "cat", f"/sys/class/net/{router}/statistics/rx_bytes").stdout)
    p = int(lab.exec(ns, "cat", f"/sys/class/net/{router}/statistics/rx_packets").stdout)
    return b, p


MODES = {
    "udp-1400": ["-u", "-b", "{offer}", "-l", "1300"],
    "udp-64": ["-u", "-b", "{offer}", "-l", "64"],
    "tcp-1400": ["-M", "1300"],
    "tcp-200": ["-M", "200"],
}


def tunnel_overlimits(lab, router="rtrA"):
    """HTB's overlimits on Tunnel1 (all classes): they grow while the shaper
    holds packets back, i.e. while the source saturates it."""
    out = lab.exec(router, "tc", "-s", "class", "show", "dev", "Tunnel1").stdout
    return sum(int(n) for n in re.findall(r"overlimits (\d+)", out))


def outer_rate(lab, kbps, mode, port, window=None, warmup=3.5):
    """Saturate Tunnel1 from lanA to lanB with iperf3 and return the outer
    L3 rate (bits/s) of rtrA's backup link over a window that starts
    warmup seconds into the run (the shaper's ESP/GSO correction settles
    meanwhile), and the iperf3 receiver's goodput."""
    big = mode.endswith("1400")
    if window is None:
        window = 8.0 if kbps >= 256 else 12.0
    srv = lab.popen("lanB", "iperf3", "-s", "-1", "-J", "-p", str(port),
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(0.5)
        args = [a.format(offer=f"{kbps * (2 if big else 3)}k") for a in MODES[mode]]
        cli = lab.popen("lanA", "iperf3", "-c", HOST_B, "-p", str(port),
                        "-t", str(int(window + warmup + 1.5)), *args,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(warmup)
            b0, p0 = port_counters(lab)
            o0 = tunnel_overlimits(lab)
            t0 = time.monotonic()
            time.sleep(window)
            b1, p1 = port_counters(lab)
            t1 = time.monotonic()
            o1 = tunnel_overlimits(lab)
            cli.wait(40)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
        out = srv.communicate(timeout=40)[0]
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    l3 = (b1 - b0) - ETH * (p1 - p0)
    try:
        goodput = json.loads(out)["end"]["sum_received"]["bits_per_second"] if "tcp" in mode \
            else json.loads(out)["end"]["sum"]["bits_per_second"]
    except (ValueError, KeyError):
        goodput = 0
    return l3 * 8 / (t1 - t0), goodput, (p1 - p0), o1 - o0
