"""Example operations that GraphiQL opens as tabs, so a newcomer can run something at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Example:
    title: str
    query: str
    variables: dict[str, Any] | None = None


EXAMPLES: list[Example] = [
    Example(
        title="A region drill-down",
        query=(
            "query Drilldown($code: String!) { region(code: $code) { name level "
            "ancestors { name } congress { name currentTerm { number startDate } "
            "standingCommittee { name } } children(first: 50) { totalCount "
            "nodes { code name level congress { name } } } } }"
        ),
        variables={"code": "220400"},
    ),
    Example(
        title="Search deputies by name or pinyin",
        query=(
            "query Search($search: String!) { deputies(filter: {search: $search}, first: 10) "
            "{ totalCount nodes { name namePinyin gender activeLevels locality { name } "
            "mandates { level congress { name } status } } } }"
        ),
        variables={"search": "wang"},
    ),
    Example(
        title="A deputy's page",
        query=(
            'query DeputyPage { deputies(filter: {localityCode: "220400", levels: [PROVINCIAL]}, '
            "first: 1) { nodes { id name namePinyin gender ethnicity birthYear party occupation "
            "isGrassroots locality { name ancestors { name } } activeLevels mandates { level "
            "status startDate electoralUnit delegation congress { name } term { number } } } } }"
        ),
        variables=None,
    ),
]
