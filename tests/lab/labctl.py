"""Drive the vpnsip carrier-network lab (tests/lab/lab.sh) from Python tests.

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lab"))
    from labctl import lab          # module-scoped pytest fixture: up ... down

    def test_x(lab):
        assert lab.ping("lanA", lab.addr("lanB"))
        lab.fail_primary()
        ...

Everything goes through lab.sh, so the shell commands and the Python API stay
one lab.  The fixture always calls `down` (also when a test fails or is
interrupted); `down` removes every namespace, process and file of the lab.

Environment: LAB_PREFIX (the fixture's default is "vslt", so a lab started by
hand with the default "vs" is left alone; modules with labs of their own
append a letter), LAB_DIR (the directory of the lab whose prefix is
LAB_PREFIX; every other prefix gets /tmp/vpnsip-lab.PREFIX, so labs of
different prefixes never share one), LAB_SIP_DOMAIN, LAB_SAVE_LOGS (copy the
lab's logs there on down).
"""
import datetime
import json
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_SH = os.path.join(HERE, "lab.sh")
SIPP_DIR = os.path.join(HERE, "sipp")
DEFAULT_DOMAIN = "example.ne.jp"
UNASSIGNED_NUMBER = "0300000000"   # never given to a router


class LabError(RuntimeError):
    pass


class VpnsipdExitError(AssertionError):
    """vpnsipd did not end cleanly: not exit status 0 within lab.sh's wait,
    or a sanitizer report in its log (lab.sh vpnsipd stop says which)."""


def close_each(items, close):
    """close(item) for every item, even when one fails; then one
    AssertionError naming every failure (fixture teardowns)."""
    errors = []
    for item in items:
        try:
            close(item)
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        raise AssertionError("\n".join(errors))


