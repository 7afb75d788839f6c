"""The flash file system (as client libraries use it): every AT+FS* command's wire answer, binary
content kept exactly, names that try to leave the storage directory, and
persistence across PTY reopen, reset and (with --storage) a restart."""
import hashlib
import os

import pytest

from net import at_ok

ERROR = b"\r\nERROR\r\n"


def ok(m, cmd):
    m.exchange(cmd + b"\r", at_ok(cmd + b"\r"))


def err(m, cmd):
    m.exchange(cmd + b"\r", cmd + b"\r" + ERROR)


def write(m, path, data, mode=0):
    cmd = b"AT+FSWRITE=%s,%d,%d,10\r" % (path, mode, len(data))
    m.exchange(cmd, cmd + b"\r\n> ")
    m.write(data)
    m.expect_exact(b"\r\nOK\r\n", timeout=5)


def read(m, path, size, pos=0, mode=1):
    """Reads `size` bytes that must all exist (the body may hold "OK")."""
    cmd = b"AT+FSREAD=%s,%d,%d,%d\r" % (path, mode, size, pos)
    m.write(cmd)
    want = len(cmd) + 2 + size + 6
    got = b""
    while len(got) < want:
        got += m.expect(b"\r\nOK\r\n", timeout=5)
    assert got.startswith(cmd + b"\r\n") and got.endswith(b"\r\nOK\r\n"), got[:80]
    return got[len(cmd) + 2:-6]


def test_forms_and_basic_replies(modem):
    m = modem
    m.exchange(b"AT+FSDRIVE=0\r", b"AT+FSDRIVE=0\r\r\n+FSDRIVE: C\r\n\r\nOK\r\n")
    m.exchange(b"AT+FSDRIVE=?\r", b"AT+FSDRIVE=?\r\r\n+FSDRIVE: (0-1)\r\n\r\nOK\r\n")
    err(m, b"AT+FSDRIVE=1")                                   # no SD card
    for c in (b"FSCREATE", b"FSWRITE", b"FSREAD", b"FSDEL", b"FSATTRI", b"FSFLSIZE",
              b"FSRENAME", b"FSLS", b"FSMKDIR", b"FSRMDIR", b"FSMEM"):
        ok(m, b"AT+" + c + b"=?")
    m.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:262144bytes\r\n\r\nOK\r\n")
    m.exchange(b"AT+FSLS=C:\\\r", b"AT+FSLS=C:\\\r\r\nUser\\\r\n\r\nOK\r\n")
    ok(m, b"AT+FSCREATE=C:\\User\\a.txt")
    err(m, b"AT+FSCREATE=C:\\User\\a.txt")                    # exists
    err(m, b"AT+FSCREATE=C:\\User\\A.TXT")                    # names ignore case
    m.exchange(b"AT+FSFLSIZE=C:\\User\\a.txt\r",
               b"AT+FSFLSIZE=C:\\User\\a.txt\r\r\n+FSFLSIZE: 0\r\n\r\nOK\r\n")
    write(m, b"C:\\USER\\A.TXT", b"hello")
    write(m, b"C:\\User\\a.txt", b" world", mode=1)
    m.exchange(b"AT+FSATTRI=C:\\User\\a.txt\r",
               b"AT+FSATTRI=C:\\User\\a.txt\r\r\n+FSATTRI: 11\r\n\r\nOK\r\n")
    m.exchange(b"AT+FSREAD=C:\\User\\a.txt,0,100,0\r",
               b"AT+FSREAD=C:\\User\\a.txt,0,100,0\r\r\nhello world\r\nOK\r\n")
    m.exchange(b"AT+FSREAD=C:\\User\\a.txt,1,3,6\r", b"AT+FSREAD=C:\\User\\a.txt,1,3,6\r\r\nwor\r\nOK\r\n")
    err(m, b"AT+FSREAD=C:\\User\\a.txt,1,3,11")               # at the end
    m.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:262133bytes\r\n\r\nOK\r\n")
    write(m, b"C:\\User\\a.txt", b"X")                        # mode 0 truncates
    m.exchange(b"AT+FSFLSIZE=C:\\User\\a.txt\r",
               b"AT+FSFLSIZE=C:\\User\\a.txt\r\r\n+FSFLSIZE: 1\r\n\r\nOK\r\n")
    ok(m, b"AT+FSMKDIR=C:\\User\\Log\\")
    err(m, b"AT+FSMKDIR=C:\\User\\Log")                       # exists
    ok(m, b"AT+FSRENAME=C:\\User\\a.txt,C:\\User\\Log\\b.txt")
    m.exchange(b"AT+FSLS=C:\\User\\Log\\\r", b"AT+FSLS=C:\\User\\Log\\\r\r\nb.txt\r\n\r\nOK\r\n")
    ok(m, b"AT+FSCREATE=C:\\User\\c.txt")
    err(m, b"AT+FSRENAME=C:\\User\\c.txt,C:\\User\\Log\\b.txt")  # target exists
    m.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r\r\nLog\\\r\nc.txt\r\n\r\nOK\r\n")
    err(m, b"AT+FSRMDIR=C:\\User\\Log\\")                     # not empty
    ok(m, b"AT+FSDEL=C:\\User\\Log\\b.txt")
    err(m, b"AT+FSDEL=C:\\User\\Log\\b.txt")                  # gone
    ok(m, b"AT+FSRMDIR=C:\\User\\Log\\")
    err(m, b"AT+FSFLSIZE=C:\\User\\nope.txt")
    m.exchange(b"AT+FSLS=C:\\User\\Log\\\r", b"AT+FSLS=C:\\User\\Log\\\r" + ERROR)


