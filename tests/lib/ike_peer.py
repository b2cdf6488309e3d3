"""Stock strongSwan (Debian's charon + swanctl) as the independent IKEv2 peer
of the interop tests, inside a lab namespace.

charon's pid file path is compiled in, so each instance runs under
`unshare -m` with a private tmpfs on /run; its settings come from a
per-instance STRONGSWAN_CONF (kernel-libipsec for ESP in user space: this
kernel has no ESP), its vici socket lives in the instance directory."""
import os
import re
import signal
import subprocess
import textwrap
import time

CHARON = "/usr/lib/ipsec/charon"


class StockCharon:
    def __init__(self, lab, node, workdir, port=500, port_nat_t=4500):
        self.lab = lab
        self.node = node
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.vici = os.path.join(self.dir, "charon.vici")
        self.log = os.path.join(self.dir, "charon.log")
        self.port, self.port_nat_t = port, port_nat_t
        self.proc = None

    def write_settings(self):
        with open(os.path.join(self.dir, "strongswan.conf"), "w") as f:
            f.write(textwrap.dedent("""\
                charon {
                  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints hmac kdf kernel-libipsec kernel-netlink socket-default vici
                  port = %d
                  port_nat_t = %d
                  install_routes = yes
                  retransmit_timeout = 2
                  retransmit_tries = 2
                  filelog {
                    log {
                      path = %s
                      default = 1
                      ike = 2
                      cfg = 2
                      flush_line = yes
                    }
                  }
                  plugins {
                    vici { socket = unix://%s }
                  }
                }
                """ % (self.port, self.port_nat_t, self.log, self.vici)))
        runner = os.path.join(self.dir, "run.sh")
        with open(runner, "w") as f:
            f.write("#!/bin/sh\nmount -t tmpfs tmpfs /run\nexport STRONGSWAN_CONF=%s\nexec %s\n"
                    % (os.path.join(self.dir, "strongswan.conf"), CHARON))
        os.chmod(runner, 0o755)
        return runner

    def start(self):
        runner = self.write_settings()
        self.out = open(os.path.join(self.dir, "stdout"), "w")
        self.proc = self.lab.popen(self.node, "unshare", "-m", runner,
                                   stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.exists(self.vici) and self.swanctl("--stats", check=False).returncode == 0:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("stock charon did not start:\n" + self.log_text())

    def swanctl(self, *args, check=True, timeout=30):
        p = self.lab.exec(self.node, "swanctl", *args, "--uri", "unix://" + self.vici,
                          timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError("swanctl %s: %s%s\n%s" % (" ".join(args), p.stdout, p.stderr,
                                                          self.log_text()[-3000:]))
        return p

    def load(self, conf_text):
        path = os.path.join(self.dir, "swanctl.conf")
        with open(path, "w") as f:
            f.write(conf_text)
        self.swanctl("--load-all", "--noprompt", "--file", path)

    def initiate(self, child, timeout=15):
        return self.swanctl("--initiate", "--child", child, "--timeout", str(timeout),
                            check=False, timeout=timeout + 10)

    def list_sas(self):
        return self.swanctl("--list-sas", check=False).stdout

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def kill(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    stop = kill


def swan_id(ident):
    """A swanctl identity: a bare value is a key-id (a SIP number); one with
    a type prefix ("fqdn:", "email:") or a dotted IPv4 address (ID_IPV4_ADDR)
    is taken as written."""
    if ":" in ident or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ident):
        return ident
    return "keyid:" + ident


def psk_conn(name, local_addr, remote_addr, local_id, remote_id, psk, local_ts, remote_ts,
             remote_port=500, dpd=0, esp="aes256-sha256", ike="aes256-sha256-modp2048",
             auth="psk", certs=None, pinned=None, local_port=None):
    """A swanctl.conf with one connection (PSK; identities as swan_id())."""
    lport = "    local_port = %d\n" % local_port if local_port else ""
    local_auth = "auth = %s\n      id = %s\n" % (auth if auth == "psk" else "pubkey", swan_id(local_id))
    if certs:
        local_auth += "      certs = %s\n" % certs
    remote_auth = "auth = %s\n      id = %s\n" % (auth if auth == "psk" else "pubkey", swan_id(remote_id))
    if pinned:
        remote_auth += "      certs = %s\n" % pinned
    secrets = ""
    if psk:
        secrets = ("secrets {\n  ike-1 {\n    id-1 = %s\n    id-2 = %s\n"
                   "    secret = \"%s\"\n  }\n}\n" % (swan_id(local_id), swan_id(remote_id), psk))
    return ("connections {\n  %s {\n    version = 2\n    local_addrs = %s\n    remote_addrs = %s\n"
            "    remote_port = %d\n%s    encap = yes\n    proposals = %s\n    dpd_delay = %ds\n"
            "    local {\n      %s    }\n    remote {\n      %s    }\n"
            "    children {\n      net {\n        local_ts = %s\n        remote_ts = %s\n"
            "        esp_proposals = %s\n        start_action = none\n        dpd_action = clear\n"
            "      }\n    }\n  }\n}\n%s"
            % (name, local_addr, remote_addr, remote_port, lport, ike, dpd, local_auth,
               remote_auth, local_ts, remote_ts, esp, secrets))


def make_self_signed(workdir, cn):
    """An RSA key and a self-signed certificate made by openssl (the stock
    peer's own credentials) in swanctl's layout under workdir (swanctl
    --file loads keys from private/ next to the file); returns (key path,
    cert path, cert DER)."""
    os.makedirs(os.path.join(str(workdir), "private"), exist_ok=True)
    key = os.path.join(str(workdir), "private", cn + ".key")
    crt = os.path.join(str(workdir), cn + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "30", "-subj", "/CN=" + cn], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return key, crt, der


def cert_conn(name, local_addr, remote_addr, local_id, remote_id, cert, peer_cert,
              local_ts, remote_ts, remote_port=500, local_port=None,
              esp="aes256-sha256", ike="aes256-sha256-modp2048"):
    """A swanctl.conf with one connection authenticated by RSA signatures:
    our certificate (identity: its subject DN) and the peer's certificate
    pinned (the stock equivalent of the SDP fingerprint binding)."""
    lport = "    local_port = %d\n" % local_port if local_port else ""
    return ("connections {\n  %s {\n    version = 2\n    local_addrs = %s\n    remote_addrs = %s\n"
            "    remote_port = %d\n%s    encap = yes\n    proposals = %s\n    send_cert = always\n"
            "    local {\n      auth = pubkey\n      id = \"%s\"\n      certs = %s\n    }\n"
            "    remote {\n      auth = pubkey\n      id = \"%s\"\n      certs = %s\n    }\n"
            "    children {\n      net {\n        local_ts = %s\n        remote_ts = %s\n"
            "        esp_proposals = %s\n        start_action = none\n      }\n    }\n  }\n}\n"
            % (name, local_addr, remote_addr, remote_port, lport, ike, local_id, cert, remote_id,
               peer_cert, local_ts, remote_ts, esp))
