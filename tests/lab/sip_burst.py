#!/usr/bin/env python3
"""Send SIP requests back to back and report what came back (run inside a
lab namespace with `ip netns exec`).

    sip_burst.py udp|tcp DEST_ADDR DEST_PORT WAIT_S [SRC_PORT] < messages.json

messages.json: {"send": [TEXT, ...], "ack": TEXT or null}.  tcp: every
message of "send" goes out in one write on one connection; udp: one
datagram each, from SRC_PORT (default 5099), all in one sendmmsg(2) call,
so a busy machine cannot deschedule this sender between two of them.
Either way they are in the peer's socket before it has handled the first,
so their order against whatever the peer would do in between (e.g. answer
the first, which takes a trip to another thread) is all but fixed.  When a final non-2xx response to an INVITE
arrives, "ack" is sent with @TO@ replaced by that response's To header value
(RFC 3261 17.1.1.3: the ACK of a non-2xx answer carries its To tag).  Stops
WAIT_S seconds after the connection opened, or half a second after the ACK.
Output (stdout): a JSON list of the messages received, as text.
"""
import ctypes
import json
import os
import re
import select
import socket
import sys
import time


def split_messages(buf):
    """Complete SIP messages at the start of buf (by Content-Length), and
    what is left."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end].decode("latin-1")
        m = re.search(r"^(?:Content-Length|l)\s*:\s*(\d+)\s*$", head, re.M | re.I)
        size = end + 4 + (int(m.group(1)) if m else 0)
        if len(buf) < size:
            return out, buf
        out.append(buf[:size].decode("latin-1"))
        buf = buf[size:]


def header(text, name):
    m = re.search(r"^%s\s*:\s*(.*?)\r?$" % name, text.split("\r\n\r\n", 1)[0], re.M | re.I)
    return m.group(1) if m else None


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(IOVec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


def send_datagrams(s, texts):
    """Every text as one datagram on connected socket s, in one system call."""
    bufs = [ctypes.create_string_buffer(t.encode("latin-1"), len(t)) for t in texts]
    iovs = [IOVec(ctypes.cast(b, ctypes.c_void_p), len(b)) for b in bufs]
    msgs = (MMsgHdr * len(texts))()
    for m, iov in zip(msgs, iovs):
        m.hdr.iov = ctypes.pointer(iov)
        m.hdr.iovlen = 1
    libc = ctypes.CDLL(None, use_errno=True)
    sent = libc.sendmmsg(s.fileno(), msgs, len(texts), 0)
    if sent != len(texts):
        raise OSError(ctypes.get_errno(), "sendmmsg sent %d of %d: %s"
                      % (sent, len(texts), os.strerror(ctypes.get_errno())))


def main():
    proto, dest, dport, wait_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    sport = int(sys.argv[5]) if len(sys.argv) > 5 else 5099
    spec = json.load(sys.stdin)
    if proto == "tcp":
        s = socket.create_connection((dest, dport), timeout=5)
        s.sendall("".join(spec["send"]).encode("latin-1"))
        send = s.sendall
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", sport))
        s.connect((dest, dport))
        send_datagrams(s, spec["send"])
        send = s.send
    got, buf = [], b""
    end = time.monotonic() + wait_s
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        data = s.recv(65536)
        if not data:
            break
        msgs, buf = split_messages(buf + data)
        for text in msgs:
            got.append(text)
            first = text.split("\r\n", 1)[0]
            code = int(first.split()[1]) if first.startswith("SIP/2.0 ") else 0
            cseq = header(text, "CSeq") or ""
            if code >= 300 and cseq.endswith("INVITE") and spec.get("ack"):
                send(spec["ack"].replace("@TO@", header(text, "To")).encode("latin-1"))
                end = min(end, time.monotonic() + 0.5)
    s.close()
    json.dump(got, sys.stdout)


if __name__ == "__main__":
    main()
