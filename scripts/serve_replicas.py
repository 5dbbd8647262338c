"""Serve seqviz as N replicas behind nginx on this machine, for a large class (harness/replicas.py says how
visitors are kept on one replica and moved when one dies).

Run from the repository root: python -m scripts.serve_replicas [--replicas 3] [--port 8500]
(`make serve-replicas N=3` installs Debian's nginx first where it is missing). Stop with Ctrl-C.
"""
from __future__ import annotations

import argparse
import time

from harness.replicas import Replicas, nginx_available


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3, help="app processes behind nginx")
    parser.add_argument("--port", type=int, default=8500, help="nginx's port on 127.0.0.1")
    args = parser.parse_args()
    if not nginx_available():
        raise SystemExit("nginx is missing: `make serve-replicas` installs Debian's nginx (as root or with sudo)")
    with Replicas(args.replicas, port=args.port, warm=True) as replicas:
        ports = ", ".join(str(s.port) for s in replicas.servers)
        print(f"seqviz on {replicas.url} (nginx), replicas on ports {ports}; Ctrl-C stops them", flush=True)
        try:
            while all(s.process.poll() is None for s in replicas.servers):
                time.sleep(1)
            print("a replica exited; stopping the others")
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
