"""The lock files agree with pyproject.toml, carry hashes, and are what this venv holds."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def pins(lock: Path) -> dict[str, Version]:
    """``name -> version`` of every ``name==version`` line of a lock file."""
    found: dict[str, Version] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    return [Requirement(r) for r in listed]


LOCKS = {
    "requirements/lock.txt": ("dev", "eval"),
    "requirements/serve-lock.txt": (),
}


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_every_requirement_is_locked_within_its_range(lock: str, extras: tuple[str, ...]) -> None:
    locked = pins(ROOT / lock)
    problems = []
    for req in requirements(*extras):
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = locked.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is in pyproject.toml but not in {lock}")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} in {lock} is outside {req.specifier}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_has_a_hash(lock: str) -> None:
    text = (ROOT / lock).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert not unhashed


def test_torch_is_the_pinned_cpu_build() -> None:
    for lock in LOCKS:
        assert pins(ROOT / lock)["torch"] == Version("2.13.0+cpu")


def test_the_serving_lock_agrees_with_the_full_one() -> None:
    full, serve = pins(ROOT / "requirements/lock.txt"), pins(ROOT / "requirements/serve-lock.txt")
    differ = {n: (v, full.get(n)) for n, v in serve.items() if full.get(n) != v}
    assert not differ


def test_this_environment_holds_the_locked_versions() -> None:
    """``make install`` installs from the lock: a drifted venv fails here, not in production."""
    drifted: dict[str, tuple[Version, Version | None]] = {}
    for name, version in pins(ROOT / "requirements/lock.txt").items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            drifted[name] = (version, None)
            continue
        if installed != version:
            drifted[name] = (version, installed)
    assert not drifted, f"venv differs from the lock (locked, installed): {drifted}"
