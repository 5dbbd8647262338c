"""Serving policy: the app's Streamlit config and the process-wide GC set-up."""
import gc
import tomllib

from harness.apptest import ROOT
from seqviz.ui import runtime


def test_served_config_keeps_security_settings_and_skips_the_per_run_full_gc():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True and config["server"]["maxUploadSize"] <= 10
    assert config["client"]["showErrorDetails"] == "none"
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["maxCacheDataSize"] == "1gb"  # bounds the shared caches in bytes, not only entries


def test_the_start_up_heap_is_frozen_once_per_process(monkeypatch):
    frozen = []
    monkeypatch.setattr(runtime, "_heap_frozen", False)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    assert runtime.freeze_startup_heap() is True
    assert runtime.freeze_startup_heap() is False
    assert frozen == [True]
