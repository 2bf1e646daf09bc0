"""Contact assignments (常委会组成人员联系代表) and their logs."""

from __future__ import annotations

from sqlalchemy import select

from db.columns import table_of
from db.contacts import ContactAssignment as AssignmentRow
from db.contacts import ContactLog as LogRow
from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader

assignments = table_of(AssignmentRow)
logs = table_of(LogRow)


class ContactAssignmentByIdLoader(RowByKeyLoader):
    query = select(assignments)
    key = assignments.c.id


class ContactsByDeputyLoader(RowsByKeyLoader):
    """The assignments that keep someone in touch with each deputy, current ones first."""

    query = select(assignments).order_by(
        assignments.c.end_date.is_not(None), assignments.c.start_date, assignments.c.id
    )
    key = assignments.c.deputy_id


class LogsByAssignmentLoader(RowsByKeyLoader):
    query = select(logs).order_by(logs.c.date.desc(), logs.c.id.desc())
    key = logs.c.assignment_id
