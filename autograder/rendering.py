"""Safe HTML for the pages the grader writes: markdown and LaTeX of student answers, plots.

Student text is hostile in the worst case. Markdown goes through mistune (nbconvert's own
markdown parser, so it comes with the `grading` extra) with `escape=True`: raw HTML in a
cell (`<script>`, `<img onerror=...>`) is shown as text, and links or images to
`javascript:`, `vbscript:`, `file:` or non-image `data:` URLs become `#harmful-link`.
Math (`$...$`, `$$...$$`) is kept as escaped TeX between `\\(...\\)` / `$$` delimiters, so
a page reads without any script; KaTeX (from a CDN, with `trust: false`: no `\\href`,
`\\includegraphics` or HTML extensions) typesets it where the CDN can be reached. Its
script and stylesheet carry Subresource Integrity hashes: a CDN that served anything but
the pinned release's files would have them refused by the browser.

Every page also carries a Content-Security-Policy: scripts only from the CDN and the one
inline script below (by its hash), images only as `data:` URLs (a student's remote image
cannot call home), no forms, frames or connections. Should anything slip through the
escaping, the browser still runs none of it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

import mistune
from mistune.plugins import math as mistune_math

KATEX_VERSION = "0.16.11"
KATEX = f"https://cdn.jsdelivr.net/npm/katex@{KATEX_VERSION}/dist"
# sha384 of the release's dist files, as the npm tarball of katex@0.16.11 holds them (the
# tarball checked against the registry's sha512; the same values as KaTeX's README):
# `npm pack katex@0.16.11`, then `openssl dgst -sha384 -binary package/dist/FILE |
# openssl base64 -A`. Changing KATEX_VERSION means computing them again.
KATEX_INTEGRITY = {
    "katex.min.css": "sha384-nB0miv6/jRmo5UMMR1wu3Gz6NLsoTkbqJghGIsx//Rlm+ZU03BU6SQNC66uf4l5+",
    "katex.min.js": "sha384-7zkQWkzuo3B5mTepMUcHkMB5jZaolc2xDwL6VFqjFALcbeS9Ggm/Yr2r3Dy4lfFg",
}
# Typesets every `.math` element with KaTeX if it loaded; without it, the TeX stays as text.
RENDER_MATH = (
    'window.addEventListener("load",function(){if(!window.katex)return;'
    'document.querySelectorAll(".math").forEach(function(e){var t=e.textContent.trim(),'
    'd=t.slice(0,2)==="$$";try{katex.render(t.slice(2,-2),e,{displayMode:d,'
    'throwOnError:false,trust:false,maxExpand:1000,maxSize:50})}catch(x){}})});'
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(RENDER_MATH.encode()).digest()).decode()
CSP = (
    "default-src 'none'; img-src data:; "
    f"style-src 'unsafe-inline' {KATEX}/; font-src {KATEX}/; "
    f"script-src {KATEX}/ 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)
BASE_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap}
.markdown{padding:0 8px}.markdown img,.plot{max-width:100%}
.math{font-family:ui-monospace,monospace}div.math{margin:.5em 0}
"""
_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
IMAGE_TYPES = ("image/png", "image/jpeg")
# mistune's inline math, but `$...$` may run over a line break, as in Jupyter (a paragraph
# never holds a blank line); a closing `$` follows no blank and precedes no digit ($5, $6).
INLINE_MATH = (
    r"\$\$(?P<display_math_text>(?:[^$\\]|\\.)*?)\$\$|"
    r"\$(?P<backtick_math_marker>`+)(?P<backtick_math_text>[\s\S]*?)(?P=backtick_math_marker)\$|"
    r"\$(?!\$)(?!\s)(?P<math_text>(?:[^$\\]|\\.)+?)(?<!\s)\$(?!\d)"
)


def _math(md) -> None:
    md.block.register("block_math", mistune_math.BLOCK_MATH_PATTERN,
                      mistune_math.parse_block_math, before="list")
    md.inline.register("inline_math", INLINE_MATH, mistune_math.parse_inline_math,
                       before="codespan")
    md.renderer.register("block_math", mistune_math.render_block_math)
    md.renderer.register("inline_math", mistune_math.render_inline_math)


class _Renderer(mistune.HTMLRenderer):
    """mistune's escaping renderer; images only from the cell's own attachments or as
    PNG/JPEG `data:` URLs (a remote image would tell its server who reads the page)."""

    def __init__(self, attachments: dict | None = None):
        super().__init__(escape=True)
        self.attachments = attachments if isinstance(attachments, dict) else {}

    def image(self, text: str, url: str, title: str | None = None) -> str:
        if url.startswith("attachment:"):
            data = self.attachments.get(url[len("attachment:"):])
            url = _data_url(data) or url
        if not url.startswith(tuple(f"data:{mime};base64," for mime in IMAGE_TYPES)):
            alt = html.escape(mistune.util.striptags(text))
            return f"<span class='image'>[image: {alt}]</span>"
        return super().image(text, url, title)


def _data_url(data) -> str | None:
    """`data:` URL of the first PNG or JPEG in a MIME bundle, if it is plain base64."""
    if not isinstance(data, dict):
        return None
    for mime in IMAGE_TYPES:
        if mime in data:
            image = "".join(data[mime]).replace("\n", "")
            return f"data:{mime};base64,{image}" if _BASE64.fullmatch(image) else None
    return None


def head(title: str, style: str = "") -> str:
    """`<!doctype html>` up to and including `<body>`: CSP, styles, KaTeX (optional)."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{BASE_STYLE}{style}</style>"
        f"<link rel='stylesheet' href='{KATEX}/katex.min.css' "
        f"integrity='{KATEX_INTEGRITY['katex.min.css']}' crossorigin='anonymous'>"
        f"<script defer src='{KATEX}/katex.min.js' "
        f"integrity='{KATEX_INTEGRITY['katex.min.js']}' crossorigin='anonymous'></script>"
        f"<script>{RENDER_MATH}</script>"
        "</head><body>"
    )


def markdown_html(text: str, attachments: dict | None = None) -> str:
    """Markdown and LaTeX of a student's cell as safe HTML (see the module doc).

    `attachments`: the cell's nbformat attachments ({name: MIME bundle}), for the images
    pasted into a markdown cell (`![plot](attachment:plot.png)`).
    """
    markdown = mistune.create_markdown(
        renderer=_Renderer(attachments), plugins=[_math, "strikethrough", "table"]
    )
    return f"<div class='markdown'>{markdown(text or '')}</div>"


def images(cell) -> list[str]:
    """`<img>` tags for the PNG and JPEG plots a code cell produced (nothing else)."""
    if cell is None or cell.get("cell_type") != "code":
        return []
    tags = []
    for output in cell.get("outputs", []):
        url = _data_url(output.get("data") if isinstance(output, dict) else None)
        if url:
            tags.append(f"<img class='plot' alt='plot' src='{url}'>")
    return tags
