"""The production bundle stays under 350 kB gzipped.

What is counted is what a browser downloads on its first visit: the scripts and style
sheets index.html loads (`<script src>`, `<link rel="stylesheet">` and
`<link rel="modulepreload">`), and everything those scripts import statically, followed
transitively. A chunk loaded only by a dynamic `import()` is lazy: it is listed apart and
not counted (the build has no lazy chunk today, so the first load is every .js and .css in
dist/assets, and the test says so if that changes). index.html itself and the favicon are
not counted. Each file is gzipped on its own with Python's gzip at level 9 (its default,
and the default of the server's GZipMiddleware); the limit is 350 kB = 350 × 1000 bytes.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from tests.web.build import WEB

DIST = WEB / "dist"
LIMIT_BYTES = 350 * 1000

# A static import in Vite's minified output: `import{a as b}from"./x.js"` or `import"./x.js"`.
# A dynamic `import("./x.js")` does not match: a quote must follow `import` or `from`.
STATIC_IMPORT = re.compile(
    r"""\bimport\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+\.(?:js|css))["']"""
)


class _Assets(HTMLParser):
    """The script and style sheet URLs of index.html, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        elif tag == "link" and a.get("rel") in ("stylesheet", "modulepreload") and a.get("href"):
            self.urls.append(a["href"] or "")


def _local(url: str, base: Path) -> Path | None:
    """The dist file a same-origin URL names (`/assets/x.js`, or `./x.js` relative to base)."""
    if "://" in url or url.startswith("//"):
        return None
    path = (DIST / url.lstrip("/")) if url.startswith("/") else (base / url)
    return path.resolve()


def first_load() -> list[Path]:
    """Files the browser fetches on a first visit, index.html's own and their static imports."""
    parser = _Assets()
    parser.feed((DIST / "index.html").read_text(encoding="utf-8"))
    todo = [p for u in parser.urls if (p := _local(u, DIST)) is not None]
    seen: list[Path] = []
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        assert path.is_file(), f"index.html loads {path}, which the build did not write"
        seen.append(path)
        if path.suffix == ".js":
            for url in STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
                if (dep := _local(url, path.parent)) is not None:
                    todo.append(dep)
    return seen


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_bundle_is_under_350_kb_gzipped(web_built: None, figure: Callable[[str], None]) -> None:
    loaded = first_load()
    assets = sorted(p.resolve() for p in (DIST / "assets").iterdir() if p.suffix in (".js", ".css"))
    lazy = [p for p in assets if p not in loaded]
    assert any(p.suffix == ".js" for p in loaded), "index.html loads no script"

    sizes = {p: gzipped(p) for p in loaded}
    total = sum(sizes.values())
    raw = sum(p.stat().st_size for p in loaded)
    parts = ", ".join(f"{p.name} {n / 1000:.1f}" for p, n in sizes.items())
    figure(
        f"web bundle: {total / 1000:.1f} kB gzipped (gzip -9, 1 kB = 1000 bytes; "
        f"{raw / 1000:.1f} kB raw) for the first load: {parts}"
    )
    if lazy:
        print(
            "  lazy chunks, not counted:",
            ", ".join(f"{p.name} {gzipped(p) / 1000:.1f} kB" for p in lazy),
        )
    else:
        print("  no lazy chunks: that is every .js and .css in dist/assets")
    limit = f"{LIMIT_BYTES / 1000:.0f} kB"
    assert total < LIMIT_BYTES, f"the web bundle is {total / 1000:.1f} kB gzipped, over {limit}"
