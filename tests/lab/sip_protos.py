#!/usr/bin/env python3
"""PROTOS-style SIP test cases, written for this project, and their replay.

The PROTOS c07-sip suite (University of Oulu) mutates one field of a valid
INVITE at a time with a family of hostile values.  This module does the
same from its own valid INVITE (a VPN-SIP offer, RFC 6193 SDP) and its own
value families; it carries none of the suite's data, so it runs where the
suite is not available (a clean clone on CI).

    sip_protos.py BIND_ADDR BIND_PORT DEST_ADDR DEST_PORT TO FROM [LIMIT]

(run inside a lab namespace) sends every case, and after each one an
OPTIONS probe, and waits up to 3 s for the probe's answer: the daemon must
still be there.  Prints a JSON summary: the number of cases, the first
lines of the answers to the cases by status class, and the cases after
which the probe went unanswered.
"""
import json
import select
import socket
import sys
import time

SDP = [
    ("v", "v=0"),
    ("o", "o=- {o_sess} {o_ver} IN IP4 {o_addr}"),
    ("s", "s=-"),
    ("c", "c=IN IP4 {c_addr}"),
    ("t", "t=0 0"),
    ("m", "m=application {m_port} udp ike-esp-udpencap"),
    ("b", "b=AS:{bw}"),
    ("a_setup", "a=ike-setup:{setup}"),
    ("a_fp", "a=psk-fingerprint:{fp_hash} {fp_value}"),
]

HEAD = [
    ("request", "{method} {ruri} {version}"),
    ("via", "Via: {via_proto} {via_host}:{via_port};branch=z9hG4bK-{branch}"),
    ("maxfwd", "Max-Forwards: {maxfwd}"),
    ("from", "From: {from_display} <sip:{from_user}@{domain}>;tag={from_tag}"),
    ("to", "To: <sip:{to_user}@{domain}>"),
    ("callid", "Call-ID: {callid}"),
    ("cseq", "CSeq: {cseq} {cseq_method}"),
    ("contact", "Contact: <sip:{from_user}@{via_host}:{via_port}>"),
    ("ctype", "Content-Type: {ctype}"),
    ("clen", "Content-Length: {clen}"),
]

# The fields each case may replace, with their valid values.
def valid_fields(to, frm, src, n):
    return {
        "method": "INVITE", "ruri": "sip:%s@%s" % (to, "192.0.2.11"), "version": "SIP/2.0",
        "via_proto": "SIP/2.0/UDP", "via_host": src, "via_port": "5099", "branch": "p%d" % n,
        "maxfwd": "70", "from_display": '"protos"', "from_user": frm, "domain": "ngn.example.net",
        "from_tag": "t%d" % n, "to_user": to, "callid": "protos-%d@%s" % (n, src), "cseq": "1",
        "cseq_method": "INVITE", "ctype": "application/sdp",
        "o_sess": "1", "o_ver": "1", "o_addr": src, "c_addr": src, "m_port": "4500",
        "bw": "1000", "setup": "active", "fp_hash": "SHA-1",
        "fp_value": ":".join(["AB"] * 20),
    }


