"""Every configuration command through boot -> write memory -> restart.

EVERY_COMMAND is one configuration in running-config form that uses every
command family the command tree offers in the configuration modes.  The
test boots vpnsipd (in its own network namespace) from it and checks that
show running-config gives it back line for line; write memory; the saved
file and show startup-config are that configuration; a restarted vpnsipd
(same file, same state directory) gives it back again.

The families are read from the running daemon, not listed by hand: over the
control socket (include/vpnsip/ctl.h), the help ("?") of each configuration
mode the configuration enters is walked keyword by keyword (to three words;
a word with only value keywords after it, such as "df-bit clear|set|copy",
is one family).  A family with no line in EVERY_COMMAND fails the test: a
new command must be added to EVERY_COMMAND (or to NOT_CONFIGURATION, with
the reason it is no configuration line)."""
import difflib
import pathlib
import re

import pytest

from lib.ctlproto import CTL_EXEC, CTL_HELLO, CTL_HELP, RawShell

pytestmark = pytest.mark.netns

EVERY_COMMAND = """\
service timestamps debug uptime
service timestamps log datetime msec localtime show-timezone year
!
service password-encryption
!
hostname allcmds
!
enable secret 9 $9$abcdefghijklmn$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ
enable password 7 143B13094121242A26243678734154
!
logging buffered 65536 informational
logging console warnings
logging monitor informational
logging trap notifications
logging facility local3
logging host 192.0.2.10
logging host 192.0.2.12 transport udp port 5514
logging host ipv6 2001:db8::1 transport tcp
!
crypto pki trustpoint Self
 enrollment selfsigned
 serial-number none
 subject-name CN=allcmds,O=vpnsip
 revocation-check none
 rsakeypair Self 2048
!
crypto pki trustpoint CA
 enrollment url http://192.0.2.10/
 revocation-check crl
!
crypto pki certificate map data 1
 issuer-name co cn = orange
 subject-name eq cn=peer2
!
class-map match-all ANY
 match any
!
class-map match-all NUM
 match access-group 101
!
class-map match-all UDP
 description udp traffic
 match protocol udp
!
class-map match-any VOICE
 match dscp ef cs5
 match access-group name VOICE-ACL
!
policy-map LLQ
 description voice first
 class VOICE
  priority percent 30
  set dscp ef
 class UDP
  bandwidth percent 40
  queue-limit 12 packets
 class NUM
  bandwidth remaining percent 10
!
policy-map PARENT
 class class-default
  shape average 1000000
   service-policy LLQ
!
crypto ikev2 proposal PROP 
 encryption aes-cbc-256 aes-gcm-256
 integrity sha256 sha384
 prf sha256
 group 19 14
!
crypto ikev2 policy POL 
 match address local 192.0.2.11
 proposal PROP
!
crypto ikev2 keyring keys
 peer peer1
  description first peer
  address 198.51.100.0 255.255.255.0
  identity key-id 0388884001
  pre-shared-key 7 08115F45442A0014000E18490C24366503302701565B1B184C
 !
 peer peer3
  identity fqdn peer3.example
  pre-shared-key 7 08115F45442A0014000E18490C24366503302701545B1B184C
 !
 peer peer2
  identity address 198.51.100.9
  pre-shared-key local 7 07232E4F4F0554361211190910677B757A60617745504E5A
  pre-shared-key remote 7 08134943060D005A210E0F162F3F69716B6274465345515006
 !
!
crypto ikev2 profile vpn-sip-profile
 description VPN-SIP peers
 match certificate data
 match identity remote any
 match identity remote address 198.51.100.9
 match identity remote address 198.51.100.0 255.255.255.0
 match identity remote fqdn domain example.org
 match identity remote email ike@example.org
 identity local address 192.0.2.11
 authentication remote pre-share
 authentication remote rsa-sig
 authentication local pre-share
 keyring local keys
 pki trustpoint Self
 lifetime 3600
 dpd 10 6 periodic
 nat keepalive 20
 nat force-encap
!
crypto ikev2 nat keepalive 30
crypto isakmp invalid-spi-recovery
crypto ikev2 fragmentation mtu 1200
!
crypto ipsec security-association lifetime seconds 1800
crypto ipsec security-association lifetime kilobytes 200000
crypto ipsec security-association idle-time 300
crypto ipsec security-association replay window-size 1024
!
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac 
 mode tunnel
!
crypto ipsec transform-set GCM esp-gcm 256 
 mode tunnel
!
crypto ipsec df-bit clear
!
crypto ipsec profile vpn-sip-ipsec
 description for VPN-SIP
 set security-association lifetime seconds 900
 set security-association lifetime kilobytes 100000
 set security-association idle-time 120
 set security-association replay window-size 128
 set transform-set TS GCM 
 set pfs group14
 set ikev2-profile vpn-sip-profile
!
track 5 ip sla 5 reachability
 delay up 10 down 5
track 6 interface Loopback0 line-protocol
!
vpn-sip enable
vpn-sip local-number 0311111111 address ipv4 GigabitEthernet8
vpn-sip tunnel source Loopback0
vpn-sip logging
vpn-sip sip-server ipv4:192.0.2.1
vpn-sip sip-domain example.ne.jp
vpn-sip sip-credentials username 0311111111 password 7 1521021C490E22232D20216F4B554E51
vpn-sip request-uri sip
vpn-sip fingerprint hash sha256
vpn-sip registration expires 600
vpn-sip call-timeout 30
vpn-sip max-call-duration 3600
vpn-sip trusted-source 192.0.2.0 255.255.255.0
vpn-sip rate-limit per-source 20 burst 40
vpn-sip rate-limit global 500 burst 5000
!
interface Loopback0
 description management
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback1
 ip address 203.0.113.1 255.255.255.0
 ip address 203.0.113.129 255.255.255.128 secondary
 ip nat inside
!
interface Tunnel1
 ip unnumbered Loopback0
 qos pre-classify
 crypto ipsec df-bit set
 vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000
!
interface Tunnel2
 ip address 10.99.0.1 255.255.255.252
 shutdown
 tunnel source GigabitEthernet8
 tunnel mode ipsec ipv4
 tunnel destination 198.51.100.9
 tunnel protection ipsec profile vpn-sip-ipsec ikev2-profile vpn-sip-profile
!
interface GigabitEthernet8
 linux-device bak0
 ip dhcp client request sip-server-address
 ip dhcp client request vendor-identifying-specific
 ip address 192.0.2.11 255.255.255.0
 ip mtu 1400
 ip tcp adjust-mss 1360
 ip nat outside
 service-policy output PARENT
!
ip nat service sip udp port 5070
ip nat inside source list 10 interface GigabitEthernet8 overload
ip nat inside source static 203.0.113.5 192.0.2.50
ip nat inside source static udp 203.0.113.6 5060 192.0.2.51 5060
ip nat inside source static tcp 203.0.113.7 443 192.0.2.51 8443
!
ip route 0.0.0.0 0.0.0.0 192.0.2.254 250
ip route 198.51.100.0 255.255.255.0 192.0.2.1
ip route 203.0.113.64 255.255.255.192 Tunnel2 track 5
!
ip access-list standard 10
 10 permit 192.0.2.0 0.0.0.255
 20 remark the lab
 30 deny any
ip access-list extended 101
 10 permit udp any any eq 5060
 20 deny ip any any
ip access-list extended VOICE-ACL
 5 remark media
 10 permit udp 203.0.113.0 0.0.0.255 any range 16384 32767
!
ip sla 5
 icmp-echo 192.0.2.1 source-ip 192.0.2.11
  threshold 500
  timeout 1000
  frequency 30
ip sla schedule 5 life forever start-time now
!
access-list 20 permit 198.51.100.0 0.0.0.255
!
snmp-server agentx socket @AGENTX@
snmp-server enable traps vpn-sip
!
archive
 path @ARCHIVE@
 maximum 3
 write-memory
!
banner motd ^C
Authorised use only
^C
!
end
"""

