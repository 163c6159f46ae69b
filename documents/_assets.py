"""The only resources WeasyPrint may load: the package's own stylesheet and fonts.

WeasyPrint resolves every URL of a document (stylesheets, ``@font-face``, images, attachments)
through a URL fetcher.  :class:`AssetFetcher` answers from an allow-list of the files shipped in
``documents/static`` and ``documents/fonts``, published under a private base URL on the reserved
``.invalid`` domain (RFC 2606: it can never resolve).  Anything else, ``file://``,
``http(s)://``, ``data:``, or a path outside the allow-list, is refused and stops the rendering;
nothing ever touches the network or the file system beyond those files.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Final

from coopflow._i18n import _
from weasyprint.urls import URLFetcher, URLFetcherResponse

PACKAGE_DIR: Final = Path(__file__).resolve().parent
TEMPLATES_DIR: Final = PACKAGE_DIR / "templates"
STATIC_DIR: Final = PACKAGE_DIR / "static"
FONTS_DIR: Final = PACKAGE_DIR / "fonts"

#: The private base URL the documents and stylesheets are resolved against.
ASSET_BASE_URL: Final = "https://assets.coopflow.invalid/"

_MIME_TYPES: Final = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
_LOG_SIZE: Final = 512


def allow_list() -> dict[str, Path]:
    """The URLs that may be fetched, each mapped to the package file it serves."""
    assets: dict[str, Path] = {}
    for folder in (STATIC_DIR, FONTS_DIR):
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in _MIME_TYPES:
                assets[f"{ASSET_BASE_URL}{folder.name}/{path.name}"] = path
    return assets


class AssetRefusedError(ValueError):
    """A document or stylesheet asked for a resource outside the package's allow-list."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            _("refused to fetch {url!r}: only coopflow's own assets are served").format(
                url=url[:200]
            )
        )


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type information
    """A WeasyPrint URL fetcher that serves the allow-listed package files and refuses the rest.

    Every request is recorded in :attr:`requested` (the most recent ones), every refusal in
    :attr:`refused`: the tests use them to prove that hostile data fetched nothing.
    """

    def __init__(self) -> None:
        # fail_on_errors: a refused URL stops the rendering instead of leaving a silent hole.
        super().__init__(
            timeout=1, allowed_protocols=("https",), allow_redirects=False, fail_on_errors=True
        )
        self._assets = allow_list()
        self.requested: deque[str] = deque(maxlen=_LOG_SIZE)
        self.refused: deque[str] = deque(maxlen=_LOG_SIZE)

    @property
    def allowed(self) -> frozenset[str]:
        """The URLs this fetcher serves."""
        return frozenset(self._assets)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        """Serve ``url`` if it is allow-listed, else raise :class:`AssetRefusedError`."""
        self.requested.append(url)
        path = self._assets.get(url)
        if path is None:
            self.refused.append(url)
            raise AssetRefusedError(url)
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": _MIME_TYPES[path.suffix]}
        )
