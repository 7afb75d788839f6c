"""The control socket client: one request line, one reply line."""
import json
import socket

# The emulator's limit on a request line (app/control.h, CONTROL_LINE_MAX - 1).
LINE_MAX = 1023


class ControlError(Exception):
    """The emulator answered `error <why>`."""


def _quote(value):
    text = str(value)
    if text and all(c not in text for c in ' "\\'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rule_spec(*words, **keys):
    """A fault rule from Python arguments: rule_spec("dns", service="http")
    or rule_spec(service="http", tls_alert="handshake_failure", count=1).
    Underscores become hyphens; True is a bare key ("reboot=True" ->
    "reboot"); None and False leave a key out; text is quoted as needed."""
    parts = [str(w) for w in words]
    for k, v in keys.items():
        if v is None or v is False:
            continue
        key = k.replace("_", "-")
        parts.append(key if v is True else "%s=%s" % (key, _quote(v)))
    return " ".join(parts)


class Control:
    """A client of `sim800emu --control PATH`."""

    def __init__(self, path, timeout=10.0):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(self.path)
        self._buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request_raw(self, data):
        """Send bytes as they are (a newline is added if missing); return the
        reply line without its newline, as bytes."""
        if not data.endswith(b"\n"):
            data += b"\n"
        self.sock.sendall(data)
        while b"\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the emulator closed the control socket")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def request(self, line):
        """One request; returns the text after "ok " or raises ControlError."""
        reply = self.request_raw(line.encode()).decode()
        if reply.startswith("error"):
            raise ControlError(reply[6:])
        if reply == "ok":
            return ""
        assert reply.startswith("ok "), reply
        return reply[3:]

    def add(self, *words, **keys):
        """Adds a fault rule (a SPEC string, or words and keys for
        rule_spec); returns its id."""
        spec = words[0] if len(words) == 1 and not keys and " " in words[0] else rule_spec(*words, **keys)
        return int(self.request("fault add " + spec))

    def rules(self):
        return json.loads(self.request("fault list"))

    def clear(self, rule_id=None):
        return int(self.request("fault clear" + ("" if rule_id is None else " %d" % rule_id)))

    def status(self):
        return json.loads(self.request("status"))
