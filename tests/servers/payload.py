"""Deterministic test payloads shared by tls_echo.py (source:N:SEED) and the tests.

payload(n, seed) -> bytes, defined exactly as (so it can be reimplemented in C):

    s      = str(seed).encode("utf-8")            # an int seed is its decimal text
    keys   = SHAKE-256(b"perm:" + s), first 512 bytes
    perm   = the 256 byte values 0..255 sorted by (big-endian u16 keys[2i:2i+2], i)
    stream = SHAKE-256(b"data:" + s), first max(0, n - 256) bytes
    payload(n, seed) = (perm + stream)[:n]

So any payload of 256 bytes or more contains every byte value (0x00, 0x1A Ctrl-Z,
0x1B ESC, CR, LF, '+', 0xFF ...) within its first 256 bytes; the rest is uniform
pseudo-random.  8 MB takes a few tens of milliseconds.
"""

import hashlib

__all__ = ["payload", "sha256_hex"]


def _perm(s: bytes) -> bytes:
    keys = hashlib.shake_256(b"perm:" + s).digest(512)
    order = sorted(range(256), key=lambda i: (keys[2 * i] << 8 | keys[2 * i + 1], i))
    return bytes(order)


def payload(n: int, seed) -> bytes:
    """The first n bytes of the payload stream for seed (int or str)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    s = str(seed).encode("utf-8")
    head = _perm(s)
    if n <= 256:
        return head[:n]
    return head + hashlib.shake_256(b"data:" + s).digest(n - 256)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


if __name__ == "__main__":  # payload.py N SEED > file
    import sys

    sys.stdout.buffer.write(payload(int(sys.argv[1]), sys.argv[2]))
