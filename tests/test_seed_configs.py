"""The seed configurations load: every configuration block of the Cisco
VPN-SIP guide (../shared/seeds/cisco-vpn-sip-guide.en.txt), extracted into
tests/config/seeds/NN-name.conf, is checked with "vpnsipd -t".

Lines of features that are not built yet are reported as unsupported, naming
the feature, with their line numbers; IOS boilerplate with no meaning here
(duplex, speed, switchport, ...) is reported as ignored and does not make the
check fail; nothing crashes.  The report must equal
the golden file NN-name.expect exactly, so the test tightens as features
land: when a feature starts accepting its lines, the report shrinks and the
golden files are regenerated (and reviewed) with

    UPDATE_GOLDEN=1 /usr/bin/python3 -m pytest tests/test_seed_configs.py

Tightening rule: no seed line may be reported as invalid input (or as any
other error) unless ALLOWED_ERRORS below lists it, with the reason.
"""
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = Path("tests/config/seeds")  # relative: the report names files so
BINARIES = {
    "build": ROOT / "build/vpnsipd",
    "asan": ROOT / "build/asan/vpnsipd",
}
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# (file name, exact line text) -> why this seed line may be rejected.
# Every entry must still be reported (stale entries fail), so the list only
# shrinks.  Keep it small: a core command rejected here is an engine bug.
ALLOWED_ERRORS = {
    # The seed's own inconsistent address/mask pairs: IOS rejects them too
    # ("% Inconsistent address and mask").
    ("12-static-routes.conf", "ip route 192.0.2.168 255.255.255.0 Tunnel0 track 1"):
        "the seed's own inconsistent address and mask (192.0.2.168/24)",
    ("12-static-routes.conf", "ip route 192.0.2.168 255.255.255.0 Tunnel1 254"):
        "the seed's own inconsistent address and mask (192.0.2.168/24)",
    ("18-example-self-signed.conf", "ip route 10.1.0.0 255.0.0.0 tunnel 0 250"):
        "the seed's own inconsistent address and mask (10.1.0.0/8)",
    ("18-example-self-signed.conf", "ip route 10.2.0.0 255.0.0.0 tunnel 0 250"):
        "the seed's own inconsistent address and mask (10.2.0.0/8)",
    ("18-example-self-signed.conf", "ip route 10.3.0.0 255.0.0.0 tunnel 0 250"):
        "the seed's own inconsistent address and mask (10.3.0.0/8)",
}

SUMMARY_RE = re.compile(
    r"^(?P<path>\S+): (?P<lines>\d+) lines, (?P<applied>\d+) applied, "
    r"(?P<errors>\d+) errors, (?P<unsupported>\d+) unsupported, (?P<ignored>\d+) ignored$")
REPORT_RE = re.compile(r"^(?P<path>\S+?):(?P<lineno>\d+): (?P<msg>.*)$")
FEATURE_RE = re.compile(r"^% Unsupported: (?P<feature>\S.*) is not built yet$")
BLOCK_MSG = "% Unsupported: line of an unsupported block"
IGNORED_PREFIX = "% Ignored: "
PARSE_ERRORS = ("% Invalid input detected at '^' marker.", "% Incomplete command.",
                "% Ambiguous command:")


def seed_files():
    files = sorted((ROOT / SEED_DIR).glob("*.conf"))
    assert files, "no seed configurations in %s" % SEED_DIR
    return [f.name for f in files]


def binary(kind):
    path = BINARIES[kind]
    require(path.exists(), "%s not built (make%s)"
            % (path.relative_to(ROOT), " SANITIZE=1" if kind == "asan" else ""))
    return path


def run_check(path, conf):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return subprocess.run([str(path), "-t", "-f", str(SEED_DIR / conf)], cwd=ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, env=env)


