"""Trusted documents read at start (REGISTRY_PREPARED_DOCUMENTS): a .graphql file, or a
folder of them; each file may hold several operations."""

from __future__ import annotations

from pathlib import Path


def documents_at(where: str) -> list[str]:
    """The texts of the .graphql files at `where` (none when it is empty)."""
    if not where:
        return []
    path = Path(where)
    files = sorted(path.rglob("*.graphql")) if path.is_dir() else [path]
    return [f.read_text(encoding="utf-8") for f in files]
