"""Remote syslog ("logging host", "logging facility", "logging trap") and
"service timestamps": vpnsipd in a namespace of its own, a syslog receiver
(a small Python server) in the same namespace on 127.0.0.1, and what it
receives checked byte for byte: <PRI>SEQ: TIMESTAMP: %FAC-SEV-MN: text."""
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.netns

# Records every UDP datagram / TCP line as a JSON line [port, text].
RECEIVER = r"""
import json, select, socket, sys
proto, out, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
listen = []
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", p))
    if proto == "tcp":
        s.listen(4)
    listen.append(s)
f = open(out, "a", buffering=1)
print("ready", flush=True)
conns = {}
while True:
    r, _, _ = select.select(listen + list(conns), [], [])
    for s in r:
        if proto == "udp":
            data, _ = s.recvfrom(65535)
            f.write(json.dumps([s.getsockname()[1], data.decode(errors="replace")]) + "\n")
        elif s in listen:
            c, _ = s.accept()
            conns[c] = b""
        else:
            data = s.recv(65536)
            if not data:
                del conns[s]
                continue
            conns[s] += data
            while b"\n" in conns[s]:
                line, conns[s] = conns[s].split(b"\n", 1)
                f.write(json.dumps([s.getsockname()[1], line.decode(errors="replace")]) + "\n")
"""


class Receiver:
    def __init__(self, netns, tmp_path, proto, *ports):
        self.out = tmp_path / ("received-%s.jsonl" % proto)
        self.out.touch()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns.name, sys.executable, "-c", RECEIVER, proto,
             str(self.out), *map(str, ports)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def lines(self):
        return [tuple(json.loads(l)) for l in self.out.read_text().splitlines() if l.strip()]

    def wait_for(self, pattern, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for port, text in self.lines():
                if re.search(pattern, text):
                    return port, text
            time.sleep(0.1)
        raise AssertionError("nothing received matches %r; received:\n%s"
                             % (pattern, "\n".join(map(str, self.lines()))))

    def wait_until(self, pred, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.lines()
            if pred(got):
                return got
            time.sleep(0.1)
        raise AssertionError("not received; received:\n%s" % "\n".join(map(str, self.lines())))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def receivers():
    made = []
    yield made
    for r in made:
        r.stop()


# <PRI>SEQ: Mmm dd hh:mm:ss.mmm: %FAC-SEV-MN: text (the default timestamps)
DEFAULT_TS = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3}"


def test_udp_hosts_get_pri_facility_and_trap_level(build, daemon_factory, tmp_path, receivers):
    d = daemon_factory(build, "hostname R1\n").start()
    rx = Receiver(d.netns, tmp_path, "udp", 5514, 5515)
    receivers.append(rx)

    d.sh("configure terminal", "logging host 127.0.0.1 transport udp port 5514", "end")
    # local7 (23) by default, as IOS: notice 23*8+5, informational 23*8+6
    port, text = rx.wait_for(r"%SYS-5-CONFIG_I")
    assert port == 5514
    m = re.fullmatch(r"<189>(\d+): " + DEFAULT_TS + r": %SYS-5-CONFIG_I: Configured from console by .+",
                     text)
    assert m, text
    port, text = rx.wait_for(r"LOGGINGHOST_STARTSTOP")
    assert re.fullmatch(r"<190>\d+: " + DEFAULT_TS + r": %SYS-6-LOGGINGHOST_STARTSTOP: "
                        r"Logging to host 127\.0\.0\.1 port 5514 \(udp\) started", text), text

    # Another facility and trap level; a second host.  The second host's
    # "started" line is informational: above "notifications", never sent.
    d.sh("configure terminal", "logging facility local3", "logging trap notifications",
         "logging host 127.0.0.1 transport udp port 5515", "end")
    # 19*8+5, at both hosts
    got = rx.wait_until(lambda got: {p for p, t in got
                                     if t.startswith("<157>") and "CONFIG_I" in t} == {5514, 5515})
    assert not any("port 5515 (udp) started" in t for p, t in got), got
    # SEQ counts the lines sent to the hosts: it grows
    seqs = [int(re.match(r"<\d+>(\d+):", t)[1]) for p, t in got if p == 5514]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), got

    # The sender is a thread of its own, under the same filter as the rest
    status = None
    for tid in os.listdir("/proc/%d/task" % d.proc.pid):
        task = pathlib.Path("/proc/%d/task/%s" % (d.proc.pid, tid))
        if task.joinpath("comm").read_text().strip() == "vpnsipd-syslog":
            status = task.joinpath("status").read_text()
    assert status and re.search(r"^Seccomp:\s+2$", status, re.M) and \
        re.search(r"^NoNewPrivs:\s+1$", status, re.M), status

    rc = d.running_config()
    for line in ("logging trap notifications", "logging facility local3",
                 "logging host 127.0.0.1 transport udp port 5514",
                 "logging host 127.0.0.1 transport udp port 5515"):
        assert line in rc.splitlines(), rc
    log = d.sh("show logging").stdout
    assert "Facility local3" in log, log
    assert re.search(r"Logging to 127\.0\.0\.1  \(udp port 5515, link up\),\n\s+(\d+) message "
                     r"lines logged", log), log

    # One of the address's hosts, then all of them
    d.sh("configure terminal", "no logging host 127.0.0.1 transport udp port 5514", "end")
    rc = d.running_config().splitlines()
    assert "logging host 127.0.0.1 transport udp port 5515" in rc and \
        "logging host 127.0.0.1 transport udp port 5514" not in rc, rc
    d.sh("configure terminal", "logging host 127.0.0.1 transport tcp", "end")
    d.sh("configure terminal", "no logging host 127.0.0.1", "end")
    assert "logging host" not in d.running_config()
    assert "Logging to 127.0.0.1" not in d.sh("show logging").stdout


