#!/usr/bin/env python3
"""Send raw SIP datagrams and report what came back (run inside a lab
namespace with `ip netns exec`).

    sip_raw.py BIND_ADDR BIND_PORT DEST_ADDR DEST_PORT WAIT_S [LAST_WAIT_S] < cases.json

cases.json: [{"name": ..., "data": BASE64}, ...].  Each datagram is sent
on its own; whatever arrives in the following WAIT_S seconds is reported as
that case's answers (after the last case: LAST_WAIT_S, default WAIT_S).  Output (stdout): {"name": [[first line, Call-ID or
""], ...], ...}; a retransmission of an earlier case's answer shows under
the case it arrived after, so match answers by Call-ID.
SIPp cannot send most of these (it builds its messages with a parser of its
own), which is why this exists.
"""
import base64
import json
import select
import socket
import sys
import time


def main():
    bind_addr, bind_port, dest, dport, wait_s = sys.argv[1:6]
    last_wait_s = sys.argv[6] if len(sys.argv) > 6 else wait_s
    cases = json.load(sys.stdin)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_addr, int(bind_port)))
    out = {}
    for i, case in enumerate(cases):
        s.sendto(base64.b64decode(case["data"]), (dest, int(dport)))
        answers = []
        end = time.monotonic() + float(last_wait_s if i == len(cases) - 1 else wait_s)
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            data = s.recv(65535)
            lines = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            cid = [ln.split(b":", 1)[1].strip() for ln in lines[1:]
                   if ln.lower().startswith((b"call-id:", b"i:"))]
            answers.append([lines[0].decode("latin-1"),
                            cid[0].decode("latin-1") if cid else ""])
        out[case["name"]] = answers
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
