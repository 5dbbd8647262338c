"""Where the app's own files are: app.py, pages/ and assets/ (checkpoints, saved results).

In a checkout (and an editable install) they sit around the package; `pip install .` copies them
to <prefix>/share/seqviz, beside the installed package (see pyproject.toml).
"""
from __future__ import annotations

import sysconfig
from pathlib import Path


def app_root() -> Path:
    """The folder holding app.py, pages/ and assets/; FileNotFoundError naming both places looked in."""
    checkout = Path(__file__).resolve().parents[2]
    installed = Path(sysconfig.get_path("data")) / "share" / "seqviz"
    for root in (checkout, installed):
        if (root / "app.py").is_file():
            return root
    raise FileNotFoundError(f"seqviz's app files (app.py, pages/, assets/) are neither in {checkout} nor in "
                            f"{installed}: run from a checkout, or install with pip install .")


def assets(*parts: str) -> Path:
    """A path under assets/, e.g. assets("ssm", "models_induction_heads.pt")."""
    return app_root().joinpath("assets", *parts)
