"""Self-test of the carrier-network lab (tests/lab, docs/lab.md).

Independent peers only: SIPp user agents in the router namespaces register to
Kamailio through the backup links and call each other; the lab's DHCP client
reads the options; ping checks the primary path.  No vpnsipd is involved.
"""
import glob
import os
import subprocess
import sys
import time

import pytest

from conftest import require

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from labctl import lab  # noqa: E402,F401  (module-scoped fixture)

RFC6193_OFFER_LINES = [
    "m=application 4500 udp ike-esp-udpencap",
    "b=AS:1000",
    "a=ike-setup:active",
    "a=psk-fingerprint:SHA-1 F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86",
]


def root_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                         check=True).stdout
    return sorted(line.split(":")[1].strip().split("@")[0] for line in out.splitlines())


def wait_listening(lab, node, port=5060):
    labctl.wait_for(lambda: lab.exec(node, "ss", "-Hlun", "sport = :%d" % port).stdout.strip(),
                    timeout=5, what="SIPp listening in %s" % node)


def register_both(lab):
    for r in ("rtrB", "rtrA"):
        res = lab.register(r)
        assert res.rc == 0, res.diagnostics()
        assert res.received(200), res.diagnostics()
    assert {lab.number("rtrA"), lab.number("rtrB")} <= lab.registrations()


def full_call(lab, ruri, hold_ms=800):
    """rtrA calls ruri (rtrB's number); returns (uac result, uas result)."""
    uas = lab.uas("rtrB")
    try:
        wait_listening(lab, "rtrB")
        uac = lab.call("rtrA", ruri, hold_ms=hold_ms)
    finally:
        uas_res = uas.wait(20)
    assert uac.rc == 0, uac.diagnostics() + lab.log_tail()
    assert uas_res.rc == 0, uas_res.diagnostics() + lab.log_tail()
    return uac, uas_res


def decode_names(data):
    """RFC 1035 label sequences, no compression (what the lab sends)."""
    names, labels, i = [], [], 0
    while i < len(data):
        n = data[i]
        if n == 0:
            names.append(".".join(labels))
            labels = []
            i += 1
            continue
        assert n < 64, "compression/garbage in option 120"
        labels.append(data[i + 1:i + 1 + n].decode("ascii"))
        i += 1 + n
    assert not labels, "unterminated name"
    return names