def test_fswrite_limits_and_timeout(emulator):
    _, m = emulator.modem()
    err(m, b"AT+FSWRITE=C:\\User\\none.bin,0,10,10")          # not created
    ok(m, b"AT+FSCREATE=C:\\User\\t.bin")
    err(m, b"AT+FSWRITE=C:\\User\\t.bin,0,0,10")
    err(m, b"AT+FSWRITE=C:\\User\\t.bin,0,10241,10")
    err(m, b"AT+FSWRITE=C:\\User\\t.bin,2,10,10")
    m.exchange(b"AT+FSWRITE=C:\\User\\t.bin,0,10,1\r", b"AT+FSWRITE=C:\\User\\t.bin,0,10,1\r\r\n> ")
    m.write(b"abc")
    m.expect_exact(b"\r\nTimeOut\r\n", timeout=4)             # partial data kept
    m.exchange(b"AT+FSFLSIZE=C:\\User\\t.bin\r", b"AT+FSFLSIZE=C:\\User\\t.bin\r\r\n+FSFLSIZE: 3\r\n\r\nOK\r\n")
    # TinyGSM sends "\r\n" after the data: an empty line, not an error.
    m.exchange(b"AT+FSWRITE=C:\\User\\t.bin,0,4,10\r", b"AT+FSWRITE=C:\\User\\t.bin,0,4,10\r\r\n> ")
    m.write(b"wxyz\r\n")
    m.expect_exact(b"\r\nOK\r\n", timeout=5)
    m.assert_quiet(0.3)
    # The space is 262144 bytes: a write beyond it fails before the prompt.
    ok(m, b"AT+FSCREATE=C:\\User\\big.bin")
    for _ in range(25):
        write(m, b"C:\\User\\big.bin", b"\x00" * 10240, mode=1)
    err(m, b"AT+FSWRITE=C:\\User\\big.bin,1,10240,10")


def test_16kb_binary_roundtrip(modem):
    data = os.urandom(16 * 1024) + b"\x00\x1a\x1b\r\nOK\r\n"
    ok(modem, b"AT+FSCREATE=C:\\User\\blob.bin")
    for off in range(0, len(data), 10240):
        write(modem, b"C:\\User\\blob.bin", data[off:off + 10240], mode=1)
    back = b""
    while len(back) < len(data):
        n = min(10240, len(data) - len(back))
        chunk = read(modem, b"C:\\User\\blob.bin", n, pos=len(back))
        assert len(chunk) == n
        back += chunk
    assert hashlib.sha256(back).hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("path", [
    b"C:\\..\\escape.txt", b"C:\\User\\..\\..\\escape.txt", b"C:\\User\\.\\x", b"/etc/passwd",
    b"C:/etc/passwd", b"C:\\User/..\\x", b"D:\\x.txt", b"C:\\User\\a:b", b"C:\\User\\\\x",
    b"C:\\" + b"A" * 65, b"C:\\User\\" + b"B\\" * 40 + b"x", b"C:\\User\\a\x01b", b"\\\\?\\C:\\x",
    b"C:\\User\\*.txt", b"C:\\User\\a|b",
])
def test_names_outside_the_storage_are_refused(emulator, tmp_path, path):
    store = tmp_path / "store"
    _, m = emulator.modem("--storage", str(store))
    err(m, b"AT+FSCREATE=" + path)
    err(m, b"AT+FSMKDIR=" + path)
    # Nothing was created anywhere but (at most) the factory tree.
    created = sorted(str(p.relative_to(store)) for p in store.rglob("*")) if store.exists() else []
    assert created in ([], ["modem0", "modem0/User"]), created
    assert not (tmp_path / "escape.txt").exists()


