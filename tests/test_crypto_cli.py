"""The crypto configuration with the real daemon (both builds): every
command, the running-config round trip through write memory and a restart,
no forms, bad input, secrets kept out of logs and show output, PKI material
in the state directory (0600) with fingerprints equal to what openssl
prints, a pasted CA certificate, and the short-PSK warning."""
import os
import re
import stat
import subprocess
from types import SimpleNamespace
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

SECRET1 = "Sup3rSecretKey-for-peer1-xyz"
SECRET2 = "AnotherLongLocalKey-0123456789"
SECRET3 = "RemoteSideKey-9876543210-abc"

CONFIG = f"""\
configure terminal
hostname R1
crypto pki trustpoint selfCert
 enrollment selfsigned
 subject-name CN=R1-self,O=vpnsip
 serial-number none
 revocation-check none
 rsakeypair myRSA 2048
 exit
crypto pki trustpoint CA
 enrollment url http://192.0.2.10/
 serial-number none
 subject-name CN=peer2
 revocation-check crl
 rsakeypair peer2
crypto pki certificate map data 1
 issuer-name co cn = orange
 subject-name eq cn=peer2
crypto ikev2 proposal PROP
 encryption aes-cbc-256 aes-gcm-256
 integrity sha256 sha384
 prf sha256
 group 19 14
crypto ikev2 policy POL
 match address local 192.0.2.1
 proposal PROP
crypto ikev2 keyring keys
 peer peer1
  description first peer
  identity key-id 0388884001
  pre-shared-key {SECRET1}
 peer peer2
  address 198.51.100.0 255.255.255.0
  identity fqdn peer2.example
  pre-shared-key local {SECRET2}
  pre-shared-key remote {SECRET3}
crypto ikev2 profile vpn-sip-profile
 description VPN-SIP peers
 match identity remote any
 match identity remote key-id 0388885001
 match certificate data
 identity local key-id 0388883001
 authentication remote pre-share
 authentication remote rsa-sig
 authentication local pre-share
 keyring local keys
 pki trustpoint selfCert
 lifetime 3600
 dpd 10 6 periodic
 nat keepalive 20
 nat force-encap
crypto ikev2 nat keepalive 30
crypto ikev2 fragmentation mtu 1200
crypto isakmp invalid-spi-recovery
crypto ipsec security-association idle-time 300
crypto ipsec security-association lifetime seconds 1800
crypto ipsec security-association replay window-size 1024
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
 mode tunnel
crypto ipsec transform-set GCM esp-gcm 256
crypto ipsec df-bit clear
crypto ipsec profile vpn-sip-ipsec
 set transform-set TS GCM
 set security-association idle-time 120
 set security-association lifetime kilobytes 100000
 set security-association replay window-size 128
 set pfs group14
 set ikev2-profile vpn-sip-profile
interface Tunnel0
 crypto ipsec df-bit set
end
"""


def body(text):
    return "\n".join(l for l in text.splitlines()
                     if not l.startswith(("Building", "Current configuration",
                                          "! Last configuration", "Using ")))


def configure(d, text):
    """Lines through vpnsipsh's stdin; the shell exits 1 when a line failed."""
    r = d.sh(input=text, check=False)
    return SimpleNamespace(returncode=r.returncode, stdout=r.stdout + r.stderr)


@pytest.fixture
def started(build, daemon_factory):
    d = daemon_factory(build).start()
    return d


