"""Shared by the test servers: exit when the starting process dies.

If $SIM800EMU_WATCH_PARENT holds a pid (servers.py sets it to its own), a
daemon thread exits this process within 0.5 s once our parent is no longer
that pid, so a killed pytest never leaves servers behind."""

import os
import threading
import time


def watch_parent():
    want = os.environ.get("SIM800EMU_WATCH_PARENT")
    if not want or not want.isdigit():
        return

    def loop():
        while os.getppid() == int(want):
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=loop, daemon=True).start()
