"""The image installs every package pyproject.toml ships (a missing COPY left `newsflow serve` out of it)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_dockerfile_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY\s+(\w+)\s+\./\1\s*$", (ROOT / "Dockerfile").read_text(), re.M))
    assert packages, "no packages found in pyproject.toml"
    assert packages <= copied, f"packages the image would not have: {sorted(packages - copied)}"