def test_every_command_round_trip(started):
    d = started
    r = configure(d, CONFIG)
    assert r.returncode == 0, r.stdout
    r = configure(d, "configure terminal\ncrypto pki enroll selfCert\nend\n")
    assert "Router Self Signed Certificate successfully created" in r.stdout, r.stdout
    rc = d.running_config()
    for expected in [
        "crypto pki trustpoint selfCert\n enrollment selfsigned\n serial-number none\n"
        " subject-name CN=R1-self,O=vpnsip\n revocation-check none\n rsakeypair myRSA 2048\n!",
        "crypto pki trustpoint CA\n enrollment url http://192.0.2.10/\n serial-number none\n"
        " subject-name CN=peer2\n revocation-check crl\n rsakeypair peer2\n!",
        "crypto pki certificate map data 1\n issuer-name co cn = orange\n"
        " subject-name eq cn=peer2\n!",
        "crypto ikev2 proposal PROP \n encryption aes-cbc-256 aes-gcm-256\n"
        " integrity sha256 sha384\n prf sha256\n group 19 14\n!",
        "crypto ikev2 policy POL \n match address local 192.0.2.1\n proposal PROP\n!",
        f"crypto ikev2 keyring keys\n peer peer1\n  description first peer\n"
        f"  identity key-id 0388884001\n  pre-shared-key {SECRET1}\n !\n"
        f" peer peer2\n  address 198.51.100.0 255.255.255.0\n  identity fqdn peer2.example\n"
        f"  pre-shared-key local {SECRET2}\n  pre-shared-key remote {SECRET3}\n !\n!",
        "crypto ikev2 profile vpn-sip-profile\n description VPN-SIP peers\n"
        " match certificate data\n match identity remote any\n"
        " match identity remote key-id 0388885001\n identity local key-id 0388883001\n"
        " authentication remote pre-share\n authentication remote rsa-sig\n"
        " authentication local pre-share\n keyring local keys\n pki trustpoint selfCert\n"
        " lifetime 3600\n dpd 10 6 periodic\n nat keepalive 20\n nat force-encap\n!",
        "crypto ikev2 nat keepalive 30\ncrypto isakmp invalid-spi-recovery\n"
        "crypto ikev2 fragmentation mtu 1200\n",
        "crypto ipsec security-association lifetime seconds 1800\n"
        "crypto ipsec security-association idle-time 300\n"
        "crypto ipsec security-association replay window-size 1024\n",
        "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac \n mode tunnel\n!",
        "crypto ipsec transform-set GCM esp-gcm 256 \n mode tunnel\n!",
        "crypto ipsec df-bit clear\n",
        "crypto ipsec profile vpn-sip-ipsec\n"
        " set security-association lifetime kilobytes 100000\n"
        " set security-association idle-time 120\n"
        " set security-association replay window-size 128\n"
        " set transform-set TS GCM \n set pfs group14\n set ikev2-profile vpn-sip-profile\n!",
        " crypto ipsec df-bit set\n",
    ]:
        assert expected in rc, f"missing:\n{expected}\n--- in ---\n{rc}"
    # crypto sections come before the interfaces
    assert rc.index("crypto ipsec profile") < rc.index("interface Tunnel0")
    # write memory, restart: identical configuration, certificate still there
    d.sh("write memory")
    before = body(d.sh("show running-config").stdout)
    certs_before = d.sh("show crypto pki certificates verbose selfCert").stdout
    d.stop()
    d.start()
    after = body(d.sh("show running-config").stdout)
    assert after == before
    certs_after = d.sh("show crypto pki certificates verbose selfCert").stdout
    assert "Fingerprint SHA1" in certs_after and certs_after == certs_before
    log = d.log.read_text()
    assert "BADLINE" not in log, log


