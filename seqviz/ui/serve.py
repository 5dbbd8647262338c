"""Start the app: the `seqviz serve` command, and `python -m seqviz.ui.serve app.py [streamlit run options]`,
a drop-in for `streamlit run`.

Streamlit decides when a server process starts whether its app is a legacy pages-directory app: it
is one if a `pages/` folder sits next to the entry script, until some session's run calls
`st.navigation`. Until then a visitor who arrives by a deep link (`/inside-the-cell`) is routed
through the legacy page list, which knows no such URL, and gets a "Page not found" dialog over the
right page (streamlit#10276). seqviz keeps its pages in `pages/` and always navigates with
`st.navigation`, so this launcher says so before the server starts, and the first visitor of any
page's URL sees that page, with no dialog. `make run` and the browser tests start the app this way.

Before the server starts, the launcher also imports the backend (`preload_backend`), makes the pages'
HTML start loading what they need at once (seqviz.ui.preload) and, with `--warm` (`make run`,
`seqviz serve`), runs every page once so that its first visitor finds its results cached (`warm_pages`).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from contextlib import contextmanager

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli as streamlit_cli

from seqviz.ui import preload
from seqviz.ui.registry import discover_pages

WARM_SECONDS = 120  # the longest a page's warming run may take
_LOG = logging.getLogger(__name__)


def declare_navigation_app() -> None:
    """Tell Streamlit, before any session starts, that the entry script's st.navigation lists the pages.

    This is the flag `st.navigation` itself clears on its first call; a Streamlit without it
    stops the launcher rather than serving the dialog again.
    """
    if not hasattr(PagesManager, "uses_pages_directory"):
        raise RuntimeError("this Streamlit has no PagesManager.uses_pages_directory: "
                           "check seqviz.ui.serve against its pages manager")
    PagesManager.uses_pages_directory = False


def preload_backend() -> None:
    """Import the backend (PyTorch, every seqviz module outside seqviz.ui) and the chart libraries before the
    server answers its health check, so that its first visitor does not wait for them (docs/performance.md,
    cold page loads): Streamlit runs the pages in this process, where they find these modules loaded."""
    import altair  # noqa: F401  (imported for its side effect: loaded once, here)
    import plotly.graph_objects  # noqa: F401
    import torch._dynamo  # noqa: F401  (the first module built on the meta device, seeding.blank, imports it)

    import seqviz

    _import_tree(seqviz, skip="seqviz.ui")  # Streamlit's side: the app's first run loads it


def _import_tree(package, skip: str) -> None:
    """Import every module below `package` except `skip` and what lies below it (pkgutil.walk_packages
    would import each package it walks, `skip` included)."""
    for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if module.name != skip:
            imported = importlib.import_module(module.name)
            if module.ispkg:
                _import_tree(imported, skip)


def warm_pages(timeout: float = WARM_SECONDS) -> list[str]:
    """Run every page once, at its defaults, before the server takes visitors; the pages that could not
    be run (each logged).

    What a page computes at its defaults goes to caches that every session of this process shares
    (seqviz.ui.cache), so its first visitor finds it there, as later ones do. The runs are Streamlit's
    own test runner (AppTest) in this process, before the server's runtime exists.
    """
    from streamlit.testing.v1 import AppTest

    failed = []
    with _without_missing_context_warnings():
        for page in discover_pages():
            try:
                run = AppTest.from_file(str(page.path), default_timeout=timeout).run()
                errors = [e.message for e in run.exception]
            except Exception as error:  # a page that cannot warm still serves: its first visitor waits, as unwarmed
                errors = [repr(error)]
            if errors:
                _LOG.warning("could not warm %s: %s", page.path.name, "; ".join(errors))
                failed.append(page.path.name)
    return failed


@contextmanager
def _without_missing_context_warnings():
    """Streamlit warns "missing ScriptRunContext" at each cached call outside a script run, as every call
    of a warming run is: dropped while in the context (by a filter: AppTest sets Streamlit's loggers'
    levels again at each run)."""
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")

    def keep(record) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()

    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def main(argv: list[str]) -> None:
    """`argv`: what would follow `streamlit run` (the entry script, then options), with `--warm` first
    to run every page once before the server starts (`warm_pages`)."""
    warm = argv[:1] == ["--warm"]
    declare_navigation_app()
    preload_backend()
    preload.install()
    if warm:
        warm_pages()
    sys.argv = ["streamlit", "run", *argv[warm:]]
    streamlit_cli.main()


def cli(argv: list[str] | None = None) -> None:
    """`seqviz serve [--port P] [--address A] [streamlit options]`: the app, wherever seqviz is installed.

    Runs from the folder holding app.py (seqviz.core.paths.app_root), so that its .streamlit/config.toml
    and assets/ are the ones found; any option not named here goes to `streamlit run` as it is.
    """
    parser = argparse.ArgumentParser(prog="seqviz", description="seqviz: watch sequence models work.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the app (a Streamlit server)",
                                description="Start the app; other options go to `streamlit run`, e.g. "
                                            "--server.maxUploadSize 20.")
    serve.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    serve.add_argument("--address", default=None,
                       help="address to bind (default localhost; 0.0.0.0 serves a room)")
    serve.add_argument("--no-warm", dest="warm", action="store_false",
                       help="take visitors at once, without running every page first (faster to start; "
                            "the first visitor of each page waits for what it computes)")
    args, streamlit_options = parser.parse_known_args(argv)
    from seqviz.core.paths import app_root

    root = app_root()
    os.chdir(root)
    options = ["--server.port", str(args.port)]
    if args.address is not None:
        options += ["--server.address", args.address]
    main(["--warm"] * args.warm + [str(root / "app.py"), *options, *streamlit_options])


if __name__ == "__main__":
    main(sys.argv[1:])
