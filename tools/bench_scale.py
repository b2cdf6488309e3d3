#!/usr/bin/env python3
"""Concurrency benchmark: one router R (lab rtrA) with N VPN-SIP
tunnels to N numbers of one peer daemon P (lab rtrB, N global local numbers),
all sessions brought up at once by traffic, in the lab with the real Kamailio.
Figures only, never pass/fail (exit 0 unless the lab could not run).

    tools/bench_scale.py --sessions N [--json FILE] [--build DIR] [--keep]

    --sessions N   tunnels on R = numbers on P (default 50, at most 16000)
    --json FILE    write the results there (also printed as a table)
    --build DIR    the vpnsipd/vpnsipsh to run (default build/)
    --keep         leave the lab (and both daemons) up at the end
    LAB_PREFIX     namespace prefix (default "vsb"); LAB_DIR as in tests/lab

What happens: P starts with N numbers and N tunnels (tunnel i: local number
P_i, remote number R) and registers every number; R starts with an empty
VPN-SIP configuration (base RSS), then with the N tunnels; once R is
registered and idle, a prober inside R's namespace sends one ICMP echo to the
far end of every tunnel at the same moment (the simultaneous trigger: each
first packet routed into TunnelI places that tunnel's call), repeats it for
the sessions that have not answered yet (interval 20 ms, spread wider when
more than 10000 probes/s would be due), and then sends 3 more echoes through
every tunnel (traffic on each session).

JSON keys (stable; `make bench` reads them):
  sessions_target            N
  sessions_up                sessions in SESSION_UP on R after the run
  sessions_traffic_ok        sessions whose tunnel answered the later echoes (>= 1 of 3)
  traffic_echo_lost          of those 3 x N later echoes, how many got no reply
  all_up_seconds             trigger -> the last tunnel's first echo reply
  setup_latency_ms_p50/p95/max/min   per session: first echo into TunnelI ->
                             first reply through it (resolution: probe_interval_ms)
  probe_interval_ms          the largest re-probe interval used
  failures                   sessions without a reply, plus failed call attempts
  failure_reasons            up to 5 distinct reasons (R's CALL_FAIL/SESSION_FAIL log lines)
  rss_empty_kib              R with the global VPN-SIP lines only
  rss_base_kib               R configured with N tunnels, registered, idle
  rss_idle_per_tunnel_kib    (rss_base - rss_empty) / N
  rss_up_kib                 R with every session up
  rss_per_session_kib        (rss_up - rss_base) / N
  cpu_bringup_seconds        R's vpnsipd user+system CPU from trigger to all up
  peer_rss_up_kib, peer_cpu_bringup_seconds   the same for P
  config_load_ms             R's boot configuration load (its CONFIG_LOAD log line)
  register_all_seconds       P: start -> every number registered
  show_session_ms            "show vpn-sip session" with N sessions up (mean of 5;
                             vpnsipsh wall time, including its start)
  show_running_config_ms     "show running-config" (mean of 5, same)
  cli_baseline_ms            "show version" (mean of 5): the vpnsipsh start-up part
  fd_count                   R's open file descriptors with every session up
"""
import argparse
import ipaddress
import json
import os
import re
import select
import socket
import statistics
import struct
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
from lib.vpnsip_conf import Peer, Tunnel, router_config  # noqa: E402

R, P = "rtrA", "rtrB"
PSK = "bench-scale-psk-0123456789abcdef"
TUN_BASE = int(ipaddress.IPv4Address("10.64.0.0"))


def peer_number(i):
    """P's i-th number (1-based): 05 + 8 digits, never a lab router's."""
    return "05%08d" % i


def tun_addrs(i):
    base = TUN_BASE + 4 * i
    return str(ipaddress.IPv4Address(base + 1)), str(ipaddress.IPv4Address(base + 2))


# ---------------------------------------------------------------- configs

def r_config(lab, n):
    me = lab.number(R)
    # The global numbers before the tunnels that use them, as
    # show running-config writes them.
    return router_config(
        hostname=R, local_id=me, bak0=lab.addr(R),
        keyring=[Peer("p%d" % i, PSK, key_id=peer_number(i)) for i in range(1, n + 1)],
        numbers=[me], domain=lab.domain, vpnsip_logging=False, globals_first=True,
        tunnels=[Tunnel(i, tun_addrs(i)[0], me, peer_number(i)) for i in range(1, n + 1)],
        tail="end\n")


