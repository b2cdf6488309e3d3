#!/usr/bin/env python3
"""Turn public SIP test suites into libFuzzer seeds for fuzz_sip (one
datagram per file), for `make fuzz FUZZ_SIP_CORPORA=DIR`.

    sip-corpus.py CORPORA_DIR OUT_DIR

CORPORA_DIR holds rfc4475/*.dat (the RFC 4475 torture messages) and
protos-c07-sip/testcases.tar.xz (PROTOS c07-sip: each case a length-prefixed
message with <Placeholders>, then a teardown message).  Neither is part of
this project: they are read from where they are kept, and the seeds written
to OUT_DIR (under build/) are derived data for one fuzzing run.  Missing
parts are skipped with a note."""
import os
import re
import sys
import tarfile

FILL = {
    b"<To>": b"0311111111@192.0.2.11", b"<From>": b"0399999999@192.0.2.12",
    b"<From-Address>": b"192.0.2.12", b"<From-IP>": b"192.0.2.12",
    b"<Local-Port>": b"5060", b"<Branch-ID>": b"1", b"<Call-ID>": b"protos",
    b"<CSeq>": b"1", b"<Teardown-Method>": b"CANCEL",
}


def fill(msg):
    for k, v in FILL.items():
        msg = msg.replace(k, v)
    # <Content-Length>: the body's length, as the suite's driver computes it
    head, sep, body = msg.partition(b"\r\n\r\n")
    return head.replace(b"<Content-Length>", str(len(body)).encode()) + sep + body


def main():
    src, out = sys.argv[1:3]
    os.makedirs(out, exist_ok=True)
    n = 0
    rfc = os.path.join(src, "rfc4475")
    if os.path.isdir(rfc):
        for name in sorted(os.listdir(rfc)):
            if name.endswith(".dat"):
                with open(os.path.join(rfc, name), "rb") as f, \
                        open(os.path.join(out, "rfc4475-" + name[:-4]), "wb") as o:
                    o.write(f.read())
                    n += 1
    else:
        print("sip-corpus: no %s, skipped" % rfc)
    protos = os.path.join(src, "protos-c07-sip", "testcases.tar.xz")
    if os.path.isfile(protos):
        with tarfile.open(protos) as tar:
            for m in tar:
                if not m.isfile():
                    continue
                data = tar.extractfile(m).read()
                head = re.match(rb"(\d+) ", data)
                if not head:
                    continue
                msg = data[head.end():head.end() + int(head.group(1))]
                with open(os.path.join(out, "protos-" + os.path.basename(m.name)), "wb") as o:
                    o.write(fill(msg))
                    n += 1
    else:
        print("sip-corpus: no %s, skipped" % protos)
    print("sip-corpus: %d seeds in %s" % (n, out))


if __name__ == "__main__":
    main()