def wait_for(pred, timeout=5.0, interval=0.05, what="condition"):
    """Poll pred() until it returns something truthy; return that value.
    Raises TimeoutError naming `what` after `timeout` seconds; `what` may be
    a function, called then (a state or log as it is at the timeout, not as
    it was when the wait began)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s"
                               % (timeout, what() if callable(what) else what))
        time.sleep(interval)


# ----------------------------------------------------------------- address plan
# Mirrors lab.sh (docs/lab.md); test_lab.py checks both agree.
def letter(i):
    return chr(64 + i)


def router_index(name):
    if not re.fullmatch(r"(rtr|lan)[A-Z]", name):
        raise ValueError("not a router/LAN node: %s" % name)
    return ord(name[-1]) - 64


def number_of(i):
    return "03" + (str(i) * 8 if i <= 9 else str(i) * 4)


def password_of(number):
    return "pw" + number


def plan(node, iface=None, v6=False):
    if node == "ngn":
        return "2001:db8:0:1::1" if v6 else "192.0.2.1"
    if node == "inet":
        if iface:
            i = router_index(iface)
            return "2001:db8:100:%d::1" % i if v6 else "198.51.100.%d" % (4 * i + 1)
        return "2001:db8:100::1" if v6 else "198.51.100.1"
    i = router_index(node)
    if node.startswith("lan"):
        return "2001:db8:200:%d::2" % i if v6 else "203.0.113.%d" % (8 * (i - 1) + 2)
    iface = iface or "bak0"
    if iface == "bak0":
        return "2001:db8:0:1::%d" % (10 + i) if v6 else "192.0.2.%d" % (10 + i)
    if iface == "wan0":
        return "2001:db8:100:%d::2" % i if v6 else "198.51.100.%d" % (4 * i + 2)
    if iface == "lan0":
        return "2001:db8:200:%d::1" % i if v6 else "203.0.113.%d" % (8 * (i - 1) + 1)
    raise ValueError("unknown interface %s" % iface)


# ----------------------------------------------------------------- SIPp output
class SipMsg:
    """One message from a SIPp -trace_msg file."""

    def __init__(self, direction, when, text):
        self.direction = direction          # "sent" or "received"
        self.when = when                    # datetime
        self.text = text
        head, _, body = text.replace("\r\n", "\n").partition("\n\n")
        lines = head.split("\n")
        self.first_line = lines[0]
        self.headers = []
        for ln in lines[1:]:
            if ln[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + ln.strip())
            elif ":" in ln:
                n, v = ln.split(":", 1)
                self.headers.append((n.strip(), v.strip()))
        self.body = body

    @property
    def is_request(self):
        return not self.first_line.startswith("SIP/2.0 ")

    @property
    def method(self):
        if self.is_request:
            return self.first_line.split(" ", 1)[0]
        return self.header("CSeq").split()[-1]

    @property
    def code(self):
        return None if self.is_request else int(self.first_line.split()[1])

    @property
    def ruri(self):
        return self.first_line.split()[1] if self.is_request else None

    def headers_named(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def header(self, name, default=None):
        v = self.headers_named(name)
        return v[0] if v else default

    def __repr__(self):
        return "<SipMsg %s %s>" % (self.direction, self.first_line)


_SEP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d\.\d+)", re.M)
_DIR = re.compile(r"^(?:UDP|TCP) message (sent|received)[^\n]*:\n\n", re.M)


def parse_sipp_messages(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    parts = _SEP.split(data)
    # parts: [junk, ts1, chunk1, ts2, chunk2, ...]
    for ts, chunk in zip(parts[1::2], parts[2::2]):
        m = _DIR.search(chunk)
        if not m:
            continue
        when = datetime.datetime.strptime(ts.replace("\t", " "), "%Y-%m-%d %H:%M:%S.%f")
        text = chunk[m.end():].rstrip("\n") + "\n"
        out.append(SipMsg(m.group(1), when, text))
    return out


class SippResult:
    def __init__(self, rc, msgfile, logfile, errfile, cmd):
        self.rc = rc
        self.msgfile = msgfile
        self.logfile = logfile
        self.errfile = errfile
        self.cmd = cmd
        self.msgs = parse_sipp_messages(msgfile)

    def sent(self, what=None):
        return [m for m in self.msgs if m.direction == "sent" and _match(m, what)]

    def received(self, what=None):
        return [m for m in self.msgs if m.direction == "received" and _match(m, what)]

    def call_id(self):
        for m in self.msgs:
            if m.header("Call-ID"):
                return m.header("Call-ID")
        return None

    def diagnostics(self):
        out = ["sipp rc=%s: %s" % (self.rc, " ".join(self.cmd))]
        for f in (self.errfile, self.logfile):
            try:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    out.append(fh.read()[-2000:])
            except FileNotFoundError:
                pass
        return "\n".join(out)


def _match(m, what):
    if what is None:
        return True
    if isinstance(what, int):
        return m.code == what
    return m.is_request and m.method == what


class SippProc:
    """A SIPp running in the background (e.g. a UAS waiting for a call)."""

    def __init__(self, popen, msgfile, logfile, errfile, cmd):
        self.popen = popen
        self.args = (msgfile, logfile, errfile, cmd)

    def wait(self, timeout=30):
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            rc = self.popen.wait()
        return SippResult(rc, *self.args)

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


# ----------------------------------------------------------------- the lab
class Lab:
    def __init__(self, prefix=None, routers=2, up_args=(), lab_dir=None, domain=None):
        self.prefix = prefix or os.environ.get("LAB_PREFIX", "vs")
        self.nrouters = routers
        self.up_args = list(up_args)
        self.domain = domain or os.environ.get("LAB_SIP_DOMAIN", DEFAULT_DOMAIN)
        self.env = dict(os.environ)
        self.env["LAB_PREFIX"] = self.prefix
        self.env["LAB_SIP_DOMAIN"] = self.domain
        # LAB_DIR belongs to the lab of LAB_PREFIX: a lab of another prefix
        # (a module's own, a second lab beside the first) must not share it
        env_dir = None
        if self.prefix == os.environ.get("LAB_PREFIX", "vs"):
            env_dir = os.environ.get("LAB_DIR")
        self.dir = lab_dir or env_dir or "/tmp/vpnsip-lab.%s" % self.prefix
        self.env["LAB_DIR"] = self.dir
        self._seq = 0

    # -- plumbing
    def run(self, *args, check=True, timeout=120, input=None):
        p = subprocess.run([LAB_SH] + [str(a) for a in args], env=self.env,
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise LabError("lab.sh %s failed (%d):\n%s%s" % (
                " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p

    def up(self):
        self.run("up", "--routers", self.nrouters, *self.up_args)
        return self

    def down(self):
        return self.run("down", check=False)

    def ns(self, node):
        return "%s-%s" % (self.prefix, node)

    def routers(self):
        return ["rtr" + letter(i) for i in range(1, self.nrouters + 1)]

    def exec(self, node, *cmd, check=False, timeout=30, input=None):
        """Run cmd inside node's namespace; returns CompletedProcess (text)."""
        p = subprocess.run(["ip", "netns", "exec", self.ns(node)] + [str(c) for c in cmd],
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise LabError("%s: %s failed (%d): %s%s" % (
                node, " ".join(map(str, cmd)), p.returncode, p.stdout, p.stderr))
        return p

    def popen(self, node, *cmd, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.ns(node)] + [str(c) for c in cmd], **kw)

    def workfile(self, node, name):
        d = os.path.join(self.dir, node)
        os.makedirs(d, exist_ok=True)
        self._seq += 1
        return os.path.join(d, "%03d-%s" % (self._seq, name))

    # -- addresses and numbers
    def addr(self, node, iface=None, v6=False):
        return plan(node, iface, v6)

    def number(self, router):
        return number_of(router_index(router))

    @staticmethod
    def password(number):
        return password_of(number)

    # -- reachability
    def ping(self, src, dst, count=1, wait=1):
        args = ["ping", "-n", "-q", "-c", count, "-W", wait]
        if ":" in dst:
            args.insert(1, "-6")
        return self.exec(src, *args, dst, timeout=count * wait + 10).returncode == 0

    def fail_primary(self, *routers, drop=False):
        self.run("fail-primary", *(["--drop"] if drop else []), *routers)

    def restore_primary(self, *routers):
        self.run("restore-primary", *routers)

    # -- Kamailio knobs
    def kam(self, *args):
        return self.run("kam", *args).stdout

    def reject(self, number, code, reason=None):
        self.kam("reject", number, code, *([reason] if reason else []))

    def unreject(self, number):
        self.kam("unreject", number)

    def delay_answer(self, number, ms):
        self.kam("delay", number, ms)

    def undelay(self, number):
        self.kam("undelay", number)

    def drop(self, what):
        self.kam("drop", what)

    def undrop(self, what):
        self.kam("undrop", what)

    def clear_knobs(self):
        self.kam("clear")

    def set_auth(self, on):
        self.kam("auth", "on" if on else "off")

    def add_user(self, number, password):
        self.kam("user", number, password)

    def restart_kamailio(self):
        self.kam("restart")

    def stop_kamailio(self):
        self.kam("stop")

    def start_kamailio(self):
        self.kam("start")

    def kam2(self, *args):
        """The kam commands against the second SIP server (192.0.2.2;
        "start" first, "stop" when done)."""
        return self.run("kam2", *args).stdout

    def registrations(self):
        """Numbers with a binding in Kamailio's location table."""
        out = self.kam("registrations")
        return set(re.findall(r"AoR:\s*(\S+)", out))

    # -- call detail records
    def cdr(self):
        """Every CDR line as a dict: ts (float), event, and its key=value fields."""
        recs = []
        try:
            with open(os.path.join(self.dir, "ngn", "cdr.log"), encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) < 2:
                        continue
                    r = {"ts": float(parts[0]), "event": parts[1]}
                    for kv in parts[2:]:
                        k, _, v = kv.partition("=")
                        r[k] = v
                    recs.append(r)
        except FileNotFoundError:
            pass
        return recs

    def cdr_for(self, call_id, event=None):
        return [r for r in self.cdr()
                if r.get("callid") == call_id and (event is None or r["event"] == event)]

    def wait_cdr(self, call_id, event, timeout=5.0):
        return wait_for(lambda: self.cdr_for(call_id, event), timeout,
                        what="CDR %s for %s" % (event, call_id))[0]

    # -- DHCP
    def dhcp(self, router, apply=False, request=None):
        args = ["dhcp", router] + (["--apply"] if apply else [])
        if request:
            args += ["--request", ",".join(map(str, request))]
        return json.loads(self.run(*args).stdout)

    def set_sip_option(self, encoding, *addrs):
        """Option 120 from now on: "domain", or "ipv4" with the addresses
        it gives (default the NGN's)."""
        self.run("dhcp-sip", encoding, *addrs)

    def set_dhcp_host(self, router, addr=None, lease=None):
        """What dnsmasq gives router's bak0: addr with lease ("2m",
        "infinite"); None: the plan's address, an infinite lease."""
        self.run("dhcp-host", router, *([addr] if addr else []), *([lease] if lease else []))

    def stop_dnsmasq(self):
        self.run("dnsmasq", "stop")

    def start_dnsmasq(self):
        self.run("dnsmasq", "start")

    def set_dhcp_router(self, on):
        """DHCP option 3 (the NGN's address) on or off (the default)."""
        self.run("dhcp-router", "on" if on else "off")

    # -- SIPp
    def sipp_cmd(self, node, scenario, port, keys=None, subst=None, local_ip=None,
                 remote=None, timeout=10, calls=1, duration_ms=None, auth=None,
                 extra=()):
        src = os.path.join(SIPP_DIR, scenario)
        with open(src, encoding="utf-8") as f:
            text = f.read()
        for k, v in (subst or {}).items():
            text = text.replace("@%s@" % k, str(v))
        base = self.workfile(node, os.path.splitext(scenario)[0])
        sf = base + ".xml"
        with open(sf, "w", encoding="utf-8") as f:
            f.write(text)
        local_ip = local_ip or self.addr(node)
        remote = remote or "%s:5060" % self.addr("ngn")
        msg, log, err = base + ".msg", base + ".log", base + ".err"
        cmd = ["sipp", "-sf", sf, "-i", local_ip, "-p", port, "-m", calls,
               "-timeout", "%ss" % timeout, "-timeout_error", "-nostdin",
               "-trace_msg", "-message_file", msg, "-trace_err", "-error_file", err]
        if duration_ms is not None:
            cmd += ["-d", duration_ms]
        if auth:
            cmd += ["-au", auth[0], "-ap", auth[1]]
        for k, v in (keys or {}).items():
            cmd += ["-key", k, v]
        cmd += list(extra) + [remote]
        return [str(c) for c in cmd], msg, log, err

    def sipp(self, node, scenario, **kw):
        """Run SIPp in node's namespace to completion; returns SippResult."""
        cmd, msg, log, err = self.sipp_cmd(node, scenario, **kw)
        with open(log, "w") as lf:
            p = self.popen(node, *cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT)
            try:
                rc = p.wait(kw.get("timeout", 10) + 20)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = p.wait()
        return SippResult(rc, msg, log, err, cmd)

    def sipp_bg(self, node, scenario, **kw):
        cmd, msg, log, err = self.sipp_cmd(node, scenario, **kw)
        lf = open(log, "w")
        try:
            p = self.popen(node, *cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT)
        finally:
            lf.close()
        return SippProc(p, msg, log, err, cmd)

    def register(self, node, number=None, expect=200, password=None, contact_port=5060,
                 expires=300, port=5062, local_ip=None, remote=None):
        """REGISTER number (default: the router's) with a Contact on
        contact_port of node's backup address, through the backup link."""
        number = number or self.number(node)
        return self.sipp(node, "reg.xml", port=port, subst={"CODE": expect},
                         keys={"user": number, "domain": self.domain,
                               "contact_port": contact_port, "expires": expires},
                         auth=(number, password) if password else None,
                         local_ip=local_ip, remote=remote, timeout=5)

    def uas(self, node, port=5060, timeout=15):
        """A SIPp UAS answering one call on node's backup address."""
        return self.sipp_bg(node, "uas.xml", port=port, timeout=timeout)

    def call(self, node, ruri, caller=None, hold_ms=500, port=5060, expect=None, timeout=10):
        """Place one call with SIPp from node.  expect=None: a full
        INVITE/200/ACK/BYE call (uac.xml); expect=CODE: INVITE rejected with
        CODE (uac_fail.xml)."""
        caller = caller or self.number(node)
        keys = {"ruri": ruri, "caller": caller, "domain": self.domain}
        if expect is None:
            return self.sipp(node, "uac.xml", port=port, keys=keys, duration_ms=hold_ms,
                             timeout=timeout)
        return self.sipp(node, "uac_fail.xml", port=port, keys=keys, subst={"CODE": expect},
                         timeout=timeout)

    def tel_uri(self, number):
        return "tel:%s;phone-context=%s" % (number, self.domain)

    def sip_uri(self, number):
        return "sip:%s@%s" % (number, self.domain)

    # -- vpnsipd (see lab.sh vpnsipd / sh)
    def vpnsipd_start(self, node, config, *args):
        return self.run("vpnsipd", "start", node, config, *args).stdout.strip()

    def vpnsipd_stop(self, node):
        """SIGTERM and wait: raises VpnsipdExitError unless vpnsipd exited 0
        without a sanitizer report (lab.sh vpnsipd stop)."""
        p = self.run("vpnsipd", "stop", node, check=False)
        if p.returncode != 0:
            raise VpnsipdExitError(p.stdout + p.stderr)

    def vpnsipd_stop_nodes(self, *nodes):
        """vpnsipd_stop on each node (all of them, whatever the first one
        did); one VpnsipdExitError naming every daemon that did not end
        cleanly."""
        errors = []
        for node in nodes:
            try:
                self.vpnsipd_stop(node)
            except VpnsipdExitError as e:
                errors.append(str(e))
        if errors:
            raise VpnsipdExitError("\n".join(errors))

    def vpnsipd_running(self):
        """Nodes with a vpnsipd started by vpnsipd_start and not stopped."""
        try:
            nodes = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            return []
        return [n for n in nodes if os.path.exists(os.path.join(self.dir, n, "vpnsipd.pid"))]

    def vpnsipd_stop_all(self):
        """Stop every vpnsipd still running; the failures' messages."""
        try:
            self.vpnsipd_stop_nodes(*self.vpnsipd_running())
        except VpnsipdExitError as e:
            return [str(e)]
        return []

    def sh(self, node, command, check=True):
        """Run one vpnsipsh command against node's vpnsipd."""
        return self.run("sh", node, command, check=check)

    # -- diagnostics
    def log_tail(self, name="ngn/kamailio.log", lines=60):
        try:
            with open(os.path.join(self.dir, name), encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except FileNotFoundError:
            return ""


def lab_fixture(routers=2, up_args=(), prefix=None, name="lab"):
    """Make a module-scoped pytest fixture bringing a lab up and always down:
    my_lab = lab_fixture(routers=4, name="my_lab") in a test module."""
    import pytest

    @pytest.fixture(scope="module", name=name)
    def _lab():
        if os.geteuid() != 0:
            # make test fails at its start when not root; a developer's
            # VPNSIP_TEST_ALLOW_SKIP=1 run skips what needs the lab
            if os.environ.get("VPNSIP_TEST_ALLOW_SKIP") == "1":
                pytest.skip("the lab needs root (network namespaces)")
            pytest.fail("the lab needs root (network namespaces)", pytrace=False)
        lab_ = Lab(prefix=prefix or os.environ.get("LAB_PREFIX", "vslt"),
                   routers=routers, up_args=up_args)
        errors = []
        try:
            lab_.up()
            yield lab_
        finally:
            # a daemon a test left running still counts: how it ends
            errors = lab_.vpnsipd_stop_all()
            lab_.down()
        if errors:
            pytest.fail("vpnsipd left running by the tests did not end cleanly:\n"
                        + "\n".join(errors), pytrace=False)
    return _lab


try:
    lab = lab_fixture()
except ImportError:       # used without pytest (scripts)
    pass
