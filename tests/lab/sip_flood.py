#!/usr/bin/env python3
"""Send INVITE datagrams at a steady rate (run inside a lab namespace with
`ip netns exec`), each from the next of the source addresses, each with a
new Call-ID and branch, from a caller number no tunnel has.

    sip_flood.py DEST_ADDR DEST_PORT RATE SECONDS SRC_ADDR...

Prints {"sent": N, "errors": N, "seconds": S} (JSON) when done.  The
addresses must be configured in the namespace; nothing is read back.
"""
import json
import socket
import sys
import time


def invite(dest, src, sport, n):
    return ("INVITE sip:0300000000@%(d)s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %(s)s:%(p)d;branch=z9hG4bK-flood-%(n)d\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:0399999999@%(s)s>;tag=f%(n)d\r\n"
            "To: <sip:0300000000@%(d)s>\r\n"
            "Call-ID: flood-%(n)d@%(s)s\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:0399999999@%(s)s:%(p)d>\r\n"
            "P-Asserted-Identity: <sip:0399999999@%(s)s>\r\n"
            "Content-Length: 0\r\n\r\n" % {"d": dest, "s": src, "p": sport, "n": n}).encode()


def main():
    dest, dport, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    socks = []
    for a in sys.argv[5:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 0))
        s.setblocking(False)
        socks.append((s, a, s.getsockname()[1]))
    sent = errors = 0
    t0 = time.monotonic()
    end = t0 + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - t0) * rate) + 1
        while sent + errors < due:
            s, a, p = socks[(sent + errors) % len(socks)]
            try:
                s.sendto(invite(dest, a, p, sent + errors), (dest, dport))
                sent += 1
            except OSError:
                errors += 1
        time.sleep(0.002)
    json.dump({"sent": sent, "errors": errors, "seconds": round(time.monotonic() - t0, 3)},
              sys.stdout)


if __name__ == "__main__":
    main()
