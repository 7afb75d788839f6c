"""The flash survives a killed process (AT+FSWRITE is atomic): SIGKILL while
files are being rewritten, restart with --storage, and every file holds its
old or its new content, and AT+FSLS still lists in creation order."""
import hashlib
import random
import re
import signal
import threading
import time

OK = b"\r\nOK\r\n"
FILES = [b"C:\\User\\f%d.bin" % i for i in range(6)] + \
        [b"C:\\d%d\\g.bin" % i for i in range(3)]
DIRS = [b"d%d" % i for i in range(3)]


def content(path, version):
    """Version `version` of a file: 3-10 KB, different at every byte."""
    seed = hashlib.sha256(path + b"#%d" % version).digest()
    size = 3000 + int.from_bytes(seed[:2], "big") % 7000
    out = bytearray()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])


def ok(m, cmd, timeout=5):
    m.write(cmd + b"\r")
    m.expect_exact(OK, timeout=timeout)


class Killed(Exception):
    pass


def wait_for(m, proc, data, timeout=5):
    """m.expect(data), but gives up as soon as the process is gone."""
    deadline = time.monotonic() + timeout
    while data not in m.buf:
        if proc is not None and proc.poll() is not None:
            raise Killed()
        assert time.monotonic() < deadline, bytes(m.buf[-80:])
        try:
            m._read_some(time.monotonic() + 0.02)
        except OSError:
            raise Killed() from None
    m.take()


def fswrite(m, path, data, proc=None):
    m.write(b"AT+FSWRITE=%s,0,%d,10\r" % (path, len(data)))
    wait_for(m, proc, b"\r\n> ")
    m.write(data)
    wait_for(m, proc, OK)


def fsread(m, path):
    m.write(b"AT+FSFLSIZE=%s\r" % path)
    got = m.expect(OK, timeout=5)
    size = int(re.search(rb"\+FSFLSIZE: (\d+)", got).group(1))
    if size == 0:
        return b""
    m.write(b"AT+FSREAD=%s,0,%d,0\r" % (path, size))
    want = 2 + size + len(OK)
    while len(m.buf) < want:
        m._read_some(time.monotonic() + 5)
    body = m.take()
    assert body.startswith(b"\r\n") and body.endswith(OK), body[:40]
    return body[2:-len(OK)]


def start(emulator, store):
    e = emulator.start("--storage", str(store))
    m = e.boot()
    m.exchange(b"ATE0\r", b"ATE0\r" + OK)
    return e, m


def test_sigkill_during_writes_leaves_old_or_new_content_and_the_order(emulator, tmp_path):
    store = tmp_path / "store"
    e, m = start(emulator, store)
    for d in DIRS:
        ok(m, b"AT+FSMKDIR=C:\\%s\\" % d)
    for path in FILES:
        ok(m, b"AT+FSCREATE=" + path)
        fswrite(m, path, content(path, 0))
    m.write(b"AT+FSLS=C:\\User\\\r")
    user_listing = m.expect(OK)
    m.write(b"AT+FSLS=C:\\\r")
    root_listing = m.expect(OK)
    assert root_listing == b"\r\nUser\\\r\nd0\\\r\nd1\\\r\nd2\\\r\n" + OK, root_listing
    e.stop()

    committed = {p: 0 for p in FILES}   # the version answered OK
    rng = random.Random(11)
    rounds = 40
    torn = []
    for r in range(rounds):
        e, m = start(emulator, store)
        # Every file is its committed version or the one in flight.
        for path in FILES:
            got = fsread(m, path)
            allowed = {content(path, committed[path]), content(path, committed[path] + 1)}
            if got not in allowed:
                torn.append((r, path, len(got)))
            if got == content(path, committed[path] + 1):
                committed[path] += 1
        m.write(b"AT+FSLS=C:\\User\\\r")
        assert m.expect(OK) == user_listing, f"round {r}: C:\\User\\ reordered"
        m.write(b"AT+FSLS=C:\\\r")
        assert m.expect(OK) == root_listing, f"round {r}: C:\\ reordered"
        leftovers = [p for p in store.rglob("*") if p.name.endswith(":tmp")]
        assert not leftovers, leftovers
        assert not torn, f"torn files (round, name, size): {torn}"
        # Rewrite files until the process is killed at a random moment.
        killer = threading.Timer(rng.uniform(0.02, 0.25), e.proc.send_signal, (signal.SIGKILL,))
        killer.start()
        try:
            while True:
                for path in FILES:
                    fswrite(m, path, content(path, committed[path] + 1), e.proc)
                    committed[path] += 1
        except (Killed, OSError):
            pass
        killer.join()
        e.proc.wait(timeout=10)
        e.returncode = 0             # killed on purpose: not a failed exit
        for p in e.ports:
            p.close()
    e, m = start(emulator, store)
    m.exchange(b"AT\r", OK)
