"""The container image's recipe (scripts/container/Containerfile) where no
container engine runs (README "Fleets"): its root file system is assembled
as the Containerfile builds it -- the Debian package unpacked, the shared
libraries it links, the user it creates -- and its ENTRYPOINT + CMD run in
a chroot as that user, as PID 1 of a new PID namespace, in a network
namespace of its own (its 0.0.0.0 listeners reach nothing outside).  Then,
in that namespace:

- the HEALTHCHECK command, run as written, answers 0 (and 1 once the
  emulator is gone);
- scripts/kubernetes/fleet_client.py, the Kubernetes Job's device client,
  drives every modem over raw TCP on ports 7000+i;
- SIGTERM, as `docker stop` and Kubernetes send it, ends PID 1 with status 0.

With an engine (podman, buildah or docker), scripts/container/build builds
the real image from the same file; this test needs root (unshare, mount)."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from pkglib import REPO, build_binary, package_deb, run

pytestmark = pytest.mark.xdist_group("package")

CONTAINERFILE = REPO / "scripts" / "container" / "Containerfile"
FLEET_CLIENT = REPO / "scripts" / "kubernetes" / "fleet_client.py"


def instructions():
    """The Containerfile's instructions: [(NAME, argument text)], continuation
    lines joined and comments dropped."""
    out, cur = [], ""
    for line in CONTAINERFILE.read_text().splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        cur += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            name, _, arg = cur.partition(" ")
            out.append((name.upper(), arg.strip()))
            cur = ""
    return out


def exec_form(arg):
    """An instruction's JSON array (exec form), as the engines read it."""
    words = json.loads(arg)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words), arg
    return words


def recipe():
    ins = instructions()
    get = {name: arg for name, arg in ins}
    health = get["HEALTHCHECK"]
    m = re.search(r"\bCMD (\[.*\])$", health)
    assert m, health
    uid, _, gid = get["USER"].partition(":")
    return {"user": (int(uid), int(gid or uid)), "workdir": get["WORKDIR"],
            "entrypoint": exec_form(get["ENTRYPOINT"]), "cmd": exec_form(get["CMD"]),
            "health": exec_form(m.group(1)), "run": get["RUN"], "from": get["FROM"],
            "stopsignal": get["STOPSIGNAL"]}


def test_the_recipe_is_what_the_readme_promises():
    """Debian's slim base, the package installed by apt, a user of its own
    (not root), the emulator as the entrypoint (PID 1: no shell form), the
    control socket the health check asks, RFC 2217/raw ports from 7000."""
    r = recipe()
    assert r["from"].startswith("docker.io/library/debian:") and r["from"].endswith("-slim")
    assert "apt-get install" in r["run"] and "useradd" in r["run"]
    assert "--uid %d" % r["user"][0] in r["run"] and r["user"][0] != 0
    assert r["entrypoint"][0] == "sim800emu"
    control = r["entrypoint"][r["entrypoint"].index("--control") + 1]
    assert r["health"] == ["sim800emu", "--request", control, "status"]
    assert r["entrypoint"][r["entrypoint"].index("--listen") + 1] == "0.0.0.0:7000"
    assert r["stopsignal"] == "SIGTERM"


def copy_with_libs(binary, root):
    """binary (a host path) and every shared library it loads, into root."""
    out = run(["ldd", binary]).stdout
    paths = [binary] + re.findall(r"(/\S+) \(0x", out)
    for p in paths:
        real = os.path.realpath(p)
        for dst in {root / p.lstrip("/"), root / real.lstrip("/")}:
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists():
                shutil.copy2(real, dst)


