"""Start and stop a sim800emu process."""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .control import Control, rule_spec

# Every boot URC at t=0, so a test starts talking at once.
FAST_BOOT = ("-s", "boot.rdy_ms=0", "-s", "boot.cpin_ms=0",
             "-s", "boot.call_ready_ms=0", "-s", "boot.sms_ready_ms=0")


def find_binary():
    """$SIM800EMU_BIN, else sim800emu on PATH, else the build tree of the
    checkout this package sits in (scripts/python/ -> build/emulator/)."""
    env = os.environ.get("SIM800EMU_BIN")
    if env:
        return Path(env)
    found = shutil.which("sim800emu")
    if found:
        return Path(found)
    here = Path(__file__).resolve().parents[3] / "build" / "emulator" / "sim800emu"
    if here.is_file():
        return here
    raise FileNotFoundError("sim800emu not found: install it, or set SIM800EMU_BIN")


def drain_port(path, quiet=0.15, limit=5.0):
    """Reads a port until it has been quiet for `quiet` seconds; returns the
    bytes (the boot URCs the first client of a port receives)."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    out = b""
    end = time.monotonic() + limit
    try:
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], quiet)
            if not r:
                break
            try:
                out += os.read(fd, 65536)
            except BlockingIOError:
                pass
    finally:
        os.close(fd)
    return out


# A final result code (ATV1): the end of a command's answer (manual §2.2.25).
FINAL = re.compile(rb"\r\n(OK|ERROR|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|CONNECT[^\r\n]*"
                   rb"|\+CME ERROR: [^\r\n]+|\+CMS ERROR: [^\r\n]+)\r\n")


class Rule(int):
    """A fault rule that was added: its id (an int), and how it has done
    since, from the emulator's `fault list`."""

    def __new__(cls, rule_id, control):
        self = super().__new__(cls, rule_id)
        self.control = control
        return self

    def info(self):
        """The rule's entry of `fault list` (None once it was cleared)."""
        return next((r for r in self.control.rules() if r["id"] == int(self)), None)

    @property
    def matched(self):
        return (self.info() or {}).get("matched", 0)

    @property
    def fired(self):
        return (self.info() or {}).get("fired", 0)

    def wait_fired(self, timeout=10.0, times=1):
        """Waits until the rule has fired `times` times; returns the count,
        or raises TimeoutError with the rule's entry."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.info() or {}
            if info.get("fired", 0) >= times:
                return info["fired"]
            if time.monotonic() > deadline:
                raise TimeoutError("fault rule %d fired %d of %d times within %.1f s: %r"
                                   % (int(self), info.get("fired", 0), times, timeout, info))
            time.sleep(0.02)


class Modem:
    """One modem of a running emulator: its port, faults for it, and a
    small AT client over the port (at(), expect()) for tests that need no
    serial code of their own."""

    def __init__(self, emulator, index, port):
        self.emulator = emulator
        self.index = index
        self.port = port
        self._serial = None
        self._buf = b""

    def fail(self, *words, **keys):
        """Injects a fault on this modem (keys as rule_spec: fail("dns",
        service="http"), fail(service="http", tls_alert="handshake_failure"),
        fail(service="ftp", reply_to="PBSZ", reply="501 no")); returns the
        Rule (an int, the rule's id, with .fired, .matched, .wait_fired())."""
        keys.setdefault("modem", self.index)
        control = self.emulator.control
        return Rule(control.add(rule_spec(*words, **keys)), control)

    def status(self):
        return self.emulator.control.status()["modems"][self.index]

    # -- SMS: the network's side (README "SMS") -------------------------------
    def deliver_sms(self, sender=None, text=None, pdu=None, alphabet=None, time=None,
                    parts=None, cls=None):
        """A message arrives from the network, stored and announced as the
        device's AT+CNMI asks: deliver_sms("+4917012345", "Hi"), with
        alphabet ("gsm7", "8bit", "ucs2"), time ("yy/MM/dd,hh:mm:ss+zz"),
        parts (N concatenated parts) or cls (message class 0-3); or
        deliver_sms(pdu="0791...") for an SMS-DELIVER PDU as +CMT shows it.
        Returns the number of parts delivered; ControlError when the modem
        refuses it (memory full, off the network)."""
        if pdu is not None:
            words = ["deliver", "pdu=" + pdu]
        else:
            words = ["deliver", rule_spec(**{"from": sender, "text": text, "alphabet": alphabet,
                                             "time": time, "parts": parts, "class": cls})]
        reply = self.emulator.control.request("sms %d %s" % (self.index, " ".join(words)))
        return int(reply.split()[1])

    def sent_sms(self):
        """What the device sent (AT+CMGS, AT+CMSS), oldest first: one dict per
        message, concatenated parts joined: to, toa, dcs, alphabet, parts,
        received, report, mr (the references, by part) and text."""
        return json.loads(self.emulator.control.request("sms %d sent" % self.index))

    def clear_sent_sms(self):
        self.emulator.control.request("sms %d clear" % self.index)

    # -- USSD: the network's answers (README "USSD") ----------------------------
    def ussd_answer(self, code, text, more=False):
        """The network answers AT+CUSD=1,"<code>" with text (before the
        profile's [ussd] answers); more=True waits for a reply, answered by
        the entry "<code>><reply>"."""
        self.emulator.control.request("ussd %d answer %s" % (
            self.index, rule_spec(code=code, text=text, more=1 if more else None)))

    def ussd_push(self, text, more=False):
        """A network-initiated USSD message (+CUSD: 0 or 1, when AT+CUSD=1)."""
        self.emulator.control.request("ussd %d push %s" % (
            self.index, rule_spec(text=text, more=1 if more else None)))

    def set_location(self, lat=None, lon=None, accuracy=None, fail=None):
        """What the network's location service answers AT+CIPGSMLOC and
        AT+CLBS from now on (README "GSM location"): a position in degrees
        and its accuracy in metres, or fail=CODE to answer that location
        code (fail=0 answers again).  Returns (lon, lat, accuracy)."""
        reply = self.emulator.control.request("location %d %s" % (
            self.index, rule_spec(lon=lon, lat=lat, accuracy=accuracy, fail=fail)))
        lon_, lat_, acc = reply.split()[0].split(",")
        return float(lon_), float(lat_), int(acc)

    # -- voice calls: the far end (README "Voice calls") --------------------------
    def ring(self, sender):
        """An incoming call from sender: RING (and +CLIP) until the device
        answers (ATA) or hangs up, or the caller gives up."""
        self.emulator.control.request("call %d ring %s" % (self.index, rule_spec(**{"from": sender})))

    def hang_up(self):
        """The far end ends the call: NO CARRIER."""
        self.emulator.control.request("call %d hangup" % self.index)

    def next_call(self, outcome="answer", ring_ms=None):
        """How the device's next outgoing call ends: "answer", "busy",
        "no-answer" or "no-carrier", after ring_ms of ringing."""
        self.emulator.control.request("call %d next %s" % (
            self.index, rule_spec(outcome=outcome, ring_ms=ring_ms)))

    def call_log(self):
        """What the device and the far end did: dial, answer, DTMF, hang-ups."""
        return json.loads(self.emulator.control.request("call %d log" % self.index))

    def ussd_requests(self):
        """The codes and replies the device sent, oldest first."""
        return json.loads(self.emulator.control.request("ussd %d log" % self.index))

    # -- a small AT client ------------------------------------------------------
    def serial(self):
        """The port, opened once with pyserial (115200 baud, as most drivers do)."""
        if self._serial is None:
            import serial  # pyserial: the package's one dependency
            self._serial = serial.Serial(self.port, 115200, timeout=0.05)
        return self._serial

    def _read_until(self, pattern, timeout):
        """Reads until the regex `pattern` matches the buffer; returns the
        bytes up to the match's end (the rest stays buffered)."""
        port = self.serial()
        deadline = time.monotonic() + timeout
        while True:
            m = pattern.search(self._buf)
            if m:
                out, self._buf = self._buf[:m.end()], self._buf[m.end():]
                return out
            if time.monotonic() > deadline:
                raise AssertionError("%s: %r not seen within %.1f s; received %r"
                                     % (self.port, pattern.pattern, timeout, self._buf))
            self._buf += port.read(65536)

    def at(self, command, expect=None, timeout=10.0):
        """Sends one command line ("AT+CSQ"; CR added) and returns its answer,
        echo and final result included, as text.  expect: text the answer
        must contain (an AssertionError shows the answer otherwise)."""
        line = command.encode() if isinstance(command, str) else bytes(command)
        if not line.endswith(b"\r"):
            line += b"\r"
        self.serial().write(line)
        answer = self._read_until(FINAL, timeout).decode("latin-1")
        if expect is not None and expect not in answer:
            raise AssertionError("%s: %r answered %r, not containing %r"
                                 % (self.port, command, answer, expect))
        return answer

    def expect(self, text, timeout=10.0):
        """Reads until `text` (a URC such as "+HTTPACTION: 0,606,0") has
        come; returns everything read up to and including it."""
        raw = text.encode() if isinstance(text, str) else bytes(text)
        return self._read_until(re.compile(re.escape(raw)), timeout).decode("latin-1")

    def close(self):
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def __repr__(self):
        return "Modem(%d, %r)" % (self.index, self.port)


class Emulator:
    """A sim800emu process with a control socket.

    args: more options (e.g. ["--only-mapped", "-m", "HOST:443=127.0.0.1:PORT"]);
    faults: rule texts given as --fault; fast: every boot URC at once."""

    def __init__(self, args=(), modems=1, faults=(), fast=True, binary=None, start_timeout=10.0):
        self.binary = Path(binary) if binary else find_binary()
        self._dir = tempfile.mkdtemp(prefix="sim800emu-")
        self.control_path = os.path.join(self._dir, "control.sock")
        argv = [str(self.binary), "--control", self.control_path]
        if fast:
            argv += list(FAST_BOOT)
        if modems != 1:
            argv += ["-n", str(modems)]
        for f in faults:
            argv += ["--fault", f]
        argv += [str(a) for a in args]
        self.argv = argv
        self._stderr = open(os.path.join(self._dir, "stderr.txt"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, start_new_session=True)
        self.control = None
        try:
            self.ports = self._read_paths(modems, start_timeout)
            self.control = Control(self.control_path)
        except BaseException:
            self.stop()
            raise
        self.modems = [Modem(self, i, p) for i, p in enumerate(self.ports)]

    def _read_paths(self, n, timeout):
        fd = self.proc.stdout.fileno()
        out = b""
        deadline = time.monotonic() + timeout
        while out.count(b"\n") < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("sim800emu printed no PTY paths within %.0f s: %s"
                                   % (timeout, self.stderr()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.proc.wait(timeout=10)
                    raise RuntimeError("sim800emu exited with %s: %s"
                                       % (self.proc.returncode, self.stderr()))
                out += chunk
        return out.decode().split()

    def stderr(self):
        self._stderr.flush()
        with open(self._stderr.name, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_ready(self, timeout=10.0, drain=True):
        """Until every modem is on, has its SIM and is registered; then,
        with drain, reads the boot URCs (RDY ... SMS Ready) off each port so
        that a test's first read starts with its own command."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.control.status()["modems"]
            if all(m["power"] == "on" and m["registered"] for m in st):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("modems not ready: %r" % st)
            time.sleep(0.02)
        if drain:
            for p in self.ports:
                self.boot_urcs = drain_port(p)

    def unfired_rules(self):
        """The rules in force that never fired: a rule that cannot match
        what the test did (a wrong service, tag or verb) shows up here."""
        return [r for r in self.control.rules() if r["fired"] == 0]

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status."""
        for m in getattr(self, "modems", ()):
            m.close()
        if self.control:
            self.control.close()
            self.control = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