def test_tcp_host_queues_until_it_can_connect(build, daemon_factory, tmp_path, receivers):
    """The server is not there at boot: lines wait in the queue, the
    connection is tried again, and they arrive newline-framed once it
    listens -- the "cannot connect" warning among them."""
    d = daemon_factory(build, "hostname R1\nlogging host 127.0.0.1 transport tcp port 6601\n").start()
    log = d.sh("show logging").stdout
    assert "Logging to 127.0.0.1  (tcp port 6601, not connected)" in log, log
    assert "logging host 127.0.0.1 transport tcp port 6601" in d.running_config()
    rx = Receiver(d.netns, tmp_path, "tcp", 6601)
    receivers.append(rx)
    port, text = rx.wait_for(r"LOGGINGHOST_FAIL", timeout=15)
    assert re.fullmatch(r"<188>\d+: " + DEFAULT_TS + r": %SYS-4-LOGGINGHOST_FAIL: Cannot connect to "
                        r"logging host 127\.0\.0\.1 port 6601: Connection refused", text), text
    rx.wait_for(r"^<190>\d+: .*Logging to host 127\.0\.0\.1 port 6601 \(tcp\) started")
    d.sh("configure terminal", "end")
    rx.wait_for(r"^<189>\d+: .*%SYS-5-CONFIG_I")
    assert "(tcp port 6601, connected)" in d.sh("show logging").stdout


def test_tcp_queue_is_bounded_and_drops_are_counted(build, daemon_factory):
    """Nobody listens: the queue holds 1024 lines, the rest are dropped and
    counted, and the shell keeps answering."""
    d = daemon_factory(build, "logging host 127.0.0.1 transport tcp\n").start()
    d.sh(input="configure terminal\nend\n" * 1100)
    log = d.sh("show logging").stdout
    m = re.search(r"Logging to 127\.0\.0\.1  \(tcp port 601, not connected\),\n\s+0 message lines "
                  r"logged,\n\s+1024 message lines queued,\n\s+(\d+) message lines dropped", log)
    assert m and int(m[1]) >= 1100 - 1024, log


