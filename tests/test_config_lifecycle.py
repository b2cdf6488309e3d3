"""The configuration's life on disk and in the router: nothing of the
operator's is lost (temporary files have their own prefix, the state
directory is 0700, kill -9 at any moment of write memory, crypto pki enroll
or a master-key change leaves the old or the new file), SIGHUP and configure
replace replace rather than merge (checked whole first, the difference
applied, access lists and IP SLA included), the archive, erase's [confirm],
vpnsipd -t touching nothing, and type 6 for every stored secret."""
import os
import pathlib
import random
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.netns

BASE = """\
hostname branchA
!
interface Loopback0
 description first
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback5
 ip address 192.0.2.5 255.255.255.255
!
access-list 10 permit 192.0.2.0 0.0.0.255
access-list 10 deny any
!
ip sla 5
 icmp-echo 192.0.2.1
 frequency 30
ip sla schedule 5 life forever start-time now
!
banner motd ^C
two
lines
^C
end
"""

SMALLER = """\
hostname branchB
!
interface Loopback0
 description second
 ip address 10.21.1.1 255.255.255.255
!
end
"""


def canonical(build, path, state=None):
    """What vpnsipd -t -p says the file gives, without comment lines."""
    args = [str(build / "vpnsipd"), "-t", "-p", "-f", str(path)]
    if state:
        args += ["-D", state]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return body(r.stdout)


def body(text):
    return "\n".join(l for l in text.splitlines()
                     if l and not l.startswith(("!", "Building", "Current configuration")))


def running(d):
    return body(d.sh("show running-config").stdout)


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


# ---- nothing lost --------------------------------------------------------------

def test_start_removes_only_its_own_temporary_files(build, daemon_factory, tmp_path):
    d = daemon_factory(build, BASE)
    conf = pathlib.Path(d.config)
    backup = conf.with_name(conf.name + ".backup")
    orig = conf.with_name(conf.name + ".orig12")
    other = conf.with_name(".vpnsipd-tmp.other.conf.Zz9999")
    stale = conf.with_name(".vpnsipd-tmp." + conf.name + ".Ab12Cd")
    for f, text in ((backup, "an operator's copy\n"), (orig, "another\n"), (other, "x\n"),
                    (stale, "half a write\n")):
        f.write_text(text)
    state = pathlib.Path(d.state)
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)  # as an older version (or the operator) left it
    (state / "pki" / "keys").mkdir(parents=True)
    stale_key = state / "pki" / "keys" / ".vpnsipd-tmp.R.key.Qw12Er"
    stale_key.write_text("half a key\n")
    d.start()
    assert backup.read_text() == "an operator's copy\n"
    assert orig.read_text() == "another\n"
    assert other.exists()  # another file's temporary: not ours to judge
    assert not stale.exists() and not stale_key.exists()
    assert os.stat(state).st_mode & 0o7777 == 0o700
    assert "%SYS-5-STATE_DIR: State directory" in d.sh("show logging").stdout


def kill_loop(d, action, check, rounds=6, seed=1):
    """Run action(i) in a loop in a shell while kill -9 hits the daemon at
    random moments; after each kill, check() judges the files, and the
    restarted daemon cleans up."""
    rng = random.Random(seed)
    attempted = []
    for round_ in range(rounds):
        stop = threading.Event()

        def worker():
            i = 0
            while not stop.is_set():
                tag = f"{round_}x{i}"
                attempted.append(tag)
                if action(tag).returncode != 0:
                    return
                i += 1

        t = threading.Thread(target=worker)
        t.start()
        time.sleep(rng.uniform(0.1, 0.6))
        d.kill()
        stop.set()
        t.join()
        check(attempted)
        d.start()
        for dirpath, _, files in os.walk(d.state):
            assert not [f for f in files if f.startswith(".vpnsipd-tmp.")], (dirpath, files)
    return attempted


def pem_ok(path, kind):
    r = subprocess.run(["openssl", kind, "-in", str(path), "-noout"], capture_output=True)
    return r.returncode == 0


