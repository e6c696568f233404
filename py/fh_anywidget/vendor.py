"""The CDN files of FastHTML's default headers that a static export ships from pinned npm packages.

FastHTML's defaults load htmx and Pico CSS from jsDelivr. An exported site must work offline, so
`fh-anywidget build` puts a copy of the file from the npm package (fetched once with `npm pack`,
checked against the pinned integrity, kept in the cache) in the site instead.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .dist.errors import DistError
from .dist.fetch import fetch_npm_package
from .dist.pins import NpmPin

DEFAULT_CACHE = Path("build/.cache")


@dataclass(frozen=True)
class Vendored:
    """A pinned npm package whose files replace the CDN URLs that `url` matches."""

    pin: NpmPin
    url: re.Pattern[str]  # its group "file" is the file inside the package
    file: str | None = None  # the file to ship whatever the URL names (htmx: the readable build)

    def file_for(self, match: re.Match[str]) -> str:
        return self.file or match["file"]

    def site_name(self, file: str) -> str:
        """The file's name in the site: the version after the first dot-less part, 'pico-2.5.0.min.css'."""
        stem, _, rest = file.rsplit("/", 1)[-1].partition(".")
        return f"{stem}-{self.pin.version}.{rest}"


HTMX = Vendored(
    NpmPin("htmx.org", "2.0.7", "sha512-YiJqF3U5KyO28VC5mPfehKJPF+n1Gni+cupK+D69TF0nm7wY6AXn3a4mPWIikfAXtl1u1F1+ZhSCS7KT8pVmqA=="),
    re.compile(r"^https://(cdn\.jsdelivr\.net/npm|unpkg\.com)/htmx\.org@2[^/]*/(?P<file>dist/htmx(\.min)?\.js)$"),
    file="dist/htmx.js",
)
PICO = Vendored(
    NpmPin("@anyblades/pico", "2.5.0", "sha512-nxpnsoceZgEVO/pjmH5XbRQfpMLTZfl2jFNGVpoNo5mA28aY8VuCoTPnxL6yT+5fqHEA37z8r4e3JIenS9PSOQ=="),
    re.compile(r"^https://cdn\.jsdelivr\.net/npm/@anyblades/pico@[^/]*/(?P<file>css/pico(\.conditional)?\.min\.css)$"),
)
VENDORED = (HTMX, PICO)


def find_vendored(url: str) -> tuple[Vendored, str] | None:
    """The pinned package and file that replace `url`, if any does."""
    for vendored in VENDORED:
        match = vendored.url.match(url)
        if match:
            return vendored, vendored.file_for(match)
    return None


def vendored_file(vendored: Vendored, file: str, cache: Path | None) -> bytes:
    """`file` of the pinned npm package (fetched once into the cache, integrity-checked)."""
    tarball = fetch_npm_package(vendored.pin, cache or DEFAULT_CACHE)
    with tarfile.open(tarball) as tar:
        try:
            member = tar.extractfile(f"package/{file}")
        except KeyError:
            member = None
        if member is None:
            raise DistError(f"{vendored.pin.spec} has no {file}; is the pin in fh_anywidget/vendor.py right?")
        return member.read()


def fetch_vendored(cache: Path | None = None) -> None:
    """Put every pinned package in the cache (scripts/test does, before it cuts the network)."""
    for vendored in VENDORED:
        fetch_npm_package(vendored.pin, cache or DEFAULT_CACHE)