def test_service_timestamps_in_show_logging(build, daemon_factory):
    d = daemon_factory(build, "hostname R1\n").start()

    def last_config_line():
        lines = [l for l in d.sh("show logging").stdout.splitlines() if "%SYS-5-CONFIG_I" in l]
        return lines[-1]

    d.sh("configure terminal",
         "service timestamps log datetime msec localtime show-timezone year", "end")
    line = last_config_line()
    assert re.match(r"[A-Z][a-z]{2} [ \d]\d 20\d\d \d\d:\d\d:\d\d\.\d{3} [A-Z][A-Za-z0-9+-]*: "
                    r"%SYS-5-CONFIG_I", line), line
    assert str(time.gmtime().tm_year) in line

    d.sh("configure terminal", "service timestamps log datetime show-timezone year", "end")
    line = last_config_line()
    assert re.match(r"[A-Z][a-z]{2} [ \d]\d 20\d\d \d\d:\d\d:\d\d UTC: %SYS-5-CONFIG_I", line), line

    d.sh("configure terminal", "service timestamps log uptime", "end")
    assert re.match(r"\d\d:\d\d:\d\d: %SYS-5-CONFIG_I", last_config_line())

    d.sh("configure terminal", "no service timestamps log", "end")
    assert last_config_line().startswith("%SYS-5-CONFIG_I"), last_config_line()
    rc = d.running_config().splitlines()
    assert "no service timestamps log" in rc, rc

    d.sh("configure terminal", "default service timestamps log", "end")
    assert re.match(DEFAULT_TS + r": %SYS-5-CONFIG_I", last_config_line())
    assert "service timestamps" not in d.running_config()


ROUND_TRIP = """\
service timestamps debug uptime
service timestamps log datetime msec localtime show-timezone year
hostname R1
logging trap debugging
logging facility local3
logging host 192.0.2.10
logging host 192.0.2.11 transport tcp
logging host 192.0.2.12 transport udp port 5514
logging host 192.0.2.13 transport tcp port 6514
logging host ipv6 2001:DB8::1 transport tcp
logging 192.0.2.14
"""


def check(tmp_path, text, name):
    conf = tmp_path / name
    conf.write_text(text)
    return subprocess.run([str(ROOT / "build" / "vpnsipd"), "-t", "-p", "-f", str(conf)],
                          capture_output=True, text=True, timeout=60)


def config_lines(out):
    return [l for l in out.splitlines() if l and not l.startswith("!")]


@pytest.mark.parametrize("build", ["build"], indirect=True)
def test_running_config_round_trip(build, tmp_path):
    first = check(tmp_path, ROUND_TRIP, "a.conf")
    assert first.returncode == 0, first.stderr
    lines = config_lines(first.stdout)
    for want in ("service timestamps debug uptime",
                 "service timestamps log datetime msec localtime show-timezone year",
                 "logging facility local3", "logging host 192.0.2.10",
                 "logging host 192.0.2.11 transport tcp",
                 "logging host 192.0.2.12 transport udp port 5514",
                 "logging host 192.0.2.13 transport tcp port 6514",
                 "logging host ipv6 2001:db8::1 transport tcp",
                 "logging host 192.0.2.14"):
        assert want in lines, first.stdout
    second = check(tmp_path, first.stdout, "b.conf")
    assert second.returncode == 0, second.stderr
    assert config_lines(second.stdout) == lines


@pytest.mark.parametrize("build", ["build"], indirect=True)
@pytest.mark.parametrize("line", ["logging host 192.0.2.300", "logging facility local8",
                                  "logging host 192.0.2.1 transport sctp",
                                  "logging host 192.0.2.1 transport tcp port 70000",
                                  "service timestamps log datetime fortnight"])
def test_bad_lines_are_refused(build, tmp_path, line):
    r = check(tmp_path, line + "\n", "bad.conf")
    assert r.returncode != 0 and "% Invalid input" in r.stderr, r.stderr


@pytest.mark.parametrize("build", ["build"], indirect=True)
def test_at_most_eight_hosts(build, tmp_path):
    text = "".join("logging host 192.0.2.%d\n" % i for i in range(1, 10))
    r = check(tmp_path, text, "many.conf")
    assert r.returncode != 0 and "% Too many logging hosts (at most 8)" in r.stderr, r.stderr
    assert "logging host 192.0.2.8" in r.stdout and "192.0.2.9" not in r.stdout
