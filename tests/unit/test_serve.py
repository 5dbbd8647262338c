"""The `seqviz` command: what `seqviz serve` hands to Streamlit, and where it finds the app."""
import os

import pytest

from seqviz.core import paths
from seqviz.ui import serve


def test_serve_runs_the_apps_own_folder_with_its_port_address_and_other_options(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(serve, "main", started.append)
    monkeypatch.chdir(tmp_path)
    serve.cli(["serve", "--port", "8600", "--address", "0.0.0.0", "--server.maxUploadSize", "20"])
    root = paths.app_root()
    assert started == [["--warm", str(root / "app.py"), "--server.port", "8600", "--server.address", "0.0.0.0",
                        "--server.maxUploadSize", "20"]]
    assert os.getcwd() == str(root)  # its .streamlit/config.toml and assets/ are the ones read
    serve.cli(["serve", "--no-warm"])
    assert started[-1] == [str(root / "app.py"), "--server.port", "8501"]


def test_warming_runs_every_page_and_names_those_that_failed_without_stopping(monkeypatch, tmp_path):
    from streamlit.runtime import Runtime

    from seqviz.ui.registry import PageInfo

    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text("import streamlit as st\nst.write('warm')\n")
    bad.write_text("raise RuntimeError('cannot run')\n")
    pages = [PageInfo(path, path.stem, "", "", k) for k, path in enumerate((good, bad))]
    monkeypatch.setattr(serve, "discover_pages", lambda: pages)
    assert serve.warm_pages(timeout=60) == ["bad.py"]
    assert not Runtime.exists()  # the server's own runtime can still be made


def test_what_a_warmed_page_cached_is_found_by_later_runs(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from seqviz.ui.registry import PageInfo

    calls, page = tmp_path / "calls.txt", tmp_path / "cached.py"
    page.write_text("import streamlit as st\n@st.cache_data\ndef result(n):\n"
                    f"    open({str(calls)!r}, 'a').write('computed\\n')\n    return n\nst.write(result(3))\n")
    monkeypatch.setattr(serve, "discover_pages", lambda: [PageInfo(page, "cached", "", "", 0)])
    assert serve.warm_pages(timeout=60) == []
    AppTest.from_file(str(page), default_timeout=60).run()  # a later session, another runtime
    assert calls.read_text() == "computed\n"


def test_the_command_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit):
        serve.cli([])
    assert "serve" in capsys.readouterr().err


def test_the_app_files_are_found_beside_the_package_in_a_checkout():
    root = paths.app_root()
    assert (root / "app.py").is_file() and (root / "pages").is_dir()
    assert paths.assets("ssm").is_dir()


def test_a_missing_app_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "seqviz" / "core" / "paths.py"))
    monkeypatch.setattr(paths.sysconfig, "get_path", lambda name: str(tmp_path / "prefix"))
    with pytest.raises(FileNotFoundError, match="neither in .* nor in .*share/seqviz: run from a checkout"):
        paths.app_root()


def test_the_launcher_loads_the_backend_before_the_server_starts_and_leaves_streamlits_side_to_the_app():
    """A fresh interpreter: after preload_backend every backend module is imported (the first visitor does not
    wait for PyTorch), and no seqviz.ui module is (those create Streamlit components: the app's run loads them)."""
    import subprocess
    import sys

    probe = ("import sys, pkgutil, seqviz; from seqviz.ui.serve import preload_backend; preload_backend(); "
             "ui = sorted(n for n in sys.modules if n.startswith('seqviz.ui.') and n not in LAUNCHER); "
             "loaded = set(sys.modules); "
             "names = [m.name for m in pkgutil.walk_packages(seqviz.__path__, 'seqviz.') "
             "if not m.name.startswith('seqviz.ui')]; "  # walking imports packages itself: `loaded` before it
             "print(sorted(n for n in names if n not in loaded)); print(ui); "
             "print('torch' in loaded, 'plotly.graph_objects' in loaded, 'altair' in loaded)")
    launcher = ["seqviz.ui.serve", "seqviz.ui.preload", "seqviz.ui.registry", "seqviz.ui.components",
                "seqviz.ui.components.plotly_static"]  # none of them makes a Streamlit component
    probe = f"LAUNCHER = {launcher!r}; " + probe
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=paths.app_root()).stdout.splitlines()
    assert out == ["[]", "[]", "True True True"]
