"""Contact assignments (常委会组成人员联系代表) and their logs."""

from __future__ import annotations

from db.columns import table_of
from db.contacts import ContactAssignment as AssignmentRow
from db.contacts import ContactLog as LogRow
from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader

assignments = table_of(AssignmentRow)
logs = table_of(LogRow)


class ContactAssignmentByIdLoader(RowByKeyLoader, key=assignments.c.id): ...


class ContactsByDeputyLoader(
    RowsByKeyLoader,
    key=assignments.c.deputy_id,
    order_by=(assignments.c.end_date.is_not(None), assignments.c.start_date, assignments.c.id),
):
    """The assignments that keep someone in touch with each deputy, current ones first."""


class LogsByAssignmentLoader(
    RowsByKeyLoader, key=logs.c.assignment_id, order_by=(logs.c.date.desc(), logs.c.id.desc())
): ...
