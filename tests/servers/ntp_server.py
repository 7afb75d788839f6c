"""A small SNTP server on loopback (RFC 4330 §5) for the AT+CNTP tests: it
answers each client request with the host's time plus `offset` seconds, or
misbehaves as asked (mode "garbage": a short datagram; "kod": a
kiss-o'-death, stratum 0; "silent": no answer; "wrong-origin": an answer
that does not echo the request's transmit time)."""
import socket
import struct
import threading
import time

NTP_UNIX_OFFSET = 2208988800


def _stamp(t):
    secs = int(t)
    frac = int((t - secs) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack("!II", (secs + NTP_UNIX_OFFSET) & 0xFFFFFFFF, frac)


class NtpServer:
    def __init__(self, offset=0.0, mode="ok"):
        self.offset = offset
        self.mode = mode
        self.requests = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            self.requests += 1
            if len(data) < 48 or self.mode == "silent":
                continue
            if self.mode == "garbage":
                self.sock.sendto(b"\x24\x01", peer)
                continue
            now = time.time() + self.offset
            stratum = 0 if self.mode == "kod" else 1
            origin = b"\0" * 8 if self.mode == "wrong-origin" else data[40:48]
            reply = (struct.pack("!BBbb", 0x24, stratum, 6, -20) + b"\0" * 8 + b"LOCL" +
                     _stamp(now) + origin + _stamp(now) + _stamp(now))
            self.sock.sendto(reply, peer)

    def stop(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