# ----------------------------------------------------------------- topology
def test_address_plan_and_interfaces(lab):
    for node in ["ngn", "inet", "rtrA", "rtrB", "lanA", "lanB"]:
        assert lab.run("addr", node).stdout.strip() == lab.addr(node), node
        assert lab.run("addr", node, "-6").stdout.strip() == lab.addr(node, v6=True), node
    for r in lab.routers():
        for ifc in ["bak0", "wan0", "lan0"]:
            assert lab.run("addr", r, ifc).stdout.strip() == lab.addr(r, ifc)
            out = lab.exec(r, "ip", "-o", "addr", "show", "dev", ifc, check=True).stdout
            assert lab.addr(r, ifc) + "/" in out, (r, ifc, out)
        assert lab.exec(r, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"
        # no default route; the other LANs only through the primary
        assert lab.exec(r, "ip", "route", "show", "default").stdout.strip() == ""
        assert lab.exec(r, "ip", "-6", "route", "show", "default").stdout.strip() == ""
    assert lab.number("rtrA") == "0311111111" and lab.number("rtrB") == "0322222222"
    assert lab.run("number", "rtrB").stdout.strip() == "0322222222"
    route = lab.exec("rtrA", "ip", "route", "get", lab.addr("lanB"), check=True).stdout
    assert "dev wan0" in route and "bak0" not in route
    # the routers reach each other and the SIP server over the NGN
    assert lab.ping("rtrA", lab.addr("rtrB"))
    assert lab.ping("rtrA", lab.addr("ngn"))
    assert lab.ping("rtrB", lab.addr("ngn", v6=True))
    # namespaces carry the prefix; the lab adds no interface to the root namespace
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for node in ["ngn", "inet", "rtrA", "rtrB", "lanA", "lanB"]:
        assert lab.ns(node) in names
    assert not [n for n in root_links() if n in ("bak0", "wan0", "lan0", "ngn0", "rtrA")]
    st = lab.run("status").stdout
    assert "kamailio: running" in st and "dnsmasq: running" in st


# ----------------------------------------------------------------- primary path
@pytest.mark.parametrize("drop", [False, True], ids=["link-down", "blackhole"])
def test_primary_fails_and_recovers(lab, drop):
    lanb = lab.addr("lanB")
    assert lab.ping("lanA", lanb), "primary path broken before the test"
    assert lab.ping("lanA", lab.addr("lanB", v6=True))
    lab.fail_primary(drop=drop)
    try:
        assert not lab.ping("lanA", lanb), "traffic still flows with the primary failed"
        assert not lab.ping("lanA", lab.addr("lanB", v6=True))
        # the backup link (NGN) is unaffected, and carries no LAN routes
        assert lab.ping("rtrA", lab.addr("rtrB"))
        if not drop:
            r = lab.exec("rtrA", "ip", "route", "get", lanb)
            assert r.returncode != 0 or "bak0" not in r.stdout, r.stdout
    finally:
        lab.restore_primary()
    assert labctl.wait_for(lambda: lab.ping("lanA", lanb), timeout=5, what="primary back")
    assert lab.ping("lanA", lab.addr("lanB", v6=True))


def test_fail_one_router_only(lab):
    lab.fail_primary("rtrB")
    try:
        assert not lab.ping("lanA", lab.addr("lanB"))
        assert lab.ping("lanA", lab.addr("inet"))       # rtrA's primary still up
        assert not lab.ping("lanB", lab.addr("inet"))
    finally:
        lab.restore_primary("rtrB")
    assert labctl.wait_for(lambda: lab.ping("lanB", lab.addr("inet")), timeout=5, what="rtrB back")


# ----------------------------------------------------------------- DHCP
def test_dhcp_option_120_both_encodings_and_125(lab):
    try:
        res = lab.dhcp("rtrA")
        assert res["yiaddr"] == lab.addr("rtrA")
        opts = {int(k): bytes.fromhex(v) for k, v in res["options"].items()}
        assert 3 not in opts, "the backup link must not hand out a default router"
        assert opts[1] == bytes([255, 255, 255, 0])
        assert opts[6] == bytes([192, 0, 2, 1])
        # RFC 3361 encoding 0: domain names
        assert opts[120][0] == 0
        assert decode_names(opts[120][1:]) == [lab.domain]
        # RFC 3925 option 125: enterprise 32473 (RFC 5612), data length, sub-options
        o125 = opts[125]
        assert int.from_bytes(o125[0:4], "big") == 32473
        assert o125[4] == len(o125) - 5
        assert o125[5] == 1 and o125[7:7 + o125[6]] == b"vpnsip-lab"

        lab.set_sip_option("ipv4")
        opts = {int(k): bytes.fromhex(v) for k, v in lab.dhcp("rtrB")["options"].items()}
        # RFC 3361 encoding 1: IPv4 addresses
        assert opts[120] == bytes([1, 192, 0, 2, 1])
        assert lab.dhcp("rtrB")["yiaddr"] == lab.addr("rtrB")
    finally:
        lab.set_sip_option("domain")
    assert bytes.fromhex(lab.dhcp("rtrA")["options"]["120"])[0] == 0


def test_dhcp_from_unaddressed_backup_link(lab):
    lab.exec("rtrB", "ip", "addr", "del", lab.addr("rtrB") + "/24", "dev", "bak0", check=True)
    try:
        assert not lab.ping("rtrB", lab.addr("ngn"))
        res = lab.dhcp("rtrB", apply=True)
        assert res["yiaddr"] == lab.addr("rtrB")
        assert lab.ping("rtrB", lab.addr("ngn"))
    finally:
        lab.exec("rtrB", "ip", "addr", "replace", lab.addr("rtrB") + "/24", "dev", "bak0")


# ----------------------------------------------------------------- SIP
@pytest.mark.parametrize("form", ["tel", "sip"])
def test_call_between_two_numbers(lab, form):
    a, b = lab.number("rtrA"), lab.number("rtrB")
    register_both(lab)
    ruri = lab.tel_uri(b) if form == "tel" else lab.sip_uri(b)
    uac, uas = full_call(lab, ruri, hold_ms=800)

    sent_inv = uac.sent("INVITE")[0]
    assert sent_inv.ruri == ruri
    assert sent_inv.header("P-Preferred-Identity")
    inv = uas.received("INVITE")[0]
    # routed by number to the registered contact, through the backup link
    assert inv.ruri == "sip:%s@%s:5060" % (b, lab.addr("rtrB"))
    # SDP (RFC 6193) passed through byte for byte
    assert inv.body == sent_inv.body
    for line in RFC6193_OFFER_LINES:
        assert line in inv.body.splitlines()
    # caller asserted by the network, preferred identity removed (TS-1017 F3)
    assert inv.header("P-Preferred-Identity") is None
    pai = inv.header("P-Asserted-Identity")
    assert "<sip:%s@%s>" % (a, lab.domain) in pai
    assert "<tel:%s;phone-context=%s>" % (a, lab.domain) in pai
    assert inv.header("P-Called-Party-ID") == "<sip:%s@%s>" % (b, lab.domain)
    assert lab.addr("ngn") in inv.header("Record-Route")
    # session timer passed through both ways
    assert inv.header("Session-Expires") == "300"
    assert "timer" in inv.header("Supported")
    ok = uac.received(200)[0]
    assert ok.header("Session-Expires") == "300;refresher=uas"
    assert "a=ike-setup:passive" in ok.body
    assert lab.addr("ngn") in ok.header("Record-Route")
    # ACK and BYE went through Kamailio (Record-Route) and reached the callee
    assert uas.received("ACK") and uas.received("BYE")

    # the carrier's record of the call
    cid = uac.call_id()
    call = lab.wait_cdr(cid, "CALL")
    assert call["from"] == a and call["to"] == b and call["code"] == "200"
    assert lab.cdr_for(cid, "START") and lab.cdr_for(cid, "ANSWER")
    end = lab.cdr_for(cid, "END")[0]
    assert end["reason"] == "bye"
    assert 700 <= int(call["duration_ms"]) <= 3000, call
    assert float(call["start"]) <= float(call["answer"]) <= float(call["end"])


def test_unknown_and_unregistered_numbers(lab):
    register_both(lab)
    # a number nobody has: 404
    r = lab.call("rtrA", lab.tel_uri(labctl.UNASSIGNED_NUMBER), expect=404)
    assert r.rc == 0, r.diagnostics()
    assert r.received(404)
    assert lab.wait_cdr(r.call_id(), "FAIL")["code"] == "404"
    # a subscriber that is not registered: 480
    lab.add_user("0399990001", "pw0399990001")
    r = lab.call("rtrA", lab.sip_uri("0399990001"), expect=480)
    assert r.rc == 0, r.diagnostics()
    assert lab.wait_cdr(r.call_id(), "CALL")["code"] == "480"
    # an unregistered caller is refused: 403
    r = lab.sipp("rtrA", "uac_fail.xml", port=5064, subst={"CODE": 403},
                 keys={"ruri": lab.tel_uri(lab.number("rtrB")), "caller": "0399990002",
                       "domain": lab.domain})
    assert r.rc == 0, r.diagnostics()
    # the scenario is strict: expecting the wrong code makes SIPp fail
    r = lab.call("rtrA", lab.tel_uri(labctl.UNASSIGNED_NUMBER), expect=480, timeout=3)
    assert r.rc != 0


def test_unregister_then_480(lab):
    lab.add_user("0399990003", "pw0399990003")
    res = lab.register("rtrB", number="0399990003", contact_port=5066)
    assert res.rc == 0, res.diagnostics()
    assert "0399990003" in lab.registrations()
    res = lab.register("rtrB", number="0399990003", contact_port=5066, expires=0)
    assert res.rc == 0, res.diagnostics()
    assert "0399990003" not in lab.registrations()
    register_both(lab)
    r = lab.call("rtrA", lab.tel_uri("0399990003"), expect=480)
    assert r.rc == 0, r.diagnostics()


# ----------------------------------------------------------------- knobs
def test_knob_reject(lab):
    register_both(lab)
    b = lab.number("rtrB")
    lab.reject(b, 486, "Busy Here")
    try:
        r = lab.call("rtrA", lab.tel_uri(b), expect=486)
        assert r.rc == 0, r.diagnostics()
        assert r.received(486)[0].first_line == "SIP/2.0 486 Busy Here"
        assert lab.wait_cdr(r.call_id(), "FAIL")["code"] == "486"
        assert "reject:" + b in lab.run("status").stdout
    finally:
        lab.unreject(b)
    full_call(lab, lab.tel_uri(b), hold_ms=100)


def test_knob_delay_answer(lab):
    register_both(lab)
    b = lab.number("rtrB")
    lab.delay_answer(b, 1000)
    try:
        uac, _ = full_call(lab, lab.tel_uri(b), hold_ms=100)
    finally:
        lab.undelay(b)
    inv, ok = uac.sent("INVITE")[0], uac.received(200)[0]
    held = (ok.when - inv.when).total_seconds()
    assert 0.95 <= held <= 3.0, held
    uac, _ = full_call(lab, lab.tel_uri(b), hold_ms=100)
    assert (uac.received(200)[0].when - uac.sent("INVITE")[0].when).total_seconds() < 0.5


def test_knob_drop_bye(lab):
    register_both(lab)
    b = lab.number("rtrB")
    lab.drop("BYE")
    uas = lab.uas("rtrB", timeout=3)
    try:
        wait_listening(lab, "rtrB")
        uac = lab.call("rtrA", lab.tel_uri(b), hold_ms=100, timeout=2)
    finally:
        uas.kill()
        lab.undrop("BYE")
    assert uac.rc != 0, "BYE was answered although the SIP server drops BYE"
    assert uac.sent("BYE") and not [m for m in uac.received(200) if m.method == "BYE"]
    cid = uac.call_id()
    assert lab.cdr_for(cid, "ANSWER") and not lab.cdr_for(cid, "END")


def test_digest_authentication(lab):
    a = lab.number("rtrA")
    lab.set_auth(True)
    try:
        ok = lab.register("rtrA", password=lab.password(a))
        assert ok.rc == 0, ok.diagnostics()
        assert ok.received(401) and ok.received(200)
        assert "Authorization" in ok.sent("REGISTER")[-1].text
        bad = lab.register("rtrA", password="wrong", expect=403)
        assert bad.rc == 0, bad.diagnostics()
        unknown = lab.register("rtrA", number="0399990009", password="x", expect=403)
        assert unknown.rc == 0 and not unknown.received(401), unknown.diagnostics()
    finally:
        lab.set_auth(False)
    plain = lab.register("rtrA")
    assert plain.rc == 0 and not plain.received(401), plain.diagnostics()


def test_register_over_ipv6(lab):
    res = lab.register("rtrA", number="0311110006", contact_port=5068,
                       local_ip=lab.addr("rtrA", v6=True),
                       remote="[%s]:5060" % lab.addr("ngn", v6=True))
    assert res.rc == 0, res.diagnostics() + lab.log_tail()
    assert "0311110006" in lab.registrations()


def test_restart_kamailio(lab):
    register_both(lab)
    before = len(lab.cdr())
    assert before > 0
    pid = open(os.path.join(lab.dir, "ngn", "kamailio.pid")).read().strip()
    lab.restart_kamailio()
    assert open(os.path.join(lab.dir, "ngn", "kamailio.pid")).read().strip() != pid
    # registrations live in memory: gone, as after a real server restart
    assert lab.registrations() == set()
    r = lab.call("rtrA", lab.tel_uri(lab.number("rtrB")), expect=403)   # caller unknown now
    assert r.rc == 0, r.diagnostics()
    assert len(lab.cdr()) > before, "CDR file not kept across the restart"
    register_both(lab)
    full_call(lab, lab.tel_uri(lab.number("rtrB")), hold_ms=100)


# ----------------------------------------------------------------- life cycle
def test_lifecycle_second_lab(lab):
    """A second lab (other prefix) beside the first: failed up cleans up,
    up twice and up after a crash recover, down leaves nothing behind."""
    prefix = lab.prefix + "2"
    other = labctl.Lab(prefix=prefix, routers=1,
                       up_args=["--no-primary-routes", "--backup", "none"])
    links_before = root_links()

    def leftovers():
        ns = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                        text=True).stdout.split() if n.startswith(prefix + "-")]
        procs = subprocess.run(["pgrep", "-f", other.dir], capture_output=True,
                               text=True).stdout.split()
        return ns, procs, os.path.exists(other.dir)

    try:
        env = dict(other.env, LAB_FAULT="up")
        p = subprocess.run([labctl.LAB_SH, "up", "--routers", "1"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode != 0
        assert leftovers() == ([], [], False), p.stderr

        other.up()
        other.up()       # again: recovers by removing the first one
        pid = open(os.path.join(other.dir, "ngn", "kamailio.pid")).read().strip()
        os.kill(int(pid), 9)                      # crash
        other.up()
        # options of this lab: no primary LAN routes, backup unaddressed
        assert "203.0.113.0/24" not in other.exec("rtrA", "ip", "route").stdout
        assert "inet " not in other.exec("rtrA", "ip", "-4", "addr", "show", "bak0").stdout
        assert other.dhcp("rtrA", apply=True)["yiaddr"] == other.addr("rtrA")
        assert other.ping("rtrA", other.addr("ngn"))
        # the first lab is untouched
        assert lab.ping("rtrA", lab.addr("rtrB"))
        assert root_links() == links_before
    finally:
        other.down()
    assert leftovers() == ([], [], False)
    assert root_links() == links_before
    assert "down" in other.run("status").stdout


def test_vpnsipd_commands_without_binary(lab, tmp_path):
    """The vpnsipd wrapper refuses a missing binary cleanly (the daemon is
    another issue); with a stand-in it passes -F -f -S -D and finds the socket."""
    env_lab = labctl.Lab(prefix=lab.prefix, routers=lab.nrouters)
    env_lab.env["VPNSIPD"] = str(tmp_path / "nonexistent")
    r = env_lab.run("vpnsipd", "start", "rtrA", "/dev/null", check=False)
    assert r.returncode != 0 and "no vpnsipd binary" in r.stderr

    fake = fake_vpnsipd(tmp_path, "sys.exit(0)")
    conf = tmp_path / "vpnsipd.conf"
    conf.write_text("# empty\n")
    env_lab.env["VPNSIPD"] = str(fake)
    sock = env_lab.vpnsipd_start("rtrA", str(conf))
    assert sock.endswith("/rtrA/vpnsipd.sock") and os.path.exists(sock)
    pid = int(open(os.path.join(lab.dir, "rtrA", "vpnsipd.pid")).read())
    # it runs inside rtrA's namespace
    in_ns = subprocess.run(["ip", "netns", "pids", lab.ns("rtrA")], capture_output=True,
                           text=True).stdout.split()
    assert str(pid) in in_ns
    env_lab.vpnsipd_stop("rtrA")
    assert labctl.wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                           open("/proc/%d/stat" % pid).read().split()[2] == "Z",
                           timeout=6, what="fake vpnsipd stopped")
    assert not glob.glob(os.path.join(lab.dir, "rtrA", "vpnsipd.pid"))


def fake_vpnsipd(tmp_path, on_term, name="fake-vpnsipd"):
    """A stand-in vpnsipd: checks its arguments, listens on the socket and
    runs on_term (Python) at SIGTERM."""
    fake = tmp_path / name
    fake.write_text("#!/usr/bin/python3\n"
                    "import signal, socket, sys, time, os\n"
                    "a = sys.argv[1:]\n"
                    "assert a[0] == '-F' and a[1] == '-f' and a[3] == '-S' and a[5] == '-D'\n"
                    "assert os.path.isdir(a[6])\n"
                    "def term(*_):\n"
                    "    %s\n"
                    "signal.signal(signal.SIGTERM, term)\n"
                    "s = socket.socket(socket.AF_UNIX); s.bind(a[4]); s.listen(1)\n"
                    "time.sleep(60)\n" % on_term)
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("on_term,why", [
    ("sys.exit(3)", "exited with status 3"),
    ("os.kill(os.getpid(), signal.SIGKILL)", "killed by signal 9"),
    ("pass", "did not exit within 1 s of SIGTERM (killed)"),
    ("print('==1==ERROR: LeakSanitizer: detected memory leaks', flush=True); sys.exit(0)",
     "exited 0, with a sanitizer report"),
    ("print('x.c:1:2: runtime error: signed integer overflow', flush=True); sys.exit(0)",
     "exited 0, with a sanitizer report"),
], ids=["status", "signal", "hangs", "lsan", "ubsan"])
def test_vpnsipd_stop_fails_unless_clean(lab, tmp_path, on_term, why):
    """lab.sh vpnsipd stop exits 1 and says why when the daemon does not
    exit 0 within VPNSIPD_STOP_WAIT or its log (this run's part) has a
    sanitizer report; labctl raises VpnsipdExitError."""
    env_lab = labctl.Lab(prefix=lab.prefix, routers=lab.nrouters)
    env_lab.env["VPNSIPD_STOP_WAIT"] = "1"
    # an earlier run's report in the same log does not count
    with open(os.path.join(lab.dir, "rtrB", "vpnsipd.log"), "a") as f:
        f.write("==9==ERROR: AddressSanitizer: from an earlier run\n")
    conf = tmp_path / "vpnsipd.conf"
    conf.write_text("# empty\n")
    env_lab.env["VPNSIPD"] = str(fake_vpnsipd(tmp_path, "sys.exit(0)", "clean"))
    env_lab.vpnsipd_start("rtrB", str(conf))
    env_lab.vpnsipd_stop("rtrB")
    env_lab.env["VPNSIPD"] = str(fake_vpnsipd(tmp_path, on_term))
    env_lab.vpnsipd_start("rtrB", str(conf))
    with pytest.raises(labctl.VpnsipdExitError) as e:
        env_lab.vpnsipd_stop("rtrB")
    assert "lab: vpnsipd in rtrB: " + why in str(e.value), str(e.value)
    assert "earlier run" not in str(e.value)
    assert not env_lab.vpnsipd_running()


DNS_QUERY = r'''
import socket, struct, sys
name, qtype = sys.argv[1], int(sys.argv[2])
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
q += struct.pack("!HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (sys.argv[3], 53))
print(s.recv(4096).hex())
'''


def dns_answers(lab, node, name, qtype):
    out = lab.exec(node, "/usr/bin/python3", "-c", DNS_QUERY, name, qtype, lab.addr("ngn"),
                   check=True).stdout.strip()
    msg = bytes.fromhex(out)
    assert msg[0:2] == b"\x12\x34"
    return msg[3] & 0x0F, int.from_bytes(msg[6:8], "big"), msg


def test_dns_for_the_sip_domain(lab):
    """The domain handed out in option 120 resolves inside the NGN (A, SRV)."""
    rcode, n, msg = dns_answers(lab, "rtrA", lab.domain, 1)
    assert rcode == 0 and n == 1 and msg.endswith(bytes([192, 0, 2, 1]))
    rcode, n, msg = dns_answers(lab, "rtrA", "_sip._udp." + lab.domain, 33)
    assert rcode == 0 and n == 1 and b"\x03sip" in msg and (5060).to_bytes(2, "big") in msg
    rcode, n, _ = dns_answers(lab, "rtrA", "www.example.com", 1)
    assert rcode == 3 and n == 0      # NXDOMAIN: nothing is forwarded anywhere


def test_vpnsipd_wrapper_with_real_daemon(lab, tmp_path):
    """lab.sh vpnsipd start/sh/stop against build/vpnsipd (make test builds it)."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    require(os.access(os.path.join(top, "build", "vpnsipd"), os.X_OK), "build/vpnsipd not built")
    conf = tmp_path / "rtrB.conf"
    conf.write_text("hostname rtrB\n")
    sock = lab.vpnsipd_start("rtrB", str(conf))
    try:
        assert os.path.exists(sock)
        out = lab.sh("rtrB", "show version").stdout
        assert "vpnsip" in out, out
        assert "vpnsipd" in lab.run("status").stdout
    finally:
        lab.vpnsipd_stop("rtrB")
    assert not os.path.exists(sock)
    assert lab.sh("rtrB", "show version", check=False).returncode != 0
