"""Run pip for the browser worker: wheels for its platform only, markers evaluated for its Python."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import DistError
from .pip_errors import explain_pip_failure
from .wheels import WorkerTarget

PIP_FOR_WORKER = """
import json, sys
from pip._vendor.packaging import markers
worker = json.loads(sys.argv.pop(1))
here = markers.default_environment
markers.default_environment = lambda: {**here(), **worker}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
"""`python -c PIP_FOR_WORKER MARKERS_JSON pip-args...`: pip, with PEP 508 markers evaluated in the
worker's environment (pip evaluates every marker through its vendored `default_environment`)."""


def run_pip(target: WorkerTarget, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`pip COMMAND ARGS` with the worker's markers; its output is captured, not shown."""
    return subprocess.run(
        [sys.executable, "-c", PIP_FOR_WORKER, json.dumps(target.marker_environment()),
         command, "--disable-pip-version-check", "--no-input", *args],
        capture_output=True, text=True,
    )  # fmt: skip


def pip_download(
    requirements: Sequence[str], target: WorkerTarget, dest: Path, *, extra_args: Sequence[str] = (),
    lookup_first: Callable[[set[str]], bool] | None = None,
) -> None:
    """`pip download` wheels for the worker into `dest`; a failure raises a `DistError` that says why.

    Dependency markers are evaluated for the worker (`sys_platform == "emscripten"`, its Python
    version), not for this machine: pip's `--platform` flags choose wheels but leave markers to
    the running interpreter, so a release that needs a package only off Emscripten (IPython 9.13+:
    `psutil; sys_platform != "emscripten"`) would look uninstallable and pip would fall back to an
    older one. pip is not run `--quiet`: its reason for a ResolutionImpossible is an info message.
    When pip fails for lack of packages and `lookup_first(names)` says it can provide some of them
    (Pyodide's own packages), `PipRetry` is raised instead of the explanation.
    """
    dest.mkdir(parents=True, exist_ok=True)
    result = run_pip(
        target, "download", "--progress-bar", "off", *target.pip_flags(), "--dest", str(dest), *extra_args, *requirements
    )
    if result.returncode != 0:
        names = unavailable_names(result.stdout + "\n" + result.stderr)
        if lookup_first is not None and lookup_first(names):
            raise PipRetry(names)
        raise DistError(explain_pip_failure(
            result.stderr, target, stdout=result.stdout, requested=_names(requirements),
            versions_of=lambda name: worker_versions(name, target),
        ))  # fmt: skip


class PipRetry(Exception):
    """pip lacked packages that the caller can provide (Pyodide's own): provide them and run it again."""

    def __init__(self, names: set[str]) -> None:
        super().__init__(", ".join(sorted(names)))
        self.names = names


def unavailable_names(output: str) -> set[str]:
    """The (normalized) names of the packages pip's failure says it found no usable wheel of, or
    could not agree on (the requirements of a ResolutionImpossible's causes)."""
    found = re.findall(r"satisfies the requirement ([A-Za-z0-9][A-Za-z0-9._-]*)", output)
    found += re.findall(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)", output)
    found += re.findall(r"^\s+(?:\S+ \S+ depends on|The user requested(?: \(constraint\))?) ([A-Za-z0-9][A-Za-z0-9._-]*)", output,
                        flags=re.MULTILINE)
    return {canonicalize_name(name) for name in found}


def worker_versions(name: str, target: WorkerTarget) -> list[str] | None:
    """The versions of `name` on the index that have a wheel the worker can install, newest first.

    `[]` if there is none; None if pip cannot say (no network, a pip without `index versions`).
    """
    result = run_pip(target, "index", "versions", *target.pip_flags(), name)
    if result.returncode == 0:
        match = re.search(r"^Available versions: (.*)$", result.stdout, flags=re.MULTILINE)
        return [v.strip() for v in match[1].split(",") if v.strip()] if match else None
    return [] if "No matching distribution found" in result.stderr else None


def _names(requirements: Sequence[str]) -> list[str]:
    names = []
    for text in requirements:
        try:
            names.append(Requirement(text).name)
        except InvalidRequirement:
            names.append(text)
    return names