# Words offered in configuration modes that are not configuration lines.
NOT_CONFIGURATION = {
    # every configuration mode's own words
    ("default",): "runs the no form", ("do",): "runs an exec command",
    ("end",): "leaves configuration mode", ("exit",): "leaves the mode",
    ("no",): "removes a line", ("help",): "describes the help system",
    # actions: they change files in the state directory, not the configuration
    ("crypto", "key", "generate"): "an action (makes an RSA key pair)",
    ("crypto", "key", "zeroize"): "an action (deletes RSA key pairs)",
    ("crypto", "pki", "authenticate"): "an action (installs a CA certificate)",
    ("crypto", "pki", "enroll"): "an action (makes or asks for a certificate)",
    ("crypto", "pki", "import"): "an action (installs a certificate)",
    ("key", "config-key"): "an action (writes the master key file)",
    # lines that cannot be part of it
    ("crypto", "isakmp", "nat"): "another spelling of crypto ikev2 nat keepalive, written that way",
    ("password", "encryption"): "needs the master key (key config-key) and writes type 6 secrets "
                                "that differ on every run: tests/test_config_lifecycle.py's type 6 test",
    ("tunnel", "mode", "gre"): "refused: no GRE here (the command says so)",
}

class Ctl(RawShell):
    """A privileged script session on the control socket."""

    def __init__(self, path):
        super().__init__(path)
        self.request(CTL_HELLO)

    def run(self, line):
        out, (status, _, prompt) = self.request(CTL_EXEC, line.encode())
        assert status == 0, (line, out)
        return prompt

    def help(self, words):
        """What is offered after words: the keywords, whether an argument
        is, whether the line may end there (<cr>)."""
        out, (status, _, _) = self.request(CTL_HELP, (" ".join(words + [""]) if words else "").encode())
        assert status == 0, (words, out)
        keywords, arg, cr = [], False, False
        for line in out.splitlines():
            tok = line.split()[0] if line.split() else ""
            if tok == "<cr>":
                cr = True
            elif re.fullmatch(r"[a-z][a-z0-9-]*", tok):
                keywords.append(tok)
            elif tok:
                arg = True
        return keywords, arg, cr

    def close(self):
        self.s.close()


