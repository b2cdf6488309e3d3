"""The configuration of a lab router with one VPN-SIP tunnel, shared by the
lab tests: the Cisco guide's shape (IKEv2 profile, transform set, IPsec
profile, Tunnel1 with tunnel protection and the vpn-sip line, the global
vpn-sip lines), the server being the lab's Kamailio."""


def psk_crypto(me, peer_node, peer_number, psk):
    """IKEv2 keyring with the peer's PSK under its SIP number (key-id), and
    the profile that uses it."""
    return f"""crypto ikev2 keyring keys
 peer {peer_node}
  identity key-id {peer_number}
  pre-shared-key {psk}
crypto ikev2 profile IPROF
 match identity remote any
 identity local key-id {me}
 authentication remote pre-share
 authentication local pre-share
 keyring local keys
 nat force-encap
"""


def router_config(lab, node, peer_node, tun_addr, crypto, ipsec_extra="", tail=""):
    """crypto: the IKEv2 part (psk_crypto() or a certificate profile named
    IPROF); ipsec_extra: more lines of the IPsec profile; tail: lines after
    the VPN-SIP ones (routes, SLA)."""
    me, peer = lab.number(node), lab.number(peer_node)
    return f"""hostname {node}
{crypto}crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
 mode tunnel
crypto ipsec profile IPROF
 set transform-set TS
 set ikev2-profile IPROF
{ipsec_extra}interface bak0
 ip address {lab.addr(node)} 255.255.255.0
interface Tunnel1
 ip address {tun_addr} 255.255.255.252
 tunnel source bak0
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
 vpn-sip local-number {me} remote-number {peer} bandwidth 1000
vpn-sip enable
vpn-sip local-number {me} address ipv4 bak0
vpn-sip logging
vpn-sip sip-server ipv4:192.0.2.1
vpn-sip sip-domain {lab.domain}
{tail}"""
