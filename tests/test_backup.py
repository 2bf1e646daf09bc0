"""Backup and restore as docs/operations.md describes it: pg_dump of a seeded database, then
pg_restore into a fresh one, gives the same report figures, row counts and schema revision,
and the restored database takes new writes (its sequences came along)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.settings import Settings
from db.engine import create_engine, sync_url
from service.auth import issue_token
from tests.mutations import CREATE_DEPUTY
from tests.test_health import prepare_database, running_app, scratch_database, service_settings

FIGURES = """
query Figures($nation: String!, $province: String!, $from: Date!, $to: Date!) { reports {
  congresses: composition(regionCode: $nation) { level deputies female grassroots minority under40 }
  locality: composition(regionCode: $nation, scope: LOCALITY) { level deputies female grassroots }
  byChild: compositionByChild(regionCode: $province) { region { code } levels { level deputies } }
  stationCoverage(regionCode: $province) { level deputies inStation }
  stationActivity(regionCode: $province, from: $from, to: $to) {
    receptions deputyVisits visitors opinionsCollected problemsResolved }
  activityByChild: stationActivityByChild(regionCode: $province, from: $from, to: $to) {
    region { code } activity { receptions visitors opinionsCollected } } } }
"""


def _major(version_output: str) -> int | None:
    found = re.search(r"\(PostgreSQL\) (\d+)", version_output)
    return int(found.group(1)) if found else None


def _client_tools(server_major: int) -> Path | None:
    """A folder with pg_dump and pg_restore of the server's major version: the machine's
    PostgreSQL packages, or the ones the embedded server ships."""
    folders = [Path(f"/usr/lib/postgresql/{server_major}/bin")]
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        folders.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    on_path = shutil.which("pg_dump")
    if on_path:
        folders.append(Path(on_path).resolve().parent)
    for folder in folders:
        dump, restore = folder / "pg_dump", folder / "pg_restore"
        if not (dump.exists() and restore.exists()):
            continue
        output = subprocess.run([dump, "--version"], capture_output=True, text=True).stdout
        if _major(output) == server_major:
            return folder
    return None


async def _server_major(url: str) -> int:
    engine = create_engine(Settings(), url)
    try:
        async with engine.connect() as conn:
            number = (await conn.execute(text("SHOW server_version_num"))).scalar_one()
    finally:
        await engine.dispose()
    return int(number) // 10000


async def _facts(url: str) -> dict[str, Any]:
    """Row counts of every table, the schema revision, and ids to ask reports about."""
    engine = create_engine(Settings(), url)
    try:
        async with engine.connect() as conn:
            tables = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "ORDER BY tablename"
                    )
                )
            ).scalars()
            counts = {
                t: (await conn.execute(text(f'SELECT count(*) FROM "{t}"'))).scalar_one()
                for t in list(tables)
            }
            revision = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one()
            committees = (
                await conn.execute(
                    text(
                        "SELECT committee_id, extract(year FROM start_date)::int AS year "
                        "FROM meetings GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 3"
                    )
                )
            ).all()
            congresses = (
                await conn.execute(
                    text(
                        "SELECT k.congress_id FROM contact_assignments a "
                        "JOIN committees k ON k.id = a.committee_id "
                        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3"
                    )
                )
            ).scalars()
            province = (
                await conn.execute(
                    text(
                        "SELECT left(locality_code, 2) || '0000' FROM deputies "
                        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                    )
                )
            ).scalar_one()
            return {
                "counts": counts,
                "revision": revision,
                "committees": [tuple(r) for r in committees],
                "congresses": list(congresses),
                "province": province,
                "max_deputy": (
                    await conn.execute(text("SELECT max(id) FROM deputies"))
                ).scalar_one(),
            }
    finally:
        await engine.dispose()


def _per_id_reports(facts: dict[str, Any]) -> str:
    from resolvers.ids import encode_id

    fields = [
        f'a{i}: attendance(committeeId: "{encode_id("Committee", c)}", year: {y}) '
        "{ meetings personTimes deputies byLevel { level count } }"
        for i, (c, y) in enumerate(facts["committees"])
    ]
    fields += [
        f'c{i}: contactCoverage(congressId: "{encode_id("Congress", c)}") '
        "{ deputies covered ratio }"
        for i, c in enumerate(facts["congresses"])
    ]
    return "{ reports { " + " ".join(fields) + " } }"


async def _figures(url: str, facts: dict[str, Any]) -> dict[str, Any]:
    settings = service_settings(url)
    variables = {
        "nation": "100000",
        "province": facts["province"],
        "from": "2000-01-01",
        "to": "2035-12-31",
    }
    async with running_app(settings) as http:
        answers = []
        for query, values in ((FIGURES, variables), (_per_id_reports(facts), None)):
            answer = await http.post("/graphql", json={"query": query, "variables": values})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert "errors" not in body, body["errors"]
            answers.append(body["data"])
    return {"figures": answers[0], "per_id": answers[1]}


async def _run(program: Path, *args: str) -> None:
    done = await asyncio.to_thread(
        subprocess.run, [str(program), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{program.name} failed:\n{done.stderr[-3000:]}"


async def test_dump_and_restore_give_the_same_figures() -> None:
    async with scratch_database("registry_backup_source") as source:
        major = await _server_major(source)
        tools = _client_tools(major)
        if tools is None:
            pytest.skip(
                f"no pg_dump/pg_restore of PostgreSQL {major} here (the server's version): "
                "a dump must be made with the server's own major version"
            )
        await prepare_database(source, seed="small", seed_number=5)
        facts = await _facts(source)
        figures = await _figures(source, facts)
        assert figures["figures"]["reports"]["congresses"], "the seed gave nothing to report"

        folder = Path(tempfile.mkdtemp(prefix="registry-backup-"))
        dump = folder / "registry.dump"
        try:
            # The documented procedure: custom format, restored without owners or grants.
            await _run(tools / "pg_dump", "--format=custom", f"--file={dump}", sync_url(source))
            async with scratch_database("registry_backup_restored") as restored:
                await _run(
                    tools / "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={sync_url(restored)}",
                    str(dump),
                )
                restored_facts = await _facts(restored)
                assert restored_facts == facts, "row counts or revision differ"
                assert await _figures(restored, facts) == figures

                # Sequences came along: a new deputy gets a new id, not a taken one.
                settings = service_settings(restored)
                token = issue_token(settings, "restore-check", "admin")
                async with running_app(settings) as http:
                    congress = (
                        await http.post(
                            "/graphql",
                            json={
                                "query": '{ region(code: "220402") { congress { id '
                                "currentTerm { number startDate } } } }"
                            },
                        )
                    ).json()["data"]["region"]["congress"]
                    created = await http.post(
                        "/graphql",
                        headers={"Authorization": f"Bearer {token}"},
                        json={
                            "query": CREATE_DEPUTY,
                            "variables": {
                                "input": {
                                    "name": "恢复后代表",
                                    "gender": "MALE",
                                    "isGrassroots": False,
                                    "localityCode": "220402",
                                    "mandate": {
                                        "congressId": congress["id"],
                                        "termNumber": congress["currentTerm"]["number"],
                                        "startDate": congress["currentTerm"]["startDate"],
                                    },
                                }
                            },
                        },
                    )
                payload = created.json()["data"]["createDeputy"]
                assert payload["userErrors"] == []
                from resolvers.ids import decode_int_id

                assert decode_int_id(payload["deputy"]["id"], "Deputy") > facts["max_deputy"]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
