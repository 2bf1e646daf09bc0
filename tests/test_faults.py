"""Database faults: 503 with a retry hint while PostgreSQL is away, recovery by itself.

The stop-and-restart test runs a PostgreSQL server of its own (initdb in a temporary
folder, from the machine's PostgreSQL binaries or the embedded ones), never the shared one.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import strawberry
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from strawberry.asgi import GraphQL

from core.codes import Code
from core.settings import Settings
from db.engine import create_engine
from db.faults import is_unavailable, sqlstate
from db.transactions import WriteConflict, mark_commit, transact
from service.auth import issue_token
from service.faults import FaultMiddleware, with_fault_handling
from tests.test_health import (
    ServiceProcess,
    free_port,
    prepare_database,
    running_app,
    service_settings,
)

REFUSED_URL = "postgresql://postgres@127.0.0.1:1/nothing"

# --- recognising a database that is away ---------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
        ConnectionResetError(errno.ECONNRESET, "reset by peer"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        TimeoutError(),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_of_an_unreachable_database(error: BaseException) -> None:
    assert is_unavailable(error)
    wrapped = RuntimeError("while loading")
    wrapped.__cause__ = error
    assert is_unavailable(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(errno.ENOENT, "no such file"),
        ValueError("bad input"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.SerializationError("could not serialize access"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_are_not_unavailability(error: BaseException) -> None:
    assert not is_unavailable(error)


# --- transact: bounded retries, and a COMMIT whose outcome is unknown ----------------------


class _FakeDatabase:
    """Just enough of RequestDatabase for `transact`: a transaction whose exit may fail."""

    def __init__(self, commit_error: BaseException | None = None) -> None:
        self.commit_error = commit_error
        self.begun = 0

    def transaction(self) -> Any:
        database = self

        class _Transaction:
            async def __aenter__(self) -> object:
                database.begun += 1
                return object()

            async def __aexit__(self, kind: object, error: object, trace: object) -> bool:
                if kind is None and database.commit_error is not None:
                    raise database.commit_error
                return False

        return _Transaction()


def _aborted(code: str) -> Exception:
    error = sa_exc.OperationalError("UPDATE ...", {}, Exception("aborted"))
    error.orig.sqlstate = code  # type: ignore[union-attr]
    return error


async def test_transact_retries_a_bounded_number_of_times() -> None:
    calls = 0

    async def always_deadlocked(_: object) -> int:
        nonlocal calls
        calls += 1
        raise _aborted("40P01")

    db = _FakeDatabase()
    with pytest.raises(WriteConflict) as conflict:
        await transact(db, always_deadlocked, attempts=4, base_delay=0.001)  # type: ignore[arg-type]
    assert calls == 4 == db.begun
    assert conflict.value.code == "WRITE_CONFLICT"
    assert sqlstate(conflict.value) == "40P01"

    async def once_unserializable(_: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise _aborted("40001")
        return 42

    assert await transact(db, once_unserializable, base_delay=0.001) == 42  # type: ignore[arg-type]
    assert calls == 6


async def test_other_errors_are_not_retried() -> None:
    calls = 0

    async def duplicate(_: object) -> int:
        nonlocal calls
        calls += 1
        raise _aborted("23505")

    with pytest.raises(sa_exc.OperationalError):
        await transact(_FakeDatabase(), duplicate, base_delay=0.001)  # type: ignore[arg-type]
    assert calls == 1


async def test_a_lost_commit_is_reported_as_unknown_not_retried() -> None:
    from graphql import GraphQLError

    async def write(_: object) -> int:
        return 1

    db = _FakeDatabase(commit_error=ConnectionResetError(errno.ECONNRESET, "reset"))
    with pytest.raises(GraphQLError) as unknown:
        await transact(db, write)  # type: ignore[arg-type]
    assert unknown.value.extensions == {"code": Code.WRITE_OUTCOME_UNKNOWN}
    assert db.begun == 1


# --- how requests are answered: a small schema behind the fault handling --------------------


@strawberry.type
class _Query:
    @strawberry.field
    def alive(self) -> str:
        return "yes"

    @strawberry.field
    def away(self) -> str | None:
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")

    @strawberry.field
    def broken(self) -> str:
        raise KeyError("a bug")


@strawberry.type
class _Mutation:
    @strawberry.mutation
    def saved_then_away(self) -> str:
        mark_commit(done=True)
        raise ConnectionResetError(errno.ECONNRESET, "reset")


def _toy_app() -> Starlette:
    schema = with_fault_handling(strawberry.Schema(query=_Query, mutation=_Mutation))

    async def raises_away(_: object) -> None:
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")

    async def raises_bug(_: object) -> None:
        raise KeyError("a bug")

    return Starlette(
        routes=[
            Route("/graphql", GraphQL(schema), methods=["POST"]),
            Route("/away", raises_away),
            Route("/bug", raises_bug),
        ],
        middleware=[Middleware(FaultMiddleware)],
    )


async def test_answers_with_the_database_away() -> None:
    transport = httpx.ASGITransport(app=_toy_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as http:
        nothing = await http.post("/graphql", json={"query": "{ away }"})
        assert nothing.status_code == 503
        assert nothing.headers["retry-after"] == "2"
        (error,) = nothing.json()["errors"]
        assert error["extensions"] == {"code": Code.DATABASE_UNAVAILABLE, "retryAfter": 2}

        part = await http.post("/graphql", json={"query": "{ alive away }"})
        assert part.status_code == 200  # what could be answered is answered
        assert part.json()["data"] is None or part.json()["data"]["alive"] == "yes"
        assert part.json()["errors"][0]["extensions"]["code"] == Code.DATABASE_UNAVAILABLE

        mixed = await http.post("/graphql", json={"query": "{ away broken }"})
        assert mixed.status_code == 200, "a bug among the errors is not a database outage"

        saved = await http.post("/graphql", json={"query": "mutation { savedThenAway }"})
        assert saved.status_code == 200, "a saved write must not be offered for a retry"
        (error,) = saved.json()["errors"]
        assert error["extensions"]["committed"] is True
        assert "saved" in error["message"]

        raised = await http.get("/away")
        assert raised.status_code == 503 and raised.headers["retry-after"] == "2"
        assert (await http.get("/bug")).status_code == 500


async def test_the_service_answers_503_at_once_without_a_database() -> None:
    settings = service_settings(REFUSED_URL)
    admin = {"Authorization": f"Bearer {issue_token(settings, 'ops', 'admin')}"}
    query = {"query": '{ region(code: "220000") { name } }'}
    mutation = {
        "query": "mutation($i: EndMandateInput!) { endMandate(input: $i) { userErrors { code } } }",
        "variables": {
            "i": {"mandateId": "TWFuZGF0ZTox", "endDate": "2024-01-01", "reason": "DECEASED"}
        },
    }
    async with running_app(settings) as http:
        started = time.perf_counter()
        compiled = await http.post("/graphql", json=query)
        resolved = await http.post("/graphql", json=query, headers={"X-Registry-Path": "resolver"})
        written = await http.post("/graphql", json=mutation, headers=admin)
        report = await http.get("/reports/composition.csv", params={"regionCode": "220000"})
        alive = await http.get("/healthz")
        elapsed = time.perf_counter() - started
    for answer in (compiled, resolved, written, report):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"].isdigit()
    assert compiled.json()["errors"][0]["extensions"]["code"] == Code.DATABASE_UNAVAILABLE
    assert alive.status_code == 200
    assert elapsed < 5, "requests must fail fast while the database is away"


# --- a PostgreSQL of the test's own, stopped and restarted under load ----------------------


def _writes_go_through_transact() -> bool:
    """Whether perform() marks commits (until then a 503 may follow a saved write)."""
    import inspect

    from schema.mutations import base

    return "transact(" in inspect.getsource(base)


def _postgres_bin() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    for folder in candidates:
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    return None


def _unprivileged_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as the postgres (or pgserver) user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip("running as root with no postgres or pgserver user to run PostgreSQL as")


class LocalPostgres:
    """A PostgreSQL server in a temporary folder, on a free loopback port, that this test
    starts, stops (as a crash would: immediate mode) and starts again."""

    def __init__(self) -> None:
        found = _postgres_bin()
        if found is None:
            pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
        self.bin = found
        self.user = _unprivileged_user()
        self.folder = Path(tempfile.mkdtemp(prefix="registry-faults-"))
        self.folder.chmod(0o755)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.data = self.folder / "data"
        self.port = free_port()

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [str(self.bin / program), *args],
            check=True,
            user=self.user,
            capture_output=True,
            timeout=timeout,
            cwd=self.folder,
        )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--locale=C",
            "--encoding=UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        # fsync off: the operating system does not crash here, only PostgreSQL does, and a
        # commit still writes its WAL before answering (synchronous_commit stays on).
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"), "-w",
            "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode, "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def local_postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@dataclass
class Outcome:
    kind: str
    started: float
    ended: float
    status: int | None = None
    codes: list[str] = field(default_factory=list)
    retry_after: str | None = None
    name: str | None = None
    deputy_id: str | None = None
    failure: str | None = None

    @property
    def clean(self) -> bool:
        return self.status == 200 and not self.codes


READ = """
query RegionPage($code: String!) { region(code: $code) { name congress { name }
  children(first: 5) { nodes { code name } } } }