def test_no_forms(started):
    d = started
    configure(d, CONFIG)
    r = configure(d, """\
configure terminal
crypto ikev2 keyring keys
 no peer peer2
 peer peer1
  no pre-shared-key
  no description
crypto ikev2 profile vpn-sip-profile
 no match identity remote key-id 0388885001
 no match certificate data
 no authentication remote rsa-sig
 no dpd
 no nat keepalive
 no lifetime
 no pki trustpoint
crypto ikev2 proposal PROP
 no encryption aes-gcm-256
 no prf
crypto ikev2 policy POL
 no match address local
no crypto ikev2 nat keepalive
no crypto ikev2 fragmentation
no crypto isakmp invalid-spi-recovery
no crypto ipsec security-association idle-time
no crypto ipsec security-association lifetime seconds
no crypto ipsec security-association replay window-size
no crypto ipsec transform-set GCM
no crypto ipsec df-bit
crypto ipsec profile vpn-sip-ipsec
 no set pfs
 no set security-association replay window-size
 set transform-set TS
interface Tunnel0
 no crypto ipsec df-bit
no crypto pki certificate map data 1
crypto pki trustpoint CA
 no enrollment
 no subject-name
end
""")
    assert "%" not in r.stdout, r.stdout
    rc = d.running_config()
    for gone in ["peer peer2", SECRET1, "description first peer", "0388885001",
                 "match certificate", "rsa-sig", "dpd", "nat keepalive", "lifetime 3600",
                 "\n pki trustpoint selfCert", "aes-gcm-256", " prf ", "match address local",
                 "fragmentation", "invalid-spi", "security-association idle-time 300",
                 "lifetime seconds", "window-size", "GCM", "df-bit", "set pfs",
                 "certificate map", "enrollment url", "subject-name CN=peer2"]:
        assert gone not in rc, f"{gone!r} still in\n{rc}"
    assert " peer peer1\n  identity key-id 0388884001\n !" in rc
    assert "crypto ikev2 proposal PROP \n encryption aes-cbc-256\n integrity sha256 sha384\n" in rc
    r = configure(d, "configure terminal\nno crypto ikev2 profile vpn-sip-profile\n"
                     "no crypto ipsec profile vpn-sip-ipsec\nno crypto ikev2 keyring keys\n"
                     "no crypto ikev2 proposal PROP\nno crypto ikev2 policy POL\n"
                     "no crypto ipsec transform-set TS\nno crypto pki trustpoint CA\n"
                     "no crypto pki trustpoint selfCert\nend\n")
    rc = d.running_config()
    assert "crypto" not in rc, rc


@pytest.mark.parametrize("line,message", [
    ("crypto ikev2 profile", "% Incomplete command."),
    ("crypto ikev2 keyringg keys", "% Invalid input detected at '^' marker."),
    ("crypto ipsec transform-set T esp-aes 300", "% Invalid input detected at '^' marker."),
    ("crypto ipsec transform-set T esp-gcm 256 esp-sha-hmac", "combined-mode"),
    ("crypto ipsec security-association replay window-size 100", "window size must be"),
    ("crypto ipsec security-association replay window-size 2048",
     "% Invalid input detected at '^' marker."),
    ("crypto ipsec df-bit maybe", "% Invalid input detected at '^' marker."),
    ("crypto ipsec security-association lifetime kilobytes 2559",
     "% Invalid input detected at '^' marker."),
    ("crypto ipsec security-association lifetime seconds 2592001",
     "% Invalid input detected at '^' marker."),
    ("crypto pki enroll nosuch", "Trustpoint nosuch does not exist"),
    ("crypto ikev2 proposal default", "cannot be modified"),
])
def test_bad_input(started, line, message):
    r = configure(started, f"configure terminal\n{line}\nend\n")
    assert r.returncode != 0
    assert message.lower() in r.stdout.lower(), r.stdout


def test_bad_input_in_submodes(started):
    d = started
    r = configure(d, """\
configure terminal
crypto ikev2 proposal P
 group 3
 encryption blowfish
crypto ikev2 profile X
 dpd 5 2 periodic
 authentication local eap
crypto ikev2 keyring K
 peer p
  identity address 300.1.1.1
  pre-shared-key 7 ZZZZ
crypto pki trustpoint T
 subject-name notadn
 rsakeypair bad/label
end
""")
    out = r.stdout
    assert "Invalid DH group 3" in out
    assert out.count("% Invalid input detected at '^' marker.") >= 4, out
    assert "Invalid encrypted key" in out
    assert "Invalid subject name" in out
    assert "Invalid key label" in out
    rc = d.running_config()
    assert "group" not in rc and "dpd" not in rc and "subject-name" not in rc


