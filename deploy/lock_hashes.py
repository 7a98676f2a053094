"""Writes requirements/runtime.lock: the runtime dependencies only, pinned, with sha256 hashes.

The production image installs with `pip install --no-index --require-hashes` from wheels bundled
into the build context (LGWAN: no index at install time), so the lock must hold exactly the
packages the product imports at run time — none of the test or lint tools in requirements.lock.

Two steps, because this script may not install anything and the hashes must be of the very files
the image installs (ADR 0062):

    python deploy/lock_hashes.py pins  > /tmp/runtime.pins     # closure of pyproject's dependencies
    pip download --no-deps --only-binary=:all: <platform flags> -d deploy/wheels -r /tmp/runtime.pins
    python deploy/lock_hashes.py hashes deploy/wheels > requirements/runtime.lock

`pins` walks pyproject's [project].dependencies through the installed distributions' metadata
(the lead's venv was installed from requirements.lock, so the versions are the locked ones),
evaluating markers for the image's platform (Linux, CPython 3.11). `hashes` reads the pins back
from the file names in the folder and hashes each file.
"""
import hashlib
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
# The image: python:3.11-slim-bookworm on amd64. Markers are evaluated for it, not for this host.
TARGET_ENV: dict[str, str] = {
    **{k: str(v) for k, v in default_environment().items()},
    "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
    "implementation_name": "cpython", "platform_python_implementation": "CPython", "python_version": "3.11",
}


def runtime_closure() -> dict[str, str]:
    """{canonical name: installed version} of the runtime dependencies and everything they need."""
    roots = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins: dict[str, str] = {}
    todo = [(Requirement(r), frozenset(Requirement(r).extras)) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(req.name)
        pins[name] = dist.version
        for raw in dist.requires or []:
            sub = Requirement(raw)
            wanted = [""] + sorted(extras)
            if sub.marker is None or any(sub.marker.evaluate({**TARGET_ENV, "extra": e}) for e in wanted):
                todo.append((sub, frozenset(sub.extras)))
    return dict(sorted(pins.items()))


def _name_version(file: Path) -> tuple[str, str]:
    if file.suffix == ".whl":
        name, version, *_ = parse_wheel_filename(file.name)
    else:
        name, version = parse_sdist_filename(file.name)
    return canonicalize_name(name), str(version)


def hashed_lock(folder: Path) -> str:
    wanted = runtime_closure()
    files: dict[str, list[Path]] = {}
    for file in sorted(folder.iterdir()):
        if file.suffix == ".whl" or file.name.endswith(".tar.gz"):
            name, version = _name_version(file)
            if wanted.get(name) != version:
                raise SystemExit(f"{file.name}: not in the runtime closure at that version ({wanted.get(name)})")
            files.setdefault(name, []).append(file)
    missing = sorted(set(wanted) - set(files))
    if missing:
        raise SystemExit(f"no downloaded file for: {', '.join(missing)}")
    lines = ["# Runtime dependencies only, with the hashes of the bundled wheels (deploy/lock_hashes.py).",
             "# Regenerate with `make runtime-lock`; the image installs it with --no-index --require-hashes."]
    for name, version in wanted.items():
        hashes = [f"--hash=sha256:{hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files[name]]
        lines.append(f"{name}=={version} \\\n    " + " \\\n    ".join(hashes))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if argv[:1] == ["pins"]:
        sys.stdout.write("".join(f"{n}=={v}\n" for n, v in runtime_closure().items()))
    elif len(argv) == 2 and argv[0] == "hashes":
        sys.stdout.write(hashed_lock(Path(argv[1])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])


# Used by tests: the package names in a lock file (one requirement per logical line).
def lock_names(text: str) -> set[str]:
    return {canonicalize_name(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==", text, re.M)}
