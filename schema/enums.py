"""The shared enumerations (db.enums) registered as GraphQL enums, with descriptions."""

from __future__ import annotations

import strawberry

from db import enums

DESCRIPTIONS = {
    enums.Level: "The five levels of people's congresses (五级人大). "
    "A region's level is the level of its congress.",
    enums.MandateStatus: "ACTIVE; SUSPENDED: 暂停执行代表职务; "
    "TERMINATED: 代表资格终止, or the term ended.",
    enums.GroupKind: "REGIONAL: by place, deputies of one or more levels living or elected in one "
    "area; PROFESSIONAL: by field (专业代表小组), usually linked to a special committee.",
    enums.StationKind: "HOME: 代表之家; STATION: 代表联络站; WORKSTATION: 代表工作站; "
    "LEGISLATIVE_CONTACT_POINT: 基层立法联系点.",
}

for enum_class in enums.ALL_ENUMS:
    strawberry.enum(enum_class, description=DESCRIPTIONS.get(enum_class))