def devices(root):
    """/dev as the engine gives a container: null, zero, urandom, a devpts
    mount point (mounted by INSIDE) and ptmx pointing into it."""
    for d in ("dev/pts", "proc", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    os.chmod(root / "tmp", 0o1777)
    for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("urandom", 1, 9)):
        if not (root / "dev" / name).exists():
            os.mknod(root / "dev" / name, 0o666 | 0o020000, os.makedev(major, minor))
    ptmx = root / "dev" / "ptmx"
    if ptmx.exists() or ptmx.is_symlink():
        ptmx.unlink()
    os.symlink("pts/ptmx", ptmx)


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    """The image's file system.  $SIM800EMU_IMAGE_ROOTFS: an image an engine
    built (`podman image mount sim800emu:TAG`), copied.  Else as the
    Containerfile makes it, minus the base system the emulator does not
    use: the package (dpkg -x), the libraries its binary links (from this
    Debian release, as the base's), the user, its home (WORKDIR), /tmp."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare (CI runs as root)")
    r = recipe()
    root = tmp_path_factory.mktemp("rootfs")
    image = os.environ.get("SIM800EMU_IMAGE_ROOTFS")
    if image:
        assert run(["cp", "-a", image + "/.", root]).returncode == 0
        devices(root)
        return root
    deb = package_deb(tmp_path_factory)
    assert run(["dpkg", "-x", deb, root]).returncode == 0
    copy_with_libs(str(root / "usr/bin/sim800emu"), root)
    copy_with_libs(shutil.which("env"), root)  # coreutils' env: in every Debian base
    uid, gid = r["user"]
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                     f"sim800emu:x:{uid}:{gid}::{r['workdir']}:/usr/sbin/nologin\n")
    (root / "etc/group").write_text(f"root:x:0:\nsim800emu:x:{gid}:\n")
    home = root / r["workdir"].lstrip("/")
    home.mkdir(parents=True)
    os.chown(home, uid, gid)
    devices(root)
    return root


# Runs inside `unshare --mount --net --fork`: the namespace's own devpts and
# loopback, PID 1 started in a new PID namespace, then the checks.  Its
# stdout is a line per step, for the test to read.
INSIDE = r'''
set -u
root=$1; uid=$2; gid=$3; workdir=$4; modems=$5; shift 5
ip link set lo up
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
as_user() { chroot --userspec="$uid:$gid" "$root" /usr/bin/env -C "$workdir" "$@"; }
unshare --pid --fork --mount-proc="$root/proc" \
  chroot --userspec="$uid:$gid" "$root" /usr/bin/env -C "$workdir" "$@" --modems "$modems" \
  > "$root/tmp/stdout" 2> "$root/tmp/stderr" &
launcher=$!
for _ in $(seq 100); do [ "$(grep -c /dev/pts "$root/tmp/stdout" 2>/dev/null)" = "$modems" ] && break; sleep 0.1; done
pid1=$(pgrep -P "$launcher")
echo "pid1-host-pid $pid1"
echo "pid1-in-namespace $(awk '/^NSpid:/ {print $NF}' /proc/$pid1/status)"
echo "uid $(awk '/^Uid:/ {print $2}' /proc/$pid1/status)"
echo "health-while-up $(as_user $HEALTH >/dev/null 2>&1; echo $?)"
echo "fleet $("$PYTHON" "$FLEET_CLIENT" --host 127.0.0.1 --first-port 7000 --modems "$modems" --timeout 20)"
kill -TERM "$pid1"
wait "$launcher"; echo "exit $?"
echo "health-when-gone $(as_user $HEALTH >/dev/null 2>&1; echo $?)"
'''


def test_entrypoint_as_pid_1_serves_the_fleet_client_and_stops_on_sigterm(rootfs):
    r = recipe()
    modems = 3
    env = dict(os.environ, HEALTH=" ".join(r["health"]), FLEET_CLIENT=str(FLEET_CLIENT),
               PYTHON=sys.executable)
    p = subprocess.run(["unshare", "--mount", "--net", "--fork", "bash", "-c", INSIDE, "inside",
                        str(rootfs), str(r["user"][0]), str(r["user"][1]), r["workdir"],
                        str(modems), *r["entrypoint"]],
                       capture_output=True, text=True, timeout=120, env=env)
    steps = dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)
    why = f"{p.stdout}\n{p.stderr}\nemulator stderr:\n" + \
        (rootfs / "tmp" / "stderr").read_text(errors="replace")
    assert steps.get("pid1-in-namespace") == "1", why
    assert steps.get("uid") == str(r["user"][0]), why
    assert steps.get("health-while-up") == "0", why
    fleet = json.loads(steps["fleet"])
    assert fleet["ok"] == modems and fleet["failed"] == 0, why
    assert fleet["round_trips"] == 4 * modems, why
    assert steps.get("exit") == "0", why  # SIGTERM handled by PID 1: a clean exit
    assert steps.get("health-when-gone") != "0", why
    paths = (rootfs / "tmp" / "stdout").read_text().split()
    assert len(paths) == modems and all(x.startswith("/dev/pts/") for x in paths), why


def test_cmd_gives_the_modem_count():
    """The image's CMD is the part a user replaces (docker run IMAGE
    --modems 10; the StatefulSet's args): it names the modems, nothing the
    entrypoint needs."""
    r = recipe()
    assert r["cmd"][0] == "--modems" and int(r["cmd"][1]) >= 1
    help_text = run([build_binary(), "--help"]).stdout
    for opt in [w for w in r["entrypoint"] + r["cmd"] if w.startswith("--")]:
        assert opt in help_text, opt