def p_config(lab, n):
    rnum = lab.number(R)
    # No "identity local": each call's IKE identity is its own local
    # number (the key-id R's keyring and its VPN-SIP check expect); one
    # configured key-id would be wrong for all but one of the numbers.
    return router_config(
        hostname=P, bak0=lab.addr(P),
        keyring=[Peer("r", PSK, key_id=rnum)],
        numbers=[peer_number(i) for i in range(1, n + 1)], domain=lab.domain,
        vpnsip_logging=False, globals_first=True,
        tunnels=[Tunnel(i, tun_addrs(i)[1], peer_number(i), rnum) for i in range(1, n + 1)],
        tail="end\n")


# ---------------------------------------------------------------- the prober (in R's namespace)

def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo(ident, seq):
    payload = b"vpnsip-bench-scale"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, seq) + payload


def probe_main():
    """Reads {"targets": [...], "timeout": s} on stdin, prints JSON."""
    req = json.load(sys.stdin)
    targets = req["targets"]
    timeout = req["timeout"]
    n = len(targets)
    index = {a: i for i, a in enumerate(targets)}
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setblocking(False)
    ident = os.getpid() & 0xFFFF
    first = [None] * n
    last = [0.0] * n
    latency = [None] * n
    pending = set(range(n))
    max_interval = 0.02

    def send(i, seq):
        try:
            sock.sendto(echo(ident, seq & 0xFFFF), (targets[i], 0))
        except OSError:
            pass  # ENOBUFS and the like: the next round retries

    def drain(now, on_reply):
        while True:
            try:
                data, (src, _) = sock.recvfrom(2048)
            except BlockingIOError:
                return
            ihl = (data[0] & 0x0F) * 4
            if len(data) < ihl + 8 or data[ihl] != 0:
                continue
            rid, = struct.unpack("!H", data[ihl + 4:ihl + 6])
            if rid == ident and src in index:
                on_reply(index[src], now)

    def first_reply(i, now):
        if latency[i] is None:
            latency[i] = (now - first[i]) * 1000.0
            pending.discard(i)

    t0 = time.monotonic()
    for i in range(n):  # the simultaneous trigger
        first[i] = last[i] = time.monotonic()
        send(i, i)
    deadline = t0 + timeout
    while pending and time.monotonic() < deadline:
        select.select([sock], [], [], 0.005)
        now = time.monotonic()
        drain(now, first_reply)
        interval = max(0.02, len(pending) / 10000.0)
        max_interval = max(max_interval, interval)
        for i in list(pending):
            if now - last[i] >= interval:
                last[i] = now
                send(i, i)
    t_all = time.monotonic() - t0 if not pending else None
    # Traffic on every session: 3 echoes each, 100 ms apart.
    got = [0] * n

    def count(i, now):
        got[i] += 1
    for rnd in range(3):
        for i in range(n):
            send(i, 0x8000 + rnd)
        end = time.monotonic() + 0.1
        while time.monotonic() < end:
            select.select([sock], [], [], 0.01)
            drain(time.monotonic(), count)
    end = time.monotonic() + 2.0
    while time.monotonic() < end and sum(1 for g in got if g >= 3) < n:
        select.select([sock], [], [], 0.05)
        drain(time.monotonic(), count)
    json.dump({"latency_ms": latency, "all_up_s": t_all, "traffic": got,
               "probe_interval_ms": max_interval * 1000.0}, sys.stdout)


# ---------------------------------------------------------------- the driver

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_pid(lab, node):
    with open(os.path.join(lab.dir, node, "vpnsipd.pid")) as f:
        pid = int(f.read().split()[0])
    with open("/proc/%d/comm" % pid) as f:
        assert f.read().strip() == "vpnsipd", "pid file of %s is not vpnsipd's" % node
    return pid


