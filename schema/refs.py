"""The schema's types by name, for the fields of other modules: resolved by strawberry
when the schema is built, so the modules need not import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from schema.activities import Activity, ActivityKind
    from schema.attendance import Attendance, Meeting
    from schema.committees import Committee, Congress, Term
    from schema.contacts import ContactAssignment
    from schema.deputies import CommitteeMembership, Deputy
    from schema.duty_records import DutyRecord
    from schema.groups import DeputyGroup
    from schema.regions import Region
    from schema.stations import Station
    from schema.suggestions import Suggestion, SuggestionReport
    from schema.voters import VoterContact

ActivityKindRef = Annotated["ActivityKind", strawberry.lazy("schema.activities")]
ActivityRef = Annotated["Activity", strawberry.lazy("schema.activities")]
AttendanceRef = Annotated["Attendance", strawberry.lazy("schema.attendance")]
CommitteeRef = Annotated["Committee", strawberry.lazy("schema.committees")]
CongressRef = Annotated["Congress", strawberry.lazy("schema.committees")]
ContactRef = Annotated["ContactAssignment", strawberry.lazy("schema.contacts")]
DeputyRef = Annotated["Deputy", strawberry.lazy("schema.deputies")]
DutyRecordRef = Annotated["DutyRecord", strawberry.lazy("schema.duty_records")]
GroupRef = Annotated["DeputyGroup", strawberry.lazy("schema.groups")]
MeetingRef = Annotated["Meeting", strawberry.lazy("schema.attendance")]
MembershipRef = Annotated["CommitteeMembership", strawberry.lazy("schema.deputies")]
RegionRef = Annotated["Region", strawberry.lazy("schema.regions")]
StationRef = Annotated["Station", strawberry.lazy("schema.stations")]
SuggestionRef = Annotated["Suggestion", strawberry.lazy("schema.suggestions")]
SuggestionReportRef = Annotated["SuggestionReport", strawberry.lazy("schema.suggestions")]
TermRef = Annotated["Term", strawberry.lazy("schema.committees")]
VoterContactRef = Annotated["VoterContact", strawberry.lazy("schema.voters")]
