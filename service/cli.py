"""The `registry` command line: serve, migrate, seed, print-schema."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from core.settings import PROJECT_ROOT, Settings, get_settings
from db.columns import table_of

app = typer.Typer(help="Deputy registry: a GraphQL service for China's people's congress deputies.")

SCHEMA_SNAPSHOT = PROJECT_ROOT / "schema" / "schema.graphql"


def _database_url() -> str:
    from db.engine import resolve_url

    return resolve_url(get_settings())


@app.command()
def migrate() -> None:
    """Create or upgrade the schema and load the divisions and congresses."""
    from db.engine import create_engine
    from db.migrate import migrate as run_migrate

    async def run() -> bool:
        engine = create_engine(get_settings())
        try:
            return await run_migrate(engine)
        finally:
            await engine.dispose()

    loaded = asyncio.run(run())
    typer.echo("migrated; reference data " + ("loaded" if loaded else "already present"))


@app.command()
def seed(
    scale: Annotated[
        str, typer.Option(help="demo, small, national, or a fraction of national")
    ] = "demo",
    seed_number: Annotated[
        int, typer.Option("--seed", help="Seed for the random generator")
    ] = 2024,
    if_empty: Annotated[bool, typer.Option(help="Do nothing if deputies exist")] = False,
) -> None:
    """Fill the database with generated, realistic data (deterministic for a seed)."""
    from seed.generate import run_seed

    asyncio.run(run_seed(get_settings(), scale=scale, seed=seed_number, if_empty=if_empty))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes")] = False,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql)."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from service.observability import (
        prepare_multiprocess_metrics,
        remove_multiprocess_folder,
        uvicorn_log_config,
    )

    settings = get_settings()
    # Resolve (and start, if embedded) the database once here, so every worker shares it
    # and the embedded server lives as long as this process.
    os.environ["DATABASE_URL"] = _database_url()
    # Uvicorn finishes in-flight requests on SIGTERM and then re-raises the signal; exiting
    # through Python (not the default handler) runs the exit hooks that stop the embedded
    # PostgreSQL cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Worker processes add up their metrics in one folder (before they import the client).
    prepare_multiprocess_metrics(workers)
    json_logs = uvicorn_log_config(settings)
    try:
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            reload=reload,
            log_level=settings.log_level.lower(),
            log_config=json_logs or LOGGING_CONFIG,
            # In JSON mode the service logs its own access line (with request id, operation).
            access_log=settings.access_log and json_logs is None,
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )
    finally:
        remove_multiprocess_folder()


@app.command("print-schema")
def print_schema(
    output: Annotated[Path | None, typer.Option(help="Write to this file")] = None,
) -> None:
    """Print the GraphQL schema (SDL); the committed copy is schema/schema.graphql."""
    from schema import sdl

    text = sdl()
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


@app.command()
def token(
    role: Annotated[str, typer.Option(help="viewer, editor or admin")],
    subject: Annotated[str, typer.Option(help="Who the token is for")] = "staff",
    region: Annotated[str | None, typer.Option(help="Region code an editor may write in")] = None,
    days: Annotated[int, typer.Option(help="Days until it expires")] = 30,
) -> None:
    """Issue a bearer token (send it as 'Authorization: Bearer <token>')."""
    from service.auth import issue_token

    typer.echo(issue_token(get_settings(), subject, role, region, ttl_seconds=days * 86400))


async def revoke(settings: Settings, token: str, reason: str) -> str:
    """Revoke a token this service signed (expired or not) and return its id (jti).

    The revocation is an audit entry; its insert notifies every service process at commit
    (the trigger of migration 0005), and each refuses the token from then on (see
    service.auth.is_revoked for the window).
    """
    from sqlalchemy import insert

    from db.audit import AuditEntry
    from db.engine import create_engine
    from service.auth import token_id

    jti = token_id(settings, token)
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(table_of(AuditEntry)).values(
                    actor="command line",
                    role="admin",
                    action="revokeToken",
                    entity="Token",
                    entity_id=jti,
                    after={"reason": reason},
                )
            )
    finally:
        await engine.dispose()
    return jti


@app.command("revoke-token")
def revoke_token(
    token: Annotated[str, typer.Argument(help="The token to revoke")],
    reason: Annotated[str, typer.Option(help="Why, for the audit log")] = "revoked",
) -> None:
    """Revoke a token: every worker refuses it with 401 within a second."""
    import jwt

    try:
        jti = asyncio.run(revoke(get_settings(), token.strip(), reason))
    except jwt.InvalidTokenError as bad:
        raise typer.BadParameter(
            "not a token this service signed (bad signature or malformed)", param_hint="TOKEN"
        ) from bad
    typer.echo(f"revoked token {jti}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A CSV or XLSX file (docs/import-format.md)")],
    kind: Annotated[
        str,
        typer.Option(help="deputies, station-assignments, group-memberships or attendance"),
    ] = "deputies",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row, report, and write nothing")
    ] = False,
) -> None:
    """Import a roster: all or nothing, and importing the same file again changes nothing."""
    from service.imports import cli_import

    raise typer.Exit(cli_import(str(path), kind, dry_run, get_settings()))


@app.command("export")
def export(
    region: Annotated[str, typer.Argument(help="Division code: the region and all below it")],
    output: Annotated[Path, typer.Option(help="The file to write")],
    what: Annotated[
        str,
        typer.Option(
            "--format",
            help="deputies.csv, station-assignments.csv, group-memberships.csv, "
            "attendance.csv or popolo.json",
        ),
    ] = "deputies.csv",
) -> None:
    """Export a region's subtree, streamed (as an admin: with personal data)."""
    from service.bulk_export import cli_export

    raise typer.Exit(cli_export(region, what, str(output), get_settings()))


@app.command("database-url")
def database_url() -> None:
    """Print the URL of the database in use (starting the embedded one if needed)."""
    typer.echo(_database_url())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
