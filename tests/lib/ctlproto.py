"""vpnsipd's control protocol spoken by hand (include/vpnsip/ctl.h), for
tests that need its frames: flags, HELLO, HELP."""
import socket
import struct

HDR = struct.Struct("=IBBH")
CTL_HELLO, CTL_EXEC, CTL_HELP, CTL_OUTPUT, CTL_DONE = 1, 2, 3, 16, 17
DONE = struct.Struct("=iiII")


class RawShell:
    """The control protocol spoken by hand (include/vpnsip/ctl.h)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def send(self, typ, payload=b"", flags=0):
        self.s.sendall(HDR.pack(len(payload), typ, 0, flags) + payload)

    def frame(self):
        while True:
            if len(self.buf) >= HDR.size:
                n, typ, _, _ = HDR.unpack_from(self.buf)
                if len(self.buf) >= HDR.size + n:
                    payload = self.buf[HDR.size:HDR.size + n]
                    self.buf = self.buf[HDR.size + n:]
                    return typ, payload
            try:
                chunk = self.s.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                return None, b""
            self.buf += chunk

    def request(self, typ, payload=b"", flags=0):
        """Output and (status, flags, prompt); status None: closed."""
        try:
            self.send(typ, payload, flags)
        except OSError:
            return "", (None, 0, "")
        out = b""
        while True:
            t, p = self.frame()
            if t is None:
                return out.decode(), (None, 0, "")
            if t == CTL_OUTPUT:
                out += p
            elif t == CTL_DONE:
                status, _, _, fl = DONE.unpack_from(p)
                return out.decode(), (status, fl, p[DONE.size:].rstrip(b"\0").decode())
