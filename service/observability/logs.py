"""JSON log lines: one object per line on stderr, with the request's id and operation."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from service.observability.requests import current_request, setting
from service.observability.tracing import current_trace_id

DEFAULT_LOG_LEVEL = "INFO"

# LogRecord attributes that are the record's own, not `extra=` fields worth printing.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's id and
    operation, the trace id when tracing, any `extra=` fields, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        info = current_request.get()
        if info is not None:
            entry["request_id"] = info.request_id
            if info.operation is not None:
                entry["operation"] = info.operation
                entry["operation_type"] = info.operation_type
        trace_id = current_trace_id()
        if trace_id is not None:
            entry["trace_id"] = trace_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def uvicorn_log_config(settings: object) -> dict[str, Any] | None:
    """A logging config for `uvicorn.run(log_config=...)`: JSON lines on stderr for our
    loggers, uvicorn's and the root; uvicorn's own access log is left out (ours has more).
    None keeps uvicorn's plain-text default (`log_format = "text"`)."""
    if setting(settings, "log_format", "json") != "json":
        return None
    level = str(setting(settings, "log_level", DEFAULT_LOG_LEVEL)).upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.observability.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure_logging(settings: object) -> None:
    """Install the JSON logging of `uvicorn_log_config` in this process (for servers
    other than uvicorn, and for commands)."""
    config = uvicorn_log_config(settings)
    if config is not None:
        logging.config.dictConfig(config)


def parse_json_lines(lines: Iterable[str]) -> list[Mapping[str, Any]]:
    """The JSON objects among log lines (for tests and tools reading the service's logs)."""
    entries = []
    for line in lines:
        line = line.strip()
        if line.startswith("{"):
            try:
                entries.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    return entries
