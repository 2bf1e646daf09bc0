"""Enumerations shared by the tables and the GraphQL schema (one definition for both).

Each is a PostgreSQL enum type whose labels are the member names, declared in the
order that sorting should follow (NATIONAL before TOWNSHIP).
"""

from __future__ import annotations

import enum

from sqlalchemy import Enum as SAEnum


class Level(enum.Enum):
    NATIONAL = "NATIONAL"
    PROVINCIAL = "PROVINCIAL"
    PREFECTURAL = "PREFECTURAL"
    COUNTY = "COUNTY"
    TOWNSHIP = "TOWNSHIP"


class Gender(enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class MandateStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


class MandateEndReason(enum.Enum):
    TERM_ENDED = "TERM_ENDED"
    RESIGNED = "RESIGNED"
    RECALLED = "RECALLED"
    MOVED_AWAY = "MOVED_AWAY"
    DECEASED = "DECEASED"
    CONVICTED = "CONVICTED"
    OTHER = "OTHER"


class CommitteeKind(enum.Enum):
    STANDING_COMMITTEE = "STANDING_COMMITTEE"
    SPECIAL_COMMITTEE = "SPECIAL_COMMITTEE"
    WORKING_BODY = "WORKING_BODY"


class CommitteeRole(enum.Enum):
    CHAIR = "CHAIR"
    VICE_CHAIR = "VICE_CHAIR"
    SECRETARY_GENERAL = "SECRETARY_GENERAL"
    MEMBER = "MEMBER"


class GroupKind(enum.Enum):
    REGIONAL = "REGIONAL"
    PROFESSIONAL = "PROFESSIONAL"


class GroupRole(enum.Enum):
    LEADER = "LEADER"
    DEPUTY_LEADER = "DEPUTY_LEADER"
    MEMBER = "MEMBER"


class StationKind(enum.Enum):
    HOME = "HOME"
    STATION = "STATION"
    WORKSTATION = "WORKSTATION"
    LEGISLATIVE_CONTACT_POINT = "LEGISLATIVE_CONTACT_POINT"


class ContactChannel(enum.Enum):
    PHONE = "PHONE"
    VISIT = "VISIT"
    MEETING = "MEETING"
    ONLINE = "ONLINE"


ALL_ENUMS: tuple[type[enum.Enum], ...] = (
    Level,
    Gender,
    MandateStatus,
    MandateEndReason,
    CommitteeKind,
    CommitteeRole,
    GroupKind,
    GroupRole,
    StationKind,
    ContactChannel,
)


def pg_enum_name(enum_class: type[enum.Enum]) -> str:
    """level, mandate_status, ...: the PostgreSQL type name of an enumeration."""
    name = enum_class.__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def pg_enum(enum_class: type[enum.Enum]) -> SAEnum:
    return SAEnum(enum_class, name=pg_enum_name(enum_class))


LEVEL_ORDER: tuple[Level, ...] = tuple(Level)
