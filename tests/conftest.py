"""Shared fixtures: the builds under test and vpnsipd instances in their own
network namespaces (the daemon creates TUN devices and addresses).

`make test` must not pass on a machine that cannot run it: not root, a build
missing (build/ or build/asan/) or a tool missing fails the run instead of
skipping.  VPNSIP_TEST_ALLOW_SKIP=1 (a developer's partial run, never CI)
turns those into skips."""
import fcntl
import grp
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# The normal and the sanitizer build: every daemon test runs against both.
BUILD_DIRS = ("build", "build/asan")

# Tests whose length is a protocol timer (a 60 s idle timer, session
# timers, back-off): the sanitizer build runs them once; the normal build
# runs the same code path in every other test, so a second wait would only
# double the time.  Usage: @TIMER_BOUND on the test.
TIMER_BOUND = pytest.mark.parametrize("build", ["build/asan"], indirect=True, ids=["build-asan"])

# What ASan, LeakSanitizer and UBSan print when they find something.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# vpnsipd's own shutdown takes up to 5 s (sessions end) plus 3 s (SIP
# unregisters); the sanitizer build's leak check comes after that.
STOP_WAIT = 20


def sanitizer_findings(text):
    """The lines of text that start an ASan, LeakSanitizer or UBSan report."""
    return [ln for ln in text.splitlines() if any(s in ln for s in SANITIZER_REPORTS)]


ALLOW_SKIP = os.environ.get("VPNSIP_TEST_ALLOW_SKIP") == "1"

# Programs the tests run (make deps installs them all).
REQUIRED_TOOLS = (
    "ip", "tc", "nft", "ss", "ping", "conntrack", "sysctl", "unshare", "setsid",
    "tcpdump", "tshark", "iperf3", "openssl", "kamailio", "kamcmd", "sipp",
    "dnsmasq", "swanctl", "/usr/lib/ipsec/charon", "dhclient",
)
TOOL_PATH = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"


def require(ok, why):
    """A precondition of the test: unmet, the test fails (skips only with
    VPNSIP_TEST_ALLOW_SKIP=1)."""
    if ok:
        return
    if ALLOW_SKIP:
        pytest.skip(why + " (VPNSIP_TEST_ALLOW_SKIP=1)")
    pytest.fail(why + " (VPNSIP_TEST_ALLOW_SKIP=1 skips instead)", pytrace=False)


def missing_tools():
    return [t for t in REQUIRED_TOOLS
            if not (os.access(t, os.X_OK) if t.startswith("/") else shutil.which(t, path=TOOL_PATH))]


def pytest_sessionstart(session):
    problems = []
    if os.geteuid() != 0:
        problems.append("the tests need root (network namespaces, TUN, tc, nftables)")
    missing = missing_tools()
    if missing:
        problems.append("missing programs (run 'make deps'): " + " ".join(missing))
    if not problems:
        return
    if ALLOW_SKIP:
        for p in problems:
            sys.stderr.write("vpnsip tests: %s; VPNSIP_TEST_ALLOW_SKIP=1: tests that need "
                             "it skip or fail\n" % p)
        return
    pytest.exit("; ".join(problems) + " (VPNSIP_TEST_ALLOW_SKIP=1 runs the rest)", returncode=1)


# Modules whose tests measure rates or delays, or load both cores on their
# own: make test runs them after the parallel part, one at a time
# (tools/run-tests.sh; docs/testing.md).  A single such test in another
# module carries @pytest.mark.serial itself (the QoS rate measurements,
# the SIP floods and rate limits).
SERIAL_MODULES = {
    "test_qos_session.py", "test_scale_numbers.py", "test_fuzz_smoke.py",
}


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0 and ALLOW_SKIP:
        skip = pytest.mark.skip(reason="needs root (network namespaces); VPNSIP_TEST_ALLOW_SKIP=1")
        for item in items:
            if "netns" in item.keywords:
                item.add_marker(skip)
    for item in items:
        if item.path.name in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)


def pytest_configure(config):
    config.addinivalue_line("markers", "netns: needs root to create network namespaces")
    config.addinivalue_line("markers", "serial: runs alone (make test's second part)")
    # A pytest-xdist worker (gw0, gw1, ...) has labs of its own: its
    # namespaces, Kamailio and state directories carry its number.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        os.environ["LAB_PREFIX"] = os.environ.get("LAB_PREFIX", "vslt") + worker[2:]
        os.environ.pop("LAB_DIR", None)


def require_build(build_dir):
    """ROOT/build_dir, which must hold vpnsipd and vpnsipsh."""
    path = ROOT / build_dir
    for prog in ("vpnsipd", "vpnsipsh"):
        require((path / prog).exists(), "%s/%s is not built (make%s all unit)"
                % (build_dir, prog, " SANITIZE=1" if "asan" in build_dir else ""))
    return path


@pytest.fixture(params=BUILD_DIRS, ids=lambda b: b.replace("/", "-"))
def build(request):
    """Each test that uses it runs against the normal and the sanitizer
    build (a test may narrow this with parametrize("build", [...],
    indirect=True))."""
    return require_build(request.param)


