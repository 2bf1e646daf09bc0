"""Deputy groups: regional ones organised by county and prefecture congresses (members of
any level living in the group's area), and professional ones at provincial and prefectural
congresses, each tied to a special committee."""

from __future__ import annotations

import random
from datetime import date, timedelta

from seed.context import Context
from seed.model import Batch, Deputy, Mandate, between
from seed.params import AS_OF
from seed.seats import scaled
from seed.world import Congress, Region, child_on_path

# Special committee -> (field in the group's name, the group's theme).
FIELDS = {
    "法制委员会": ("法制", "地方立法"),
    "监察和司法委员会": ("监察司法", "法治政府建设"),
    "财政经济委员会": ("财政经济", "优化营商环境"),
    "教育科学文化卫生委员会": ("教科文卫", "基础教育和公共卫生"),
    "环境与资源保护委员会": ("环境资源", "生态环境保护"),
    "农业与农村委员会": ("农业农村", "乡村振兴"),
    "社会建设委员会": ("社会建设", "养老服务和社会保障"),
}
MIN_REGIONAL_MEMBERS = 3


def _joined(rng: random.Random, congress: Congress, mandate: Mandate) -> date | None:
    """A day the deputy joins, on which they are eligible; None if there is none."""
    day = max(congress.term.start, mandate.start) + timedelta(days=between(rng, 0, 45))
    return day if day <= AS_OF and mandate.active_on(day) else None


def _write_group(
    ctx: Context,
    batch: Batch,
    rng: random.Random,
    congress: Congress,
    region: Region,
    name: str,
    members: list[tuple[Deputy, date]],
    kind: str = "REGIONAL",
    committee: tuple[int | None, str | None] = (None, None),
) -> None:
    group = ctx.ids.next("deputy_groups")
    batch.add(
        "deputy_groups", (group, name, kind, congress.id, region.code, committee[0], committee[1])
    )
    deputy_leaders = rng.randint(1, 2)
    for i, (deputy, joined) in enumerate(members):
        role = "LEADER" if i == 0 else "DEPUTY_LEADER" if i <= deputy_leaders else "MEMBER"
        batch.add("group_memberships", (group, deputy.id, role, joined))


def regional_groups(
    ctx: Context,
    batch: Batch,
    rng: random.Random,
    congress: Congress,
    own: list[Mandate],
    higher: list[Mandate],
) -> None:
    """One group per township (county congress) or county (prefecture congress), gathering
    the congress's own deputies and higher-level deputies who live there; a prefecture also
    gathers its national and provincial deputies in a group of their own."""
    areas: dict[str, tuple[Region, list[Mandate]]] = {}
    top = congress.region
    # Own deputies first, so that a group's leader is one of the congress's own.
    for mandate in [m for m in own if m.current] + [m for m in higher if m.current]:
        area = child_on_path(top, mandate.deputy.locality) or top
        areas.setdefault(area.code, (area, []))[1].append(mandate)
    for code in sorted(areas):
        area, mandates = areas[code]
        members = _eligible_members(rng, congress, mandates)
        if len(members) < MIN_REGIONAL_MEMBERS:
            continue
        label = area.name if area is not top else "机关"
        _write_group(
            ctx, batch, rng, congress, area, f"{congress.title}人大代表{label}小组", members
        )
    if congress.level == "PREFECTURAL":
        members = _eligible_members(rng, congress, [m for m in higher if m.current])
        if len(members) >= MIN_REGIONAL_MEMBERS:
            name = f"在{top.short_name()}全国和省人大代表小组"
            _write_group(ctx, batch, rng, congress, top, name, members)


def _eligible_members(
    rng: random.Random, congress: Congress, mandates: list[Mandate]
) -> list[tuple[Deputy, date]]:
    members: list[tuple[Deputy, date]] = []
    seen: set[int] = set()
    for mandate in mandates:
        if mandate.deputy.id in seen:
            continue
        joined = _joined(rng, congress, mandate)
        if joined is not None:
            seen.add(mandate.deputy.id)
            members.append((mandate.deputy, joined))
    return members


def professional_groups(
    ctx: Context, batch: Batch, rng: random.Random, congress: Congress, own: list[Mandate]
) -> None:
    """'One group, one theme': a professional group per special committee, its members
    deputies of this congress."""
    pool = [m for m in own if m.current and m.end is None]
    rng.shuffle(pool)
    for committee_id, committee_name in congress.specials:
        field, theme = FIELDS.get(committee_name, (committee_name.removesuffix("委员会"), None))
        size = scaled(rng.randint(8, 20), ctx.plan.factor, least=3)
        members = _eligible_members(rng, congress, pool[:size])
        pool = pool[size:]
        if len(members) < 2:
            continue
        name = f"{congress.title}人大代表{field}专业小组"
        _write_group(
            ctx,
            batch,
            rng,
            congress,
            congress.region,
            name,
            members,
            kind="PROFESSIONAL",
            committee=(committee_id, theme),
        )
