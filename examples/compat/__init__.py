"""The compatibility suite's widgets and pages.

- ``widgets``: one small fixture widget per feature of the anywidget contract (esm/, css/);
- ``wiggly``: every widget of the wigglystuff package (from PyPI), with a Python mirror;
- ``pages``: the pages that show them (mounted by examples/demo/app.py under /compat).

tests/browser/test_compat.py and test_wigglystuff.py check them in worker and server mode;
scripts/compat writes the results into docs/compat.md.
"""
