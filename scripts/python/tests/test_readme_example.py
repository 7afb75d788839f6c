"""The README's pytest example ("Fault injection", "From Python and pytest"),
taken from the README itself and run as a user runs it: its own pytest,
with the plugin loaded by -p and the package on PYTHONPATH."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def readme_example():
    text = (REPO / "README.md").read_text()
    m = re.search(r"<!-- pytest-example -->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md has no <!-- pytest-example --> block"
    return m.group(1)


def test_readme_example_is_short():
    assert len(readme_example().strip().splitlines()) < 20


def test_readme_example_runs(tmp_path):
    (tmp_path / "test_user.py").write_text(readme_example())
    env = dict(os.environ, PYTHONPATH=str(REPO / "scripts" / "python"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "sim800emu.pytest_plugin", "test_user.py"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout
