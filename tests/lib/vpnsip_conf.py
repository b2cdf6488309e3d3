"""The configuration text of a test router, built in one place: the IKEv2
part (a PSK keyring, or a self-signed rsa-sig trustpoint), the IKEv2
profile, the IPsec transform set and profile, bak0, the Tunnel interfaces
and the global vpn-sip lines, in the order show running-config writes them
(the Cisco guide's shape).  What a test needs beyond that shape goes in
through the *_extra texts at the place it belongs."""
from collections import namedtuple

# A keyring entry: its PSK found by identity key-id (a VPN-SIP peer's
# number) or by the peer's address (a static tunnel).
Peer = namedtuple("Peer", "name psk key_id address", defaults=(None, None))

# A Tunnel interface.  remote: the VPN-SIP line's remote number (none: no
# vpn-sip line); addr: none for a tunnel that only carries the vpn-sip line.
Tunnel = namedtuple("Tunnel", "index addr local remote bandwidth policy dest extra",
                    defaults=(None, None, None, 1000, None, "dynamic", ""))


def router_config(*, hostname=None, head="",
                  auth="psk", keyring=(), local_id=None,
                  trustpoint=None, subject=None, rsa_bits=None, revocation="none", pki_extra="",
                  profile="IPROF", match_certificate=None, local_auth_first=False,
                  ikev2_extra="", nat_force_encap=True,
                  ipsec=True, transform="esp-aes 256 esp-sha256-hmac", ipsec_extra="",
                  before_interfaces="", bak0=None, tunnels=(),
                  numbers=(), sip_server="192.0.2.1", domain=None, vpnsip_logging=True,
                  globals_first=False, bang=False, tail=""):
    """auth "psk": the keyring "keys" (Peer entries) and identity local
    key-id local_id; auth "rsa": trustpoint (enrolled self-signed, with
    subject and rsa_bits if given, "revocation-check REVOCATION" (None: no
    line); pki_extra after the enroll line).
    ipsec: the transform set TS and IPsec profile IPROF, and tunnel
    protection on each tunnel.  bak0: its address (the interface is left
    out without one).  domain: the global vpn-sip lines (numbers: the
    local numbers on bak0), before the tunnels with globals_first.
    bang: a "!" after each block, as an operator's file has them."""
    sep = "!\n" if bang else ""
    out = []
    if hostname:
        out.append(f"hostname {hostname}\n")
    out.append(head)
    if auth == "rsa":
        out.append(f"crypto pki trustpoint {trustpoint}\n enrollment selfsigned\n")
        if subject:
            out.append(f" subject-name {subject}\n")
        if revocation:
            out.append(f" revocation-check {revocation}\n")
        out.append(" rsakeypair myRSA%s\n" % (f" {rsa_bits}" if rsa_bits else ""))
        out.append(f"{sep}crypto pki enroll {trustpoint}\n{pki_extra}")
    else:
        out.append("crypto ikev2 keyring keys\n")
        for p in keyring:
            out.append(f" peer {p.name}\n")
            if p.key_id:
                out.append(f"  identity key-id {p.key_id}\n")
            if p.address:
                out.append(f"  address {p.address} 255.255.255.255\n")
            out.append(f"  pre-shared-key {p.psk}\n")
        out.append(sep)
    out.append(f"crypto ikev2 profile {profile}\n match identity remote any\n")
    if match_certificate:
        out.append(f" match certificate {match_certificate}\n")
    if local_id:
        out.append(f" identity local key-id {local_id}\n")
    method = "rsa-sig" if auth == "rsa" else "pre-share"
    both = [f" authentication remote {method}\n", f" authentication local {method}\n"]
    out += both[::-1] if local_auth_first else both
    out.append(f" pki trustpoint {trustpoint}\n" if auth == "rsa" else " keyring local keys\n")
    out.append(ikev2_extra)
    if nat_force_encap:
        out.append(" nat force-encap\n")
    out.append(sep)
    if ipsec:
        out.append(f"crypto ipsec transform-set TS {transform}\n mode tunnel\n"
                   f"crypto ipsec profile IPROF\n set transform-set TS\n set ikev2-profile {profile}\n")
        out.append(ipsec_extra)
    out.append(before_interfaces)
    if bak0:
        out.append(f"interface bak0\n ip address {bak0} 255.255.255.0\n{sep}")
    glob = ""
    if domain:
        glob = "vpn-sip enable\n" + "".join(f"vpn-sip local-number {n} address ipv4 bak0\n"
                                            for n in numbers)
        if vpnsip_logging:
            glob += "vpn-sip logging\n"
        glob += f"vpn-sip sip-server ipv4:{sip_server}\nvpn-sip sip-domain {domain}\n"
    if globals_first:
        out.append(glob)
    for t in tunnels:
        out.append(f"interface Tunnel{t.index}\n")
        if t.addr:
            out.append(f" ip address {t.addr} 255.255.255.252\n")
        if ipsec:
            out.append(f" tunnel source bak0\n tunnel mode ipsec ipv4\n tunnel destination {t.dest}\n"
                       f" tunnel protection ipsec profile IPROF ikev2-profile {profile}\n")
        if t.remote:
            out.append(f" vpn-sip local-number {t.local} remote-number {t.remote} "
                       f"bandwidth {t.bandwidth}")
            out.append(f" service-policy {t.policy}\n" if t.policy else "\n")
        out.append(t.extra + sep)
    if not globals_first:
        out.append(glob)
    out.append(tail)
    return "".join(out)


def lab_router_config(lab, node, peer_node, tun_addr, bandwidth=1000, policy=None, **kw):
    """router_config() for a lab router with one VPN-SIP tunnel (Tunnel1)
    to peer_node, the lab's Kamailio as the SIP server; kw: the rest
    (keyring, auth, ipsec_extra, tail, ...)."""
    me, peer = lab.number(node), lab.number(peer_node)
    if kw.get("auth", "psk") == "psk":
        kw.setdefault("local_id", me)
    return router_config(hostname=node, bak0=lab.addr(node), numbers=[me], domain=lab.domain,
                         tunnels=[Tunnel(1, tun_addr, me, peer, bandwidth, policy)], **kw)