def sh_ms(build, lab, node, cmd, runs=5):
    sock = os.path.join(lab.dir, node, "vpnsipd.sock")
    times = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run([os.path.join(build, "vpnsipsh"), "-S", sock, "-c", cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        times.append((time.monotonic() - t) * 1000.0)
    return statistics.mean(times)


def sh(build, lab, node, cmd):
    sock = os.path.join(lab.dir, node, "vpnsipd.sock")
    return subprocess.run([os.path.join(build, "vpnsipsh"), "-S", sock, "-c", cmd],
                          capture_output=True, text=True, timeout=120).stdout


def wait(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise RuntimeError("timed out waiting for " + what)


def registered_count(build, lab, node):
    return sh(build, lab, node, "show vpn-sip registration-status").count(": registered")


def log_of(lab, node, start=0):
    with open(os.path.join(lab.dir, node, "vpnsipd.log"), errors="replace") as f:
        f.seek(start)
        return f.read()


def log_size(lab, node):
    try:
        return os.path.getsize(os.path.join(lab.dir, node, "vpnsipd.log"))
    except OSError:
        return 0


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def run(args):
    import labctl
    n = args.sessions
    build = os.path.abspath(args.build)
    lab = labctl.Lab(prefix=os.environ.get("LAB_PREFIX", "vsb"), routers=2,
                     up_args=["--no-primary-routes"])
    lab.env["VPNSIPD"] = os.path.join(build, "vpnsipd")
    lab.env["VPNSIPSH"] = os.path.join(build, "vpnsipsh")
    res = {"sessions_target": n}
    work = os.path.join(lab.dir, "bench-scale")
    lab.down()
    lab.up()
    try:
        os.makedirs(work, exist_ok=True)
        files = {}
        for name, text in (("r-empty.conf", r_config(lab, 0)), ("r.conf", r_config(lab, n)),
                           ("p.conf", p_config(lab, n))):
            files[name] = os.path.join(work, name)
            with open(files[name], "w") as f:
                f.write(text)
        reg_timeout = 60 + n * 0.1

        # P: every number registered.
        t = time.monotonic()
        lab.vpnsipd_start(P, files["p.conf"])
        wait(lambda: registered_count(build, lab, P) >= n, reg_timeout, "P's %d registrations" % n)
        res["register_all_seconds"] = round(time.monotonic() - t, 2)
        ppid = daemon_pid(lab, P)

        # R, empty then configured.
        lab.vpnsipd_start(R, files["r-empty.conf"])
        wait(lambda: registered_count(build, lab, R) >= 1, 30, "R registered")
        time.sleep(1)
        res["rss_empty_kib"] = rss_kib(daemon_pid(lab, R))
        lab.vpnsipd_stop(R)
        mark = log_size(lab, R)
        lab.vpnsipd_start(R, files["r.conf"])
        wait(lambda: registered_count(build, lab, R) >= 1, 60, "R registered")
        m = wait(lambda: re.search(r"CONFIG_LOAD.*\((\d+) ms\)", log_of(lab, R, mark)), 30,
                 "R's CONFIG_LOAD line")
        res["config_load_ms"] = int(m.group(1))
        time.sleep(2)
        rpid = daemon_pid(lab, R)
        res["rss_base_kib"] = rss_kib(rpid)
        res["rss_idle_per_tunnel_kib"] = round((res["rss_base_kib"] - res["rss_empty_kib"]) / max(n, 1), 1)

        for flag in os.environ.get("BENCH_SCALE_DEBUG", "").split(","):
            if flag:  # e.g. "crypto ikev2 error": a diagnosis run, not a measurement
                for node in (R, P):
                    sh(build, lab, node, "debug " + flag)
        # The simultaneous trigger.
        cpu0, pcpu0 = cpu_s(rpid), cpu_s(ppid)
        targets = [tun_addrs(i)[1] for i in range(1, n + 1)]
        timeout = 60 + n * 0.12
        p = subprocess.run(["ip", "netns", "exec", lab.ns(R), sys.executable,
                            os.path.abspath(__file__), "--probe"],
                           input=json.dumps({"targets": targets, "timeout": timeout}),
                           capture_output=True, text=True, timeout=timeout + 60)
        if p.returncode != 0:
            raise RuntimeError("prober failed: " + p.stderr[-2000:])
        pr = json.loads(p.stdout)
        lat = [x for x in pr["latency_ms"] if x is not None]
        res["all_up_seconds"] = round(pr["all_up_s"], 3) if pr["all_up_s"] is not None else None
        res["cpu_bringup_seconds"] = round(cpu_s(rpid) - cpu0, 2)
        res["peer_cpu_bringup_seconds"] = round(cpu_s(ppid) - pcpu0, 2)
        for k, q in (("p50", 0.5), ("p95", 0.95)):
            v = pct(lat, q)
            res["setup_latency_ms_" + k] = round(v, 1) if v is not None else None
        res["setup_latency_ms_max"] = round(max(lat), 1) if lat else None
        res["setup_latency_ms_min"] = round(min(lat), 1) if lat else None
        res["probe_interval_ms"] = round(pr["probe_interval_ms"], 1)
        res["sessions_traffic_ok"] = sum(1 for g in pr["traffic"] if g >= 1)
        res["traffic_echo_lost"] = sum(3 - min(g, 3) for g in pr["traffic"])

        time.sleep(1)
        show = sh(build, lab, R, "show vpn-sip session")
        res["sessions_up"] = show.count("SESSION_UP")
        res["rss_up_kib"] = rss_kib(rpid)
        res["rss_per_session_kib"] = round((res["rss_up_kib"] - res["rss_base_kib"]) / max(n, 1), 1)
        res["peer_rss_up_kib"] = rss_kib(ppid)
        res["fd_count"] = len(os.listdir("/proc/%d/fd" % rpid))
        res["show_session_ms"] = round(sh_ms(build, lab, R, "show vpn-sip session"), 1)
        res["show_running_config_ms"] = round(sh_ms(build, lab, R, "show running-config"), 1)
        res["cli_baseline_ms"] = round(sh_ms(build, lab, R, "show version"), 1)

        log = log_of(lab, R, mark)
        reasons = re.findall(r"%VPN_SIP-\d-(?:CALL_FAIL|SESSION_FAIL)\S*:? (.*)", log)
        reasons += re.findall(r"VPN_SIP.*(?:CALL_FAIL|SESSION_FAIL)\S* (.*)", log)
        distinct = []
        for r_ in reasons:
            r_ = re.sub(r"Tunnel\d+", "TunnelN", re.sub(r"\b05\d{8}\b", "P_i", r_)).strip()
            if r_ not in distinct:
                distinct.append(r_)
        no_reply = sum(1 for x in pr["latency_ms"] if x is None)
        res["failures"] = no_reply + len(re.findall(r"CALL_FAIL", log))
        res["failure_reasons"] = distinct[:5]
        if no_reply:
            res["failure_reasons"].insert(0, "%d sessions never answered the probes" % no_reply)
    finally:
        if not args.keep:
            for node in (R, P):
                try:
                    lab.vpnsipd_stop(node)
                except Exception:
                    pass
            lab.down()
    return res


ORDER = ["sessions_target", "sessions_up", "sessions_traffic_ok", "traffic_echo_lost",
         "all_up_seconds",
         "setup_latency_ms_p50", "setup_latency_ms_p95", "setup_latency_ms_max",
         "setup_latency_ms_min", "probe_interval_ms", "failures", "rss_empty_kib", "rss_base_kib",
         "rss_idle_per_tunnel_kib", "rss_up_kib", "rss_per_session_kib", "cpu_bringup_seconds",
         "peer_rss_up_kib", "peer_cpu_bringup_seconds", "config_load_ms", "register_all_seconds",
         "show_session_ms", "show_running_config_ms", "cli_baseline_ms", "fd_count"]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        probe_main()
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--json")
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not 1 <= args.sessions <= 16000:
        ap.error("--sessions: 1..16000")
    if os.geteuid() != 0:
        print("bench_scale: needs root (network namespaces)", file=sys.stderr)
        return 1
    res = run(args)
    print("\nVPN-SIP concurrency (%d cores), %d sessions" % (os.cpu_count(), args.sessions))
    for k in ORDER + [k for k in res if k not in ORDER]:
        if k in res:
            print("  %-28s %s" % (k, res[k]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
