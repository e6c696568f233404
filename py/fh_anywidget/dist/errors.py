"""The one error type of the dist build."""

from __future__ import annotations


class DistError(Exception):
    """A build of the offline Pyodide dist failed for a reason the user can fix.

    The message names the bad value (a package, a file, a pin) and says what to do.
    The CLI prints it without a traceback.
    """
