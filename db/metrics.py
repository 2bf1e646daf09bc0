"""The database's own Prometheus metrics, counted where the database code runs; the
service's /metrics (service.observability) serves them with the rest."""

from __future__ import annotations

from prometheus_client import Counter

TRANSACTION_RETRIES = Counter(
    "registry_transaction_retries_total",
    "Write transactions run again after PostgreSQL aborted them, by reason.",
    ["reason"],
)

__all__ = ["TRANSACTION_RETRIES"]