def test_pki_enroll_and_master_key_survive_kill_9(build, daemon_factory):
    d = daemon_factory(build, "hostname pkiR\ncrypto pki trustpoint Self\n enrollment selfsigned\n"
                              " rsakeypair Self 1024\n").start()
    sh = [str(d.build / "vpnsipsh"), "-S", d.sock]
    keyf = pathlib.Path(d.state, "pki", "keys", "Self.key")
    certf = pathlib.Path(d.state, "pki", "certs", "Self.crt")

    def enroll(tag):
        return subprocess.run(sh + ["-c", "configure terminal",
                                    "-c", "crypto key generate rsa label Self modulus 1024",
                                    "-c", "crypto pki enroll Self"],
                              capture_output=True, text=True)

    assert enroll("first").returncode == 0
    certs_dir = certf.parent
    assert any(certs_dir.iterdir()), list(certs_dir.iterdir())

    def check_pem(_):
        for f in keyf.parent.iterdir():
            if not f.name.startswith("."):  # a killed write's temporary
                assert pem_ok(f, "pkey"), f.read_text()[:200]
        for f in certs_dir.iterdir():
            if not f.name.startswith("."):
                assert pem_ok(f, "x509"), f.read_text()[:200]

    kill_loop(d, enroll, check_pem, rounds=5)

    master = pathlib.Path(d.state, "master-key")

    def set_master(tag):
        return subprocess.run(sh + ["-c", "configure terminal",
                                    "-c", f"key config-key password-encrypt Master-Key-{tag}"],
                              capture_output=True, text=True)

    def check_master(attempted):
        text = master.read_text()
        assert text.startswith("Master-Key-") and text[len("Master-Key-"):] in attempted, text
        assert oct(os.stat(master).st_mode & 0o777) == "0o600"

    # a link planted where a fixed temporary name used to be is not followed
    victim = pathlib.Path(d.dir, "victim")
    victim.write_text("not the master key\n")
    planted = pathlib.Path(d.state, "master-key.tmp")
    planted.symlink_to(victim)
    assert set_master("first").returncode == 0
    assert victim.read_text() == "not the master key\n"
    assert master.read_text() == "Master-Key-first" and not master.is_symlink()
    kill_loop(d, set_master, check_master, rounds=5, seed=7)


# ---- replace, not merge --------------------------------------------------------

def test_sighup_replaces_the_running_configuration(build, daemon_factory):
    d = daemon_factory(build, BASE).start()
    assert "Loopback5" in d.netns.links()
    assert "access-list 10 permit" in running(d) and "ip sla 5" in running(d)
    pathlib.Path(d.config).write_text(SMALLER)
    d.signal(signal.SIGHUP)
    assert wait_for(lambda: "hostname branchB" in running(d))
    run = running(d)
    # what the file no longer has is gone: interfaces, access lists, IP SLA,
    # the banner; a changed line changed
    assert run == canonical(build, d.config), run
    assert "Loopback5" not in run and "access-list" not in run and "ip sla" not in run
    assert "banner" not in run and "description second" in run
    assert wait_for(lambda: "Loopback5" not in d.netns.links())
    assert "access-list" not in d.sh("show access-lists").stdout
    assert "Entry number" not in d.sh("show ip sla configuration").stdout
    log = d.sh("show logging").stdout
    assert "%SYS-5-CONFIG_REPLACE: Running configuration replaced with" in log, log
    assert f"%SYS-5-CONFIG_I: Configured from {d.config} by SIGHUP" in log


def test_sighup_applies_nothing_from_a_file_with_errors(build, daemon_factory):
    d = daemon_factory(build, BASE).start()
    before = running(d)
    bad = SMALLER.replace("interface Loopback0\n", "interface Loopback0\n ip adress 10.0.0.1\n")
    pathlib.Path(d.config).write_text(bad)
    d.signal(signal.SIGHUP)
    assert wait_for(lambda: "CONFIG_REPLACE" in d.sh("show logging").stdout)
    assert running(d) == before  # not even the good lines
    log = d.sh("show logging").stdout
    assert re.search(r"%PARSER-3-BADLINE: \S+vpnsipd.conf:4: % Invalid input", log), log
    assert "1 bad lines: not applied (requested by SIGHUP)" in log, log
    assert "Loopback5" in d.netns.links()


