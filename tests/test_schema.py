"""The committed SDL snapshot is what the code builds."""

from __future__ import annotations

from schema import sdl
from tests.conftest import project_path


def test_schema_snapshot_is_current() -> None:
    committed = project_path("schema", "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), (
        "schema/schema.graphql is stale: run `registry print-schema --output schema/schema.graphql`"
    )
