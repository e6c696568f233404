"""What a failed `pip download` for the worker means, said as one message that names the package.

pip says "ResolutionImpossible" both for versions that do not agree and for a dependency that has
no wheel the worker can install (once it has backtracked through several releases of the package
that needs it). The causes pip lists tell them apart, with the versions of each package that do
have a worker wheel (`versions_of`, which asks the index).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .wheels import WorkerTarget

VersionsOf = Callable[[str], "list[str] | None"]
"""The versions of a package that have a wheel the worker can install, or None if unknown."""

# One line of pip's "The conflict is caused by:" block.
_CAUSE = re.compile(
    r"^\s+(?:(?P<parent>\S+) \S+ depends on|The user requested(?P<pin> \(constraint\))?) (?P<req>\S.*?)\s*$"
)


def server_mode_hint(package: str) -> str:
    """What to do when `package` (one of the app's packages) cannot run in the browser."""
    return (
        f"run the widget that needs {package} with mode='server' (its Python then runs on your"
        f" server), or drop {package} from packages=[...] (or --package)"
    )


@dataclass(frozen=True)
class Cause:
    """One requirement pip could not satisfy: who asked for it (None: the user), and whether it is a pin."""

    requirement: str
    parent: str | None
    pin: bool


def explain_pip_failure(
    stderr: str,
    target: WorkerTarget,
    *,
    stdout: str = "",
    requested: Sequence[str] = (),
    versions_of: VersionsOf | None = None,
) -> str:
    """Turn pip's output into one message that names the package and says what to do.

    `requested` are the names of the packages pip was asked for; `versions_of` looks up which
    versions of a package have a worker wheel (pip_worker.worker_versions), for a ResolutionImpossible.
    """
    if re.search(r"NewConnectionError|Failed to establish|Temporary failure in name resolution", stderr):
        return (
            "cannot reach the package index to download wheels; build once with network access"
            " (the cache keeps them), or pass --cache pointing at a filled cache"
        )
    if "DO NOT MATCH THE HASHES" in stderr:
        names = re.findall(r"^\s+(\S+?)==\S+ from ", stderr, flags=re.MULTILINE)
        return (
            f"the downloaded wheel of {', '.join(names) or 'a pinned package'} does not match the"
            " sha256 in the pin file; run `fh-anywidget pin` if the pins are out of date"
        )
    match = re.search(
        r"satisfies the requirement (?P<req>.+?)(?: \(from (?P<parent>[^)]+)\))? \(from versions: (?P<versions>[^)]*)\)",
        stderr,
    )
    if match:
        versions = [v.strip() for v in match["versions"].split(",") if v.strip() and v.strip() != "none"]
        return _no_worker_wheel(match["req"].strip(), match["parent"], versions, target, requested)
    if "ResolutionImpossible" in stderr:
        return _explain_resolution(stderr, stdout, target, requested, versions_of)
    return "pip could not download the wheels:\n" + _error_lines(stderr)


def _no_worker_wheel(
    requirement: str, parent: str | None, versions: list[str], target: WorkerTarget, requested: Sequence[str]
) -> str:
    name = _requirement_name(requirement)
    asked = _asked_for(parent or name, requested)
    needed_by = ""
    if parent:
        needed_by = f" (needed by {parent})" if parent == asked else f" (needed by {parent}, a dependency of {asked})"
    hint = server_mode_hint(asked)
    if not versions:
        return (
            f"{name}{needed_by} has no pure-Python wheel (none for Python {target.python_short}"
            f" on {target.platform} or 'any' on the index, and Pyodide's own packages, its"
            f" pyodide-lock.json, do not include it), so it cannot run in the browser worker offline;"
            f" {hint}." + (" If the name is misspelled, check it on PyPI." if parent is None else "")
        )
    change = "Change the version" if parent is None else f"Pick a version of {asked} that accepts one of them"
    return (
        f"no version of {name}{needed_by} matching {requirement!r} has a wheel the browser worker"
        f" can use; versions that have one: {', '.join(versions)}. {change}, or {hint}"
    )


def _explain_resolution(
    stderr: str, stdout: str, target: WorkerTarget, requested: Sequence[str], versions_of: VersionsOf | None
) -> str:
    causes, reason = _conflict_causes(stdout + "\n" + stderr)
    if not causes:
        return f"pip cannot resolve {', '.join(requested) or 'the packages'}:\n" + _error_lines(stderr)
    looked_up: dict[str, list[str] | None] = {}
    for cause in causes:
        name = canonicalize_name(_requirement_name(cause.requirement))
        if cause.pin or versions_of is None:
            continue
        if name not in looked_up:
            looked_up[name] = versions_of(name)
        versions = looked_up[name]
        if versions is not None and not _matches_any(cause.requirement, versions):
            return _no_worker_wheel(cause.requirement, cause.parent, versions, target, requested)
    header = next((line.removeprefix("ERROR: ") for line in stderr.splitlines() if "Cannot install" in line), "")
    pins = [cause.requirement for cause in causes if cause.pin]
    what = ", ".join(requested) or "the packages"
    agree = " with the pinned worker stack" if pins else ""
    fix = (
        f"The (constraint) lines are pins of the worker stack (anywidget and its dependencies), which keeps"
        f" its versions: pick a version of {' or '.join(requested) or 'your packages'} that accepts"
        f" {', '.join(pins)}, or run the widget that needs it with mode='server'."
        if pins
        else "Pick versions that agree, in packages=[...] (or --package)."
    )
    quoted = "\n".join("  " + line for line in [header, *reason.splitlines()] if line)
    return f"pip finds no versions of {what} and their dependencies that agree{agree}; pip's reason:\n{quoted}\n{fix}"


def _conflict_causes(output: str) -> tuple[list[Cause], str]:
    """The causes in pip's "The conflict is caused by:" block, and the block as pip wrote it."""
    lines = output.splitlines()
    try:
        start = lines.index("The conflict is caused by:")
    except ValueError:
        return [], ""
    block, causes = [lines[start]], []
    for line in lines[start + 1 :]:
        match = _CAUSE.match(line)
        if match is None:
            break
        block.append(line)
        causes.append(Cause(match["req"], match["parent"], bool(match["pin"])))
    return causes, "\n".join(block)


def _matches_any(requirement: str, versions: list[str]) -> bool:
    try:
        specifier = Requirement(requirement).specifier
    except InvalidRequirement:
        return True  # cannot tell: treat it as a conflict and show pip's words
    return any(True for _ in specifier.filter(versions))


def _asked_for(name: str, requested: Sequence[str]) -> str:
    """The package the user asked for through which `name` comes in."""
    if not requested or canonicalize_name(name) in {canonicalize_name(r) for r in requested}:
        return name
    return requested[0] if len(requested) == 1 else " or ".join(requested)


def _requirement_name(text: str) -> str:
    try:
        return Requirement(text).name
    except InvalidRequirement:
        return text


def _error_lines(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
    return "\n".join(lines[-12:])
