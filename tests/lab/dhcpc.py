#!/usr/bin/python3
"""A minimal, independent DHCPv4 client for the lab.

usage: dhcpc.py IFACE [--timeout SEC] [--apply] [--request 1,6,120,125]

Runs DISCOVER / OFFER / REQUEST / ACK on IFACE (inside a lab namespace:
`lab.sh exec rtrA python3 tests/lab/dhcpc.py bak0`), prints one JSON object
with the leased address, every option as hex and the decoded SIP-server
(option 120, RFC 3361) and V-I vendor-specific (option 125, RFC 3925)
options.  --apply puts the leased address on IFACE (no routes: the lab's DHCP
server hands out no router option).  Exit status 0 on ACK, 1 otherwise.

The decoders are importable (decode_option120, decode_option125) so tests can
decode bytes they captured themselves.
"""
import argparse
import fcntl
import ipaddress
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

MAGIC = b"\x63\x82\x53\x63"
SIOCGIFHWADDR = 0x8927


def decode_dns_names(data):
    """RFC 1035 names as used in RFC 3361 encoding 0 (with RFC 3397
    compression pointers, which are relative to the start of `data`)."""
    names = []
    pos = 0
    while pos < len(data):
        labels = []
        p = pos
        jumped = False
        hops = 0
        while True:
            if p >= len(data):
                raise ValueError("name runs past the option")
            n = data[p]
            if n == 0:
                p += 1
                break
            if n & 0xC0 == 0xC0:
                if p + 1 >= len(data):
                    raise ValueError("truncated pointer")
                target = ((n & 0x3F) << 8) | data[p + 1]
                if not jumped:
                    pos_after = p + 2
                jumped = True
                hops += 1
                if hops > 64 or target >= len(data):
                    raise ValueError("bad compression pointer")
                p = target
                continue
            if n > 63 or p + 1 + n > len(data):
                raise ValueError("bad label length")
            labels.append(data[p + 1:p + 1 + n].decode("ascii"))
            p += 1 + n
        names.append(".".join(labels))
        pos = pos_after if jumped else p
    return names


def decode_option120(data):
    """RFC 3361 SIP Servers option: {'encoding': 'domain'|'ipv4', 'servers': [...]}."""
    if not data:
        raise ValueError("empty option 120")
    enc, rest = data[0], data[1:]
    if enc == 0:
        return {"encoding": "domain", "servers": decode_dns_names(rest)}
    if enc == 1:
        if len(rest) == 0 or len(rest) % 4:
            raise ValueError("option 120 enc 1 length not a multiple of 4")
        return {"encoding": "ipv4",
                "servers": [str(ipaddress.IPv4Address(rest[i:i + 4]))
                            for i in range(0, len(rest), 4)]}
    raise ValueError("unknown option 120 encoding %d" % enc)


def decode_option125(data):
    """RFC 3925 V-I Vendor-Specific Information: list of
    {'enterprise': N, 'suboptions': {code: hex}}."""
    out = []
    pos = 0
    while pos < len(data):
        if pos + 5 > len(data):
            raise ValueError("truncated option 125")
        ent, dlen = struct.unpack("!IB", data[pos:pos + 5])
        pos += 5
        blob = data[pos:pos + dlen]
        if len(blob) != dlen:
            raise ValueError("truncated option 125 data")
        pos += dlen
        subs = {}
        q = 0
        while q < len(blob):
            if q + 2 > len(blob):
                raise ValueError("truncated sub-option")
            code, slen = blob[q], blob[q + 1]
            subs[code] = blob[q + 2:q + 2 + slen].hex()
            q += 2 + slen
        out.append({"enterprise": ent, "suboptions": subs})
    return out


def parse_options(buf):
    if buf[236:240] != MAGIC:
        raise ValueError("no DHCP magic cookie")
    opts = {}
    pos = 240
    while pos < len(buf):
        code = buf[pos]
        if code == 255:
            break
        if code == 0:
            pos += 1
            continue
        n = buf[pos + 1]
        # RFC 3396: repeated options are concatenated
        opts[code] = opts.get(code, b"") + buf[pos + 2:pos + 2 + n]
        pos += 2 + n
    return opts


def hwaddr(ifname):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        req = struct.pack("256s", ifname.encode()[:15])
        res = fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, req)
        return res[18:24]
    finally:
        s.close()


def packet(msgtype, xid, mac, request, extra=b""):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                      b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                      mac + b"\0" * 10, b"", b"")
    opts = bytes([53, 1, msgtype])
    opts += bytes([61, 7, 1]) + mac
    opts += bytes([55, len(request)]) + bytes(request)
    opts += extra + b"\xff"
    return hdr + MAGIC + opts


def exchange(sock, pkt, xid, want, deadline):
    """Send pkt (retransmitting each second) until a reply with `xid` and DHCP
    message type in `want` arrives or the deadline passes."""
    next_send = 0.0
    while True:
        now = time.monotonic()
        if now >= deadline:
            return None, None
        if now >= next_send:
            sock.sendto(pkt, ("255.255.255.255", 67))
            next_send = now + 1.0
        r, _, _ = select.select([sock], [], [], min(next_send, deadline) - now)
        if not r:
            continue
        buf, _ = sock.recvfrom(4096)
        if len(buf) < 240 or buf[0] != 2:
            continue
        if struct.unpack("!I", buf[4:8])[0] != xid:
            continue
        try:
            opts = parse_options(buf)
        except (ValueError, IndexError):
            continue
        if opts.get(53, b"\0")[0] in want:
            return buf, opts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--apply", action="store_true")
    ap.add_argument("--request", default="1,3,6,15,120,125")
    a = ap.parse_args()
    request = [int(x) for x in a.request.split(",") if x]

    mac = hwaddr(a.iface)
    xid = struct.unpack("!I", os.urandom(4))[0]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.iface.encode())
    sock.bind(("0.0.0.0", 68))
    deadline = time.monotonic() + a.timeout

    buf, opts = exchange(sock, packet(1, xid, mac, request), xid, (2,), deadline)
    if buf is None:
        print(json.dumps({"error": "no DHCPOFFER"}))
        return 1
    yiaddr = buf[16:20]
    server = opts.get(54, b"")
    extra = bytes([50, 4]) + yiaddr + bytes([54, len(server)]) + server
    buf, opts = exchange(sock, packet(3, xid, mac, request, extra), xid, (5, 6), deadline)
    if buf is None:
        print(json.dumps({"error": "no DHCPACK"}))
        return 1
    if opts[53][0] == 6:
        print(json.dumps({"error": "DHCPNAK"}))
        return 1

    res = {
        "iface": a.iface,
        "mac": mac.hex(":"),
        "yiaddr": str(ipaddress.IPv4Address(buf[16:20])),
        "server": str(ipaddress.IPv4Address(opts[54])) if 54 in opts else None,
        "options": {str(k): v.hex() for k, v in sorted(opts.items())},
    }
    if 1 in opts:
        res["prefixlen"] = ipaddress.IPv4Network(
            "0.0.0.0/" + str(ipaddress.IPv4Address(opts[1]))).prefixlen
    if 6 in opts:
        res["dns"] = [str(ipaddress.IPv4Address(opts[6][i:i + 4]))
                      for i in range(0, len(opts[6]), 4)]
    if 120 in opts:
        res["sip_servers"] = decode_option120(opts[120])
    if 125 in opts:
        res["vivso"] = decode_option125(opts[125])
    if a.apply:
        subprocess.run(["ip", "addr", "replace",
                        "%s/%d" % (res["yiaddr"], res.get("prefixlen", 32)),
                        "dev", a.iface], check=True)
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
