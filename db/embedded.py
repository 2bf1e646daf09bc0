"""An embedded PostgreSQL (from the pgserver package) for machines without a server."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def _forget_dead_handles(data_dir: Path) -> None:
    """Drop processes that died without saying goodbye (killed) from pgserver's list of
    users, or the last live user would never stop the server."""
    import psutil

    handles = data_dir / ".handle_pids.json"
    if handles.exists():
        alive = [pid for pid in json.loads(handles.read_text()) if psutil.pid_exists(pid)]
        handles.write_text(json.dumps(alive))


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL in data_dir and return a libpq URL over its Unix socket.

    pgserver shares one server between processes using the same folder and stops it
    when the last of them exits, so tests, `serve` and `seed` can overlap safely.
    """
    import pgserver  # imported here: only needed when no DATABASE_URL is configured

    data_dir = data_dir.resolve()
    if data_dir not in _servers:
        data_dir.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(data_dir)
        log.info("starting embedded PostgreSQL in %s", data_dir)
        _servers[data_dir] = pgserver.get_server(data_dir, cleanup_mode="stop")
    return str(_servers[data_dir].get_uri())
