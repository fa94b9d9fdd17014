"""The package declares every file it needs: setuptools then installs it without its
warnings that a folder "is absent from the `packages` configuration" (issue 20)."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_data_file_of_the_package_is_declared(monkeypatch):
    setupcfg = pytest.importorskip("setuptools.config.setupcfg")
    monkeypatch.chdir(ROOT)  # find_namespace: is resolved from the project folder
    options = setupcfg.read_configuration("setup.cfg")["options"]
    packages, data = set(options["packages"]), options.get("package_data", {})
    missing = []
    for folder, dirs, files in os.walk(ROOT / "searchsvc"):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        package = ".".join(Path(folder).relative_to(ROOT).parts)
        for name in files:
            if name.endswith((".py", ".pyc")):
                if package not in packages:
                    missing.append(f"{package} (package)")
            elif package not in packages or not any(fnmatch.fnmatch(name, p) for p in data.get(package, [])):
                missing.append(f"{package}/{name}")
    assert not missing, missing
    assert {"searchsvc.data", "searchsvc.web.static", "searchsvc.web.templates"} <= packages
    assert not any(p.endswith("__pycache__") for p in packages)
