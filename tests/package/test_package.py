"""sim800emu as a user installs it, away from the source tree:

- `meson install --destdir` of the build tree, run from another directory
  and after the installed tree has moved;
- the Debian package made by scripts/package (or $SIM800EMU_DEB): its
  contents, version, lintian (no errors), its dependencies, and a smoke test
  of the packaged binary unpacked into a scratch root with `dpkg -x` (help,
  version, man page, the packaged gen.sh, AT, one TLS connection to a
  loopback server through --map/--only-mapped, a trace, a clean SIGTERM);
- README's CI workflow: its package-building job installs every
  Build-Depends, and its modem steps run as written with the packaged binary.

Nothing is installed on the machine itself: the binaries run from scratch
roots and find their profiles next to themselves (<prefix>/bin ->
<prefix>/share/sim800emu/profiles)."""
import os
import select
import shutil
import subprocess
import time

import pytest

from pkglib import (LEGACY_CIPHERS, REPO, Modem, build_dir, package_deb, project_version, run,
                    start_tls_echo)

VERSION = project_version()

# Under pytest-xdist (scripts/test) the whole module runs on one worker, so the
# package is built once, not once per worker that gets one of its tests.
pytestmark = pytest.mark.xdist_group("package")


# -- meson install ------------------------------------------------------------

@pytest.fixture(scope="module")
def destdir(tmp_path_factory):
    """`meson install --destdir` of the build tree; returns (root, binary)."""
    root = tmp_path_factory.mktemp("destdir")
    r = run(["meson", "install", "-C", build_dir(), "--no-rebuild", "--destdir", root])
    assert r.returncode == 0, r.stdout + r.stderr
    bins = [p for p in root.rglob("bin/sim800emu")]
    assert len(bins) == 1, bins
    return root, bins[0]


def test_meson_install_puts_everything_under_the_prefix(destdir):
    root, binary = destdir
    prefix = binary.parents[1]
    share = prefix / "share"
    assert sorted(p.name for p in (share / "sim800emu" / "profiles").iterdir()) == \
        sorted(p.name for p in (REPO / "profiles").glob("*.ini"))
    assert os.access(share / "sim800emu" / "certs" / "gen.sh", os.X_OK)
    assert (share / "man" / "man1" / "sim800emu.1").is_file()


def test_installed_binary_uses_its_own_profiles_from_any_directory(destdir, tmp_path):
    root, binary = destdir
    shipped = binary.parents[1] / "share" / "sim800emu" / "profiles"
    r = run([binary, "--version"], cwd="/")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == f"sim800emu {VERSION}"
    assert lines[1] == f"profiles: {shipped} (installed, found from the binary's location)"
    assert lines[2].startswith("configured profiles: /") and \
        lines[2].endswith("/share/sim800emu/profiles"), lines
    # Never the source tree, even though it is still there.
    assert str(REPO / "profiles") not in r.stdout
    m = Modem(binary, ["-p", "sim800c-tls12"], cwd=tmp_path, stderr_path=tmp_path / "err")
    try:
        p = m.open()
        p.expect(b"SMS Ready\r\n")
        assert p.cmd(b"AT+CGMM\r") == b"AT+CGMM\r\r\nSIMCOM_SIM800C\r\n\r\nOK\r\n"
    finally:
        assert m.stop() == 0, m.stderr()


def test_moved_install_still_finds_its_profiles(destdir, tmp_path):
    """A user profile directory inherits a shipped profile by name, after the
    whole installed tree has moved somewhere else."""
    root, binary = destdir
    moved = tmp_path / "elsewhere"
    shutil.copytree(root, moved, symlinks=True)
    binary = moved / binary.relative_to(root)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "custom.ini").write_text("[profile]\ninherit = sim800l-r14.18\n"
                                     "[modem]\nati = SIM800 CUSTOM\n")
    m = Modem(binary, ["--profiles-dir", mine, "-p", "custom"], cwd="/",
              stderr_path=tmp_path / "err")
    try:
        p = m.open()
        p.expect(b"SMS Ready\r\n")
        assert p.cmd(b"ATI\r") == b"ATI\r\r\nSIM800 CUSTOM\r\n\r\nOK\r\n"
        # inherited from the shipped profile the moved tree carries
        assert p.cmd(b"AT+CGMR\r") == b"AT+CGMR\r\r\nRevision:1418B04SIM800L24\r\n\r\nOK\r\n"
    finally:
        assert m.stop() == 0, m.stderr()


