"""vpnsipd and vpnsipsh through the control socket: boot load, -t, signals,
several daemons, write memory (atomic), monitor, secrets, and the kernel
state the daemon creates and removes."""
import os
import pathlib
import random
import re
import shutil
import signal
import struct
import subprocess
import threading
import time

import pytest

pytestmark = pytest.mark.netns

GOOD = """\
hostname branchA
!
interface Loopback0
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback11
 description reserved for VPN-SIP
 ip address 192.0.2.9 255.255.255.255
!
interface Tunnel1
 ip unnumbered Loopback0
!
end
"""


def body(text):
    """The configuration text without its volatile header lines."""
    return "\n".join(l for l in text.splitlines()
                     if not l.startswith(("Building", "Current configuration",
                                          "! Last configuration", "Using ")))


# ---- vpnsipd -t -----------------------------------------------------------

def test_check_good_file(build, tmp_path):
    f = tmp_path / "good.conf"
    f.write_text(GOOD)
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"{f}: 13 lines, 9 applied, 0 errors, 0 unsupported, 0 ignored" in r.stderr


def test_check_bad_file_reports_file_and_line(build, tmp_path):
    f = tmp_path / "bad.conf"
    f.write_text("hostname ok\ninterface Tunnel1\n ip address 10.0.0.1 255.0.255.0\n"
                 "hostnme typo\nlogging buffered 10\nhostname\n")
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(f)], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{f}:3: % Bad mask 255.0.255.0 for address 10.0.0.1" in r.stderr
    assert f"{f}:4: % Invalid input detected at '^' marker.\n  hostnme typo\n       ^\n" in r.stderr
    assert f"{f}:5: % Invalid input detected at '^' marker.\n  logging buffered 10\n                   ^\n" in r.stderr
    assert f"{f}:6: % Incomplete command." in r.stderr
    assert "4 errors" in r.stderr


def test_check_missing_file(build, tmp_path):
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(tmp_path / "none")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "No such file" in r.stderr


# ---- boot load, kernel state, SIGTERM --------------------------------------

def test_boot_load_skips_bad_line_and_applies_the_rest(build, daemon_factory):
    cfg = GOOD.replace("interface Loopback11", "hostnme oops\ninterface Loopback11")
    d = daemon_factory(build, cfg).start()
    run = d.running_config()
    assert "hostname branchA" in run
    assert "interface Loopback11\n description reserved for VPN-SIP" in run
    log = d.sh("show logging").stdout
    assert re.search(r"%PARSER-3-BADLINE: \S+:6: % Invalid input", log), log
    assert "%SYS-5-CONFIG_LOAD: Loaded" in log and "1 errors" in log
    # the interfaces really exist, with their addresses
    links = d.netns.links()
    assert {"Loopback0", "Loopback11", "Tunnel1"} <= set(links), links
    assert d.netns.addrs("Loopback11") == ["192.0.2.9/32"]
    assert d.stop() == 0, d.log.read_text()
    # nothing the daemon created is left: TUN devices, socket
    assert set(d.netns.links()) == {"lo"}
    assert not os.path.exists(d.sock)


def test_interface_changes_reach_the_kernel(build, daemon_factory):
    d = daemon_factory(build, "").start()
    # a physical port the lab would have: a veth end in the namespace
    d.netns.run("ip", "link", "add", "bak0", "type", "veth", "peer", "name", "bak0p")
    d.sh("configure terminal", "interface GigabitEthernet8", "linux-device bak0",
         "ip address 198.51.100.2 255.255.255.252", "ip address 198.51.100.6 255.255.255.252 secondary",
         "no shutdown", "interface Loopback1", "ip address 192.0.2.1 255.255.255.255", "shutdown")
    assert sorted(d.netns.addrs("bak0")) == ["198.51.100.2/30", "198.51.100.6/30"]
    assert "state DOWN" in d.netns.run("ip", "link", "show", "Loopback1").stdout or \
        "UP" not in d.netns.run("ip", "-br", "link", "show", "Loopback1").stdout.split()[1]
    d.sh("configure terminal", "interface GigabitEthernet8",
         "no ip address 198.51.100.6 255.255.255.252 secondary")
    assert d.netns.addrs("bak0") == ["198.51.100.2/30"]
    d.sh("configure terminal", "no interface Loopback1")
    assert "Loopback1" not in d.netns.links()
    assert d.stop() == 0, d.log.read_text()
    # the addresses the daemon added to a device it did not create are gone
    assert d.netns.addrs("bak0") == []
    assert "bak0" in d.netns.links()