def parse_report(conf, stderr):
    """The report as entries {lineno, msg, kind, echo, caret} and the summary."""
    rel = str(SEED_DIR / conf)
    lines = stderr.splitlines()
    assert lines, "no output at all"
    m = SUMMARY_RE.match(lines[-1])
    assert m and m["path"] == rel, "bad summary line: %r" % lines[-1]
    summary = {k: int(m[k]) for k in ("lines", "applied", "errors", "unsupported", "ignored")}
    entries = []
    i = 0
    body = lines[:-1]
    while i < len(body):
        m = REPORT_RE.match(body[i])
        assert m and m["path"] == rel, "unexpected report line: %r" % body[i]
        e = {"lineno": int(m["lineno"]), "msg": m["msg"], "echo": None, "caret": None}
        i += 1
        if e["msg"].startswith(PARSE_ERRORS):
            e["kind"] = "parse"
            # the line echoed with two spaces, then maybe the caret line
            assert i < len(body) and body[i].startswith("  "), \
                "no echoed line after %r" % e["msg"]
            e["echo"] = body[i][2:]
            i += 1
            if i < len(body) and re.match(r"^ *\^$", body[i]):
                e["caret"] = len(body[i]) - 1 - 2
                i += 1
        elif FEATURE_RE.match(e["msg"]):
            e["kind"] = "feature"
            # one message: a feature is either planned or not
            assert "not planned" not in e["msg"], e["msg"]
        elif e["msg"].startswith(IGNORED_PREFIX):
            e["kind"] = "ignored"
        elif e["msg"] == BLOCK_MSG:
            e["kind"] = "block"
        else:
            e["kind"] = "failed"  # a command refused the line with its message
        entries.append(e)
    return entries, summary


def conf_lines(conf):
    return (ROOT / SEED_DIR / conf).read_text().split("\n")[:-1]


def is_comment(text):
    t = text.strip()
    return t == "" or t.startswith("!")


@pytest.mark.parametrize("conf", seed_files())
@pytest.mark.parametrize("kind", ["build", "asan"])
def test_seed_config(kind, conf):
    path = binary(kind)
    proc = run_check(path, conf)
    assert proc.returncode >= 0, "killed by signal %s" % signal.Signals(-proc.returncode).name
    assert proc.returncode in (0, 1), "exit code %d:\n%s" % (proc.returncode, proc.stderr)
    assert proc.stdout == ""

    golden = ROOT / SEED_DIR / conf.replace(".conf", ".expect")
    if UPDATE:
        golden.write_text(proc.stderr)
    assert golden.exists(), "no golden file %s (UPDATE_GOLDEN=1 writes it)" % golden.name
    assert proc.stderr == golden.read_text(), \
        "report differs from %s (UPDATE_GOLDEN=1 regenerates it)" % golden.name

    entries, summary = parse_report(conf, proc.stderr)
    text = conf_lines(conf)
    assert summary["lines"] == len(text)
    assert summary["unsupported"] == sum(e["kind"] in ("feature", "block") for e in entries)
    assert summary["ignored"] == sum(e["kind"] == "ignored" for e in entries)
    # multi-line "failed" messages name the same line more than once; an
    # unterminated banner is one more error, on the last line
    unterminated = [e for e in entries if e["msg"] == "% unterminated multi-line text"]
    bad_lines = {e["lineno"] for e in entries
                 if e["kind"] in ("parse", "failed") and e not in unterminated}
    assert summary["errors"] == len(bad_lines) + len(unterminated)
    assert proc.returncode == (1 if any(e["kind"] != "ignored" for e in entries) else 0)

    allowed_here = {line: why for (f, line), why in ALLOWED_ERRORS.items() if f == conf}
    seen_allowed = set()
    prev_unsupported = 0  # line number of the last unsupported line reported
    for e in entries:
        n = e["lineno"]
        assert 1 <= n <= len(text)
        line = text[n - 1]
        if e["kind"] == "ignored":
            continue
        if e["kind"] == "feature":
            prev_unsupported = n
        elif e["kind"] == "block":
            # Only lines that follow an unsupported line, with nothing but
            # comments and other unsupported lines between, are block lines.
            assert prev_unsupported, "line %d: block line without a feature before it" % n
            reported = {x["lineno"] for x in entries if x["kind"] != "ignored"}
            for k in range(prev_unsupported + 1, n):
                assert k in reported or is_comment(text[k - 1]), \
                    "line %d: an accepted line (%d) ends the unsupported block" % (n, k)
            prev_unsupported = n
        else:
            if e["kind"] == "parse":
                assert e["echo"] == line, "line %d echoed as %r" % (n, e["echo"])
                if e["caret"] is not None:
                    assert 0 <= e["caret"] <= len(line)
            assert line in allowed_here, (
                "%s:%d: %r is rejected (%s), and ALLOWED_ERRORS does not list it; "
                "if it is a core command, that is an engine bug"
                % (conf, n, line, e["msg"]))
            seen_allowed.add(line)
    stale = set(allowed_here) - seen_allowed
    assert not stale, "ALLOWED_ERRORS entries no longer reported: %s" % sorted(stale)


