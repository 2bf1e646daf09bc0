"""Relay global object IDs: opaque base64 of '<TypeName>:<key>'."""

from __future__ import annotations

import base64
import binascii


def encode_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def decode_id(global_id: str) -> tuple[str, str] | None:
    """(type name, key), or None when the text is not an ID this service made."""
    try:
        decoded = base64.b64decode(global_id.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, key = decoded.partition(":")
    if not sep or not type_name or not key:
        return None
    return type_name, key


MAX_KEY = 2_147_483_647


def decode_int_id(global_id: str, type_name: str) -> int | None:
    """The integer key of an ID of the given type, or None if it is not one."""
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    key = decoded[1]
    # ASCII digits only ('²' is a digit to str.isdigit), and within PostgreSQL's integer.
    if not (key.isascii() and key.isdigit()) or int(key) > MAX_KEY:
        return None
    return int(key)
