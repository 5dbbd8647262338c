"""Start loading what a seqviz page needs as soon as the browser reads the page's HTML.

Streamlit's client fetches the code of an element type (a chunk of its JavaScript) only when the
first element of that type arrives from the script's run, and an instant view asks for plotly.js
only once it is drawn. On a 2-core machine each of these waits costs hundreds of milliseconds, one
after another (docs/performance.md, cold page loads). The launcher (seqviz.ui.serve) therefore adds
to the index.html that Streamlit serves, just before `</head>`:

- a `<link rel="modulepreload">` for the chunk of each element type seqviz's pages draw and for every
  chunk those import, found in the installed Streamlit's own files so that the hashed names match;
- plotly.js as an async script with the id `seqviz-plotly`, which instant.js waits for instead of
  loading its own copy;
- where the server is: Streamlit's client opened at a page's URL (/gradient-flow) first asks for
  /gradient-flow/_stcore/health, gets a 404 and only then tries /. `window.__streamlit.BACKEND_BASE_URL`
  (the client's setting for a server elsewhere) names the app's base, the page's URL without its page.

Only GET responses that are HTML and not compressed are changed. plotly.js itself is sent gzipped as
compressed once at start (Streamlit would compress it again for every visitor, on the thread that
also answers the health checks and the websockets), and kept by the browser: its name holds its
version. Streamlit's server is reached
through `starlette_app.create_streamlit_middleware`, the one internal this relies on: without it the
pages load as before, only later.
"""
from __future__ import annotations

import gzip
import html
import json
import logging
import re
from pathlib import Path

from seqviz.ui.components.plotly_static import bundle, staged_plotly
from seqviz.ui.registry import discover_pages

_LOG = logging.getLogger(__name__)
ELEMENT_CHUNKS = (  # Streamlit's chunks for the element types seqviz's pages draw when they open
    "BidiComponent", "ButtonGroup", "Button", "Checkbox", "FileUploader", "Html", "Multiselect", "NumberInput",
    "PageLink", "Progress", "ProgressBar", "Radio", "Selectbox", "Slider", "Spinner", "TextArea", "TextInput",
    "rehype-katex",
)
PLOTLY_SCRIPT_ID = "seqviz-plotly"
_IMPORT = re.compile(rb'(?:from|import)\s*"\./([\w.\-]+\.js)"')


def chunk_closure(js_dir: Path, names: tuple[str, ...]) -> list[str]:
    """File names of the chunks `names` (their hash left off: "Slider" finds Slider.WU6er_Bo.js) and of
    every chunk they import statically, each once, in the order found."""
    wanted = [path.name for name in names for path in sorted(js_dir.glob(f"{name}.*.js"))
              if path.name.count(".") == 2]
    found, seen = [], set()
    while wanted:
        name = wanted.pop(0)
        if name not in seen and (js_dir / name).is_file():
            seen.add(name)
            found.append(name)
            wanted += [m.decode() for m in _IMPORT.findall((js_dir / name).read_bytes())]
    return found


def base_url_script(page_paths: list[str]) -> str:
    """A script setting the client's BACKEND_BASE_URL to the page's URL less its last part when that
    names one of `page_paths` (what is left is the app's base, wherever a proxy put it)."""
    return ("<script>(() => { const pages = " + json.dumps(page_paths).replace("<", "\\u003c") + ";"
            " const parts = location.pathname.replace(/\\/+$/, '').split('/');"
            " if (pages.includes(decodeURIComponent(parts[parts.length - 1]))) { parts.pop(); }"
            " window.__streamlit = Object.assign({}, window.__streamlit,"
            " { BACKEND_BASE_URL: location.origin + parts.join('/') + '/' }); })();</script>")


def head_markup(js_dir: Path, plotly_path: str | None, page_paths: list[str]) -> bytes:
    """The tags added before `</head>`: the base URL, chunk preloads, then plotly.js (a path relative to
    the page's base, as Streamlit's own tags are) when one is given."""
    index = (js_dir.parent.parent / "index.html").read_text()  # its own preloads are not repeated
    tags = [base_url_script(page_paths)]
    tags += [f'<link rel="modulepreload" crossorigin href="./static/js/{html.escape(name)}">'
             for name in chunk_closure(js_dir, ELEMENT_CHUNKS) if f"/{name}\"" not in index]
    if plotly_path:
        tags.append(f'<script async id="{PLOTLY_SCRIPT_ID}" src="./{html.escape(plotly_path)}" '
                    'onload="this.dataset.settled=1" onerror="this.dataset.settled=1"></script>')
    return "\n".join(tags).encode()


class HeadMiddleware:
    """ASGI middleware that puts `head` before `</head>` in the HTML pages the app serves, and answers
    requests for the path ending in `file_path` with `gzipped`, that file's content compressed."""

    def __init__(self, app, head: bytes, file_path: str = "", gzipped: bytes = b""):
        self.app, self.head, self.file_path, self.gzipped = app, head, file_path, gzipped

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        if self.file_path and scope["path"].endswith(f"/{self.file_path}") and _accepts_gzip(scope):
            await _send_gzipped(send, self.gzipped)
            return
        start, body = None, []

        async def add_head(message):
            nonlocal start
            if message["type"] == "http.response.start" and _is_plain_html(message):
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    page = b"".join(body).replace(b"</head>", self.head + b"</head>", 1)
                    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                    await send(start | {"headers": headers + [(b"content-length", str(len(page)).encode())]})
                    await send({"type": "http.response.body", "body": page})
            else:
                await send(message)

        await self.app(scope, receive, add_head)


def _accepts_gzip(scope) -> bool:
    return any(k.lower() == b"accept-encoding" and b"gzip" in v for k, v in scope.get("headers", []))


async def _send_gzipped(send, body: bytes) -> None:
    headers = [(b"content-type", b"text/javascript; charset=utf-8"), (b"content-encoding", b"gzip"),
               (b"content-length", str(len(body)).encode()), (b"vary", b"Accept-Encoding"),
               (b"cache-control", b"public, max-age=31536000, immutable")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_plain_html(start: dict) -> bool:
    headers = {k.lower(): v for k, v in start.get("headers", [])}
    return (start.get("status") == 200 and headers.get(b"content-type", b"").startswith(b"text/html")
            and b"content-encoding" not in headers)


def install() -> bool:
    """Make Streamlit's server add the preloads to its pages; False (and a warning) where this Streamlit
    builds its server some other way. plotly.js is preloaded when the app serves static files."""
    try:
        from starlette.middleware import Middleware

        import streamlit
        from streamlit.web.server.starlette import starlette_app
        streamlit_middleware = starlette_app.create_streamlit_middleware
    except (ImportError, AttributeError) as error:
        _LOG.warning("pages load without preloads: Streamlit's server is not built as expected (%s)", error)
        return False

    def with_preloads():  # called when the server starts, once the configuration is read
        plotly = staged_plotly() if streamlit.config.get_option("server.enableStaticServing") else None
        path = plotly and f"app/static/{plotly}"
        head = head_markup(Path(streamlit.__file__).parent / "static" / "static" / "js", path,
                           [page.url_path for page in discover_pages()])
        gzipped = gzip.compress(bundle()[0].read_bytes(), mtime=0) if plotly else b""  # what was staged
        return [*streamlit_middleware(), Middleware(HeadMiddleware, head=head, file_path=path or "", gzipped=gzipped)]

    starlette_app.create_streamlit_middleware = with_preloads
    return True