# -- the Debian package --------------------------------------------------------

@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """$SIM800EMU_DEB, else a package built now by scripts/package."""
    return package_deb(tmp_path_factory)


@pytest.fixture(scope="module")
def scratch(deb, tmp_path_factory):
    """The package unpacked with dpkg -x; returns the root."""
    root = tmp_path_factory.mktemp("root")
    r = run(["dpkg", "-x", deb, root])
    assert r.returncode == 0, r.stderr
    return root


def test_deb_fields_and_contents(deb):
    r = run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends"])
    assert r.returncode == 0, r.stderr
    fields = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert fields["Package"] == "sim800emu"
    assert fields["Version"] == VERSION
    for lib in ("libev4", "libssl3", "libc-ares2", "libinih1", "libhttp-parser"):
        assert lib in fields["Depends"], fields["Depends"]
    r = run(["dpkg-deb", "-c", deb])
    names = {line.split()[-1].lstrip(".") for line in r.stdout.splitlines()}
    for path in ["/usr/bin/sim800emu", "/usr/share/man/man1/sim800emu.1.gz",
                 "/usr/share/sim800emu/certs/gen.sh", "/usr/share/doc/sim800emu/copyright"] + \
            [f"/usr/share/sim800emu/profiles/{p.name}" for p in (REPO / "profiles").glob("*.ini")]:
        assert path in names, f"{path} not in the package:\n{r.stdout}"


