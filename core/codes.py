"""Every error code the service sends: GraphQL errors' `extensions.code`, mutations'
`userErrors[].code`, the `code` of JSON refusals (imports, exports, HTTP errors) and of an
import's row errors. Clients branch on these, so they are stable and listed in one place
(docs/security.md and docs/import-format.md explain them; tests/test_codes.py checks both).

A member is its own string (StrEnum): it serialises, compares and formats as the code.
"""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class Code(StrEnum):
    # --- the request itself (graphql-core's names, as clients know them from Apollo) ----
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_REQUEST = "BAD_REQUEST"
    BATCH_NOT_SUPPORTED = "BATCH_NOT_SUPPORTED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    TOO_MANY_ERRORS = "TOO_MANY_ERRORS"

    # --- limits on what one request may ask -------------------------------------------
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    TOKEN_LIMIT = "TOKEN_LIMIT"
    DEPTH_LIMIT = "DEPTH_LIMIT"
    ALIAS_LIMIT = "ALIAS_LIMIT"
    COST_LIMIT = "COST_LIMIT"
    PAGE_SIZE_LIMIT = "PAGE_SIZE_LIMIT"
    STRING_TOO_LONG = "STRING_TOO_LONG"

    # --- who is asking -----------------------------------------------------------------
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"

    # --- our failures and the database's -----------------------------------------------
    INTERNAL = "INTERNAL"
    TIMEOUT = "TIMEOUT"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    WRITE_OUTCOME_UNKNOWN = "WRITE_OUTCOME_UNKNOWN"
    WRITE_CONFLICT = "WRITE_CONFLICT"
    EVENTS_LOST = "EVENTS_LOST"

    # --- mutations' userErrors (and import rows, which share the domain's rules) -----------
    INVALID_VALUE = "INVALID_VALUE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    LOCALITY_OUTSIDE_REGION = "LOCALITY_OUTSIDE_REGION"
    NO_STANDING_COMMITTEE = "NO_STANDING_COMMITTEE"
    COMMITTEE_MEMBER = "COMMITTEE_MEMBER"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    NOT_A_LEADER = "NOT_A_LEADER"
    NO_TERM = "NO_TERM"
    WRONG_CONGRESS = "WRONG_CONGRESS"
    STALE_WRITE = "STALE_WRITE"
    MANDATE_OVERLAP = "MANDATE_OVERLAP"
    DUPLICATE = "DUPLICATE"
    DUPLICATE_ASSIGNMENT = "DUPLICATE_ASSIGNMENT"
    DUPLICATE_ATTENDANCE = "DUPLICATE_ATTENDANCE"
    DUPLICATE_CATEGORY = "DUPLICATE_CATEGORY"
    DUPLICATE_MEETING = "DUPLICATE_MEETING"
    DUPLICATE_MEMBER = "DUPLICATE_MEMBER"
    DUPLICATE_PARTICIPANT = "DUPLICATE_PARTICIPANT"
    DUPLICATE_SIGNER = "DUPLICATE_SIGNER"
    DUPLICATE_UNIT = "DUPLICATE_UNIT"
    ALREADY_ENDED = "ALREADY_ENDED"
    ALREADY_SUSPENDED = "ALREADY_SUSPENDED"
    CATEGORY_DEPTH = "CATEGORY_DEPTH"
    CATEGORY_HAS_SUBCATEGORIES = "CATEGORY_HAS_SUBCATEGORIES"
    ALREADY_ASSIGNED = "ALREADY_ASSIGNED"
    ALREADY_CLOSED = "ALREADY_CLOSED"
    ALREADY_RATED = "ALREADY_RATED"
    ALREADY_REPLIED = "ALREADY_REPLIED"
    ALREADY_SUPERVISED = "ALREADY_SUPERVISED"
    NOT_ASSIGNED = "NOT_ASSIGNED"
    NOT_REPLIED = "NOT_REPLIED"
    UNIT_NOT_ASSIGNED = "UNIT_NOT_ASSIGNED"

    # --- imports: the upload ------------------------------------------------------------
    UNKNOWN_KIND = "UNKNOWN_KIND"
    BAD_FILE = "BAD_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    IMPORT_TIMEOUT = "IMPORT_TIMEOUT"
    IMPORTS_BUSY = "IMPORTS_BUSY"
    UPLOAD_TIMEOUT = "UPLOAD_TIMEOUT"
    UPLOAD_INCOMPLETE = "UPLOAD_INCOMPLETE"

    # --- imports: a row or the header -----------------------------------------------------
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    MISSING_COLUMN = "MISSING_COLUMN"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    REQUIRED = "REQUIRED"
    BAD_DATE = "BAD_DATE"
    UNKNOWN_DIVISION = "UNKNOWN_DIVISION"
    UNKNOWN_CONGRESS = "UNKNOWN_CONGRESS"
    UNKNOWN_TERM = "UNKNOWN_TERM"
    DATE_OUTSIDE_TERM = "DATE_OUTSIDE_TERM"
    DUPLICATE_PERSON = "DUPLICATE_PERSON"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    MANDATE_ENDED = "MANDATE_ENDED"
    AMBIGUOUS = "AMBIGUOUS"
    FORBIDDEN_REGION = "FORBIDDEN_REGION"

    # --- exports and reports ---------------------------------------------------------------
    UNKNOWN_EXPORT = "UNKNOWN_EXPORT"
    INVALID_REGION_CODE = "INVALID_REGION_CODE"
    MISSING_ARGUMENT = "MISSING_ARGUMENT"
    EXPORTS_BUSY = "EXPORTS_BUSY"
    TOO_MANY_EXPORTS = "TOO_MANY_EXPORTS"


__all__ = ["Code"]
