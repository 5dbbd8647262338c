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
    assert started == [[str(root / "app.py"), "--server.port", "8600", "--server.address", "0.0.0.0",
                        "--server.maxUploadSize", "20"]]
    assert os.getcwd() == str(root)  # its .streamlit/config.toml and assets/ are the ones read


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
