"""Tooling shared by the tests, the benchmarks and the scripts: AppTest runners and payload readers
(apptest), and the Chromium driver that serves the app and changes its controls (browser)."""