def test_configure_replace_lists_asks_and_keeps_access_lists_right(build, daemon_factory,
                                                                   tmp_path):
    d = daemon_factory(build, BASE).start()
    target = tmp_path / "target.conf"
    target.write_text(SMALLER.replace("end\n", "access-list 20 permit 198.51.100.0 0.0.0.255\n"
                                               "ip sla 6\n icmp-echo 192.0.2.9\n"
                                               "ip sla schedule 6 start-time now\nend\n"))
    # asked, and "no" (or a script that never answers) changes nothing
    r = d.sh("configure replace " + str(target), check=False)
    assert r.returncode == 1 and "% Not answered: This will apply all necessary" in r.stderr
    r = d.sh("configure replace " + str(target), "n")
    assert "% Configuration replace aborted" in r.stdout
    assert "hostname branchA" in running(d)
    r = d.sh("configure replace " + str(target) + " list", "y")
    assert "!Pass 1\n!List of Commands:\n" in r.stdout, r.stdout
    assert "no access-list 10 deny any\n" in r.stdout and "no interface Loopback5\n" in r.stdout
    assert "Total number of passes: 1\nRollback Done\n" in r.stdout
    assert running(d) == canonical(build, target)
    acl = d.sh("show access-lists").stdout
    assert "20" in acl and "198.51.100.0" in acl and "list 10" not in acl, acl
    sla = d.sh("show ip sla configuration").stdout
    assert "192.0.2.9" in sla and "192.0.2.1" not in sla, sla
    # and back, forced (scripts)
    source = tmp_path / "base.conf"
    source.write_text(BASE)
    r = d.sh("configure replace " + str(source) + " force")
    assert running(d) == canonical(build, source)
    assert "Loopback5" in d.netns.links()
    log = d.sh("show logging").stdout
    assert re.search(r"%SYS-5-CONFIG_I: Configured from \S+base.conf by root on vty\d+ \(pid \d+\)",
                     log), log


def test_replace_through_every_seed_configuration(build, daemon_factory, tmp_path):
    """One router replaced in turn by each error-free seed of the VPN-SIP
    guide (and back to the first): each time, the running configuration is
    exactly what the file gives."""
    seeds = sorted((ROOT / "tests/config/seeds").glob("*.conf"))
    good = [s for s in seeds
            if subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(s)],
                              capture_output=True).returncode == 0]
    assert len(good) >= 20
    d = daemon_factory(build, BASE).start()
    for seed in good + [good[0]]:
        # the seeds are IOS fragments without indentation: the file as written
        r = d.sh(f"configure replace {seed} force", check=False)
        assert r.returncode == 0, (seed.name, r.stdout, r.stderr)
        assert running(d) == canonical(build, seed), seed.name
    assert d.stop() == 0, d.log.read_text()[-3000:]


# ---- archive, erase --------------------------------------------------------------

def test_archive_keeps_the_newest_copies(build, daemon_factory, tmp_path):
    arch = tmp_path / "archive"
    arch.mkdir()
    d = daemon_factory(build, f"hostname arch0\narchive\n path {arch}/startup\n maximum 3\n"
                              " write-memory\n").start()
    for i in range(1, 6):
        d.sh("configure terminal", f"hostname arch{i}", "end", "write memory")
    files = sorted(p.name for p in arch.iterdir())
    assert files == ["startup-3", "startup-4", "startup-5"], files
    assert "hostname arch5" in (arch / "startup-5").read_text()
    assert "hostname arch3" in (arch / "startup-3").read_text()
    assert oct(os.stat(arch / "startup-5").st_mode & 0o777) == "0o600"
    out = d.sh("show archive").stdout
    assert "The maximum archive configurations allowed is 3." in out
    assert f"The next archive file will be named {arch}/startup-6" in out
    assert re.search(rf"^\s+3\s+{arch}/startup-5 <- Most Recent$", out, re.M), out
    # archive config on demand; a restarted daemon carries on numbering
    d.sh("archive config")
    assert (arch / "startup-6").exists() and not (arch / "startup-3").exists()
    d.stop()
    d.start()
    d.sh("write memory")
    assert (arch / "startup-7").exists()
    # and back to a copy
    d.sh("configure terminal", "hostname later", "end")
    d.sh(f"configure replace {arch}/startup-5 force")
    assert "hostname arch5" in running(d)
    # one that went: nothing changes
    r = d.sh(f"configure replace {arch}/startup-4 force", check=False)
    assert r.returncode == 1 and "No such file or directory" in r.stdout, r


