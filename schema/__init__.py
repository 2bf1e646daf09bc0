"""The root schema: the domains' Query (and later Mutation) parts merged into one."""

from __future__ import annotations

import asyncio
from functools import cache

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import Info

from resolvers.relations import NodeById
from schema import enums as _enums  # noqa: F401  (registers the enums before types use them)
from schema.activities import Activity, ActivityQuery
from schema.attendance import Attendance, Meeting
from schema.committees import Committee, Congress, Term
from schema.contacts import ContactAssignment
from schema.deputies import Deputy, DeputyQuery, Mandate
from schema.fields import declared
from schema.groups import DeputyGroup, GroupQuery
from schema.mutations.activities import ActivityMutation
from schema.mutations.attendance import AttendanceMutation
from schema.mutations.contacts import ContactMutation
from schema.mutations.deputies import DeputyMutation
from schema.mutations.groups import GroupMutation
from schema.mutations.stations import StationMutation
from schema.mutations.suggestions import SuggestionMutation
from schema.mutations.voters import VoterMutation
from schema.node import Node, decode_id, decode_int_id
from schema.regions import Region, RegionQuery
from schema.reports import ReportQuery
from schema.stations import Reception, Station, StationQuery
from schema.subscriptions import Subscription
from schema.suggestions import Suggestion, SuggestionCategory, SuggestionQuery
from schema.voters import VoterContact

# Every type that implements Node, by the name its IDs carry.
NODE_TYPES: dict[str, type] = {
    t.__name__: t
    for t in (
        Region,
        Congress,
        Term,
        Committee,
        Deputy,
        Mandate,
        Station,
        Reception,
        DeputyGroup,
        ContactAssignment,
        Meeting,
        Attendance,
        Suggestion,
        SuggestionCategory,
        Activity,
        VoterContact,
    )
}


async def load_node(info: Info, global_id: str) -> Node | None:
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] not in NODE_TYPES:
        raise GraphQLError(f"{global_id!r} is not a valid ID.")
    type_name, key = decoded
    if type_name != "Region" and decode_int_id(global_id, type_name) is None:
        raise GraphQLError(f"{global_id!r} is not a valid ID.")
    return await NODE_TYPES[type_name].load(info, key)  # type: ignore[attr-defined]


@strawberry.type
class NodeQuery:
    @declared(NodeById(), description="Fetch any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await load_node(info, id)

    @declared(
        NodeById(many=True), description="Fetch objects by global IDs; null for each one not found."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        # Wait for every load before raising, so none runs on after the request ends.
        found = await asyncio.gather(*(load_node(info, i) for i in ids), return_exceptions=True)
        for result in found:
            if isinstance(result, BaseException):
                raise result
        return list(found)  # type: ignore[arg-type]


Query = merge_types(
    "Query",
    (
        NodeQuery,
        RegionQuery,
        DeputyQuery,
        StationQuery,
        GroupQuery,
        ReportQuery,
        SuggestionQuery,
        ActivityQuery,
    ),
)

Mutation = merge_types(
    "Mutation",
    (
        DeputyMutation,
        StationMutation,
        GroupMutation,
        ContactMutation,
        AttendanceMutation,
        SuggestionMutation,
        ActivityMutation,
        VoterMutation,
    ),
)


@cache
def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(NODE_TYPES.values()),
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"