def test_secrets_stay_out_of_logs_debug_and_show(started):
    d = started
    d.sh("debug config changes")
    configure(d, CONFIG)
    shows = ["show crypto ikev2 profile", "show crypto ikev2 proposal", "show crypto ikev2 policy",
             "show crypto ipsec transform-set", "show crypto ipsec profile",
             "show crypto pki trustpoints", "show logging", "show debugging"]
    for cmd in shows:
        out = d.sh(cmd).stdout
        for s in (SECRET1, SECRET2, SECRET3):
            assert s not in out, f"{cmd} shows a key:\n{out}"
    log = d.log.read_text()
    for s in (SECRET1, SECRET2, SECRET3):
        assert s not in log
    # the change was logged (the debug flag works), masked
    assert "pre-shared-key" in d.sh("show logging").stdout
    # service password-encryption: running-config shows type 7 only
    configure(d, "configure terminal\nservice password-encryption\nend\n")
    rc = d.running_config()
    for s in (SECRET1, SECRET2, SECRET3):
        assert s not in rc
    m = re.search(r"^  pre-shared-key 7 (\S+)$", rc, re.M)
    assert m, rc
    # the type 7 text goes back in and means the same key
    configure(d, f"configure terminal\ncrypto ikev2 keyring K2\n peer x\n"
                 f"  identity key-id 1\n  pre-shared-key 7 {m.group(1)}\nend\n")
    configure(d, "configure terminal\nno service password-encryption\nend\n")
    assert f"  identity key-id 1\n  pre-shared-key {SECRET1}\n" in d.running_config()


def test_type6_master_key(started):
    d = started
    r = configure(d, "configure terminal\nkey config-key password-encrypt MasterKey-123\n"
                     "password encryption aes\n"
                     f"crypto ikev2 keyring K\n peer p\n  identity key-id 1\n"
                     f"  pre-shared-key {SECRET1}\nend\n")
    rc = d.running_config()
    assert SECRET1 not in rc and "MasterKey" not in rc
    assert "password encryption aes" in rc
    assert re.search(r"^  pre-shared-key 6 \S+$", rc, re.M), rc
    mk = Path(d.state) / "master-key"
    assert stat.S_IMODE(mk.stat().st_mode) == 0o600
    assert "MasterKey" not in d.log.read_text() and "MasterKey" not in d.sh("show logging").stdout
    d.sh("write memory")
    d.stop()
    d.start()
    assert body(d.running_config()) == body(rc)
    assert "BADLINE" not in d.log.read_text()


def test_short_psk_warning(started):
    d = started
    r = configure(d, "configure terminal\ncrypto ikev2 keyring K\n peer p\n"
                     "  identity key-id 0312341111\n  pre-shared-key psk1\nend\n")
    assert "%WARNING: pre-shared key of 4 characters" in r.stdout
    assert "brute-forced offline" in r.stdout
    log = d.sh("show logging").stdout
    assert "%CRYPTO-4-WEAK_PSK" in log and "psk1" not in log.split("WEAK_PSK")[1].splitlines()[0]
    r = configure(d, "configure terminal\ncrypto ikev2 keyring K\n peer p\n"
                     "  pre-shared-key ThisKeyIsLongEnough-12345\nend\n")
    assert "WARNING" not in r.stdout


def openssl_fp(path, alg):
    out = subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-fingerprint",
                          "-" + alg], capture_output=True, text=True, check=True).stdout
    return out.split("=", 1)[1].strip().replace(":", "")


def shown_fp(text, alg):
    m = re.search(r"Fingerprint %s: ([0-9A-F ]+)" % alg, text)
    assert m, text
    return m.group(1).replace(" ", "")


