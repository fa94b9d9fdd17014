"""No test can hang the suite: every test has a time limit (pytest-timeout, `timeout` in
setup.cfg), which fails a test stuck in a blocking call and lets the suite go on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_hanging_test_fails_on_the_configured_limit_and_the_next_one_runs(tmp_path, pytestconfig):
    assert float(pytestconfig.getini("timeout")) > 0  # the suite's own limit is set
    (tmp_path / "test_hang.py").write_text(
        "import os, time\n\n"
        "def test_blocks_on_a_pipe():\n"
        "    r, w = os.pipe()\n"
        "    os.read(r, 1)  # nobody ever writes: blocks for good\n\n"
        "def test_next():\n"
        "    assert True\n", encoding="utf-8")
    t0 = time.monotonic()
    # the project's configuration, its limit lowered to 2 s for this run only
    done = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "setup.cfg"),
                           "--rootdir", str(tmp_path), "-o", "timeout=2", "-p", "no:cacheprovider",
                           "-q", str(tmp_path / "test_hang.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - t0 < 60
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Timeout" in done.stdout and "1 failed, 1 passed" in done.stdout, done.stdout
