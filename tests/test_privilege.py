"""Least privilege and who may do what, seen from outside the daemon:
/proc/PID of every thread (capabilities, no-new-privs, seccomp), the core
limit, and the control socket's privilege decided from the peer's
credentials (root: 15; group vpnsip: 1 with secrets masked, enable with the
enable secret; anyone else: no connection), one HELLO per connection, and
the log naming the Unix user and the shell's pid."""
import grp
import os
import pathlib
import re
import resource
import shutil
import subprocess
import tempfile

import pytest

from conftest import Daemon, Netns
from lib.ctlproto import CTL_EXEC, CTL_HELLO, RawShell

pytestmark = pytest.mark.netns

KEPT = 0x3400  # CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_NET_BIND_SERVICE (10)

SECRETS = """\
hostname guarded
!
enable secret Ena-Secret-77
!
vpn-sip sip-credentials username 0311111111 password Sip-Pass-88
!
crypto ikev2 keyring K
 peer P
  address 192.0.2.1
  pre-shared-key Psk-Value-99-long-enough
!
end
"""


def status_fields(path):
    out = {}
    for line in pathlib.Path(path).read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def unlimited_core():
    # the daemon must lower it itself: start it with cores allowed
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def start_with_core_allowed(d, env=None):
    d.logf = open(d.log, "w")
    e = dict(os.environ)
    e.update(env or {})
    d.proc = subprocess.Popen(
        ["ip", "netns", "exec", d.netns.name, str(d.build / "vpnsipd"), "-F", "-f", d.config,
         "-S", d.sock, "-D", d.state],
        stdout=d.logf, stderr=subprocess.STDOUT, env=e, preexec_fn=unlimited_core)
    d.wait_ready()
    return d


def daemon_pid(d):
    # "ip netns exec" execs vpnsipd: same pid
    return d.proc.pid


# ---- capabilities, no-new-privs, seccomp, core dumps -------------------------

def test_every_thread_keeps_three_capabilities_and_no_core(build, daemon_factory):
    d = daemon_factory(build, SECRETS)
    start_with_core_allowed(d)
    pid = daemon_pid(d)
    tasks = os.listdir(f"/proc/{pid}/task")
    # the main loop, the SIP thread, libcharon's workers, the data plane
    assert len(tasks) >= 4, tasks
    for tid in tasks:
        st = status_fields(f"/proc/{pid}/task/{tid}/status")
        assert int(st["CapEff"], 16) == KEPT, (tid, st["CapEff"])
        assert int(st["CapPrm"], 16) == KEPT, (tid, st["CapPrm"])
        assert int(st["CapBnd"], 16) == KEPT, (tid, st["CapBnd"])
        assert int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0, st
        assert st["NoNewPrivs"] == "1", (tid, st)
        assert st["Seccomp"] == "2", (tid, st)  # filter mode
    limits = pathlib.Path(f"/proc/{pid}/limits").read_text()
    assert re.search(r"^Max core file size\s+0\s+0\s+bytes", limits, re.M), limits
    log = d.sh("show logging").stdout
    assert ("%SYS-6-PRIVILEGE: Running with capabilities cap_net_admin,cap_net_raw,"
            "cap_net_bind_service, no-new-privs, core dumps off, seccomp allow-list") in log, log
    # it still does its work: a change reaches the kernel, write memory works
    d.sh("configure terminal", "interface Loopback7", "ip address 192.0.2.7 255.255.255.255",
         "end", "write memory")
    assert "192.0.2.7/32" in d.netns.addrs("Loopback7")
    assert d.stop() == 0, d.log.read_text()


def test_core_dumps_only_when_asked(build, daemon_factory):
    d = daemon_factory(build, "hostname cored\n")
    start_with_core_allowed(d, {"VPNSIP_COREDUMP": "1"})
    limits = pathlib.Path(f"/proc/{daemon_pid(d)}/limits").read_text()
    # the hard limit is left alone (the sanitizer build lowers the soft one itself)
    assert re.search(r"^Max core file size\s+\S+\s+unlimited", limits, re.M), limits
    assert "core dumps allowed (VPNSIP_COREDUMP)" in d.sh("show logging").stdout
    assert d.stop() == 0


# ---- the control socket: privilege from the peer's credentials -----------------

def run_as(user, args, input=None):
    return subprocess.run(["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                           *args], capture_output=True, text=True, input=input, timeout=30)


@pytest.fixture
def open_daemon(build):
    """A daemon whose socket directory other users can reach (pytest's
    tmp_path is root's only)."""
    made = []

    def make(config_text):
        work = tempfile.mkdtemp(prefix="vspriv-", dir="/tmp")
        os.chmod(work, 0o755)
        ns = Netns()
        d = Daemon(build, ns, work, config_text)
        made.append((d, ns, work))
        return d.start()

    yield make
    for d, ns, work in made:
        d.stop()
        ns.delete()
        shutil.rmtree(work, ignore_errors=True)


def sh_as(d, user, *cmds, input=None):
    args = [str(d.build / "vpnsipsh"), "-S", d.sock]
    for c in cmds:
        args += ["-c", c]
    return run_as(user, args, input=input)


def test_group_members_read_without_secrets_and_enable_with_the_secret(build, accounts,
                                                                       open_daemon):
    d = open_daemon(SECRETS)
    member, stranger = accounts["member"], accounts["stranger"]
    st = os.stat(d.sock)
    assert st.st_mode & 0o777 == 0o660 and st.st_gid == grp.getgrnam("vpnsip").gr_gid, oct(st.st_mode)

    # a stranger cannot even connect
    r = sh_as(d, stranger, "show version")
    assert r.returncode == 1 and "cannot connect" in r.stderr, r

    # a member: user EXEC; show commands, secrets masked
    r = sh_as(d, member, "show running-config")
    assert r.returncode == 0, r
    run = r.stdout
    assert "hostname guarded" in run and "enable secret 9 <removed>" in run, run
    assert "password <removed>" in run and "pre-shared-key <removed>" in run, run
    for secret in ("Ena-Secret-77", "Sip-Pass-88", "Psk-Value-99", "$9$"):
        assert secret not in run, secret
    assert not re.search(r"(password|pre-shared-key) [67] ", run), run
    # ... and cannot configure, nor read the startup file
    r = sh_as(d, member, "configure terminal", "hostname stolen")
    assert r.returncode == 1 and "% Invalid input" in r.stderr, r
    assert sh_as(d, member, "show startup-config").returncode == 1
    # enable: three wrong secrets, then nothing privileged
    r = sh_as(d, member, "enable", "wrong1", "wrong2", "wrong3", "configure terminal")
    assert "% Bad secrets" in r.stdout and r.returncode == 1, r
    # a script that never answers the password prompt fails
    r = sh_as(d, member, "enable")
    assert r.returncode == 1 and "% Not answered: Password:" in r.stderr, r
    # with the enable secret: level 15, and the change is logged with the
    # Unix user and the shell's pid
    p = subprocess.Popen(["setpriv", f"--reuid={member}", f"--regid={member}", "--init-groups",
                          str(d.build / "vpnsipsh"), "-S", d.sock, "-c", "enable",
                          "-c", "Ena-Secret-77", "-c", "configure terminal",
                          "-c", "hostname byMember", "-c", "end"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, (out, err)
    root_run = d.running_config()
    assert "hostname byMember" in root_run
    assert f"by {member}" in d.sh("show running-config | include Last configuration").stdout
    log = d.sh("show logging").stdout
    assert re.search(r"%%SYS-5-CONFIG_I: Configured from console by %s on vty\d+ \(pid %d\)"
                     % (member, p.pid), log), log
    # root: privilege 15 for scripts, secrets shown as stored
    assert "enable secret 9 $9$" in d.sh("show running-config").stdout
    r = d.sh("configure terminal", "hostname byRoot", "end")
    assert r.returncode == 0
    log = d.sh("show logging").stdout
    assert re.search(r"%SYS-5-CONFIG_I: Configured from console by root on vty\d+ \(pid \d+\)",
                     log), log


def test_members_need_an_enable_password(build, accounts, open_daemon):
    d = open_daemon("hostname open\n")
    r = sh_as(d, accounts["member"], "enable", "configure terminal")
    assert r.returncode == 1 and "% No password set" in r.stdout, r
    # root, as on a console, needs none
    assert d.sh("configure terminal", "hostname stillRoot", "end").returncode == 0


# ---- one HELLO per connection --------------------------------------------------



def test_a_second_hello_is_refused(build, daemon_factory):
    """The old trick: an interactive shell fails enable, then says HELLO
    again as a script to be given privilege 15."""
    d = daemon_factory(build, "hostname trick\nenable secret Trick-Secret-1\n").start()
    c = RawShell(d.sock)
    _, (status, _, prompt) = c.request(CTL_HELLO, flags=1)  # interactive: user EXEC
    assert status == 0 and prompt == "trick>", prompt
    _, (status, flags, _) = c.request(CTL_EXEC, b"enable")
    assert flags & 0x1  # asks for the password
    for pw in (b"no1", b"no2", b"no3"):
        out, _ = c.request(CTL_EXEC, pw)
    assert "% Bad secrets" in out
    out, (status, flags, _) = c.request(CTL_HELLO, flags=0)
    assert "% The session has already started" in out, out
    assert flags & 0x4  # closing
    out, (status, _, _) = c.request(CTL_EXEC, b"configure terminal")
    assert status is None or status != 0, out
    assert "hostname trick" in d.running_config()
    assert "HELLO_AGAIN: Second HELLO from root on vty" in d.sh("show logging").stdout
    # requests before a HELLO are refused too
    c2 = RawShell(d.sock)
    out, (status, flags, _) = c2.request(CTL_EXEC, b"show version")
    assert "% The session has not started" in out and flags & 0x4, out
