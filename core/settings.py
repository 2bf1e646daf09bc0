"""Configuration, read from environment variables prefixed REGISTRY_ (and DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "REGISTRY_DATABASE_URL"),
        description="PostgreSQL URL; when unset an embedded PostgreSQL is started in data_dir.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".data" / "postgres",
        description="Where the embedded PostgreSQL keeps its files.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = Field(
        default=20, description="Connections per process for the resolver path and writes."
    )
    read_pool_size: int = Field(
        default=8, description="Connections per process for the compiled path's reads."
    )
    write_pool_size: int = Field(
        default=4,
        description="Connections per process kept for mutations (the request pool aside).",
    )
    pool_timeout_s: float = 10.0
    max_page_size: int = Field(default=100, description="Largest `first` a connection accepts.")
    default_page_size: int = 100
    count_ceiling: int = Field(
        default=1000,
        description="Default and largest `limit` of a connection's boundedCount: it reads at "
        "most one row more than this, however many match (totalCount counts them all).",
    )
    statement_timeout_ms: int = 15_000
    max_depth: int = Field(default=12, description="Deepest nesting of selections in a query.")
    max_aliases: int = Field(default=30, description="Most aliased fields in one operation.")
    max_tokens: int = Field(default=2000, description="Most lexical tokens in one document.")
    max_cost: int = Field(
        default=50_000, description="Highest computed query cost (see service/front/measure.py)."
    )
    max_body_bytes: int = Field(default=1_048_576, description="Largest request body in bytes.")
    max_graphql_body_bytes: int = Field(
        default=131_072, description="Largest body of a GraphQL request (document and variables)."
    )
    max_document_bytes: int = Field(
        default=65_536, description="Largest GraphQL document (the `query` string), UTF-8 bytes."
    )
    max_string_length: int = Field(
        default=10_000, description="Longest string value (argument or variable), in characters."
    )
    max_search_length: int = Field(
        default=200, description="Longest `search` string, in characters."
    )
    max_errors: int = Field(default=50, description="Most errors in one GraphQL response.")
    introspection: bool = Field(default=True, description="Answer __schema/__type queries.")
    graphiql: bool = True
    prepared_documents: str = Field(
        default="",
        description="A .graphql file, or a folder of them, whose documents the compiled path "
        "parses and validates at start (the GraphiQL examples always are).",
    )
    access_log: bool = Field(default=True, description="Log every request (uvicorn's access log).")
    jwt_secret: str | None = Field(
        default=None,
        description="Secret that signs bearer tokens; unset, one is generated in .data/jwt-secret.",
    )
    seed_number: int = 2024
    # Operations (docs/operations.md).
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one JSON object per log line; text: uvicorn's."
    )
    log_level: str = "INFO"
    slow_operation_ms: int = Field(
        default=1000, description="Log requests slower than this, with their SQL count."
    )
    retry_after_seconds: int = Field(
        default=2, description="Retry-After of a 503 while the database is unavailable."
    )
    transaction_attempts: int = Field(
        default=3, description="Tries of a write aborted by a serialization failure or deadlock."
    )
    readiness_timeout_ms: int = Field(
        default=2000, description="How long /readyz waits for the database."
    )
    shutdown_timeout_seconds: int = Field(
        default=30, description="On SIGTERM, how long in-flight requests may take to finish."
    )
    connect_timeout_seconds: float = Field(
        default=5.0, description="Give up opening a database connection after this."
    )
    # Bulk exports (service/export_streams.py, docs/operations.md "Export streams").
    export_pool_size: int = Field(
        default=4, description="Connections for /exports/ streams: also the most at once."
    )
    export_anonymous_max: int = Field(
        default=2, description="Most anonymous exports at once (the rest kept for tokens)."
    )
    export_per_client: int = Field(
        default=1, description="Most exports at once per token subject or anonymous address."
    )
    export_stall_seconds: float = Field(
        default=15.0, description="End an export stream whose client reads nothing this long."
    )
    tracing: Literal["", "otlp", "console"] = Field(
        default="", description="OpenTelemetry export (needs the `otel` extra); empty: off."
    )
    service_name: str = Field(default="deputy-registry", description="service.name in traces.")
    # Bulk imports over HTTP (docs/import-format.md); the command line has no such limits.
    import_max_rows: int = Field(
        default=200_000, description="Most rows of one uploaded import file (TOO_MANY_ROWS)."
    )
    import_concurrency: int = Field(
        default=2, description="Most uploaded imports at once per process (IMPORTS_BUSY past it)."
    )
    import_time_limit_s: float = Field(
        default=120.0,
        description="Longest an uploaded import may check and write (IMPORT_TIMEOUT).",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