def test_lintian_finds_no_errors(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed (scripts/deps installs it)")
    r = run(["lintian", "--fail-on", "error", deb], timeout=300)
    assert r.returncode == 0, f"lintian:\n{r.stdout}{r.stderr}"
    assert not [l for l in r.stdout.splitlines() if l.startswith("E:")], r.stdout


def test_deb_dependencies_are_installable(deb):
    """apt resolves the package's Depends on this machine (simulated: nothing
    is installed)."""
    r = run(["apt-get", "install", "--simulate", "-q", "-y", os.path.abspath(deb)], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_packaged_help_version_and_man_page(scratch):
    binary = scratch / "usr" / "bin" / "sim800emu"
    r = run([binary, "--help"], cwd="/")
    assert r.returncode == 0 and r.stdout.startswith("usage: sim800emu"), r
    r = run([binary, "--version"], cwd="/")
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [
        f"sim800emu {VERSION}",
        f"profiles: {scratch}/usr/share/sim800emu/profiles "
        f"(installed, found from the binary's location)",
        "configured profiles: /usr/share/sim800emu/profiles"]
    page = scratch / "usr" / "share" / "man" / "man1" / "sim800emu.1.gz"
    r = run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "SIM800EMU(1)" in r.stdout


def test_packaged_binary_smoke(scratch, tmp_path):
    """AT and one TLS connection through the map to a loopback server, with
    the PKI made by the packaged gen.sh and the packaged default profile."""
    binary = scratch / "usr" / "bin" / "sim800emu"
    pki = tmp_path / "pki"
    r = run(["bash", scratch / "usr/share/sim800emu/certs/gen.sh", pki], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["bash", scratch / "usr/share/sim800emu/certs/gen.sh"])
    assert r.returncode == 2 and "usage" in r.stderr, r   # installed: OUTDIR required
    link = tmp_path / "sim800"
    trace = tmp_path / "sim800.trace"
    with start_tls_echo(tls=True, cert=pki / "tls.example.test.crt",
                        key=pki / "tls.example.test.key", min_version="TLSv1",
                        ciphers=LEGACY_CIPHERS) as srv:
        m = Modem(binary, ["--link", link, "--trace", trace, "--only-mapped",
                           "-m", f"tls.example.test:443=127.0.0.1:{srv.port}",
                           "--ca-file", pki / "root.crt"],
                  cwd="/", stderr_path=tmp_path / "err")
        try:
            assert os.path.realpath(link) == m.path
            p = m.open(link)
            p.expect(b"SMS Ready\r\n")
            assert p.cmd(b"AT\r") == b"AT\r\r\nOK\r\n"
            assert p.cmd(b"ATI\r") == b"ATI\r\r\nSIM800 R14.18\r\n\r\nOK\r\n"
            p.cmd(b'AT+CSTT="CMNET"\r')
            p.cmd(b"AT+CIICR\r")
            p.cmd(b"AT+CIFSR\r", final=b"\r\n10.78.245.128\r\n")
            p.cmd(b"AT+CIPSSL=1\r")
            start = b'AT+CIPSTART="TCP","tls.example.test",443\r'
            assert p.cmd(start, final=b"\r\nCONNECT OK\r\n", timeout=20) == \
                start + b"\r\nOK\r\n\r\nCONNECT OK\r\n"
            assert p.cmd(b"AT+CIPSEND=4\r", final=b"> ") == b"AT+CIPSEND=4\r\r\n> "
            p.write(b"ping")
            assert p.expect(b"SEND OK\r\nping") == b"\r\nSEND OK\r\nping"
            assert p.cmd(b"AT+CIPCLOSE\r", final=b"CLOSE OK\r\n") == \
                b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n"
            srv.wait_log(r"conn 1 tls TLSv1 AES128-SHA sni=tls.example.test ")
        finally:
            rc = m.stop()
        assert rc == 0, m.stderr()
    assert not link.exists()
    text = trace.read_text()
    assert "CONNECT OK" in text and "SEND OK" in text, text[-2000:]


def readme_workflow():
    """The GitHub Actions workflow of README "In your CI", as text."""
    text = (REPO / "README.md").read_text()
    return text.split("# .github/workflows/modem.yml\n", 1)[1].split("```", 1)[0]


def test_readme_workflow_installs_what_the_package_build_needs():
    """The first job's apt-get line holds every Build-Depends of
    scripts/debian/control, so `scripts/package` can run where it runs."""
    wf = readme_workflow()
    apt = wf.split("apt-get install -y --no-install-recommends", 1)[1].split("git clone", 1)[0]
    installed = set(apt.replace("\\", " ").split())
    control = (REPO / "scripts" / "debian" / "control").read_text()
    deps = control.split("Build-Depends:", 1)[1].split("\n\n", 1)[0].split("Standards-Version")[0]
    missing = []
    for dep in deps.split(","):
        alternatives = [a.strip().split(" ")[0] for a in dep.split("|") if a.strip()]
        if not alternatives:
            continue
        names = {"debhelper-compat": "debhelper"}
        if not any(names.get(a, a) in installed for a in alternatives):
            missing.append(dep.strip())
    assert not missing, f"README's CI workflow does not install: {missing}"


def test_readme_workflow_starts_and_stops_a_modem(scratch, tmp_path):
    """The second job's steps that need no CI service, run as written with
    the packaged binary on PATH: the modem comes up at the link (or the step
    fails, saying why), answers AT, and the last step stops it."""
    wf = readme_workflow()
    start = wf.split("- name: start a modem on /tmp/sim800\n        run: |\n", 1)[1]
    start = "\n".join(line[10:] for line in start.split("\n- run:")[0].splitlines()
                      if line.startswith("          "))
    stop = wf.split("run: kill \"$(cat modem.pid)\"; cat modem.err", 1)
    assert len(stop) == 2, "the workflow's stop step changed"
    link = tmp_path / "sim800"
    script = start.replace("/tmp/sim800", str(link))
    env = dict(os.environ, PATH=f"{scratch}/usr/bin:{os.environ['PATH']}")
    r = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    pid = int((tmp_path / "modem.pid").read_text())
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        assert os.path.islink(link)
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, b"AT\r")
            got = b""
            deadline = time.monotonic() + 10
            while b"OK\r\n" not in got and time.monotonic() < deadline:
                r_, _, _ = select.select([fd], [], [], 0.5)
                if r_:
                    got += os.read(fd, 4096)
            assert got.endswith(b"AT\r\r\nOK\r\n"), got
        finally:
            os.close(fd)
    finally:
        r = subprocess.run(["bash", "-c", 'kill "$(cat modem.pid)"; cat modem.err'], cwd=tmp_path,
                           capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}"):
            break
        time.sleep(0.05)
    assert (tmp_path / "sim800.trace").exists()
