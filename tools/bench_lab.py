#!/usr/bin/python3
"""make bench: setup latency against the floor, CLI responsiveness under
churn, aggregate shaped throughput (figures, never pass/fail).

    tools/bench_lab.py [--json FILE] [--parts latency,floor,aggregate,churn]

One lab (LAB_PREFIX, default vsbl) with 1 + P routers (BENCH_PEERS, default
8), no primary routes, the real Kamailio.  rtrA's vpnsipd has one VPN-SIP
tunnel per peer (TunnelK to the K-th peer, b=AS 1000, a route to that
peer's LAN through it); each peer's vpnsipd has Tunnel1 to rtrA.

latency   BENCH_LATENCY_RUNS sessions (default min(SESSIONS, 40)), one at a
          time, round robin over rtrA's tunnels: tools/bench_probe.py in
          lanA sends ICMP echo to the peer's LAN host every 5 ms; the first
          one is routed into TunnelK and triggers the call; the time to the
          first reply is the setup latency.  Then `clear vpn-sip session
          remote-number N` on rtrA and both sides back in READY_TO_CONNECT.
          tshark on the NGN bridge (ngn0) splits it, going back from the
          first reply along the exchange that made it: trigger -> INVITE
          (a failed attempt and the 5 s retry back-off land here),
          INVITE -> 200 (SIP through Kamailio), 200 -> IKE_SA_INIT request,
          IKE_SA_INIT request -> IKE_AUTH response, IKE_AUTH response ->
          first reply (data plane ready).
floor     Between the same namespaces (rtrA, rtrB), in the same run:
          a SIPp UAC (rtrA) -> Kamailio -> SIPp UAS (rtrB) call, INVITE -> 200
          from SIPp's message trace (BENCH_FLOOR_RUNS calls, default 20);
          two stock strongSwan charons (kernel-libipsec), IKE_SA_INIT
          request -> IKE_AUTH response of `swanctl --initiate` from the
          capture (same default IKE proposal as vpnsipd, PSK, IKE on the
          NAT-T port from the first message like vpnsipd); ping RTT
          bak0 -> bak0.  floor_latency_ms_p50 = SIP p50 + IKE p50.
aggregate All P tunnels up at once, iperf3 UDP from lanA to every peer's LAN
          host at twice b=AS (BENCH_AGG_SECONDS window, default 8): the
          outer L3 rate rtrA puts on the NGN (bridge port counters, what the
          carrier sees) summed, against the sum of the negotiated b=AS.
churn     Every peer calls rtrA, clears, calls again (BENCH_CHURN_CYCLES,
          default 4, at once on all peers) while `show vpn-sip session`
          runs on rtrA every 50 ms: its latency (vpnsipsh process, like an
          operator's) idle and while churning.

The call-attempt rate limit (10 per tunnel per 600 s, billing safety)
bounds the runs: latency and aggregate use rtrA's tunnels (at most 9 calls
each), churn the peers' tunnels.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import labctl  # noqa: E402
from lib.ike_peer import StockCharon, psk_conn  # noqa: E402
from lib.vpnsip_conf import Peer, Tunnel, lab_router_config, router_config  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
VPNSIPSH = os.path.join(BUILD, "vpnsipsh")
PROBE = os.path.join(HERE, "bench_probe.py")
PSK = "vpnsip-bench-lab-key-0123456789abcdef"
KAM = "192.0.2.1"
SESSIONS = int(os.environ.get("SESSIONS", "1000"))
PEERS = max(1, min(25, int(os.environ.get("BENCH_PEERS", "8"))))
RUNS = int(os.environ.get("BENCH_LATENCY_RUNS", str(min(SESSIONS, 40))))
RUNS = max(1, min(RUNS, 8 * PEERS))  # the rate limit: 10 calls per tunnel per 600 s
FLOOR_RUNS = int(os.environ.get("BENCH_FLOOR_RUNS", "20"))
CHURN_CYCLES = max(1, min(8, int(os.environ.get("BENCH_CHURN_CYCLES", "4"))))
AGG_SECONDS = float(os.environ.get("BENCH_AGG_SECONDS", "8"))
BW = 1000


def pct(values, p):
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return round(v[k], 1)


def log(msg):
    print("bench_lab: " + msg, file=sys.stderr, flush=True)


class Capture:
    """tshark on the NGN bridge; events() -> [(time, src, dst, what)]."""

    def __init__(self, lab, path, bpf="udp port 5060 or udp port 4500", decode=()):
        self.lab, self.path, self.decode = lab, path, list(decode)
        self.p = subprocess.Popen(["ip", "netns", "exec", lab.ns("ngn"), "tshark", "-q", "-i", "ngn0",
                                   "-f", bpf, "-w", path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        labctl.wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0,
                        timeout=20, what="tshark started")
        time.sleep(0.3)

    def events(self):
        time.sleep(0.3)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=20)
        args = []
        for d in self.decode:
            args += ["-d", d]
        out = subprocess.run(["tshark", "-r", self.path, *args,
                              "-Y", "sip.Method || sip.Status-Code || isakmp", "-T", "fields",
                              "-E", "separator=|", "-e", "frame.time_epoch", "-e", "ip.src",
                              "-e", "ip.dst", "-e", "sip.Method", "-e", "sip.Status-Code",
                              "-e", "sip.CSeq.method", "-e", "isakmp.exchangetype",
                              "-e", "isakmp.flag_r"],
                             capture_output=True, text=True).stdout
        ev = []
        for line in out.splitlines():
            t, src, dst, method, code, cseq, exch, resp = (line.split("|") + [""] * 8)[:8]
            exch = exch.split(",")[0]
            if method:
                what = method.split(",")[0]
            elif code:
                what = "%s %s" % (code.split(",")[0], cseq.split(",")[0])
            elif exch:
                what = {"34": "IKE_SA_INIT", "35": "IKE_AUTH", "36": "CREATE_CHILD_SA",
                        "37": "INFORMATIONAL"}.get(exch, exch)
                what += " response" if resp.split(",")[0] in ("1", "True") else " request"
            else:
                continue
            ev.append((float(t), src, dst, what))
        return ev


def after(ev, t, what, src=None, dst=None):
    for e in ev:
        if e[0] >= t and e[3] == what and (src is None or e[1] == src) and \
                (dst is None or e[2] == dst):
            return e
    return None


def before(ev, t, what, src=None, dst=None):
    for e in reversed(ev):
        if e[0] <= t and e[3] == what and (src is None or e[1] == src) and \
                (dst is None or e[2] == dst):
            return e
    return None


class Bench:
    def __init__(self, lab, tmp):
        self.lab, self.tmp = lab, tmp
        self.peers = ["rtr" + labctl.letter(i) for i in range(2, PEERS + 2)]
        self.res = {}

    # -- plumbing
    def sock(self, node):
        return os.path.join(self.lab.dir, node, "vpnsipd.sock")

    def sh(self, node, cmd):
        # a UNIX socket path works from any network namespace
        p = subprocess.run([VPNSIPSH, "-S", self.sock(node), "-c", cmd], capture_output=True,
                           text=True, timeout=30)
        return p.stdout + p.stderr

    def timed_sh(self, node, cmd):
        t0 = time.monotonic()
        self.sh(node, cmd)
        return (time.monotonic() - t0) * 1000

    def state(self, node, remote):
        m = re.search(r"Session status: (\S+)",
                      self.sh(node, "show vpn-sip session remote-number %s" % remote))
        return m.group(1) if m else None

    def wait_state(self, node, remote, state, timeout=20):
        return labctl.wait_for(lambda: self.state(node, remote) == state, timeout=timeout,
                               interval=0.05,
                               what="%s: session with %s in %s (now %s)" % (
                                   node, remote, state, self.state(node, remote)))

    def probe(self, src_lan, host, timeout=20):
        p = self.lab.exec(src_lan, "/usr/bin/python3", PROBE, host, timeout, 5,
                          timeout=timeout + 10)
        try:
            return json.loads(p.stdout)
        except ValueError:
            return {"ms": None, "t_first_sent": None, "t_first_reply": None}

    def lan_net(self, router):
        host = self.lab.addr(router.replace("rtr", "lan"))
        a = host.split(".")
        return ".".join(a[:3] + [str(int(a[3]) & ~7)])

    # -- the routers
    def start(self):
        lab = self.lab
        a = "rtrA"
        na = lab.number(a)
        confs = {a: router_config(
            hostname=a, local_id=na, bak0=lab.addr(a),
            keyring=[Peer(p, PSK, key_id=lab.number(p)) for p in self.peers],
            tunnels=[Tunnel(k, "10.255.%d.1" % k, na, lab.number(p), BW)
                     for k, p in enumerate(self.peers, 1)],
            numbers=[na], sip_server=KAM, domain=lab.domain,
            tail="".join("ip route %s 255.255.255.248 Tunnel%d\n" % (self.lan_net(p), k)
                         for k, p in enumerate(self.peers, 1)))}
        for k, p in enumerate(self.peers, 1):
            confs[p] = lab_router_config(lab, p, a, "10.255.%d.2" % k,
                                         keyring=[Peer(a, PSK, key_id=na)],
                                         tail="ip route %s 255.255.255.248 Tunnel1\n" % self.lan_net(a))
        for node, text in confs.items():
            path = os.path.join(self.tmp, node + ".conf")
            with open(path, "w") as f:
                f.write(text)
            lab.vpnsipd_start(node, path)
        labctl.wait_for(lambda: all(": registered" in self.sh(n, "show vpn-sip registration-status")
                                    for n in confs), timeout=30, interval=0.2,
                        what="every router registered")

    # -- setup latency
    def latency(self):
        lab, a = self.lab, "rtrA"
        cap = Capture(lab, os.path.join(self.tmp, "latency.pcap"))
        runs = []
        try:
            for i in range(RUNS):
                p = self.peers[i % len(self.peers)]
                np_ = lab.number(p)
                r = self.probe("lanA", lab.addr(p.replace("rtr", "lan")))
                r["peer"] = p
                runs.append(r)
                if r.get("ms") is None:
                    log("latency run %d (%s): no reply" % (i, p))
                try:
                    self.wait_state(a, np_, "SESSION_UP", timeout=10)
                except TimeoutError as e:
                    log(str(e))
                self.sh(a, "clear vpn-sip session remote-number %s" % np_)
                self.wait_state(a, np_, "READY_TO_CONNECT")
                self.wait_state(p, lab.number(a), "READY_TO_CONNECT")
        finally:
            ev = cap.events()
        aa = lab.addr(a)
        parts = {k: [] for k in ("trigger_to_invite", "sip_invite_200", "ok_to_ike",
                                 "ike", "dataplane_ready")}
        for r in runs:
            t0, t1 = r.get("t_first_sent"), r.get("t_first_reply")
            if t0 is None or t1 is None:
                continue
            pa = lab.addr(r["peer"])
            # backwards from the first reply: the exchange that made it (a
            # failed attempt and its back-off fall into trigger -> INVITE)
            auth = before(ev, t1, "IKE_AUTH response", pa, aa)
            init = auth and before(ev, auth[0], "IKE_SA_INIT request", aa, pa)
            ok = init and before(ev, init[0], "200 INVITE", KAM, aa)
            inv = ok and before(ev, ok[0], "INVITE", aa, KAM)
            if not (inv and ok and init and auth) or inv[0] < t0 - 0.005:
                continue
            r["breakdown_ms"] = [round((x - y) * 1000, 1) for x, y in
                                 ((inv[0], t0), (ok[0], inv[0]), (init[0], ok[0]),
                                  (auth[0], init[0]), (t1, auth[0]))]
            parts["trigger_to_invite"].append((inv[0] - t0) * 1000)
            parts["sip_invite_200"].append((ok[0] - inv[0]) * 1000)
            parts["ok_to_ike"].append((init[0] - ok[0]) * 1000)
            parts["ike"].append((auth[0] - init[0]) * 1000)
            parts["dataplane_ready"].append((t1 - auth[0]) * 1000)
        ok_ms = [r["ms"] for r in runs if r.get("ms") is not None]
        self.res.update({
            "setup_latency_runs": len(runs), "setup_latency_ok": len(ok_ms),
            "setup_latency_ms_p50": pct(ok_ms, 50), "setup_latency_ms_p95": pct(ok_ms, 95),
            "setup_latency_ms_max": round(max(ok_ms), 1) if ok_ms else None,
            # a setup that took a retry (the 5 s back-off after a failed attempt)
            "setup_latency_over_1s": len([m for m in ok_ms if m > 1000]),
            "setup_breakdown_runs": len(parts["ike"]),
            # every run: total, [trigger->INVITE, INVITE->200, 200->IKE_SA_INIT,
            # IKE_SA_INIT->IKE_AUTH response, ->first reply] in ms
            "setup_runs": [{"peer": r["peer"], "ms": r.get("ms"), "t": r.get("t_first_sent"),
                            "breakdown_ms": r.get("breakdown_ms")} for r in runs],
        })
        for k, v in parts.items():
            self.res["setup_%s_ms_p50" % k] = pct(v, 50)
            self.res["setup_%s_ms_p95" % k] = pct(v, 95)

    # -- the floor
    def floor_sip(self):
        lab, b = self.lab, self.peers[0]
        callee = "0399000002"   # a number of the floor's own (vpnsipd keeps its registration)
        reg = lab.register(b, number=callee, contact_port=5070, port=5072)
        if reg.rc != 0:
            raise RuntimeError(reg.diagnostics())
        cap = Capture(lab, os.path.join(self.tmp, "floor_sip.pcap"), bpf="udp port 5060")
        try:
            uas = lab.sipp_bg(b, "uas.xml", port=5070, calls=FLOOR_RUNS, timeout=FLOOR_RUNS + 30)
            time.sleep(0.5)
            uac = lab.sipp("rtrA", "uac.xml", port=5071, calls=FLOOR_RUNS, duration_ms=0,
                           keys={"ruri": lab.tel_uri(callee), "caller": lab.number("rtrA"),
                                 "domain": lab.domain},
                           extra=["-l", "1", "-r", "20"], timeout=FLOOR_RUNS + 20)
            uas.wait(10)
        finally:
            ev = cap.events()
        # on the wire, as for vpnsipd: the INVITE leaving rtrA, the 200 reaching it
        aa = lab.addr("rtrA")
        out = []
        for e in ev:
            if e[3] == "INVITE" and e[1] == aa:
                ok = after(ev, e[0], "200 INVITE", KAM, aa)
                if ok:
                    out.append((ok[0] - e[0]) * 1000)
        if not out:
            raise RuntimeError("no SIPp call answered\n" + uac.diagnostics())
        self.res["floor_sip_invite_200_ms_p50"] = pct(out, 50)
        self.res["floor_sip_calls"] = len(out)

    def floor_ike(self):
        lab, b = self.lab, self.peers[0]
        aa, ab = lab.addr("rtrA"), lab.addr(b)
        sa = StockCharon(lab, "rtrA", os.path.join(self.tmp, "swanA"), port=600,
                         port_nat_t=4600).start()
        sb = StockCharon(lab, b, os.path.join(self.tmp, "swanB"), port=600,
                         port_nat_t=4600).start()
        cap = None
        out = []
        try:
            # the LANs behind the routers: kernel-libipsec's route needs a
            # local address inside the local traffic selector
            na, nb = self.lan_net("rtrA") + "/29", self.lan_net(b) + "/29"
            sa.load(psk_conn("floor", aa, ab, "floorA", "floorB", PSK, na, nb, remote_port=4600,
                             local_port=4600, ike="default"))
            sb.load(psk_conn("floor", ab, aa, "floorB", "floorA", PSK, nb, na, remote_port=4600,
                             local_port=4600, ike="default"))
            cap = Capture(lab, os.path.join(self.tmp, "floor_ike.pcap"), bpf="udp port 4600",
                          decode=["udp.port==4600,udpencap"])
            marks = []
            for _ in range(FLOOR_RUNS):
                t0 = time.time()
                r = sa.initiate("net")
                marks.append((t0, r.returncode))
                sa.swanctl("--terminate", "--ike", "floor", "--timeout", "5", check=False)
                time.sleep(0.1)
        finally:
            ev = cap.events() if cap else []
            sa.kill()
            sb.kill()
        for t0, rc in marks:
            init = after(ev, t0, "IKE_SA_INIT request", aa, ab)
            auth = init and after(ev, init[0], "IKE_AUTH response", ab, aa)
            if rc == 0 and init and auth:
                out.append((auth[0] - init[0]) * 1000)
        if not out:
            raise RuntimeError("no IKE SA from the stock charons (%d events)" % len(ev))
        self.res["floor_ike_ms_p50"] = pct(out, 50)
        self.res["floor_ike_runs"] = len(out)

    def floor_ping(self):
        p = self.lab.exec("rtrA", "ping", "-n", "-q", "-c", "20", "-i", "0.05",
                          self.lab.addr(self.peers[0]))
        m = re.search(r"= [\d.]+/([\d.]+)/", p.stdout)
        self.res["floor_ping_rtt_ms"] = float(m.group(1)) if m else None

    # -- aggregate shaped throughput
    def counters(self, routers):
        """{router: (rx_bytes, rx_packets, tx_bytes, tx_packets)} of the
        routers' NGN bridge ports, all read at one moment (one process),
        and that moment."""
        files = ["/sys/class/net/%s/statistics/%s" % (r, w) for r in routers
                 for w in ("rx_bytes", "rx_packets", "tx_bytes", "tx_packets")]
        t0 = time.monotonic()
        out = self.lab.exec("ngn", "cat", *files).stdout.split()
        t = (t0 + time.monotonic()) / 2
        v = [int(x) for x in out]
        return {r: tuple(v[4 * i:4 * i + 4]) for i, r in enumerate(routers)}, t

    def aggregate(self):
        lab, a = self.lab, "rtrA"
        for p in self.peers:
            r = self.probe("lanA", lab.addr(p.replace("rtr", "lan")))
            if r.get("ms") is None:
                log("aggregate: no session to %s" % p)
        up = [p for p in self.peers if self.state(a, lab.number(p)) == "SESSION_UP"]
        srv, cli = [], []
        port = 5201
        try:
            for p in up:
                srv.append(lab.popen(p.replace("rtr", "lan"), "iperf3", "-s", "-1", "-J", "-p",
                                     port, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True))
            time.sleep(0.5)
            for p in up:
                cli.append(lab.popen("lanA", "iperf3", "-c", lab.addr(p.replace("rtr", "lan")),
                                     "-p", port, "-u", "-b", "%dk" % (2 * BW), "-l", "1300",
                                     "-t", int(AGG_SECONDS + 5), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL))
            time.sleep(3.5)
            c0, t0 = self.counters([a] + up)
            time.sleep(AGG_SECONDS)
            c1, t1 = self.counters([a] + up)
            dt = t1 - t0
            for c in cli:
                c.wait(AGG_SECONDS + 30)
            good = 0.0
            for s in srv:
                out = s.communicate(timeout=30)[0]
                try:
                    good += json.loads(out)["end"]["sum_received"]["bits_per_second"]
                except (ValueError, KeyError):
                    pass
        finally:
            for pr in srv + cli:
                if pr.poll() is None:
                    pr.kill()
                    pr.wait()
        # L3 rates (Ethernet header off): what each peer's port sent to it,
        # what rtrA's port received from rtrA (every tunnel's outer packets)
        per = [((c1[p][2] - c0[p][2]) - 14 * (c1[p][3] - c0[p][3])) * 8 / dt / 1000 for p in up]
        total = ((c1[a][0] - c0[a][0]) - 14 * (c1[a][1] - c0[a][1])) * 8 / dt / 1000
        self.res.update({
            "aggregate_tunnels": len(up),
            "aggregate_bas_kbps_sum": len(up) * BW,
            "aggregate_outer_kbps_sum": round(total, 1),
            "aggregate_outer_ratio": round(total / (len(up) * BW), 3) if up else None,
            "aggregate_outer_kbps_min": round(min(per), 1) if per else None,
            "aggregate_outer_kbps_max": round(max(per), 1) if per else None,
            "aggregate_goodput_kbps_sum": round(good / 1000, 1),
        })
        self.sh(a, "clear vpn-sip session")
        for p in self.peers:
            self.wait_state(a, lab.number(p), "READY_TO_CONNECT")
            self.wait_state(p, lab.number(a), "READY_TO_CONNECT")

    # -- CLI responsiveness while sessions churn
    def churn(self):
        lab, a = self.lab, "rtrA"
        na = lab.number(a)
        self.res["cli_show_version_ms_p50"] = pct([self.timed_sh(a, "show version")
                                                   for _ in range(20)], 50)
        self.res["cli_show_session_idle_ms_p50"] = pct(
            [self.timed_sh(a, "show vpn-sip session") for _ in range(20)], 50)
        done = {"cycles": 0, "fail": 0}
        lock = threading.Lock()

        def worker(p):
            for _ in range(CHURN_CYCLES):
                r = self.probe(p.replace("rtr", "lan"), lab.addr("lanA"))
                ok = r.get("ms") is not None
                try:
                    self.wait_state(p, na, "SESSION_UP", timeout=10)
                    self.sh(p, "clear vpn-sip session")
                    self.wait_state(p, na, "READY_TO_CONNECT")
                except TimeoutError:
                    ok = False
                with lock:
                    done["cycles" if ok else "fail"] += 1

        threads = [threading.Thread(target=worker, args=(p,)) for p in self.peers]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        lat = []
        while any(t.is_alive() for t in threads):
            lat.append(self.timed_sh(a, "show vpn-sip session"))
            time.sleep(0.05)
        dt = time.monotonic() - t0
        self.res.update({
            "churn_tunnels": len(self.peers), "churn_cycles": done["cycles"],
            "churn_failures": done["fail"], "churn_seconds": round(dt, 1),
            "churn_sessions_per_s": round(done["cycles"] / dt, 2),
            "cli_show_session_churn_ms_p50": pct(lat, 50),
            "cli_show_session_churn_ms_p95": pct(lat, 95),
            "cli_show_session_churn_ms_max": round(max(lat), 1) if lat else None,
            "cli_show_session_churn_samples": len(lat),
        })


KEYS = ["setup_latency_runs", "setup_latency_ok", "setup_latency_ms_p50", "setup_latency_ms_p95",
        "setup_latency_ms_max", "setup_latency_over_1s", "setup_breakdown_runs"] + \
    ["setup_%s_ms_%s" % (k, p) for k in ("trigger_to_invite", "sip_invite_200", "ok_to_ike", "ike",
                                          "dataplane_ready") for p in ("p50", "p95")] + \
    ["floor_sip_invite_200_ms_p50", "floor_sip_calls", "floor_ike_ms_p50", "floor_ike_runs",
     "floor_ping_rtt_ms", "floor_latency_ms_p50",
     "aggregate_tunnels", "aggregate_bas_kbps_sum", "aggregate_outer_kbps_sum",
     "aggregate_outer_ratio", "aggregate_outer_kbps_min", "aggregate_outer_kbps_max",
     "aggregate_goodput_kbps_sum",
     "cli_show_version_ms_p50", "cli_show_session_idle_ms_p50", "churn_tunnels", "churn_cycles",
     "churn_failures", "churn_seconds", "churn_sessions_per_s", "cli_show_session_churn_ms_p50",
     "cli_show_session_churn_ms_p95", "cli_show_session_churn_ms_max",
     "cli_show_session_churn_samples", "setup_runs"]


def main():
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    parts = (sys.argv[sys.argv.index("--parts") + 1] if "--parts" in sys.argv
             else "latency,floor,aggregate,churn").split(",")
    lab = labctl.Lab(prefix=os.environ.get("LAB_PREFIX", "vsbl"), routers=PEERS + 1,
                     up_args=["--no-primary-routes"])
    lab.env["VPNSIPD"] = os.path.join(BUILD, "vpnsipd")
    lab.env["VPNSIPSH"] = VPNSIPSH
    res = dict.fromkeys(KEYS)
    tmp = tempfile.mkdtemp(prefix="vpnsip-bench-lab-")
    try:
        lab.up()
        b = Bench(lab, tmp)
        b.start()
        steps = {"latency": [b.latency], "floor": [b.floor_ping, b.floor_sip, b.floor_ike],
                 "aggregate": [b.aggregate], "churn": [b.churn]}
        for part in parts:
            for fn in steps.get(part, []):
                t = time.monotonic()
                try:
                    fn()
                except Exception as e:  # a figure missing, never a failure
                    log("%s: %s: %s" % (fn.__name__, type(e).__name__, str(e)[:2000]))
                log("%s done in %.1f s" % (fn.__name__, time.monotonic() - t))
        res.update(b.res)
        if res["floor_sip_invite_200_ms_p50"] is not None and res["floor_ike_ms_p50"] is not None:
            res["floor_latency_ms_p50"] = round(res["floor_sip_invite_200_ms_p50"] +
                                                res["floor_ike_ms_p50"], 1)
    except Exception as e:
        log("lab: %s: %s" % (type(e).__name__, str(e)[:3000]))
    finally:
        keep = os.environ.get("BENCH_KEEP_LOGS")
        if keep and os.path.isdir(lab.dir):
            subprocess.run(["mkdir", "-p", keep])
            for node in sorted(os.listdir(lab.dir)):
                src = os.path.join(lab.dir, node)
                for name in (os.listdir(src) if os.path.isdir(src) else []):
                    if name.endswith(".log"):
                        subprocess.run(["cp", os.path.join(src, name),
                                        os.path.join(keep, "%s-%s" % (node, name))])
        lab.down()
        if not os.environ.get("BENCH_KEEP_TMP"):
            subprocess.run(["rm", "-rf", tmp])
        else:
            log("scratch files kept in " + tmp)
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
    for k in KEYS[:-1]:
        print("%-40s %s" % (k, "-" if res.get(k) is None else res[k]))


if __name__ == "__main__":
    main()