def values():
    """The hostile values: (family, value)."""
    out = []
    for c in ("a", "%", ":", "@", " ", "\x00", "\xff", "<", "9", "\""):
        for n in (1, 2, 64, 128, 256, 1024, 8192, 32768):
            out.append(("overflow-%02x-%d" % (ord(c), n), c * n))
    for f in ("%s", "%n", "%x", "%99999999s", "%.2147483647d"):
        out.append(("format-" + f.strip("%"), f * 16))
    for v in ("-1", "0", "2147483647", "2147483648", "4294967295", "4294967296",
              "18446744073709551616", "-2147483649", "0x7fffffff", "1e308", "00000000001"):
        out.append(("integer-" + v, v))
    for name, v in (("empty", ""), ("crlf", "\r\n"), ("cr", "\r"), ("lf", "\n"),
                    ("crlfcrlf", "\r\n\r\n"), ("nul", "\x00"), ("tab", "\t"),
                    ("ansi", "\x1b[2J\x1b[0;0H"), ("utf8-bom", "\ufeff"),
                    ("utf8-long", "\xc0\xaf\xe0\x80\xaf"), ("quote", "\""),
                    ("backslash", "\\"), ("angle", "<>"), ("semicolon", ";;"),
                    ("comma", ",,"), ("equals", "=="), ("fold", "\r\n x"),
                    ("ipv4-bad", "999.999.999.999"), ("ipv4-short", "192.0.2"),
                    ("ipv6", "[2001:db8::1]"), ("ipv6-bad", "[2001:db8:::1"),
                    ("ipv4-zero", "0.0.0.0"), ("broadcast", "255.255.255.255"),
                    ("sip-uri", "sip:"), ("tel-uri", "tel:+"), ("uri-at", "@@"),
                    ("host-long", "a." * 200 + "example"), ("sips", "sips:x@y;transport=tls")):
        out.append((name, v))
    return out


def message(fields, drop=None):
    head = [tmpl for key, tmpl in HEAD if key != drop]
    body = "".join(tmpl.format(**fields) + "\r\n" for key, tmpl in SDP if key != drop)
    fields = dict(fields)
    fields.setdefault("clen", str(len(body.encode("latin-1", "replace"))))
    text = "\r\n".join(t.format(**fields) for t in head) + "\r\n\r\n" + body
    return text.encode("latin-1", "replace")


def cases(to, frm, src):
    """[(name, datagram)]: the valid INVITE first, then one field changed
    per case (each field with each value), then one line left out per
    case.  frm should be a number no tunnel has: nothing may be answered
    2xx."""
    out = []
    n = 0
    base = valid_fields(to, frm, src, n)
    out.append(("valid", message(base)))
    fields = [k for k in base if k not in ("domain",)] + ["clen"]
    for field in fields:
        for family, v in values():
            n += 1
            f = valid_fields(to, frm, src, n)
            if field not in ("callid", "branch", "from_tag"):
                f[field] = v
            else:
                f[field] = f[field] + v
            data = message(f)
            if len(data) > 60000:
                continue
            out.append(("%s/%s" % (field, family), data))
    for key, _ in HEAD[1:] + SDP:
        n += 1
        out.append(("drop/" + key, message(valid_fields(to, frm, src, n), drop=key)))
    return out


def probe(to, src, port, n):
    return ("OPTIONS sip:%s@192.0.2.11 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-probe%d\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=probe%d\r\n"
            "To: <sip:%s@192.0.2.11>\r\nCall-ID: probe-%d@%s\r\nCSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n" % (to, src, port, n, src, n, to, n, src)).encode()


def main():
    bind_addr, bind_port, dest, dport, to, frm = sys.argv[1:7]
    limit = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind_addr, int(bind_port)))
    all_cases = cases(to, frm, bind_addr)
    if limit:
        all_cases = all_cases[:limit]
    statuses, unanswered, started = {}, [], time.monotonic()
    for i, (name, data) in enumerate(all_cases):
        s.sendto(data, (dest, int(dport)))
        s.sendto(probe(to, bind_addr, int(bind_port), i), (dest, int(dport)))
        want = ("probe-%d@" % i).encode()
        end = time.monotonic() + 3
        got = False
        while not got:
            left = end - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            reply = s.recv(65535)
            first = reply.split(b"\r\n", 1)[0].decode("latin-1")
            if want in reply:
                got = True
            elif b"Call-ID: protos-" in reply or b"\r\ni: protos-" in reply:
                statuses.setdefault(first[8:9] + "xx", []).append(first)
        if not got:
            unanswered.append(name)
            if len(unanswered) >= 5:
                break
    json.dump({"cases": len(all_cases), "seconds": round(time.monotonic() - started, 1),
               "answers": {k: len(v) for k, v in statuses.items()},
               "examples": {k: sorted(set(v))[:5] for k, v in statuses.items()},
               "unanswered": unanswered}, sys.stdout)


if __name__ == "__main__":
    main()
