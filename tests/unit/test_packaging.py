"""`pip install .` ships what the app reads: every asset folder and every page is in pyproject.toml's
data files (a folder left out served pages without their checkpoints, lessons or results)."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_tracked_asset_and_page_is_among_the_installed_data_files():
    patterns = [p for files in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                ["data-files"].values() for p in files]
    shipped = [p.relative_to(ROOT).as_posix() for folder in ("assets", "pages") for p in (ROOT / folder).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts]
    globs = [re.compile(re.escape(p).replace(r"\*", "[^/]*") + "$") for p in patterns]  # * stays in its folder
    missing = [f for f in shipped if not any(glob.match(f) for glob in globs)]
    assert missing == []