def families(ctl, global_mode, words=(), depth=3):
    """The command families offered after words (see the module's
    docstring): tuples of words."""
    keywords, arg, cr = ctl.help(list(words))
    if words and (arg or cr or len(words) >= depth):
        return {tuple(words)}
    out = set()
    for kw in keywords:
        path = tuple(words) + (kw,)
        if path in NOT_CONFIGURATION:
            continue
        sub = families(ctl, global_mode, path, depth)
        if not sub:                         # all of it NOT_CONFIGURATION
            continue
        # Values, not families: keywords that each end the line or take an
        # argument ("df-bit <clear|set|copy>", "integrity sha1|sha256...",
        # "issuer-name eq|ne|co|nc LINE").  The global mode's first words
        # (enable password|secret) stay families.
        if sub != {path} and (len(path) >= 2 or not global_mode) and \
                all(len(s) == len(path) + 1 and any(ctl.help(list(s))[1:]) for s in sub):
            sub = {path}
        out |= sub
    return out


def blocks(text):
    """(ancestors, line) for every configuration line, ancestors being the
    header lines above it by indentation (a banner's text excluded)."""
    out, stack, in_banner = [], [], None
    for raw in text.splitlines():
        if in_banner:
            if raw.strip() == in_banner:
                in_banner = None
            continue
        if not raw.strip() or raw.startswith("!") or raw == "end":
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        out.append((tuple(l for _, l in stack), raw.strip()))
        stack.append((indent, raw.strip()))
        m = re.match(r"banner \w+ (\S+)", raw)
        if m:
            in_banner = m.group(1)
    return out


def mode_of(prompt):
    m = re.search(r"\((\S+)\)#$", prompt)
    return m.group(1) if m else "exec"


def uncovered_families(sock, config):
    """The families of every mode the configuration enters that no line of
    it starts with, as "mode: words"; and the modes walked."""
    ctl = Ctl(sock)
    try:
        ctl.run("configure terminal")
        lines = {}          # mode -> lines in it
        modes = {(): "config"}
        for ancestors, line in blocks(config):
            if ancestors not in modes:
                ctl.run("end")
                ctl.run("configure terminal")
                for a in ancestors:
                    prompt = ctl.run(a)
                modes[ancestors] = mode_of(prompt)
            words = line.split()
            if words[0].isdigit():          # an access list entry's number
                words = words[1:]
            lines.setdefault(modes[ancestors], []).append(words)
        missing = []
        walked = set(modes.values())
        for mode in sorted(walked):
            chain = next(a for a, m in modes.items() if m == mode)
            ctl.run("end")
            ctl.run("configure terminal")
            for a in chain:
                ctl.run(a)
            for fam in sorted(families(ctl, mode == "config")):
                if not any(tuple(w[:len(fam)]) == fam for w in lines.get(mode, [])):
                    missing.append("%s: %s" % (mode, " ".join(fam)))
        ctl.run("end")
        return missing, walked
    finally:
        ctl.close()


def body(text):
    return [l for l in text.splitlines()
            if l and not l.startswith(("!", "Building", "Current configuration", "Using "))]


def same(got, want, what):
    diff = "\n".join(difflib.unified_diff(want, got, "EVERY_COMMAND", what, lineterm=""))
    assert got == want, diff


def test_every_command_boot_write_memory_restart(build, daemon_factory, tmp_path):
    # the archive, and an AgentX master that is not there, in the test's directory
    config = EVERY_COMMAND.replace("@ARCHIVE@", str(tmp_path / "archive" / "every"))
    config = config.replace("@AGENTX@", str(tmp_path / "agentx"))
    (tmp_path / "archive").mkdir()
    d = daemon_factory(build, config)
    # the device GigabitEthernet8 names
    r = d.netns.run("ip", "link", "add", "bak0", "type", "veth", "peer", "name", "bak0peer")
    assert r.returncode == 0, r.stderr
    d.start()
    want = body(config)
    log = d.sh("show logging").stdout
    assert not re.search(r"%PARSER-\d-", log), log
    same(body(d.sh("show running-config").stdout), want, "running-config after boot")

    missing, walked = uncovered_families(d.sock, config)
    assert {"config", "config-if", "config-ikev2-keyring-peer", "config-pmap-c",
            "config-ip-sla-echo", "ca-trustpoint", "config-ext-nacl"} <= walked, walked
    assert not missing, ("command families with no line in EVERY_COMMAND (add one, or add "
                         "the words to NOT_CONFIGURATION with the reason):\n" + "\n".join(missing))

    r = d.sh("write memory")
    assert "[OK]" in r.stdout, r.stdout
    saved = pathlib.Path(d.config).read_text()
    same(body(saved), want, "saved file")
    same(body(d.sh("show startup-config").stdout), want, "show startup-config")

    assert d.stop() == 0, d.log.read_text()[-3000:]
    d.start()
    same(body(d.sh("show running-config").stdout), want, "running-config after the restart")
    assert pathlib.Path(d.config).read_text() == saved
