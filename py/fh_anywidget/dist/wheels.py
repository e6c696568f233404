"""Read what the lock needs to know about a wheel: its name, version, imports and dependencies."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ..files import sha256_file
from .errors import DistError


@dataclass(frozen=True)
class WorkerTarget:
    """The Python inside the worker: which wheels it can install, which markers hold there."""

    python: str  # full version, "3.14.2"
    abi_version: str  # Pyodide's ABI, "2026_0"

    @property
    def python_short(self) -> str:
        """`"3.14"`, as pip's `--python-version` wants it."""
        return ".".join(self.python.split(".")[:2])

    @property
    def platform(self) -> str:
        """The platform tag of compiled wheels for this Pyodide, `pyemscripten_2026_0_wasm32`."""
        return f"pyemscripten_{self.abi_version}_wasm32"

    @property
    def abi(self) -> str:
        """`"cp314"`."""
        return "cp" + self.python_short.replace(".", "")

    def pip_flags(self) -> list[str]:
        """The `pip download` flags that select only wheels this worker can install."""
        return [
            "--only-binary=:all:",
            "--platform", self.platform,
            "--platform", "any",
            "--python-version", self.python_short,
            "--implementation", "cp",
            "--abi", self.abi,
            "--abi", "none",
        ]  # fmt: skip

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker values inside Pyodide (`sys_platform == "emscripten"`)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python,
            "os_name": "posix",
            "platform_machine": "wasm32",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Emscripten",
            "platform_version": "",
            "python_full_version": self.python,
            "python_version": self.python_short,
            "sys_platform": "emscripten",
        }


@dataclass(frozen=True)
class WheelInfo:
    """One local wheel file, as the lock describes it."""

    path: Path
    name: str  # normalized the way Pyodide's lock does: lowercase, "-"
    version: str
    sha256: str
    imports: tuple[str, ...]
    requires: tuple[str, ...]  # normalized names of unconditional run-time dependencies



def is_worker_wheel(file_name: str, target: WorkerTarget) -> bool:
    """True if a wheel with this file name can be installed in the worker.

    That is a pure-Python wheel (`py3-none-any`) or one built for this Pyodide's platform tag.
    """
    try:
        _, _, _, tags = parse_wheel_filename(file_name)
    except InvalidWheelFilename:
        return False
    return any(
        tag.platform in ("any", target.platform) and tag.abi in ("none", target.abi, "abi3")
        for tag in tags
    )


def read_wheel(path: Path, target: WorkerTarget) -> WheelInfo:
    """Read a wheel's metadata. Raises `DistError` if the file is not a readable wheel."""
    try:
        with zipfile.ZipFile(path) as wheel:
            names = wheel.namelist()
            dist_info = _dist_info_dir(names, path)
            metadata = HeaderParser().parsestr(wheel.read(f"{dist_info}/METADATA").decode("utf-8"))
            top_level = _read_optional(wheel, f"{dist_info}/top_level.txt")
            record = _read_optional(wheel, f"{dist_info}/RECORD")
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise DistError(
            f"{path} is not a readable wheel ({error}); delete it and run the command again"
        ) from None
    if top_level is not None:
        imports = _imports_from_top_level(top_level)
    else:
        record_paths = [line.split(",")[0] for line in (record or "").splitlines()]
        imports = _imports_from_paths(record_paths or names)
    return WheelInfo(
        path=path,
        name=canonicalize_name(metadata["Name"]),
        version=metadata["Version"],
        sha256=sha256_file(path),
        imports=imports,
        requires=_unconditional_requires(metadata.get_all("Requires-Dist") or [], target),
    )


def _dist_info_dir(names: list[str], path: Path) -> str:
    dirs = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")})
    if len(dirs) != 1:
        raise KeyError(f"expected one .dist-info folder in {path.name}, found {len(dirs)}")
    return dirs[0]


def _read_optional(wheel: zipfile.ZipFile, name: str) -> str | None:
    try:
        return wheel.read(name).decode("utf-8")
    except KeyError:
        return None


def _imports_from_top_level(text: str) -> tuple[str, ...]:
    names = {line.strip() for line in text.splitlines()}
    return tuple(sorted(n for n in names if n and "/" not in n))


def _imports_from_paths(paths: list[str]) -> tuple[str, ...]:
    """Top-level importable names from the files of a wheel (its RECORD, or its zip listing)."""
    imports: set[str] = set()
    for path in paths:
        first, _, rest = path.partition("/")
        if first.endswith((".dist-info", ".data")) or first == "__pycache__" or not first:
            continue
        if rest:  # a package folder
            if first.isidentifier():
                imports.add(first)
        elif first.endswith((".py", ".so")):  # a top-level module
            module = first.split(".")[0]
            if module.isidentifier():
                imports.add(module)
    return tuple(sorted(imports))


def _unconditional_requires(lines: list[str], target: WorkerTarget) -> tuple[str, ...]:
    """Names of the dependencies that apply in the worker when no extra is requested."""
    environment = target.marker_environment() | {"extra": ""}
    names: set[str] = set()
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate(environment):
            names.add(canonicalize_name(requirement.name))
    return tuple(sorted(names))