@pytest.mark.parametrize("conf", [f for f in seed_files()
                                  if not any(f == g for g, _ in ALLOWED_ERRORS)])
def test_supported_or_planned_files_have_no_errors(conf):
    """Files whose lines are all supported or planned (every file without
    an ALLOWED_ERRORS entry): the summary counts 0 errors (unsupported
    lines are counted apart)."""
    path = binary("build")
    proc = run_check(path, conf)
    entries, summary = parse_report(conf, proc.stderr)
    assert summary["errors"] == 0, proc.stderr
    assert all(e["kind"] in ("feature", "block", "ignored") for e in entries), proc.stderr
    assert summary["applied"] + summary["unsupported"] + summary["ignored"] <= summary["lines"]


def test_golden_files_pair_with_configs():
    confs = {Path(f).stem for f in seed_files()}
    expects = {p.stem for p in (ROOT / SEED_DIR).glob("*.expect")}
    assert expects == confs, "orphans: %s" % sorted(expects ^ confs)


def test_allowed_errors_name_existing_lines():
    for (conf, line), why in ALLOWED_ERRORS.items():
        assert why, "ALLOWED_ERRORS entry without a reason: %s" % conf
        assert line in conf_lines(conf), "%s has no line %r" % (conf, line)


# ---- how unsupported blocks end ---------------------------------------------
# A planned interface line opens no block (typos after it stay visible).  How
# a planned global block ends is tests/unit/test_cli.c's
# planned_blocks_and_global_lines (no such feature is left in planned.c).

