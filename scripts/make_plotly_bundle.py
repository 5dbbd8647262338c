"""Vendor plotly.js's cartesian bundle into assets/plotly for the instant views.

plotly.py ships only the full plotly.js (4.8 MB: maps, 3-D, WebGL, …), which a new visitor's browser
spends about a second compiling and running; seqviz's instant views draw scatter, bar and heatmap
traces only. The cartesian bundle is the same plotly.js release, built by Plotly with the 2-D trace
types alone (1.5 MB). This script takes it from its npm package (`npm pack`, run once by a
maintainer, not at run time), for the plotly.js version that the installed plotly.py bundles, and
writes the bundle, its licence and a manifest (version, SHA-256, the trace types it holds).

Run from the repository root: python -m scripts.make_plotly_bundle
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from plotly.offline import get_plotlyjs_version

PACKAGE = "plotly.js-cartesian-dist-min"
BUNDLE = "plotly-cartesian.min.js"
TARGET = Path(__file__).resolve().parents[1] / "assets" / "plotly"


def trace_types(source: str) -> list[str]:
    """The trace types a plotly.js bundle registers."""
    return sorted(set(re.findall(r'moduleType:"trace",name:"(\w+)"', source)))


def main() -> None:
    version = get_plotlyjs_version()
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{version}"], cwd=folder, check=True, capture_output=True)
        with tarfile.open(Path(folder) / f"{PACKAGE}-{version}.tgz") as archive:
            archive.extractall(folder, filter="data")
        package = Path(folder) / "package"
        source = (package / BUNDLE).read_text()
        if f"v{version}" not in source[:200]:
            raise SystemExit(f"{PACKAGE} {version} does not say it is plotly.js v{version}")
        TARGET.mkdir(parents=True, exist_ok=True)
        name = f"plotly-cartesian-{version}.min.js"
        for old in TARGET.glob("plotly-cartesian-*.min.js"):
            old.unlink()
        shutil.copyfile(package / BUNDLE, TARGET / name)
        shutil.copyfile(package / "LICENSE", TARGET / "LICENSE")
    manifest = {"source": f"npm package {PACKAGE} {version} (MIT licence, LICENSE)", "plotly_js": version,
                "file": name, "sha256": hashlib.sha256((TARGET / name).read_bytes()).hexdigest(),
                "traces": trace_types(source)}
    (TARGET / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {TARGET / name} ({(TARGET / name).stat().st_size:,} bytes), traces: {', '.join(manifest['traces'])}")


if __name__ == "__main__":
    main()