def test_self_signed_enrollment(started):
    d = started
    r = configure(d, "configure terminal\nhostname R9\ncrypto pki trustpoint Self\n"
                     " enrollment selfsigned\n revocation-check none\n rsakeypair myRSA 1024\n"
                     " exit\ncrypto pki enroll Self\nend\n")
    assert "successfully created" in r.stdout, r.stdout
    state = Path(d.state)
    key, cert = state / "pki/keys/myRSA.key", state / "pki/certs/Self.crt"
    for f in (key, cert):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    # the key never appears in the configuration
    assert "PRIVATE" not in d.running_config()
    subj = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-subject"],
                          capture_output=True, text=True).stdout
    assert "CN = R9" in subj or "CN=R9" in subj
    bits = subprocess.run(["openssl", "pkey", "-in", str(key), "-noout", "-text"],
                          capture_output=True, text=True).stdout
    assert "1024 bit" in bits
    show = d.sh("show crypto pki certificates verbose Self").stdout
    assert "Router Self-Signed Certificate" in show
    assert shown_fp(show, "SHA1") == openssl_fp(cert, "sha1")
    assert shown_fp(show, "MD5") == openssl_fp(cert, "md5")
    serial = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-serial"],
                            capture_output=True, text=True).stdout.split("=")[1].strip()
    assert f"Certificate Serial Number (hex): {serial}" in show
    pub = d.sh("show crypto key mypubkey rsa myRSA").stdout
    assert "Key name: myRSA" in pub and "Key Data:" in pub
    assert "PRIVATE" not in pub
    # crypto key generate rsa: a new labelled key, 0600
    r = configure(d, "configure terminal\ncrypto key generate rsa general-keys label other "
                     "modulus 1024\nend\n")
    assert "The name for the keys will be: other" in r.stdout
    assert stat.S_IMODE((state / "pki/keys/other.key").stat().st_mode) == 0o600
    assert "Key name: other" in d.sh("show crypto key mypubkey rsa").stdout
    # survives a restart (loaded from the state directory)
    d.sh("write memory")
    d.stop()
    d.start()
    show2 = d.sh("show crypto pki certificates verbose Self").stdout
    assert shown_fp(show2, "SHA1") == openssl_fp(cert, "sha1")


def test_check_mode_writes_nothing(build, tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("crypto pki trustpoint Self\n enrollment selfsigned\n rsakeypair k\n"
                    "crypto pki enroll Self\ncrypto key generate rsa label x\n"
                    "crypto pki authenticate Self\nkey config-key password-encrypt abcdefgh1\n")
    before = set(os.listdir(tmp_path))
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(conf)], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert set(os.listdir(tmp_path)) == before


# The address forms of the identity commands: once a segfault (the handler
# took the identity type from an argument these spellings did not name), and
# "match identity remote address" emptied the profile's list instead of
# adding to it.
ADDRESS_IDENTITIES = """\
crypto ikev2 keyring K
 peer P
  identity address 192.0.2.1
  pre-shared-key Address-Identity-Key-123
crypto ikev2 profile PROF
 match identity remote key-id 0388885001
 match identity remote address 192.0.2.2
 identity local address 192.0.2.3
end
"""


def test_identity_address_forms_check_cleanly(build, tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(ADDRESS_IDENTITIES)
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(conf)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, f"exit {r.returncode}:\n{r.stderr}"
    assert f"{conf}: 9 lines, 9 applied, 0 errors, 0 unsupported, 0 ignored" in r.stderr


def test_identity_address_forms_typed_at_the_shell(started):
    d = started
    r = configure(d, "configure terminal\n" + ADDRESS_IDENTITIES)
    assert r.returncode == 0, r.stdout
    assert d.proc.poll() is None, d.log.read_text()
    rc = d.running_config()
    assert "crypto ikev2 keyring K\n peer P\n  identity address 192.0.2.1\n" in rc, rc
    assert (" match identity remote key-id 0388885001\n"
            " match identity remote address 192.0.2.2\n"
            " identity local address 192.0.2.3\n") in rc, rc
    # the no form removes that one identity only
    r = configure(d, "configure terminal\ncrypto ikev2 profile PROF\n"
                     " no match identity remote address 192.0.2.2\nend\n")
    assert r.returncode == 0, r.stdout
    rc = d.running_config()
    assert "remote address 192.0.2.2" not in rc and "remote key-id 0388885001" in rc, rc
    # the running-config loads back as it is
    d.sh("write memory")
    before = body(d.sh("show running-config").stdout)
    d.stop()
    d.start()
    assert body(d.sh("show running-config").stdout) == before


def make_ca(tmp_path):
    key, crt = tmp_path / "ca.key", tmp_path / "ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-subj", "/CN=orange CA/O=Test", "-days", "30"],
                   check=True, capture_output=True)
    return key, crt


