"""The requirements files are hashed locks, and the Makefile installs them so that pip checks every hash."""

import re

import pytest

from tests.paths import ROOT

LOCKS = ["requirements.txt", "requirements-dev.txt"]
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(lock: str) -> list[str]:
    """Each requirement of the lock on one line: its continuation lines joined, comments dropped."""
    lines = [line.split("#", 1)[0].rstrip() for line in (ROOT / lock).read_text().splitlines()]
    return [e.strip() for e in re.sub(r"\\\n\s*", " ", "\n".join(lines)).splitlines() if e.strip()]


def pinned(lock: str) -> dict[str, str]:
    """{canonical name: the entry}; refuses two entries for one package."""
    found: dict[str, str] = {}
    for entry in entries(lock):
        match = NAME.match(entry)
        assert match, f"{lock}: not a package pin: {entry[:80]}"
        name = canonical(match.group(1))
        assert name not in found, f"{lock}: {name} appears twice"
        found[name] = entry
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_package_in_the_lock_is_pinned_exactly_with_a_hash(lock):
    packages = pinned(lock)
    assert len(packages) > 50, "the transitive packages are in the lock, not only the direct ones"
    for name, entry in packages.items():
        requirement, *options = entry.split(" --")
        assert re.fullmatch(r"[A-Za-z0-9._-]+(\[[^\]]*\])?==[A-Za-z0-9.+!_-]+(\s*;.*)?", requirement.strip()), entry
        assert options, f"{lock}: {name} has no hash"
        assert all(re.fullmatch(r"hash=sha256:[0-9a-f]{64}", o.strip()) for o in options), entry


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_every_direct_dependency_is_in_its_lock_at_the_pinned_version(source, lock):
    packages = pinned(lock)
    for line in (ROOT / source).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, version = re.sub(r"\[[^\]]*\]", "", line).split("==")
        assert canonical(name) in packages, f"{name} from {source} is missing from {lock}"
        assert f"=={version} " in packages[canonical(name)] + " ", f"{name} is not locked at {version}"


def test_the_runtime_lock_is_part_of_the_dev_lock_at_the_same_versions():
    runtime, dev = pinned("requirements.txt"), pinned("requirements-dev.txt")
    for name, entry in runtime.items():
        assert name in dev, name
        assert entry.split(" --")[0] == dev[name].split(" --")[0], name


def test_the_makefile_installs_the_locks_with_require_hashes():
    makefile = (ROOT / "Makefile").read_text()
    installs = [line.strip() for line in makefile.splitlines() if re.search(r"pip install .*-r \S+", line)]
    assert {re.search(r"-r (\S+)", line).group(1) for line in installs} == set(LOCKS)
    assert all("--require-hashes" in line for line in installs), installs
