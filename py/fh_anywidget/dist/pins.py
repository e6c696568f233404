"""The committed pins: the npm `pyodide` package and the wheels of the worker stack.

`pins/pyodide.json` holds the npm package's version and integrity; `pins/worker.txt` is a pip
requirements file with one `name==version --hash=sha256:...` per wheel. `write_pins` regenerates
both (`fh-anywidget pin`); `build_dist` only reads them.
"""

from __future__ import annotations

import json
import shlex
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from .errors import DistError

PINS_DIR = Path(__file__).resolve().parent.parent / "pins"
NPM_PIN = PINS_DIR / "pyodide.json"
WORKER_PINS = PINS_DIR / "worker.txt"

# What the worker stack is resolved from; `lock.UNNEEDED` is taken out of the result.
STACK_ROOTS = ("anywidget",)
DEFAULT_PYODIDE = "314.0.7"


@dataclass(frozen=True)
class NpmPin:
    """The npm package that holds the Pyodide core."""

    package: str
    version: str
    integrity: str  # "sha512-<base64>", as npm reports it

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


@dataclass(frozen=True)
class WheelPin:
    """One wheel of the worker stack: a name, an exact version and the sha256 of its file."""

    name: str  # normalized
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def read_npm_pin(path: Path = NPM_PIN) -> NpmPin:
    """Read `pins/pyodide.json`."""
    try:
        data = json.loads(path.read_text())
        return NpmPin(package=data["package"], version=data["version"], integrity=data["integrity"])
    except (OSError, ValueError, KeyError) as error:
        raise DistError(f"cannot read the npm pin {path} ({error}); run `fh-anywidget pin`") from None


def read_wheel_pins(path: Path = WORKER_PINS) -> list[WheelPin]:
    """Read a requirements file of `name==version --hash=sha256:<hex>` lines."""
    try:
        text = path.read_text()
    except OSError as error:
        raise DistError(f"cannot read the wheel pins {path} ({error}); run `fh-anywidget pin`") from None
    pins = []
    for line in text.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        if not tokens:
            continue
        name, sep, version = tokens[0].partition("==")
        hashes = [t.removeprefix("--hash=sha256:") for t in tokens[1:] if t.startswith("--hash=sha256:")]
        if not sep or len(hashes) != 1:
            raise DistError(
                f"{path}: {line.strip()!r} is not 'name==version --hash=sha256:<hex>';"
                " run `fh-anywidget pin` to regenerate the file"
            )
        pins.append(WheelPin(name=canonicalize_name(name), version=version, sha256=hashes[0]))
    return pins


def format_wheel_pins(pins: Sequence[WheelPin], header: str) -> str:
    """The text of a pin file: a header comment, then one hashed requirement per wheel, by name."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for pin in sorted(pins, key=lambda p: p.name):
        lines.append(f"{pin.requirement} \\\n    --hash=sha256:{pin.sha256}")
    return "\n".join(lines) + "\n"


def write_pins(
    version: str = DEFAULT_PYODIDE,
    *,
    roots: Sequence[str] = STACK_ROOTS,
    pins_dir: Path = PINS_DIR,
) -> list[WheelPin]:
    """Pin the npm package at `version` and the newest worker stack it can run; write both files.

    The npm integrity is taken from the registry; the stack is resolved with pip for the
    worker's Python and platform, read from the package's own lock.
    """
    # Imported here: fetch imports this module.
    from .fetch import fetch_npm_package, npm_pack, read_npm_files, read_npm_lock
    from .pip_worker import pip_download
    from .lock import UNNEEDED
    from ..files import sha256_file
    from .wheels import read_wheel

    with tempfile.TemporaryDirectory(prefix="fh-anywidget-pin-") as tmp:
        tmp_path = Path(tmp)
        tarball, integrity = npm_pack(f"pyodide@{version}", tmp_path / "npm")
        npm_pin = NpmPin(package="pyodide", version=version, integrity=integrity)
        fetch_npm_package(npm_pin, tmp_path / "npm")  # verifies the tarball against the pin
        target = read_npm_lock(read_npm_files(tarball, ["pyodide-lock.json"])["pyodide-lock.json"]).target
        wheel_dir = tmp_path / "wheels"
        pip_download(list(roots), target, wheel_dir)
        pins = []
        for path in sorted(wheel_dir.glob("*.whl")):
            wheel = read_wheel(path, target)
            if wheel.name not in UNNEEDED:
                pins.append(WheelPin(wheel.name, wheel.version, sha256_file(path)))
    pins_dir.mkdir(parents=True, exist_ok=True)
    npm_json = {"package": npm_pin.package, "version": npm_pin.version, "integrity": npm_pin.integrity}
    (pins_dir / NPM_PIN.name).write_text(json.dumps(npm_json, indent=2, sort_keys=True) + "\n")
    header = (
        "Generated by `fh-anywidget pin`; do not edit by hand.\n"
        f"The worker stack for Pyodide {version} (Python {target.python}, {target.platform}),\n"
        f"resolved from: {' '.join(roots)}; left out: {', '.join(sorted(UNNEEDED))}."
    )
    (pins_dir / WORKER_PINS.name).write_text(format_wheel_pins(pins, header))
    return pins
