"""The /exports/ routes (served by service.export_streams) and `registry export`, the command
line's: the files themselves are bulk.stream's and bulk.popolo's."""

from __future__ import annotations

from collections.abc import Callable

from bulk.popolo import stream_popolo
from bulk.stream import FORMATS, begin_snapshot, stream_csv
from core.context import Caller
from core.settings import Settings
from service.export_streams import export_routes

__all__ = ["cli_export", "export_routes", "export_to_file"]


async def export_to_file(
    settings: Settings, code: str, name: str, path: str, progress: Callable[[int], None]
) -> int:
    """The command line's export, as an admin: the bytes written."""
    from db.engine import create_engine

    kind = FORMATS[name][1]
    caller = Caller(subject="cli", role="admin")
    engine = create_engine(settings)
    written = 0
    try:
        async with engine.connect() as conn, conn.begin():
            await begin_snapshot(conn)
            chunks = (
                stream_popolo(conn, code, caller)
                if kind == "popolo"
                else stream_csv(conn, kind, code, caller)
            )
            with open(path, "wb") as out:
                async for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
                    progress(written)
    finally:
        await engine.dispose()
    return written


def cli_export(code: str, name: str, path: str, settings: Settings) -> int:
    """`registry export`: streams to a file with a progress display of what is written."""
    import asyncio

    from rich.console import Console
    from rich.progress import DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if name not in FORMATS:
        console.print(f"[red]no export {name!r}; exports: {', '.join(FORMATS)}[/red]")
        return 2
    with Progress(
        SpinnerColumn(), TextColumn(f"{code} {name}"), DownloadColumn(), TimeElapsedColumn(),
        console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("export", total=None)
        written = asyncio.run(
            export_to_file(settings, code, name, path, lambda n: bar.update(task, completed=n))
        )
    console.print(f"wrote {written:,} bytes to {path}")
    return 0