class Netns:
    def __init__(self):
        self.name = "vst-" + uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.run("ip", "link", "set", "lo", "up")

    def run(self, *cmd, **kw):
        return subprocess.run(["ip", "netns", "exec", self.name, *cmd],
                              capture_output=True, text=True, **kw)

    def links(self):
        out = self.run("ip", "-br", "link").stdout
        return [line.split()[0].split("@")[0] for line in out.splitlines() if line.strip()]

    def addrs(self, dev):
        out = self.run("ip", "-4", "-br", "addr", "show", "dev", dev).stdout.split()
        return out[2:] if len(out) > 2 else []

    def delete(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class Daemon:
    """vpnsipd in the foreground (-F), stderr to a file, in a namespace.

    Every run is judged when it ends (stop(), or the next start() after it
    ended by itself): anything but exit status 0, or a sanitizer report in
    its log, goes into self.problems, which daemon_factory and
    routing_util.stop_clean assert empty.  kill() ends a run on purpose,
    unjudged."""

    def __init__(self, build, netns, workdir, config_text=None, config_path=None):
        self.build = pathlib.Path(build)
        self.netns = netns
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sock = str(self.dir / "vpnsipd.sock")
        self.state = str(self.dir / "state")
        self.config = str(config_path or self.dir / "vpnsipd.conf")
        if config_text is not None:
            pathlib.Path(self.config).write_text(config_text)
        self.log = self.dir / "vpnsipd.log"
        self.proc = None
        self.logf = None
        self.problems = []

    def start(self, wait=True):
        if self.logf:  # the previous run ended by itself
            self.stop()
        env = dict(os.environ)
        # Leaks are errors: the daemon must free what it made.
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.netns.name, str(self.build / "vpnsipd"), "-F",
             "-f", self.config, "-S", self.sock, "-D", self.state],
            stdout=self.logf, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vpnsipd exited: " + self.log.read_text())
            r = subprocess.run([str(self.build / "vpnsipsh"), "-S", self.sock, "-c", "show version"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("vpnsipd did not come up: " + self.log.read_text())

    def sh(self, *cmds, check=True, input=None):
        args = [str(self.build / "vpnsipsh"), "-S", self.sock]
        for c in cmds:
            args += ["-c", c]
        r = subprocess.run(args, capture_output=True, text=True, input=input, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"vpnsipsh {cmds} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def running_config(self):
        out = self.sh("show running-config").stdout
        # drop the volatile header lines
        return "\n".join(l for l in out.splitlines()
                         if not l.startswith(("Current configuration", "! Last configuration")))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_WAIT):
        """SIGTERM, wait for the exit (SIGKILL after timeout s); the exit
        status (negative: the signal that ended it).  The run is judged
        into self.problems."""
        killed = False
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        if self.logf:
            self.logf.close()
            self.logf = None
            self.judge(killed, timeout)
        return self.proc.returncode if self.proc else None

    def judge(self, killed, timeout):
        rc = self.proc.returncode
        text = self.log.read_text(errors="replace")
        found = sanitizer_findings(text)
        if killed:
            why = "did not exit within %d s of SIGTERM (killed)" % timeout
        elif rc < 0:
            why = "killed by signal %s" % signal.Signals(-rc).name
        elif rc:
            why = "exited with status %d" % rc
        elif found:
            why = "exited 0"
        else:
            return
        self.problems.append("vpnsipd (%s) %s%s:\n%s" % (
            self.dir, why, ", with a sanitizer report" if found else "",
            "\n".join(found) + "\n--- log ---\n" + text[-6000:]))

    def kill(self):
        """SIGKILL on purpose: this run is not judged."""
        self.proc.kill()
        self.proc.wait()
        self.logf.close()
        self.logf = None

    def assert_clean(self):
        """Stop (if running) and fail unless every run exited 0 without a
        sanitizer report."""
        self.stop()
        assert not self.problems, "\n\n".join(self.problems)


@pytest.fixture
def netns():
    ns = Netns()
    yield ns
    ns.delete()


@pytest.fixture
def daemon_factory(tmp_path):
    made = []
    nss = []

    def make(build, config_text=None, name="d", netns=None, config_path=None):
        if netns is None:
            netns = Netns()
            nss.append(netns)
        d = Daemon(build, netns, tmp_path / name, config_text, config_path)
        made.append(d)
        return d

    yield make
    problems = []
    for d in made:
        d.stop()
        problems += d.problems
    for ns in nss:
        ns.delete()
    assert not problems, "\n\n".join(problems)


@pytest.fixture
def accounts():
    """Group vpnsip (kept when it existed before), a member and a stranger;
    what the fixture created is removed afterwards.  The accounts are the
    system's: parallel workers take turns (a lock file)."""
    lockf = open("/run/vpnsip-test-accounts.lock", "w")
    fcntl.flock(lockf, fcntl.LOCK_EX)
    made_group = False
    try:
        grp.getgrnam("vpnsip")
    except KeyError:
        subprocess.run(["groupadd", "--system", "vpnsip"], check=True)
        made_group = True
    users = {"member": "vspriv-ro", "stranger": "vspriv-no"}
    for u in users.values():
        subprocess.run(["userdel", u], capture_output=True)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "--user-group", "--groups", "vpnsip", users["member"]], check=True)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "--user-group", users["stranger"]], check=True)
    try:
        yield users
    finally:
        for u in users.values():
            subprocess.run(["userdel", u], capture_output=True)
        if made_group:
            subprocess.run(["groupdel", "vpnsip"], capture_output=True)
        lockf.close()
