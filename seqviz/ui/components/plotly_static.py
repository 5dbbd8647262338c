"""plotly.js for the browser, served from the app's static folder (`server.enableStaticServing`).

Streamlit's client keeps its own copy of Plotly to itself, so the instant views load a plotly.js of
their own from `static/` next to app.py (Streamlit serves it at /app/static/). It is the cartesian
bundle in assets/plotly (scripts/make_plotly_bundle.py: the same plotly.js release with only the 2-D
trace types, a third of the full bundle's size and time to start) when its version is the one
plotly.py bundles, and plotly.py's full plotly.min.js otherwise.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from functools import lru_cache
from pathlib import Path

import plotly
from plotly.offline import get_plotlyjs_version

from seqviz.core.paths import app_root

_STATIC = app_root() / "static"
_VENDORED = app_root() / "assets" / "plotly"
_LOG = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def bundle() -> tuple[Path, frozenset[str] | None]:
    """The plotly.js file to serve and the trace types it draws (None: every type plotly.js has)."""
    try:
        manifest = json.loads((_VENDORED / "manifest.json").read_text())
    except (OSError, ValueError):
        manifest = {}
    if manifest.get("plotly_js") == get_plotlyjs_version() and (_VENDORED / manifest["file"]).is_file():
        return _VENDORED / manifest["file"], frozenset(manifest["traces"])
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js", None


def check_traces(figure) -> None:
    """ValueError for a figure (a plotly Figure or its dict) with a trace type the served plotly.js
    cannot draw."""
    traces = bundle()[1]
    if traces is None:
        return
    data = figure.get("data", []) if isinstance(figure, dict) else figure.data
    missing = {(trace.get("type") if isinstance(trace, dict) else trace.type) or "scatter" for trace in data} - traces
    if missing:
        raise ValueError(f"the browser's plotly.js ({bundle()[0].name}) draws {', '.join(sorted(traces))}; "
                         f"got {', '.join(sorted(missing))}")


@lru_cache(maxsize=1)
def staged_plotly() -> str | None:
    """The file name of plotly.js in the app's static folder, copied there if needed; None (and a
    warning) where it cannot be."""
    source = bundle()[0]
    name = source.name if source.parent == _VENDORED else f"plotly-{plotly.__version__}.min.js"
    target = _STATIC / name
    try:
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            _STATIC.mkdir(exist_ok=True)
            partial = target.with_name(f"{target.name}.{os.getpid()}.part")
            shutil.copyfile(source, partial)
            os.replace(partial, target)  # whole or absent, for another server process reading it
    except OSError:
        _LOG.warning("cannot stage plotly.js in %s: pages draw their main charts on the server", _STATIC,
                     exc_info=True)
        return None
    return target.name