def test_symlink_planted_in_storage_is_not_followed(emulator, tmp_path):
    store = tmp_path / "store"
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (store / "modem0" / "User").mkdir(parents=True)
    os.symlink(secret, store / "modem0" / "User" / "link.txt")
    _, m = emulator.modem("--storage", str(store))
    err(m, b"AT+FSREAD=C:\\User\\link.txt,0,100,0")
    err(m, b"AT+FSFLSIZE=C:\\User\\link.txt")
    assert secret.read_text() == "top secret"


def test_quoted_and_unquoted_names_are_the_same_file(modem):
    ok(modem, b'AT+FSCREATE="C:\\User\\q.txt"')
    write(modem, b"C:\\User\\q.txt", b"same")
    modem.exchange(b'AT+FSFLSIZE="C:\\USER\\Q.TXT"\r',
                   b'AT+FSFLSIZE="C:\\USER\\Q.TXT"\r\r\n+FSFLSIZE: 4\r\n\r\nOK\r\n')


def test_state_survives_reopen_reset_and_restart(emulator, tmp_path):
    store = tmp_path / "store"
    e, m = emulator.modem("--storage", str(store))
    ok(m, b"AT+FSCREATE=C:\\User\\keep.txt")
    write(m, b"C:\\User\\keep.txt", b"persist")
    m.close()
    m2 = e.open()
    m2.exchange(b"AT+FSREAD=C:\\User\\keep.txt,0,7,0\r",
                b"AT+FSREAD=C:\\User\\keep.txt,0,7,0\r\r\npersist\r\nOK\r\n")
    m2.exchange(b"AT+CFUN=1,1\r", b"AT+CFUN=1,1\r")
    m2.expect(b"SMS Ready\r\n", timeout=5)
    m2.exchange(b"AT+FSFLSIZE=C:\\User\\keep.txt\r",
                b"AT+FSFLSIZE=C:\\User\\keep.txt\r\r\n+FSFLSIZE: 7\r\n\r\nOK\r\n")
    assert e.stop() == 0
    _, m3 = emulator.modem("--storage", str(store))
    m3.exchange(b"AT+FSREAD=C:\\User\\keep.txt,0,7,0\r",
                b"AT+FSREAD=C:\\User\\keep.txt,0,7,0\r\r\npersist\r\nOK\r\n")


def test_default_storage_is_temporary_and_removed(tmp_path):
    """Without --storage the file system lives in a fresh directory under
    $TMPDIR that is removed when the emulator exits."""
    import select
    import subprocess
    from conftest import FAST_BOOT, binary_path
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    p = subprocess.Popen([str(binary_path()), *FAST_BOOT], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp)})
    try:
        r, _, _ = select.select([p.stdout], [], [], 10)
        assert r, "no PTY path printed"
        p.stdout.readline()
        dirs = list(tmp.iterdir())
        assert len(dirs) == 1 and dirs[0].name.startswith("sim800emu-"), dirs
    finally:
        p.terminate()
        p.wait(10)
    assert list(tmp.iterdir()) == []


def test_profile_without_fs(emulator):
    _, m = emulator.modem("-p", "sim800-r13.08", "-s", "modem.features=")
    err(m, b"AT+FSCREATE=C:\\User\\x")


# --- the seed, byte for byte ------------------------------------------------

def seed_certificate():
    """A PEM text of exactly the SSL note's 1196 bytes (SIM800 SSL Application Note (Chinese edition) example 3.10)."""
    import base64
    body = base64.b64encode(bytes(range(256)) * 3 + bytes(range(75))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    pem = ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) +
           "\n-----END CERTIFICATE-----\n").encode()
    assert len(pem) == 1196
    return pem