def test_sighup_reapplies_the_startup_config(build, daemon_factory):
    d = daemon_factory(build, GOOD).start()
    pathlib.Path(d.config).write_text(GOOD.replace("hostname branchA", "hostname branchB")
                                      + "interface Loopback5\n ip address 192.0.2.5 255.255.255.255\n")
    d.signal(signal.SIGHUP)
    for _ in range(100):
        if "hostname branchB" in d.running_config():
            break
        time.sleep(0.05)
    run = d.running_config()
    assert "hostname branchB" in run and "interface Loopback5" in run
    assert "Loopback5" in d.netns.links()
    log = d.sh("show logging").stdout
    assert "%SYS-5-CONFIG_REPLACE: Running configuration replaced with" in log, log
    # a configuration change, as IOS logs one: RELOAD means a reboot to a
    # network manager
    assert f"%SYS-5-CONFIG_I: Configured from {d.config} by SIGHUP" in log, log
    assert "RELOAD" not in log, log
    assert d.stop() == 0


def test_two_daemons_and_a_refused_third(build, daemon_factory, tmp_path):
    a = daemon_factory(build, "hostname alpha\n", name="a").start()
    b = daemon_factory(build, "hostname bravo\n", name="b").start()
    assert "hostname alpha" in a.running_config()
    assert "hostname bravo" in b.running_config()
    # a third on a's socket is refused, and a keeps working
    r = subprocess.run(["ip", "netns", "exec", a.netns.name, str(build / "vpnsipd"), "-F",
                        "-f", a.config, "-S", a.sock, "-D", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "another vpnsipd is running" in r.stderr
    assert "hostname alpha" in a.running_config()


def test_pasted_boilerplate_is_logged_as_ignored(build, daemon_factory):
    """IOS boilerplate at boot: a warning line each, no BADLINE; typed at the
    shell: the same warning, and the command succeeds."""
    cfg = GOOD.replace("interface Tunnel1\n", "interface Tunnel1\n load-interval 30\n") \
        .replace("hostname branchA\n", "hostname branchA\nno service pad\n")
    d = daemon_factory(build, cfg).start()
    log = d.sh("show logging").stdout
    assert re.search(r"%PARSER-4-IGNORED: \S+:2: % Ignored: ", log), log
    assert re.search(r"%PARSER-4-IGNORED: \S+:\d+: % Ignored: rates come from", log), log
    assert "BADLINE" not in log, log
    assert "0 errors, 0 unsupported, 2 ignored" in log, log
    r = d.sh("configure terminal", "interface Loopback0", "duplex full", "end")
    assert r.returncode == 0
    assert r.stdout.startswith("% Ignored: the OS sets the port's speed"), r.stdout
    assert "duplex" not in d.running_config()


# ---- the shell's batch mode --------------------------------------------------

def test_batch_commands_and_exit_codes(build, daemon_factory):
    d = daemon_factory(build, "").start()
    r = d.sh("configure terminal", "hostname R1", "interface Tunnel1", "ip adress 10.0.0.1 255.0.0.0",
             "end", check=False)
    assert r.returncode == 1
    assert "ip adress 10.0.0.1 255.0.0.0\n     ^\n% Invalid input detected at '^' marker.\n" in r.stderr
    assert "hostname R1" in d.running_config()  # the commands around it applied
    r = d.sh(input="configure terminal\nhostname R2\nend\nshow running-config | include ^hostname\n")
    assert r.stdout == "hostname R2\n"
    r = d.sh("sh run | sec Tunnel1")
    assert r.stdout == "interface Tunnel1\n no ip address\n"
    r = d.sh("show running-config | count ^interface")
    assert r.stdout == "Number of lines which match regexp = 1\n"
    assert d.sh("configure terminal", "hostname", check=False).stderr == "% Incomplete command.\n"
    r = d.sh("configure terminal", "interface Tunnel1", "de x", check=False)
    assert r.stderr == '% Ambiguous command:  "de x"\n'


def test_each_command_is_atomic_across_shells(build, daemon_factory):
    """Two shells configuring at once never see or leave half a change."""
    d = daemon_factory(build, "").start()
    errors = []

    def worker(n):
        cmds = ["configure terminal"]
        for i in range(40):
            cmds += [f"interface Loopback{n * 100 + i}", f"ip address 10.{n}.{i}.1 255.255.255.0"]
        r = d.sh(*cmds, check=False)
        if r.returncode:
            errors.append(r.stderr)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    run = d.running_config()
    for n in (1, 2):
        for i in range(40):
            assert f"interface Loopback{n * 100 + i}\n ip address 10.{n}.{i}.1 255.255.255.0" in run


# ---- write memory --------------------------------------------------------------

def test_write_memory_roundtrip(build, daemon_factory, tmp_path):
    d = daemon_factory(build, GOOD, name="first").start()
    d.sh("configure terminal", "service password-encryption", "enable password Lab123",
         "enable secret Sec-456", "banner motd #Authorised use only#", "logging buffered 65536 warnings",
         "interface GigabitEthernet8", "linux-device bak0", "description backup WAN")
    r = d.sh("write memory")
    assert "[OK]" in r.stdout
    saved = pathlib.Path(d.config).read_text()
    assert oct(os.stat(d.config).st_mode & 0o777) == "0o600"
    assert "Lab123" not in saved and "Sec-456" not in saved  # type 7 / type 9
    assert "enable secret 9 $9$" in saved
    assert body(d.sh("show startup-config").stdout) == body(saved)
    # a second daemon booting from the saved file has the same configuration
    d2 = daemon_factory(build, config_path=d.config, name="second").start()
    assert body(d2.running_config()) == body(d.running_config())
    # and its enable secret works from a fresh (user EXEC) session
    d2.sh("erase startup-config force")
    assert not os.path.exists(d.config)
    assert "startup-config is not present" in d2.sh("show startup-config", check=False).stdout


def test_write_memory_is_atomic_under_kill(build, daemon_factory):
    """kill -9 the daemon at random moments while it writes in a loop: the
    file is always one complete configuration, old or new."""
    d = daemon_factory(build, GOOD).start()
    attempted = set()
    rng = random.Random(1234)
    for round_ in range(6):
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                name = f"host{round_}x{i}"
                attempted.add(name)  # in flight: may be the "new" file
                r = subprocess.run([str(d.build / "vpnsipsh"), "-S", d.sock, "-c", "configure terminal",
                                    "-c", f"hostname {name}", "-c", f"interface Loopback{100 + i % 7}",
                                    "-c", "end", "-c", "write memory"],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    return
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        d.kill()
        stop.set()
        t.join()
        text = pathlib.Path(d.config).read_text()
        assert text.endswith("end\n"), text[-200:]
        m = re.search(r"^hostname (\S+)$", text, re.M)
        assert m and (m.group(1) in attempted or m.group(1) == "branchA"), text
        r = subprocess.run([str(d.build / "vpnsipd"), "-t", "-f", d.config], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        leftovers = [p for p in os.listdir(os.path.dirname(d.config))
                     if p.startswith(".vpnsipd-tmp.vpnsipd.conf.")]
        assert len(leftovers) <= 1  # at most the one write that was killed
        d.start()
        # the restarted daemon removes it
        assert not [p for p in os.listdir(os.path.dirname(d.config))
                    if p.startswith(".vpnsipd-tmp.")]


# ---- logging, debugging, monitor, secrets ------------------------------------------

def test_debug_and_terminal_monitor_without_secrets(build, daemon_factory):
    d = daemon_factory(build, "").start()
    r = d.sh("debug config changes")
    assert "Configuration changes debugging is on" in r.stdout
    assert "Configuration changes debugging is on" in d.sh("show debugging").stdout
    # a monitoring shell receives the debug lines of another shell's change
    mon = subprocess.Popen([str(build / "vpnsipsh"), "-S", d.sock], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mon.stdin.write("terminal monitor\n")
    mon.stdin.flush()
    time.sleep(0.3)
    d.sh("configure terminal", "hostname watched", "enable secret VerySecret99",
         "enable password Plain77", "enable secrt Typo55", check=False)
    time.sleep(0.3)
    # a batch shell reads monitor lines while it waits for its next reply
    mon.stdin.write("show version\n")
    mon.stdin.close()
    out = mon.stdout.read()
    mon.wait(10)
    assert "CONFIG: vty" in out and "hostname watched" in out, out
    log = d.sh("show logging").stdout
    for secret in ("VerySecret99", "Plain77", "Typo55"):
        assert secret not in out and secret not in log
        assert secret not in d.log.read_text()
    assert "enable secret *****" in log
    d.sh("undebug all")
    assert "No debugging is on" in d.sh("show debugging").stdout
    d.sh("clear logging")
    assert "CONFIG: vty" not in d.sh("show logging").stdout


def test_malformed_control_frames_do_not_hurt(build, daemon_factory):
    import socket
    d = daemon_factory(build, "hostname sturdy\n").start()
    for junk in (b"\xff" * 8, b"\x00\x00\x00\x7f\x02\x00\x00\x00", os.urandom(4096)):
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        s.sendall(junk)
        s.close()
    assert "hostname sturdy" in d.running_config()
    assert d.stop() == 0, d.log.read_text()


# ---- bounds: shells at once, the terminal monitor backlog ----------------------

HELLO = struct.pack("<IBBH", 0, 1, 0, 0)       # CTL_HELLO, not interactive
FRAME = struct.Struct("<IBBH")


def read_frame(s):
    head = b""
    while len(head) < FRAME.size:
        more = s.recv(FRAME.size - len(head))
        if not more:
            return None, None
        head += more
    n, typ, _, _ = FRAME.unpack(head)
    body = b""
    while len(body) < n:
        more = s.recv(n - len(body))
        if not more:
            return None, None
        body += more
    return typ, body


def shells(path, n, user=None, group=None):
    """n connected shells (HELLO answered) in a child process (as user and
    group); returns it: close its stdin to let them go."""
    code = ("import socket,struct,sys\n"
            "ss=[]\n"
            "for i in range(%d):\n"
            "    s=socket.socket(socket.AF_UNIX); s.connect(%r); s.sendall(%r)\n"
            "    h=s.recv(8); n=struct.unpack('<I',h[:4])[0]\n"
            "    while n>0: n-=len(s.recv(n))\n"
            "    assert h[4]==17, h\n"
            "    ss.append(s)\n"
            "print('ok', flush=True); sys.stdin.read()\n") % (n, path, HELLO)
    p = subprocess.Popen(["/usr/bin/python3", "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, user=user, group=group)
    assert p.stdout.readline().strip() == "ok", p.stderr.read()
    return p


def test_shell_connections_are_capped(build, netns, accounts):
    import tempfile
    from conftest import Daemon
    work = tempfile.mkdtemp(prefix="vpnsip-caps-", dir="/tmp")
    os.chmod(work, 0o711)      # another user may reach the socket (made 0777 below)
    d = Daemon(build, netns, work, "hostname capped\n").start()
    held = []
    try:
        os.chmod(d.sock, 0o777)
        held.append(shells(d.sock, 32))                 # root: its whole share
        r = d.sh("show version", check=False)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "% Too many shells of user 0: 32 are connected (at most 32 per user); " \
            "close one and try again" in r.stderr, r.stderr
        # another user (of group vpnsip: others are refused): the rest
        held.append(shells(d.sock, 32, user=accounts["member"], group="vpnsip"))
        r = d.sh("show version", check=False)
        assert r.returncode == 1 and "% Too many shells: 64 are connected (at most 64)" in r.stderr, \
            r.stderr
        held[0].stdin.close()                           # root's shells go
        held[0].wait(10)
        time.sleep(0.3)
        assert "capped" in d.sh("show running-config").stdout
        assert d.log.read_text().count("%CONTROL-4-REFUSED") == 1   # rate-limited
    finally:
        for p in held:
            p.stdin.close()
            p.wait(10)
        assert d.stop() == 0, d.log.read_text()
        shutil.rmtree(work, ignore_errors=True)


def test_terminal_monitor_backlog_is_bounded(build, daemon_factory):
    """A monitoring shell that stops reading: its monitor lines are dropped
    past the bound (counted, announced as "%N messages dropped" once it
    reads again, and in show logging); everything else goes on."""
    import socket
    d = daemon_factory(build, "interface Loopback1\n").start()
    d.sh("debug config changes")
    mon = socket.socket(socket.AF_UNIX)
    mon.connect(d.sock)
    mon.sendall(HELLO)
    assert read_frame(mon)[0] == 17
    line = b"terminal monitor"
    mon.sendall(struct.pack("<IBBH", len(line), 2, 0, 0) + line)
    while read_frame(mon)[0] != 17:
        pass
    mon.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # 3000 changes of a 200-character description: about 800 kB of monitor lines
    cmds = "configure terminal\ninterface Loopback1\n" + "".join(
        "description %05d %s\n" % (i, "x" * 200) for i in range(3000)) + "end\n"
    r = d.sh(input=cmds)
    assert r.returncode == 0, r.stderr[-500:]
    d.sh("show version")                                      # the daemon answers
    mon.settimeout(5)
    got, dropped = 0, None
    while dropped is None:
        typ, body = read_frame(mon)
        assert typ is not None, "connection closed"
        if typ == 18 and b"messages dropped" in body:
            dropped = int(re.match(rb"%(\d+) messages dropped \(the terminal did not keep up\)",
                                   body).group(1))
        elif typ == 18 and b"description" in body:
            got += 1
    mon.close()
    assert dropped > 0 and got > 0, (got, dropped)
    assert got + dropped >= 3000, (got, dropped)
    m = re.search(r"messages logged, (\d+) dropped", d.sh("show logging").stdout)
    assert m and int(m.group(1)) >= dropped, d.sh("show logging").stdout[:300]
    assert d.stop() == 0, d.log.read_text()