def run_text(tmp_path, text):
    conf = tmp_path / "t.conf"
    conf.write_text(text)
    proc = subprocess.run([str(binary("build")), "-t", "-f", str(conf)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    reported = {}
    for line in proc.stderr.splitlines():
        m = REPORT_RE.match(line)
        if m and m["path"] == str(conf):
            reported.setdefault(int(m["lineno"]), m["msg"])
    return reported


def test_planned_interface_line_opens_no_block(tmp_path):
    reported = run_text(tmp_path, "interface GigabitEthernet8\n"
                        " ip virtual-reassembly\n"
                        "hostnme typo\n")
    assert reported.get(3, "").startswith("% Invalid input"), reported


# ---- pasted IOS configurations ------------------------------------------------
# Boilerplate of IOS running-configs (the seed guides' own lines among them)
# is accepted with one "% Ignored: why" line each and does not make -t fail;
# real errors still do.

PASTED = """\
version 17.3
service timestamps debug datetime msec
service timestamps log datetime msec localtime
no service pad
no aaa new-model
boot-start-marker
boot-end-marker
hostname R1
ip subnet-zero
ip cef
platform qfp utilization monitor load 80
no platform punt-keepalive disable-kernel-core
license udi pid C1111-8P sn FGL000000AA
diagnostic bootup level minimal
subscriber templating
multilink bundle-name authenticated
spanning-tree extend system-id
no cdp run
interface GigabitEthernet0/0/0
 ip address 192.0.2.1 255.255.255.0
 ip virtual-reassembly in
 ip virtual-reassembly
 load-interval 30
 duplex auto
 speed auto
 negotiation auto
 media-type rj45
 no mop enabled
 no mop sysid
 cdp enable
 no ip route-cache cef
 no ip route-cache
 no ip mroute-cache
 no ip directed-broadcast
 no keepalive
 no shutdown
!
interface GigabitEthernet0/1/0
 switchport access vlan 101
 switchport mode access
 no ip address
 speed 100
 duplex full
!
ip forward-protocol nd
no ip http server
no ip http secure-server
ip classless
control-plane
!
end
"""


def check_text(tmp_path, text, name="pasted.conf"):
    conf = tmp_path / name
    conf.write_text(text)
    proc = subprocess.run([str(binary("build")), "-t", "-f", str(conf)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    lines = proc.stderr.splitlines()
    m = SUMMARY_RE.match(lines[-1])
    assert m, proc.stderr
    reported = {}
    for line in lines[:-1]:
        r = REPORT_RE.match(line)
        if r:
            reported.setdefault(int(r["lineno"]), []).append(r["msg"])
    return proc, {k: int(m[k]) for k in ("lines", "applied", "errors", "unsupported",
                                         "ignored")}, reported


def test_pasted_boilerplate_is_ignored_with_a_warning(tmp_path):
    proc, summary, reported = check_text(tmp_path, PASTED)
    text = PASTED.splitlines()
    boilerplate = [n for n, line in enumerate(text, 1)
                   if line.strip() and not line.startswith(("hostname", "interface", "!", "end",
                                                            "service timestamps"))
                   and line.strip() not in ("ip address 192.0.2.1 255.255.255.0",
                                            "no ip address", "no shutdown")]
    assert proc.returncode == 0, proc.stderr
    assert summary["errors"] == 0 and summary["unsupported"] == 0, proc.stderr
    assert summary["ignored"] == len(boilerplate), proc.stderr
    for n in boilerplate:
        msgs = reported.get(n, [])
        assert len(msgs) == 1 and msgs[0].startswith(IGNORED_PREFIX), (text[n - 1], msgs)
        assert "not built yet" not in msgs[0] and "Unsupported" not in msgs[0]
    # no shutdown on a port the OS owns is a real command, applied silently
    assert text.index(" no shutdown") + 1 not in reported


def test_pasted_boilerplate_with_a_real_error_fails(tmp_path):
    bad = PASTED.replace(" no keepalive\n", " no keepalive\n ip adress 10.0.0.1 255.0.0.0\n")
    proc, summary, reported = check_text(tmp_path, bad)
    assert proc.returncode == 1
    assert summary["errors"] == 1, proc.stderr
    n = bad.splitlines().index(" ip adress 10.0.0.1 255.0.0.0") + 1
    assert reported[n] == ["% Invalid input detected at '^' marker."], reported


@pytest.mark.parametrize("line", [
    "ip http server",             # asks for a service this router does not run
    "aaa new-model",              # asks for AAA
    "service tcp-small-servers",  # asks for servers
    "line vty 0 4",               # remote login settings: the shell is the socket's
    "no ip redirects",            # a real setting of the kernel's (send_redirects)
    "show ip bgp",                # not a configuration line (and no catch-all for show ip)
])
def test_lines_with_a_meaning_stay_errors(tmp_path, line):
    proc, summary, reported = check_text(tmp_path, "hostname R1\n%s\n" % line)
    assert proc.returncode == 1, proc.stderr
    assert summary["ignored"] == 0 and summary["errors"] == 1, proc.stderr


def test_ignored_lines_are_listed_in_the_docs():
    """docs/commands.md lists every line src/config/ignored.c accepts."""
    src = (ROOT / "src/config/ignored.c").read_text()
    syntaxes = re.findall(r'\{ "config(?:-if)?", "([^"]+)"', src)
    assert len(syntaxes) > 20, syntaxes
    doc = (ROOT / "docs/commands.md").read_text().replace("\\|", "|")  # table cells
    missing = [s for s in syntaxes if "`%s`" % s not in doc]
    assert not missing, "not in docs/commands.md: %s" % missing