def test_seed_3_10_fs_part_byte_for_byte(emulator, tmp_path):
    store = tmp_path / "store"
    _, m = emulator.modem("--storage", str(store))
    pem = seed_certificate()
    m.exchange(b"AT+FSCREATE=C:\\USER\\HENRY_SSL.CRT\r",
               b"AT+FSCREATE=C:\\USER\\HENRY_SSL.CRT\r\r\nOK\r\n")
    m.exchange(b"AT+FSWRITE=C:\\USER\\HENRY_SSL.CRT,0,1196,10\r",
               b"AT+FSWRITE=C:\\USER\\HENRY_SSL.CRT,0,1196,10\r\r\n> ")
    m.write(pem)
    m.expect_exact(b"\r\nOK\r\n", timeout=5)
    m.exchange(b"AT+FSFLSIZE=C:\\USER\\HENRY_SSL.CRT\r",
               b"AT+FSFLSIZE=C:\\USER\\HENRY_SSL.CRT\r\r\n+FSFLSIZE: 1196\r\n\r\nOK\r\n")
    assert read(m, b"C:\\USER\\HENRY_SSL.CRT", 1196, mode=0) == pem
    # C:\USER is the factory C:\User\ (case-preserving); the bytes are the file.
    assert (store / "modem0" / "User" / "HENRY_SSL.CRT").read_bytes() == pem
    m.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r\r\nHENRY_SSL.CRT\r\n\r\nOK\r\n")


# --- arguments, limits and errors ---------------------------------------------

def test_argument_errors(modem):
    m = modem
    ok(m, b"AT+FSCREATE=C:\\User\\a.txt")
    for bad in (b"AT+FSCREATE", b"AT+FSCREATE?", b"AT+FSCREATE=", b"AT+FSCREATE=C:\\User\\b,1",
                b"AT+FSDRIVE", b"AT+FSDRIVE?", b"AT+FSDRIVE=2", b"AT+FSDRIVE=x", b"AT+FSMEM=0",
                b"AT+FSMEM?",
                b"AT+FSWRITE=C:\\User\\a.txt,0,10",                 # no timeout
                b"AT+FSWRITE=C:\\User\\a.txt,0,10,0",               # timeout 1..100
                b"AT+FSWRITE=C:\\User\\a.txt,0,10,101",
                b"AT+FSWRITE=C:\\User\\a.txt,0,10,10,1",            # one too many
                b"AT+FSWRITE=C:\\User\\a.txt,-1,10,10",
                b"AT+FSWRITE=C:\\User\\a.txt,0,x,10",
                b"AT+FSWRITE=C:\\User\\,0,10,10",                   # a directory
                b"AT+FSREAD=C:\\User\\a.txt,0,10",
                b"AT+FSREAD=C:\\User\\a.txt,2,10,0",
                b"AT+FSREAD=C:\\User\\a.txt,0,0,0",
                b"AT+FSREAD=C:\\User\\a.txt,0,10241,0",
                b"AT+FSREAD=C:\\User\\a.txt,0,10,0",                # empty file
                b"AT+FSRENAME=C:\\User\\a.txt",
                b"AT+FSDEL=C:\\User\\", b"AT+FSDEL=C:\\", b"AT+FSRMDIR=C:\\",
                b"AT+FSRMDIR=C:\\User\\a.txt",                      # a file
                b"AT+FSDEL=C:\\User\\a.txt\\",                      # a file written as a dir
                b"AT+FSLS=C:\\User\\a.txt",                         # not a directory
                b"AT+FSLS=C:\\nothere\\",
                b"AT+FSCREATE=C:\\nothere\\x.txt",                  # parent missing
                b"AT+FSMKDIR=C:\\a\\b\\",
                b"AT+FSCREATE=C:\\User\\"):                         # a directory name
        err(m, bad)
    # Every failure is a plain ERROR, whatever AT+CMEE says (as client libraries see it).
    ok(m, b"AT+CMEE=2")
    err(m, b"AT+FSFLSIZE=C:\\User\\none.txt")
    err(m, b"AT+FSREAD=C:\\User\\a.txt,0,10241,0")