def test_erase_startup_config_asks(build, daemon_factory):
    d = daemon_factory(build, "hostname keep\n").start()
    conf = pathlib.Path(d.config)
    r = d.sh("erase startup-config", check=False)
    assert r.returncode == 1 and "% Not answered: Erasing the nvram filesystem" in r.stderr, r
    assert conf.exists()
    r = d.sh("erase startup-config", "n")
    assert "% Erase of nvram aborted" in r.stdout and conf.exists()
    r = d.sh("erase startup-config", "")  # Return confirms
    assert "[OK]\nErase of nvram: complete" in r.stdout and not conf.exists()
    d.sh("write memory")
    r = d.sh("erase startup-config force")
    assert not conf.exists()
    assert re.search(r"%SYS-5-NV_ERASE: startup-config erased by root on vty\d+ \(pid \d+\)",
                     d.sh("show logging").stdout)


# ---- vpnsipd -t touches nothing --------------------------------------------------

def test_check_only_runs_no_exec_command(build, netns, tmp_path):
    netns.run("ip", "link", "set", "lo", "up")
    add = netns.run("conntrack", "-I", "-p", "udp", "-s", "127.0.0.1", "-d", "127.0.0.2",
                    "--sport", "5555", "--dport", "6666", "--timeout", "300")
    assert add.returncode == 0, add.stderr
    f = tmp_path / "checked.conf"
    f.write_text("hostname checked\ndo clear ip nat translation *\ndo erase startup-config force\n"
                 "do write memory\ndo archive config\n"
                 "do configure replace /nonexistent/file force\n")
    r = netns.run(str(build / "vpnsipd"), "-t", "-f", str(f))
    assert r.returncode == 0, r.stderr
    assert f.exists() and "hostname checked" in f.read_text()
    entries = netns.run("conntrack", "-L").stdout
    assert "sport=5555" in entries, entries


# ---- secrets at rest ----------------------------------------------------------------

def test_type6_for_every_stored_secret(build, daemon_factory):
    d = daemon_factory(build, "hostname vault\nservice password-encryption\n").start()
    secrets = {"enable": "Enable-Pw-8181", "sip": "Sip-Digest-8282",
               "psk": "Psk-Secret-8383-long-enough"}
    d.sh("configure terminal", "key config-key password-encrypt Master-Key-123",
         "password encryption aes", f"enable password {secrets['enable']}",
         f"vpn-sip sip-credentials username 0311111111 password {secrets['sip']}",
         "crypto ikev2 keyring K", "peer P", "address 192.0.2.1",
         f"pre-shared-key {secrets['psk']}", "end", "write memory")
    saved = pathlib.Path(d.config).read_text()
    for s in secrets.values():
        assert s not in saved, s
    assert re.search(r"^enable password 6 [A-Za-z0-9+/]+$", saved, re.M), saved
    assert re.search(r"^vpn-sip sip-credentials username 0311111111 password 6 [A-Za-z0-9+/]+$",
                     saved, re.M), saved
    assert re.search(r"^  pre-shared-key 6 [A-Za-z0-9+/]+$", saved, re.M), saved
    assert not re.search(r"(password|pre-shared-key) 7 ", saved), saved
    # it boots back: the same state directory, the same secrets
    before = running(d)
    d.stop()
    d.start()
    assert running(d) == before
    d.sh("configure terminal", "no password encryption aes", "no service password-encryption",
         "end")
    clear = running(d)
    for s in secrets.values():
        assert s in clear, (s, clear)
    # a type 6 secret from another master key is refused, with the line
    bad = saved.replace("Master", "x").replace("enable password 6 ", "enable password 6 AAAA")
    pathlib.Path(d.config).write_text(bad)
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-D", d.state, "-f", d.config],
                       capture_output=True, text=True)
    assert r.returncode == 1 and re.search(r"vpnsipd.conf:\d+: % ", r.stderr), r.stderr
