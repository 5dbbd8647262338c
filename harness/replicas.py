"""N app servers behind Debian's nginx on loopback: the deployment the README recommends for a large
class, made runnable (scripts/serve_replicas.py, `make serve-replicas`) and testable
(tests/browser/test_replicas.py, benchmarks/load.py --replicas).

Affinity: nginx gives each new visitor a random cookie (`seqviz_visitor`) and hashes it, consistently,
onto the replicas, so a browser's page and websocket always reach the same process (a session lives in
one process's memory) while a whole class behind one NAT address is still spread out. When a replica
dies, nginx marks it down and the same hash sends its visitors to another replica: their browser
reconnects there and the page is rebuilt from its URL. Every response says which replica answered
(`X-Seqviz-Replica`).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from harness.browser import StreamlitServer, free_port, stop_process, wait_healthy

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONFIG = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {root}/body; proxy_temp_path {root}/proxy; fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi; scgi_temp_path {root}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  map $cookie_seqviz_visitor $visitor {{ "" $request_id; default $cookie_seqviz_visitor; }}
  upstream seqviz {{
    hash $visitor consistent;
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      add_header Set-Cookie "seqviz_visitor=$visitor; Path=/; HttpOnly; SameSite=Lax" always;
      add_header X-Seqviz-Replica $upstream_addr always;
      proxy_pass http://seqviz;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 86400s;
      proxy_next_upstream error timeout http_502;
    }}
  }}
}}
"""


def nginx_available() -> bool:
    return Path(NGINX).exists()


class Replicas:
    """`count` app servers (as `make run` starts them) and nginx in front, while the context is open."""

    def __init__(self, count: int, port: int | None = None, log_dir: Path | None = None, warm: bool = False):
        """`warm`: each replica runs every page before it takes visitors (as `make run` does)."""
        if count < 1:
            raise ValueError(f"count must be ≥ 1; got {count}")
        self.count, self.port, self._warm = count, port or free_port(), warm
        self.url = f"http://127.0.0.1:{self.port}"
        self.servers: list[StreamlitServer] = []
        self._log_dir, self._stack, self._root, self._nginx = log_dir, ExitStack(), None, None

    def __enter__(self) -> Replicas:
        try:
            for k in range(self.count):
                log = None if self._log_dir is None else self._log_dir / f"replica-{k}.log"
                self.servers.append(self._stack.enter_context(StreamlitServer(log_path=log, warm=self._warm)))
            self._root = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="seqviz-nginx-")))
            servers = "\n".join(f"    server 127.0.0.1:{s.port} max_fails=1 fail_timeout=30s;" for s in self.servers)
            (self._root / "nginx.conf").write_text(CONFIG.format(root=self._root, port=self.port, servers=servers))
            self._nginx = subprocess.Popen([NGINX, "-c", str(self._root / "nginx.conf"), "-g", "daemon off;"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            self._wait_healthy(timeout=30)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._nginx is not None:
            stop_process(self._nginx)
            self._nginx = None
        self._stack.close()

    def replica_of(self, port: int) -> int:
        """Which replica (0-based) listens on `port`."""
        return [s.port for s in self.servers].index(port)

    def kill(self, replica: int) -> None:
        """End one replica at once, as a crash would (its sessions are lost with it)."""
        self.servers[replica].process.kill()
        self.servers[replica].process.wait()

    def rss_bytes(self) -> int:
        """Resident memory of the live replicas together."""
        return sum(s.rss_bytes() for s in self.servers if s.process.poll() is None)

    def _wait_healthy(self, timeout: float) -> None:
        error_log = self._root / "error.log"
        wait_healthy(self.url, self._nginx, "nginx", timeout,
                     lambda: f": {error_log.read_text()}" if error_log.exists() else "")