def test_names_paths_and_depth(modem):
    m = modem
    ok(m, b"AT+FSCREATE=C:\\INTERVAL.TXT")                   # the root is writable
    ok(m, b"AT+FSMKDIR=C:\\stats")                            # with or without '\'
    ok(m, b"AT+FSCREATE=c:\\STATS\\.cfg")                     # a leading dot is a name
    m.exchange(b"AT+FSFLSIZE=C:\\stats\\.CFG\r",
               b"AT+FSFLSIZE=C:\\stats\\.CFG\r\r\n+FSFLSIZE: 0\r\n\r\nOK\r\n")
    m.exchange(b"AT+FSLS=C:\\stats\r", b"AT+FSLS=C:\\stats\r\r\n.cfg\r\n\r\nOK\r\n")
    m.exchange(b"AT+FSLS=C:\\\r", b"AT+FSLS=C:\\\r\r\nUser\\\r\nstats\\\r\nINTERVAL.TXT\r\n\r\nOK\r\n")
    ok(m, b"AT+FSCREATE=C:\\User\\a b.txt")                   # spaces are dropped by the
    m.exchange(b"AT+FSFLSIZE=C:\\User\\ab.txt\r",              # engine outside quotes...
               b"AT+FSFLSIZE=C:\\User\\ab.txt\r\r\n+FSFLSIZE: 0\r\n\r\nOK\r\n")
    ok(m, b'AT+FSCREATE="C:\\User\\a b.txt"')                 # ...and kept inside them
    # A component of 64 characters is fine, 65 is not; a path of 128 is fine.
    ok(m, b"AT+FSCREATE=C:\\User\\" + b"N" * 64)
    err(m, b"AT+FSCREATE=C:\\User\\" + b"M" * 65)
    # Any depth within 128 characters: 20 levels under C:\User\.
    path = b"C:\\User"
    for i in range(20):
        path += b"\\d%d" % i
        ok(m, b"AT+FSMKDIR=" + path + b"\\")
    full = path + b"\\" + b"f" * (128 - len(path) - 1)
    assert len(full) == 128
    ok(m, b"AT+FSCREATE=" + full)
    write(m, full, b"deep")
    err(m, b"AT+FSCREATE=" + full + b"g")                     # 129 characters


def test_entries_per_directory_and_capacity_key(emulator):
    _, m = emulator.modem("-s", "fs.capacity=20000")
    m.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:20000bytes\r\n\r\nOK\r\n")
    for i in range(64):
        ok(m, b"AT+FSCREATE=C:\\User\\f%02d" % i)
    err(m, b"AT+FSCREATE=C:\\User\\f64")                      # 64 entries per directory
    err(m, b"AT+FSMKDIR=C:\\User\\d64\\")
    ok(m, b"AT+FSDEL=C:\\User\\f00")
    ok(m, b"AT+FSMKDIR=C:\\User\\d64\\")
    write(m, b"C:\\User\\f01", b"x" * 10240)
    err(m, b"AT+FSWRITE=C:\\User\\f02,0,10000,10")            # 20240 > 20000
    write(m, b"C:\\User\\f02", b"y" * 9760)                   # exactly full
    m.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:0bytes\r\n\r\nOK\r\n")
    write(m, b"C:\\User\\f01", b"z")                          # mode 0 frees the old bytes
    m.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:10239bytes\r\n\r\nOK\r\n")


def test_fsread_modes_and_short_reads(modem):
    m = modem
    ok(m, b"AT+FSCREATE=C:\\User\\r.txt")
    write(m, b"C:\\User\\r.txt", b"0123456789")
    # Mode 0 reads from the start whatever the position says.
    m.exchange(b"AT+FSREAD=C:\\User\\r.txt,0,4,7\r", b"AT+FSREAD=C:\\User\\r.txt,0,4,7\r\r\n0123\r\nOK\r\n")
    # Past the end: only the bytes that exist.
    m.exchange(b"AT+FSREAD=C:\\User\\r.txt,1,100,8\r", b"AT+FSREAD=C:\\User\\r.txt,1,100,8\r\r\n89\r\nOK\r\n")
    err(m, b"AT+FSREAD=C:\\User\\r.txt,1,1,10")


