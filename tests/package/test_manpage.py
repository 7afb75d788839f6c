"""The man page (emulator/app/sim800emu.1): renders without a warning and
documents every option the program's --help prints."""
import os
import re
import shutil

import pytest

from pkglib import REPO, build_binary, run

PAGE = REPO / "emulator" / "app" / "sim800emu.1"


def test_groff_renders_without_warnings():
    if not shutil.which("groff"):
        pytest.skip("groff is not installed (scripts/deps installs groff-base)")
    r = run(["groff", "-ww", "-man", "-Tutf8", PAGE])
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    assert "SIM800EMU(1)" in r.stdout


def test_man_renders_without_warnings():
    if not shutil.which("man"):
        pytest.skip("man is not installed (scripts/deps installs man-db)")
    r = run(["man", "--warnings", "-l", PAGE], env=dict(os.environ, MANWIDTH="80"))
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "PROFILES",
                    "NETWORK MAP AND SANDBOX", "TRUST MODEL", "SIGNALS", "EXIT STATUS",
                    "ENVIRONMENT", "FILES", "EXAMPLES"):
        assert re.search(rf"^{section}$", r.stdout, re.M), f"no {section} section"


def test_every_option_of_help_is_documented():
    r = run([build_binary(), "--help"])
    assert r.returncode == 0, r
    longs = set(re.findall(r"--([a-z][a-z0-9-]*)", r.stdout))
    shorts = set(re.findall(r"^\s+-([a-zA-Z]),", r.stdout, re.M))
    assert "profile" in longs and "p" in shorts, r.stdout
    src = PAGE.read_text().replace("\\-", "-")
    missing = [f"--{o}" for o in sorted(longs) if f"--{o}" not in src]
    missing += [f"-{o}" for o in sorted(shorts) if not re.search(rf"\B-{o}\b", src)]
    assert not missing, f"options in --help but not in {PAGE.name}: {missing}"


def test_every_fault_action_is_documented():
    """The grammar --help prints (the control socket's help prints the same
    text) names each action; README's action table and the man page's FAULTS
    section document every one of them."""
    r = run([build_binary(), "--help"])
    grammar = " ".join(r.stdout.split("Fault rules")[1].split("\n")[1:])
    actions = grammar.split("one action:")[1]
    words = sorted({re.match(r"\s*([a-z][a-z-]*)", alt).group(1) for alt in actions.split(" | ")})
    assert {"dns", "tls-alert", "alert-after", "reply-to", "urc", "reboot", "drop"} <= set(words)
    readme = (REPO / "README.md").read_text()
    table = readme.split("| action | what happens |")[1].split("\n\n")[0]
    page = PAGE.read_text().replace("\\-", "-").split(".SH FAULTS")[1].split(".SH SIGNALS")[0]
    missing = [w for w in words if f"| `{w}" not in table and f"`, `{w}" not in table]
    assert not missing, f"actions of the grammar missing from README's action table: {missing}"
    missing = [w for w in words if not re.search(rf"\b{re.escape(w)}\b", page)]
    assert not missing, f"actions of the grammar missing from the man page's FAULTS: {missing}"


def test_every_option_of_help_is_in_the_readme():
    """README "Command line" lists what --help lists (and the man page, above)."""
    r = run([build_binary(), "--help"])
    longs = set(re.findall(r"--([a-z][a-z0-9-]*)", r.stdout.split("Fault rules")[0]))
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Command line", 1)[1].split("\n### ", 1)[0]
    missing = sorted(f"--{o}" for o in longs if f"--{o}" not in section)
    assert not missing, f"options in --help but not in README's Command line: {missing}"