"""
CREATE = """
mutation Create($input: CreateDeputyInput!) { createDeputy(input: $input) {
  deputy { id name } userErrors { code message } } }
"""
HUNG_BOUND = 10.0  # no request may take longer, database down or not
RECOVERY_BOUND = 5.0  # seconds after PostgreSQL is back, everything works again


def _codes(body: Any) -> list[str]:
    codes = [(e.get("extensions") or {}).get("code", "UNCODED") for e in body.get("errors") or ()]
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            codes += [u["code"] for u in payload.get("userErrors") or ()]
    return codes


async def test_database_restart_under_load(local_postgres: LocalPostgres, tmp_path: Path) -> None:
    admin_engine = create_engine(Settings(), local_postgres.url())
    async with admin_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("CREATE DATABASE registry"))
    await admin_engine.dispose()
    url = local_postgres.url("registry")
    await prepare_database(url)

    settings = service_settings(url, pool_size=4)
    service = ServiceProcess(settings, tmp_path)
    await service.start()
    token = issue_token(settings, "fault-test", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    outcomes: list[Outcome] = []
    probes: list[tuple[float, int, int]] = []  # (time, /healthz status, /readyz status)
    numbers = itertools.count()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=HUNG_BOUND * 2) as http:
            congress = (
                await http.post(
                    "/graphql",
                    json={
                        "query": '{ region(code: "220402") { congress { id currentTerm '
                        "{ number startDate } } } }"
                    },
                )
            ).json()["data"]["region"]["congress"]
            mandate = {
                "congressId": congress["id"],
                "termNumber": congress["currentTerm"]["number"],
                "startDate": congress["currentTerm"]["startDate"],
            }
            stop_at = time.monotonic() + 3600  # set once PostgreSQL is back

            async def one(kind: str) -> None:
                started = time.monotonic()
                outcome = Outcome(kind, started, started)
                if kind == "write":
                    outcome.name = f"故障代表{next(numbers):05d}"
                    body = {
                        "query": CREATE,
                        "variables": {
                            "input": {
                                "name": outcome.name,
                                "gender": "FEMALE",
                                "isGrassroots": True,
                                "localityCode": "220402",
                                "mandate": mandate,
                            }
                        },
                    }
                    request = http.post("/graphql", json=body, headers=headers)
                else:
                    body = {"query": READ, "variables": {"code": "220402"}}
                    request = http.post("/graphql", json=body)
                try:
                    answer = await request
                    outcome.status = answer.status_code
                    outcome.retry_after = answer.headers.get("retry-after")
                    payload = answer.json()
                    outcome.codes = _codes(payload)
                    created = ((payload.get("data") or {}).get("createDeputy") or {}).get("deputy")
                    if created:
                        outcome.deputy_id = created["id"]
                except (httpx.HTTPError, ValueError) as failure:
                    outcome.failure = repr(failure)
                outcome.ended = time.monotonic()
                outcomes.append(outcome)

            async def client(number: int) -> None:
                for i in itertools.count():
                    if time.monotonic() >= stop_at:
                        return
                    await one("write" if (i + number) % 3 == 0 else "read")

            async def prober() -> None:
                while time.monotonic() < stop_at:
                    alive = await http.get("/healthz")
                    ready = await http.get("/readyz")
                    probes.append((time.monotonic(), alive.status_code, ready.status_code))
                    await asyncio.sleep(0.2)

            tasks = [asyncio.create_task(client(n)) for n in range(6)]
            tasks.append(asyncio.create_task(prober()))
            await asyncio.sleep(2.0)
            down_from = time.monotonic()
            await asyncio.to_thread(local_postgres.stop, "immediate")
            down = time.monotonic()
            await asyncio.sleep(3.0)
            restarting = time.monotonic()
            await asyncio.to_thread(local_postgres.start)
            up = time.monotonic()
            stop_at = up + RECOVERY_BOUND + 3.0
            await asyncio.wait_for(asyncio.gather(*tasks), HUNG_BOUND * 3)
    finally:
        ran_throughout = service.process is not None and service.process.poll() is None
        await service.stop()

    assert outcomes, "no requests were made"
    failures = [o for o in outcomes if o.failure]
    assert not failures, f"requests without an HTTP answer: {failures[:3]}"
    slowest = max(o.ended - o.started for o in outcomes)
    assert slowest < HUNG_BOUND, f"a request took {slowest:.1f} s"
    assert {o.status for o in outcomes} <= {200, 503}, "only answers or 503s, never a 500"

    while_down = [o for o in outcomes if o.started > down and o.ended < restarting]
    assert while_down, "no request ran while PostgreSQL was down"
    assert all(o.status == 503 for o in while_down), [o for o in while_down if o.status != 503][:3]
    assert all(o.retry_after and o.retry_after.isdigit() for o in while_down)
    assert all(o.codes == [Code.DATABASE_UNAVAILABLE] for o in while_down)
    allowed = {Code.DATABASE_UNAVAILABLE, Code.WRITE_OUTCOME_UNKNOWN}
    for o in outcomes:
        if o.status == 200 and o.codes:
            assert set(o.codes) <= allowed, o
            assert down_from - 1 <= o.started <= up + RECOVERY_BOUND, o

    recovered = [o for o in outcomes if o.started >= up and o.clean]
    assert recovered, "the service did not recover"
    took = min(o.ended for o in recovered) - up
    assert took < RECOVERY_BOUND, f"first success {took:.1f} s after PostgreSQL was back"
    after = [o for o in outcomes if o.started >= up + RECOVERY_BOUND]
    assert after and all(o.clean for o in after), [o for o in after if not o.clean][:3]

    assert all(alive == 200 for _, alive, _ in probes), "/healthz must not depend on the database"
    assert any(ready == 503 for t, _, ready in probes if down < t < restarting)
    assert probes[-1][2] == 200, "/readyz is ready again"
    assert ran_throughout, "the service process must not die or be restarted"

    # No committed write lost, none duplicated, and no 503 hides a saved write.
    engine = create_engine(Settings(), url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT id, name FROM deputies WHERE name LIKE '故障代表%'")
                )
            ).all()
    finally:
        await engine.dispose()
    stored = {name: row_id for row_id, name in rows}
    assert len(stored) == len(rows), "a write was duplicated"
    from resolvers.ids import encode_id

    saved = [o for o in outcomes if o.deputy_id]
    assert saved
    for o in saved:
        assert o.name in stored and encode_id("Deputy", stored[o.name]) == o.deputy_id, o
    refused = [o.name for o in outcomes if o.kind == "write" and o.status == 503]
    assert refused, "no write was refused while down"
    if _writes_go_through_transact():
        assert not set(refused) & set(stored), "a write answered 503 was saved after all"
    print(
        f"\n{len(outcomes)} requests, {len(while_down)} while down, slowest {slowest:.2f} s, "
        f"recovered {took:.2f} s after PostgreSQL was back, {len(saved)} writes saved"
    )


async def test_first_requests_after_a_restart_succeed(
    local_postgres: LocalPostgres, tmp_path: Path
) -> None:
    """Issue 17, point 13: once PostgreSQL is back from a restart, the very first request of
    each kind succeeds (no 503 from connections that died with the old server): compiled and
    resolver reads, a write, /readyz and an export, each pool full of dead connections."""
    admin_engine = create_engine(Settings(), local_postgres.url())
    async with admin_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("CREATE DATABASE registry"))
    await admin_engine.dispose()
    url = local_postgres.url("registry")
    await prepare_database(url)
    settings = service_settings(url, pool_size=4, read_pool_size=3)
    service = ServiceProcess(settings, tmp_path, env={"REGISTRY_EXPORT_POOL_SIZE": "2"})
    await service.start()
    headers = {"Authorization": f"Bearer {issue_token(settings, 'restart-test', 'admin')}"}
    read = {"query": READ, "variables": {"code": "220402"}}
    resolver = {"X-Registry-Path": "resolver"}
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=HUNG_BOUND) as http:
            congress = (
                await http.post(
                    "/graphql",
                    json={
                        "query": '{ region(code: "220402") { congress { id currentTerm '
                        "{ number startDate } } } }"
                    },
                )
            ).json()["data"]["region"]["congress"]
            term = congress["currentTerm"]
            write = {
                "query": CREATE,
                "variables": {
                    "input": {
                        "name": "重启代表",
                        "gender": "MALE",
                        "isGrassroots": False,
                        "localityCode": "220402",
                        "mandate": {
                            "congressId": congress["id"],
                            "termNumber": term["number"],
                            "startDate": term["startDate"],
                        },
                    }
                },
            }

            # Every pool holds several idle connections (requests at once open them).
            async def warm() -> None:
                answers = await asyncio.gather(
                    *(http.post("/graphql", json=read) for _ in range(6)),
                    *(http.post("/graphql", json=read, headers=resolver) for _ in range(6)),
                    *(http.get("/exports/220402/deputies.csv", headers=headers) for _ in range(1)),
                    http.get("/exports/220402/popolo.json"),
                    http.get("/readyz"),
                )
                assert [a.status_code for a in answers] == [200] * len(answers)

            await warm()
            await asyncio.to_thread(local_postgres.stop, "immediate")
            await asyncio.to_thread(local_postgres.start)
            await asyncio.sleep(0.5)  # the dead sockets' ends reach the service

            first = {
                "compiled read": await http.post("/graphql", json=read),
                "resolver read": await http.post("/graphql", json=read, headers=resolver),
                "write": await http.post("/graphql", json=write, headers=headers),
                "readiness": await http.get("/readyz"),
                "export": await http.get("/exports/220402/deputies.csv", headers=headers),
            }
    finally:
        await service.stop()
    statuses = {kind: answer.status_code for kind, answer in first.items()}
    assert statuses == dict.fromkeys(first, 200), {k: a.text[:200] for k, a in first.items()}
    for kind in ("compiled read", "resolver read"):
        assert first[kind].json() == {"data": {"region": first[kind].json()["data"]["region"]}}
        assert first[kind].json()["data"]["region"]["name"] == "龙山区"
    created = first["write"].json()["data"]["createDeputy"]
    assert created["userErrors"] == [] and created["deputy"]["name"] == "重启代表"
    assert first["readiness"].json()["status"] == "ready"
    assert first["export"].text.startswith("\ufeffid_number")