def test_fswrite_binary_controls_and_empty_timeout(modem):
    m = modem
    ok(m, b"AT+FSCREATE=C:\\User\\c.bin")
    data = b"\x1a\x1b\x00\r\n+++\x1a" + bytes(range(256))
    write(m, b"C:\\User\\c.bin", data)                        # Ctrl-Z/ESC are data
    assert read(m, b"C:\\User\\c.bin", len(data)) == data
    # A timeout with nothing sent leaves the file as it was.
    m.exchange(b"AT+FSWRITE=C:\\User\\c.bin,0,5,1\r", b"AT+FSWRITE=C:\\User\\c.bin,0,5,1\r\r\n> ")
    m.expect_exact(b"\r\nTimeOut\r\n", timeout=4)
    assert read(m, b"C:\\User\\c.bin", len(data)) == data
    m.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_fsls_order_is_creation_order(modem):
    m = modem
    for name in (b"zz.txt", b"aa.txt", b"mm.txt"):
        ok(m, b"AT+FSCREATE=C:\\User\\" + name)
    ok(m, b"AT+FSMKDIR=C:\\User\\Zdir\\")
    ok(m, b"AT+FSMKDIR=C:\\User\\Adir\\")
    # Writing a file, or changing what a directory holds, moves nothing.
    write(m, b"C:\\User\\zz.txt", b"changed")
    write(m, b"C:\\User\\aa.txt", b"more", mode=1)
    ok(m, b"AT+FSCREATE=C:\\User\\Zdir\\inner.txt")
    ok(m, b"AT+FSRENAME=C:\\User\\mm.txt,C:\\User\\bb.txt")   # keeps its place
    listing = b"\r\nZdir\\\r\nAdir\\\r\nzz.txt\r\naa.txt\r\nbb.txt\r\n\r\nOK\r\n"
    m.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r" + listing)
    m.exchange(b"AT+FSLS=C:\\User\\Zdir\\\r", b"AT+FSLS=C:\\User\\Zdir\\\r\r\ninner.txt\r\n\r\nOK\r\n")
    m.exchange(b"AT+FSLS=C:\\User\\Adir\\\r", b"AT+FSLS=C:\\User\\Adir\\\r\r\nOK\r\n")


def test_fsrename_rules(modem):
    m = modem
    ok(m, b"AT+FSMKDIR=C:\\User\\A\\")
    ok(m, b"AT+FSMKDIR=C:\\User\\B\\")
    ok(m, b"AT+FSCREATE=C:\\User\\A\\x.txt")
    write(m, b"C:\\User\\A\\x.txt", b"from A")
    ok(m, b"AT+FSCREATE=C:\\User\\B\\x.txt")
    write(m, b"C:\\User\\B\\x.txt", b"from B")
    # The same name in another directory (any case) is another file: refused.
    err(m, b"AT+FSRENAME=C:\\User\\A\\x.txt,C:\\User\\B\\X.TXT")
    m.exchange(b"AT+FSLS=C:\\User\\B\\\r", b"AT+FSLS=C:\\User\\B\\\r\r\nx.txt\r\n\r\nOK\r\n")
    assert read(m, b"C:\\User\\B\\x.txt", 6) == b"from B"
    # A change of case alone renames the entry itself.
    ok(m, b"AT+FSRENAME=C:\\User\\A\\x.txt,C:\\User\\A\\X.TXT")
    m.exchange(b"AT+FSLS=C:\\User\\A\\\r", b"AT+FSLS=C:\\User\\A\\\r\r\nX.TXT\r\n\r\nOK\r\n")
    err(m, b"AT+FSRENAME=C:\\User\\A\\X.TXT\\,C:\\User\\A\\y.txt")   # a file is no directory
    err(m, b"AT+FSRENAME=C:\\User\\A\\X.TXT,C:\\User\\A\\y.txt\\")
    err(m, b"AT+FSRENAME=C:\\User\\A\\none,C:\\User\\A\\y.txt")      # no source
    err(m, b"AT+FSRENAME=C:\\User\\A\\X.TXT,C:\\nothere\\y.txt")     # no target directory
    # Directories rename too, with or without '\', but never into themselves.
    ok(m, b"AT+FSRENAME=C:\\User\\A\\,C:\\User\\C\\")
    ok(m, b"AT+FSRENAME=C:\\User\\C,C:\\User\\B\\C")
    err(m, b"AT+FSRENAME=C:\\User\\B\\,C:\\User\\B\\C\\B\\")
    assert read(m, b"C:\\User\\B\\C\\X.TXT", 6) == b"from A"
    err(m, b"AT+FSRENAME=C:\\User\\,C:\\")


