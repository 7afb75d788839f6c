"""The flash file system (fs.md): every AT+FS* command's wire answer, binary
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
