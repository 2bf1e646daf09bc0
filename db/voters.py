"""Deputies' fixed voter contacts (联系选民), kept so that no voter can be identified.

A voter is a pseudonym the service draws at random (not derived from anything about the
person) and the division they live in. Names, phone numbers and addresses stay with the
congress office outside the registry; the public API shows only counts per deputy.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel


class VoterContact(SQLModel, table=True):
    __tablename__ = "voter_contacts"
    __table_args__ = (
        CheckConstraint("until IS NULL OR until >= since", name="ck_voter_contacts_dates"),
        Index("ix_voter_contacts_deputy", "deputy_id", "until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id")
    # Random and unique, e.g. 'V3KQ9T7M2XWD': the office's own records map it to the person.
    pseudonym: str = Field(unique=True, max_length=16)
    # The township-level (or county-level) division where the voter lives, which decides
    # which editors may see the record.
    community_code: str = Field(foreign_key="regions.code", index=True)
    # The residents' or villagers' committee (社区/村), if the office records it.
    community: str | None = None
    since: date
    until: date | None = None