def test_authenticate_pasted_ca(started, tmp_path):
    d = started
    _, crt = make_ca(tmp_path)
    pem = crt.read_text()
    r = configure(d, "configure terminal\ncrypto pki trustpoint CA\n enrollment terminal\n"
                     " revocation-check none\n exit\ncrypto pki authenticate CA\n" + pem + "\nend\n")
    assert "Trustpoint CA certificate accepted." in r.stdout, r.stdout
    assert shown_fp(r.stdout, "SHA1") == openssl_fp(crt, "sha1")
    assert shown_fp(r.stdout, "MD5") == openssl_fp(crt, "md5")
    stored = Path(d.state) / "pki/ca/CA.crt"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    show = d.sh("show crypto pki certificates CA").stdout
    assert "CA Certificate" in show and "cn=orange CA" in show
    assert shown_fp(show, "SHA1") == openssl_fp(crt, "sha1")
    # garbage is refused clearly, "quit" ends the paste
    r = configure(d, "configure terminal\ncrypto pki authenticate CA\nnot base64 at all\nquit\nend\n")
    assert "not a valid X.509 certificate" in r.stdout
    # from a file
    r = configure(d, f"configure terminal\ncrypto pki authenticate CA file {crt}\nend\n")
    assert "Trustpoint CA certificate accepted." in r.stdout


def test_import_signed_certificate(started, tmp_path):
    d = started
    cakey, cacrt = make_ca(tmp_path)
    r = configure(d, "configure terminal\nhostname R5\ncrypto pki trustpoint T\n enrollment terminal\n"
                     " subject-name CN=R5,O=vpnsip\n rsakeypair r5key 2048\n exit\n"
                     "crypto pki enroll T\nend\n")
    m = re.search(r"-----BEGIN CERTIFICATE REQUEST-----.*?-----END CERTIFICATE REQUEST-----",
                  r.stdout, re.S)
    assert m, r.stdout
    csr = tmp_path / "r5.csr"
    csr.write_text(m.group(0) + "\n")
    signed = tmp_path / "r5.crt"
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(cacrt), "-CAkey",
                    str(cakey), "-CAcreateserial", "-out", str(signed), "-days", "30"],
                   check=True, capture_output=True)
    r = configure(d, "configure terminal\ncrypto pki import T certificate\n" + signed.read_text()
                  + "\nend\n")
    assert "successfully imported" in r.stdout, r.stdout
    show = d.sh("show crypto pki certificates verbose T").stdout
    assert shown_fp(show, "SHA1") == openssl_fp(signed, "sha1")
    # a certificate for another key is refused
    r = configure(d, f"configure terminal\ncrypto pki import T certificate file {cacrt}\nend\n")
    assert "does not match the key pair" in r.stdout


def test_show_layouts(started):
    d = started
    configure(d, CONFIG)
    out = d.sh("show crypto ikev2 profile vpn-sip-profile").stdout
    assert "IKEv2 profile: vpn-sip-profile" in out
    assert " Local identity: key-id 0388883001" in out
    assert " Remote authentication method(s): pre-share rsa-sig" in out
    assert " DPD: interval 10 retry 6 periodic" in out
    out = d.sh("show crypto ikev2 proposal").stdout
    assert " IKEv2 proposal: PROP \n     Encryption : AES-CBC-256 AES-GCM-256" in out
    assert "DH_GROUP_256_ECP/Group 19 DH_GROUP_2048_MODP/Group 14" in out
    out = d.sh("show crypto ikev2 proposal default").stdout
    assert "Encryption : AES-CBC-256\n     Integrity  : SHA512 SHA384 SHA256" in out
    out = d.sh("show crypto ikev2 policy").stdout
    assert "IKEv2 policy : POL" in out and "Match address local : 192.0.2.1" in out
    out = d.sh("show crypto ipsec transform-set").stdout
    assert "Transform set TS: { esp-256-aes esp-sha256-hmac  }" in out
    assert "Transform set GCM: { esp-gcm 256  }" in out
    out = d.sh("show crypto ipsec profile").stdout
    assert "IPSEC profile vpn-sip-ipsec" in out and "IKEv2 Profile: vpn-sip-profile" in out
    assert "Security association lifetime: 100000 kilobytes/1800 seconds" in out
    assert "PFS (Y/N): Y" in out
    r = d.sh("show crypto ikev2 profile nosuch", check=False)
    assert "Profile nosuch not found" in r.stdout
