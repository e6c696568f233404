"""What a failed `pip download` for the worker means, said as one message that names the package."""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement

from .wheels import WorkerTarget

SERVER_MODE_HINT = "run that widget with mode='server' or pick a pure-Python package"


def explain_pip_failure(stderr: str, target: WorkerTarget) -> str:
    """Turn pip's error output into one message that names the package and says what to do."""
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
        requirement = match["req"].strip()
        name = _requirement_name(requirement)
        needed_by = f" (needed by {match['parent']})" if match["parent"] else ""
        if match["versions"].strip() == "none":
            return (
                f"{name}{needed_by} has no pure-Python wheel (none for Python {target.python_short}"
                f" on {target.platform} or 'any'), so it cannot run in the browser worker offline;"
                f" {SERVER_MODE_HINT}. If the name is misspelled, check it on PyPI."
            )
        return (
            f"no version of {name}{needed_by} matching {requirement!r} has a wheel the browser worker"
            f" can use; versions that have one: {match['versions'].strip()}. Change the version,"
            f" or {SERVER_MODE_HINT}"
        )
    if "ResolutionImpossible" in stderr or "conflicting dependencies" in stderr:
        return (
            "the packages conflict with the pinned worker stack (anywidget and its dependencies keep"
            " their pinned versions):\n" + _error_lines(stderr)
        )
    return "pip could not download the wheels:\n" + _error_lines(stderr)


def _requirement_name(text: str) -> str:
    try:
        return Requirement(text).name
    except InvalidRequirement:
        return text


def _error_lines(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
    return "\n".join(lines[-12:])
