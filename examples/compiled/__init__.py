"""An app whose widget needs a compiled wheel: `ast-serialize` (mypy's Rust parser), which PyPI
has built for this Pyodide (`pyemscripten_2026_0_wasm32`) as well as for this machine. The
browser tests in tests/browser/test_compiled_wheels.py drive it (its dist: build/pyodide-compiled)."""
