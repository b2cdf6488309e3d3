#!/usr/bin/python3
"""make bench: time from the first packet to the first reply.

Run inside a namespace (ip netns exec NS tools/bench_probe.py HOST [TIMEOUT_S]
[INTERVAL_MS]): sends ICMP echo requests to HOST every INTERVAL_MS (default
5) from a raw socket until the first echo reply arrives or TIMEOUT_S (default
20) passes; prints one JSON object: t_first_sent and t_first_reply (Unix
time, float, comparable with a packet capture on the same host), ms (the
difference), sent (requests sent), reply_seq (which request was answered).
Exit status 1 when no reply came."""
import json
import os
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo(ident, seq):
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    payload = b"vpnsip-bench-probe" + bytes(38)
    return struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, seq) + payload


def main():
    host = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    interval = (float(sys.argv[3]) if len(sys.argv) > 3 else 5.0) / 1000
    ident = os.getpid() & 0xFFFF
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    t_first = None
    seq = 0
    deadline = time.monotonic() + timeout
    next_send = time.monotonic()
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_send:
            seq += 1
            s.sendto(echo(ident, seq), (host, 0))
            if t_first is None:
                t_first, m_first = time.time(), now
            next_send = now + interval
        r, _, _ = select.select([s], [], [], max(0.0, next_send - time.monotonic()))
        if not r:
            continue
        pkt, addr = s.recvfrom(2048)
        t_reply, m_reply = time.time(), time.monotonic()
        ihl = (pkt[0] & 0x0F) * 4
        typ, _, _, rid, rseq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if typ == 0 and rid == ident and addr[0] == host:
            print(json.dumps({"t_first_sent": t_first, "t_first_reply": t_reply,
                              "ms": round((m_reply - m_first) * 1000, 2), "sent": seq,
                              "reply_seq": rseq}))
            return 0
    print(json.dumps({"t_first_sent": t_first, "t_first_reply": None, "ms": None, "sent": seq}))
    return 1


if __name__ == "__main__":
    sys.exit(main())
