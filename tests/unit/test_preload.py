"""What the launcher adds to the page Streamlit serves (seqviz.ui.preload): chunk preloads, plotly.js, the
server's base URL, and plotly.js sent compressed once."""
import asyncio
import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import streamlit

from seqviz.ui import preload

JS = Path(streamlit.__file__).parent / "static" / "static" / "js"


def chunks(tmp_path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_chunk_brings_every_chunk_it_imports_once_and_nothing_else(tmp_path):
    folder = chunks(tmp_path, {"Slider.aB1.js": 'import{a}from"./util.x9.js";import"./shared.k2.js";',
                               "util.x9.js": 'import{b}from"./shared.k2.js";', "shared.k2.js": "",
                               "Other.zz.js": "", "Slider.aB1.js.map": ""})
    assert preload.chunk_closure(folder, ("Slider", "Missing")) == ["Slider.aB1.js", "util.x9.js", "shared.k2.js"]


def test_the_installed_streamlit_has_a_chunk_for_every_element_type_named():
    found = preload.chunk_closure(JS, preload.ELEMENT_CHUNKS)
    for name in preload.ELEMENT_CHUNKS:
        assert any(chunk.startswith(f"{name}.") for chunk in found), name


def test_the_head_names_the_base_then_preloads_what_the_index_does_not_then_plotly():
    head = preload.head_markup(JS, "app/static/plotly-cartesian-4.1.1.min.js", ["gradient-flow"]).decode()
    index = (JS.parent.parent / "index.html").read_text()
    assert head.startswith("<script>") and "BACKEND_BASE_URL" in head and '["gradient-flow"]' in head
    preloaded = [line.split("/static/js/")[1].split('"')[0] for line in head.splitlines() if "modulepreload" in line]
    assert preloaded and not [name for name in preloaded if f"/{name}\"" in index]
    assert head.splitlines()[-1].startswith(f'<script async id="{preload.PLOTLY_SCRIPT_ID}" '
                                            'src="./app/static/plotly-cartesian-4.1.1.min.js"')
    assert "plotly" not in preload.head_markup(JS, None, []).decode()


def serve(middleware, path, headers=(), method="GET"):
    """(start message, body) of a request through `middleware`."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever this thread's other tests left running
        thread.submit(asyncio.run, middleware(scope, receive, send)).result()
    return sent[0], b"".join(m.get("body", b"") for m in sent[1:])


def app_answering(content_type: bytes, body_parts: list[bytes], status=200, extra=()):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", b"999"), *extra]})
        for k, part in enumerate(body_parts):
            await send({"type": "http.response.body", "body": part, "more_body": k < len(body_parts) - 1})
    return app


def test_the_head_goes_into_html_pages_with_their_length_corrected():
    app = app_answering(b"text/html; charset=utf-8", [b"<html><head><title>x</title>", b"</head><body></body></html>"])
    start, body = serve(preload.HeadMiddleware(app, b"<!--added-->"), "/gradient-flow")
    assert body == b"<html><head><title>x</title><!--added--></head><body></body></html>"
    assert dict(start["headers"])[b"content-length"] == str(len(body)).encode()


def test_other_responses_pass_untouched():
    for app, method in [(app_answering(b"text/javascript", [b"</head>"]), "GET"),
                        (app_answering(b"text/html", [b"</head>"], status=404), "GET"),
                        (app_answering(b"text/html", [b"</head>"], extra=[(b"content-encoding", b"gzip")]), "GET"),
                        (app_answering(b"text/html", [b"</head>"]), "POST")]:
        start, body = serve(preload.HeadMiddleware(app, b"<!--added-->"), "/", method=method)
        assert body == b"</head>" and dict(start["headers"])[b"content-length"] == b"999"


def test_plotly_js_is_sent_compressed_once_made_to_browsers_that_take_gzip():
    source = b"window.Plotly = {};" * 100
    middleware = preload.HeadMiddleware(app_answering(b"text/javascript", [source]), b"", "app/static/p.js",
                                        gzip.compress(source))
    start, body = serve(middleware, "/app/static/p.js", [(b"accept-encoding", b"gzip, br")])
    headers = dict(start["headers"])
    assert gzip.decompress(body) == source and headers[b"content-encoding"] == b"gzip"
    assert headers[b"content-length"] == str(len(body)).encode() and b"immutable" in headers[b"cache-control"]
    assert serve(middleware, "/app/static/p.js")[1] == source  # no gzip asked for: the file as it is