def test_odd_bytes_nul_and_overlong_lines_create_nothing(emulator, tmp_path):
    store = tmp_path / "store"
    _, m = emulator.modem("--storage", str(store))
    m.cmd(b"AT+FSMEM\r")                       # the factory tree is made on first use
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for line in (b"AT+FSCREATE=C:\\User\\a\x00b\r", b"AT+FSCREATE=C:\\User\\\x00\r",
                 b"AT+FSCREATE=C:\\User\\\xff\xfe\r", b"AT+FSCREATE=C:\\User\\caf\xc3\xa9\r",
                 b"AT+FSCREATE=C:\\User\\a\x1bb\r", b"AT+FSCREATE=C:\\User\\" + b"L" * 600 + b"\r",
                 b"AT+FSCREATE=C:\\User\\" + b"d\\" * 60 + b"x\r",
                 b"AT+FSRENAME=C:\\User\\x,C:\\..\\..\\escape\r",
                 b"AT+FSRENAME=C:\\User\\x,/tmp/escape\r",
                 b"AT+FSLS=C:\\..\\\r", b"AT+FSLS=/\r", b"AT+FSREAD=/etc/passwd,0,100,0\r",
                 b"AT+FSFLSIZE=C:\\..\\..\\..\\etc\\passwd\r", b"AT+FSDEL=C:\\User\\..\r"):
        got = m.cmd(line)
        assert got.endswith(b"\r\nERROR\r\n"), (line, got)
    m.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r\r\nOK\r\n")
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == before


def test_files_planted_on_the_host_are_invisible(emulator, tmp_path):
    """What a host puts in the storage directory under a name the module
    cannot spell is not part of the file system: never listed (a newline in a
    name would break the framing), counted or opened."""
    store = tmp_path / "store"
    user = store / "modem0" / "User"
    user.mkdir(parents=True)
    (user / "bad:name.txt").write_bytes(b"x" * 1000)
    (user / "two\r\nlines").write_bytes(b"x" * 1000)
    (user / ("L" * 100)).write_bytes(b"x" * 1000)
    os.mkfifo(user / "fifo")
    _, m = emulator.modem("--storage", str(store))
    m.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r\r\nOK\r\n")
    m.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:262144bytes\r\n\r\nOK\r\n")
    err(m, b"AT+FSFLSIZE=C:\\User\\fifo")
    err(m, b"AT+FSCREATE=C:\\User\\fifo")                     # exists on the host: not replaced
    assert (user / "bad:name.txt").read_bytes() == b"x" * 1000


def test_each_modem_has_its_own_storage(emulator, tmp_path):
    store = tmp_path / "store"
    e = emulator.start("--storage", str(store), "-l", str(tmp_path / "m%d"), n=2)
    m0, m1 = e.boot(0), e.boot(1)
    ok(m0, b"AT+FSCREATE=C:\\User\\only0.txt")
    write(m0, b"C:\\User\\only0.txt", b"zero")
    err(m1, b"AT+FSFLSIZE=C:\\User\\only0.txt")
    m1.exchange(b"AT+FSMEM\r", b"AT+FSMEM\r\r\n+FSMEM: C:262144bytes\r\n\r\nOK\r\n")
    ok(m1, b"AT+FSCREATE=C:\\User\\only1.txt")
    assert (store / "modem0" / "User" / "only0.txt").read_bytes() == b"zero"
    assert (store / "modem1" / "User" / "only1.txt").exists()
    assert not (store / "modem0" / "User" / "only1.txt").exists()
    assert e.stop() == 0
    # Restarted with the same directory, each modem finds its own files.
    e2 = emulator.start("--storage", str(store), "-l", str(tmp_path / "n%d"), n=2)
    n0, n1 = e2.boot(0), e2.boot(1)
    n0.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r\r\nonly0.txt\r\n\r\nOK\r\n")
    n1.exchange(b"AT+FSLS=C:\\User\\\r", b"AT+FSLS=C:\\User\\\r\r\nonly1.txt\r\n\r\nOK\r\n")


def test_profile_storage_key(emulator, tmp_path):
    store = tmp_path / "from-profile"
    _, m = emulator.modem("-s", "fs.storage=" + str(store))
    ok(m, b"AT+FSCREATE=C:\\User\\p.txt")
    assert (store / "modem0" / "User" / "p.txt").exists()
