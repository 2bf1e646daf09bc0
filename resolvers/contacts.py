"""Contact assignments (常委会组成人员联系代表) and their logs."""

from __future__ import annotations

from db.models import contact_assignments as assignments
from db.models import contact_logs as logs
from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader


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
