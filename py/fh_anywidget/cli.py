"""The `fh-anywidget` command. Subcommands live in `build_parser`; more can be added there."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .dist import DistError, build_dist, write_pins
from .dist.build import DEFAULT_OUT
from .dist.pins import DEFAULT_PYODIDE

if TYPE_CHECKING:
    from .bundle_files import ShipRules


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `fh-anywidget`, one subparser per subcommand."""
    parser = argparse.ArgumentParser(prog="fh-anywidget", description="Run anywidget widgets in FastHTML pages.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="{dist,build,doctor}", required=True)

    dist = commands.add_parser(
        "dist",
        help="assemble the offline Pyodide distribution for worker mode",
        description="Assemble the offline Pyodide distribution (core, wheels, lock, manifest) for worker mode.",
    )
    dist.add_argument(
        "app", nargs="?", metavar="APP",
        help="a FastHTML app as 'module:attr'; its app.state.fh_anywidget.packages are added, and the "
             "widget modules it imports are imported into the memory snapshot",
    )  # fmt: skip
    dist.add_argument(
        "--package", action="append", default=[], metavar="SPEC",
        help="an extra pip requirement for the worker, with its dependencies (repeatable)",
    )  # fmt: skip
    dist.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    dist.add_argument("--cache", type=Path, default=None, help="download cache (default: build/.cache)")
    dist.add_argument(
        "--no-snapshot", dest="snapshot", action="store_false",
        help="skip the memory snapshot (made with Node.js) that lets the worker start in about a second",
    )  # fmt: skip
    dist.add_argument(
        "--pyodide-dist", type=Path, default=None, metavar="DIR_OR_TARBALL",
        help="the Pyodide release's full distribution (its folder, or pyodide-VERSION.tar.bz2): where the packages "
             "Pyodide builds (numpy, pandas, ...) are taken from; without it they are downloaded from the release",
    )  # fmt: skip
    dist.add_argument(
        "--pyodide-url", default=None, metavar="URL",
        help="a mirror of the release's full distribution to download those packages from "
             "(default: $FH_ANYWIDGET_PYODIDE_URL, else where the release publishes them)",
    )  # fmt: skip
    dist.set_defaults(run=run_dist)

    doctor = commands.add_parser(
        "doctor", help="say what is installed, which Node.js, where the cache is, and whether the dist is current",
        description="Check the setup: versions, Node.js and npm, the download cache, and (with APP) the app's dist.",
    )  # fmt: skip
    doctor.add_argument("app", nargs="?", metavar="APP", help="a FastHTML app as 'module:attr', whose dist is checked")
    doctor.add_argument("--cache", type=Path, default=None, help="download cache (default: build/.cache)")
    doctor.set_defaults(run=run_doctor)

    build = commands.add_parser(
        "build",
        help="export the app's pages with worker-mode widgets as a static site (GitHub Pages, offline)",
        description="Render the app's GET pages to a folder any static file server can serve, with everything they need.",
    )
    build.add_argument("app", metavar="APP", help="a FastHTML app as 'module:attr'")
    build.add_argument("--out", type=Path, default=Path("site"), help="output directory (default: %(default)s)")
    build.add_argument("--base-url", default="/",
                       help="the URL path the site is served under, e.g. /my-repo/ (default: /), or its full URL, "
                            "e.g. https://you.github.io/my-repo/, which the pages' canonical links then name")
    build.add_argument("--route", action="append", default=[], metavar="PATH",
                       help="a page to render besides the routes without path parameters (repeatable)")
    build.add_argument("--server-widgets", choices=("fail", "message"), default="fail",
                       help="a page with a server-mode widget fails the build (default), or shows a message in its place")
    build.add_argument("--cache", type=Path, default=None, help="download cache for htmx (default: build/.cache)")
    build.set_defaults(run=run_build)

    # Hidden: for maintainers, regenerates py/fh_anywidget/pins/.
    pin = commands.add_parser("pin", description="Regenerate the committed pins of Pyodide and the worker stack.")
    pin.add_argument("--pyodide", default=DEFAULT_PYODIDE, help="npm pyodide version (default: %(default)s)")
    pin.set_defaults(run=run_pin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; user errors print one message on stderr and return 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DistError as error:
        print(f"fh-anywidget: error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # the host's errors (WidgetSpecError, a refused bundle) while pages render
        if not str(error).startswith("[fh-anywidget]"):
            raise
        print(f"fh-anywidget: error: {error}", file=sys.stderr)
        return 1


def run_dist(args: argparse.Namespace) -> int:
    packages = [*app_packages(args.app), *args.package] if args.app else list(args.package)
    bundles: list = []
    if args.app:
        from .bundles import app_widget_bundles, bundle_report  # noqa: PLC0415

        # the modules load_app imported with the app: their bundles, as the pages will send them
        found = list(app_widget_bundles(rules=_ship_rules(args.app), report=_say).values())
        for blob, modules in found:
            for line in bundle_report(blob, modules):
                _say(line)
        bundles = found if args.snapshot else []
    manifest = build_dist(args.out, packages, cache=args.cache, report=_say, snapshot=args.snapshot,
                          widget_bundles=bundles, pyodide_dist=args.pyodide_dist, pyodide_url=args.pyodide_url)
    print(f"{args.out} {manifest.hash}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from .bundles import bundle_report  # noqa: PLC0415
    from .export import build_site  # noqa: PLC0415

    app = load_app(args.app)
    summary = build_site(app, args.out, base_url=args.base_url, routes=args.route,
                         server_widgets=args.server_widgets, cache=args.cache, report=_say)
    host = getattr(getattr(app, "state", None), "fh_anywidget", None)
    for blob in host.widget_bundles() if host is not None else []:
        for line in bundle_report(blob):
            _say(line)
    print(f"{args.out}: {len(summary['pages'])} pages, {summary['files']} files, {summary['bytes'] / 1e6:.1f} MB")
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor_lines  # noqa: PLC0415

    lines, ok = doctor_lines(args.app, cache=args.cache, load_app=load_app)
    for line in lines:
        print(line)
    return 0 if ok else 1


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("fh-anywidget")
    except PackageNotFoundError:
        return "(not installed)"


def run_pin(args: argparse.Namespace) -> int:
    pins = write_pins(args.pyodide)
    _say(f"pinned pyodide {args.pyodide} and {len(pins)} wheels")
    return 0


def app_packages(spec: str) -> list[str]:
    """The extra packages a FastHTML app asks for: `app.state.fh_anywidget.packages`."""
    host = getattr(getattr(load_app(spec), "state", None), "fh_anywidget", None)
    return [str(p) for p in getattr(host, "packages", None) or ()]


def _ship_rules(spec: str) -> ShipRules:
    """The app's host's include=/exclude= (none without a host)."""
    from .bundles import ShipRules  # noqa: PLC0415

    host = getattr(getattr(load_app(spec), "state", None), "fh_anywidget", None)
    return getattr(host, "ship_rules", None) or ShipRules()


def load_app(spec: str) -> object:
    """Import the app named 'module:attr' (from the current folder), to build from it: its
    AnyWidgetHost does not warn that the distribution is missing or stale (host.building)."""
    from .host import building  # noqa: PLC0415 (FastHTML is imported only for an app)

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise DistError(f"APP {spec!r} is not 'module:attr' (e.g. 'main:app')")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        with building():
            module = importlib.import_module(module_name)
    except ImportError as error:
        raise DistError(f"cannot import {module_name!r} for APP {spec!r} ({error}); run from the app's folder") from None
    try:
        app = getattr(module, attr)
    except AttributeError:
        raise DistError(f"module {module_name!r} has no attribute {attr!r} (APP {spec!r})") from None
    return app


def _say(message: str) -> None:
    print(message, file=sys.stderr)
