"""Request and response bodies of the segment API: the published schemas (OpenAPI).

Segment text has no schema length limit: the checker's own limit
(:mod:`cafehub.grammar.limits`, 100,000 characters) reports a longer text as
diagnostic E0101 before any other work, and the service refuses request
bodies over 1 MiB before reading them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cafehub.diagnostics import Diagnostic
from cafehub.grammar.format import MIN_WIDTH
from cafehub.grammar.limits import DEFAULT_LIMITS

MAX_TEXT = DEFAULT_LIMITS.max_length
MAX_MEMBER_ID = 64  # customers.member_id is TEXT(64)

#: The dialects of :data:`cafehub.compiler.backends.sql.dialects.DIALECTS` (a test keeps them equal).
Dialect = Literal["sqlite", "duckdb", "postgres", "mysql", "spark", "bigquery", "snowflake", "trino"]

def _text_instant(value: object) -> object:
    """Refuse a number (or a number as text) for an instant: pydantic would read it as seconds since 1970."""
    if isinstance(value, (int, float)):
        raise ValueError("an instant is ISO 8601 text")
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("an instant is ISO 8601 text")
    return value


#: An instant in a request: ISO 8601 text (with an offset, that instant; without, wall-clock time in the shop's zone).
Instant = Annotated[datetime, BeforeValidator(_text_instant)]

# No max_length: text over the language's limit gets the checker's own diagnostic (E0101), and the
# request body limit (1 MiB) bounds what is read at all.
_TEXT = Field(description=f"Segment text, e.g. 'order(status = paid).count >= 3'. At most {MAX_TEXT:,} characters "
                          "(longer text is reported as diagnostic E0101).")
_NOW = Field(default=None, description=(
    "Evaluation instant, ISO 8601. With an offset it is that instant; without one it is wall-clock time in "
    "the shop's zone. Default: the current instant."))


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextBody(_Body):
    text: str = _TEXT


class FormatBody(_Body):
    text: str = _TEXT
    width: int = Field(default=88, ge=MIN_WIDTH, le=400, description="Line width to wrap at.")


class FromJsonBody(_Body):
    document: dict[str, Any] = Field(description="A JSON AST document ({'version': 1, 'segment': {...}}).")
    check: bool = Field(default=True, description="Also check names and types, as the text would be.")


class SqlBody(_Body):
    text: str = _TEXT
    dialect: Dialect = Field(default="sqlite", description="The SQL dialect to print.")
    now: Instant | None = Field(default=None, description="When given, each parameter's value at that instant.")


class CountBody(_Body):
    text: str = _TEXT
    now: Instant | None = _NOW


class ExplainBody(_Body):
    text: str = _TEXT
    member_id: str = Field(min_length=1, max_length=MAX_MEMBER_ID, description="The customer to explain.")
    now: Instant | None = _NOW


class DiagnosticOut(BaseModel):
    """One problem found in a segment (as `cafehub segment check --json` prints it)."""

    code: str = Field(description="Stable code, e.g. E0203.")
    severity: str = Field(description="error or warning.")
    message: str
    hints: list[str]
    line: int | None = Field(default=None, description="1-based line of the start of the problem.")
    column: int | None = Field(default=None, description="1-based column (in characters) of the start.")
    start: int | None = Field(default=None, description="Start offset in characters.")
    end: int | None = Field(default=None, description="End offset in characters (exclusive).")
    path: str | None = Field(default=None, description="For JSON AST input: the JSON path of the node.")

    @classmethod
    def of(cls, diagnostic: Diagnostic) -> DiagnosticOut:
        return cls.model_validate(diagnostic.to_dict())


class CheckResult(BaseModel):
    valid: bool = Field(description="True when the segment has no errors (it may have warnings).")
    diagnostics: list[DiagnosticOut]


class TextResult(BaseModel):
    text: str


class JsonResult(BaseModel):
    document: dict[str, Any]


class Parameter(BaseModel):
    name: str
    computed_as: str = Field(description="How the value is computed (from now, the zone, a literal).")
    value: str | int | None = Field(default=None, description=(
        "The value at the requested now: instants as ISO 8601 UTC, decimals as exact text."))


class SqlResult(BaseModel):
    dialect: str
    sql: str = Field(description="One query returning member_id, every value a named parameter.")
    parameters: list[Parameter]


class CountResult(BaseModel):
    count: int
    now: datetime = Field(description="The instant the audience was counted at.")


class Window(BaseModel):
    subject: str
    lower: str | None
    lower_inclusive: bool
    upper: str | None
    upper_inclusive: bool
    negated: bool
    text: str


class Clause(BaseModel):
    text: str
    true_rows: list[str]
    unknown_rows: list[str]
    windows: list[Window]
    children: list[Clause]


class Evidence(BaseModel):
    collection: str
    scope: str
    scope_window: Window | None
    rows_in_scope: list[str]
    matched: list[str]
    aggregate: str | None
    value: str | None
    condition: Clause | None


class ExplainNode(BaseModel):
    text: str
    kind: str
    value: bool
    children: list[ExplainNode]
    evidence: Evidence | None
    windows: list[Window]
    version: int | None = Field(default=None, description="For a saved segment used by name (kind 'segment'): "
                                "the version used; its one child explains its text.")


class Explanation(BaseModel):
    """Why one customer matches a segment or not: each clause's verdict and its evidence."""

    segment: str
    member_id: str
    matches: bool
    now: str
    zone: str
    cart_retention_days: int
    history_start: str
    root: ExplainNode


# ---------------------------------------------------------------- saved segments

SEGMENT_NAME_PATTERN = r"^[^\W_][\w.-]{0,63}$"
#: Versions are 32-bit integers in the registry (a larger number cannot name one; it is refused before any query).
MAX_VERSION = 2_147_483_647


SegmentName = Annotated[str, Field(pattern=SEGMENT_NAME_PATTERN, max_length=64)]


class SaveBody(_Body):
    text: str = _TEXT
    description: str | None = Field(default=None, max_length=2000, description=(
        "Replaces the segment's description when given; kept as it is when left out."))


class SavedCountBody(_Body):
    now: Instant | None = _NOW
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION,
                                 description="A version to evaluate (default: the latest).")


class SavedSqlBody(_Body):
    dialect: Dialect = Field(default="sqlite", description="The SQL dialect to print.")
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION,
                                 description="A version to compile (default: the latest).")
    now: Instant | None = Field(default=None, description="When given, each parameter's value at that instant.")


class SavedExplainBody(_Body):
    member_id: str = Field(min_length=1, max_length=MAX_MEMBER_ID, description="The customer to explain.")
    now: Instant | None = _NOW
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION,
                                 description="A version to explain (default: the latest).")


class SegmentSummary(BaseModel):
    """A saved segment: its description and latest version; deleted ones carry when and by whom."""

    name: str
    description: str
    latest_version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    deleted_at: datetime | None = None
    deleted_by: str | None = None


class VersionOut(BaseModel):
    """One saved version: the text as written, its JSON AST, who saved it and when (UTC)."""

    name: str
    version: int
    text: str
    document: dict[str, Any] = Field(description="The JSON AST of the text.")
    saved_at: datetime
    saved_by: str


class SegmentList(BaseModel):
    segments: list[SegmentSummary]


class SegmentOut(BaseModel):
    segment: SegmentSummary
    version: VersionOut


class SaveResultOut(BaseModel):
    segment: SegmentSummary
    version: VersionOut
    created: bool = Field(description="False when the text equals the latest version's (nothing was written).")
    warnings: list[DiagnosticOut]


class VersionList(BaseModel):
    versions: list[VersionOut]


class DeletedOut(BaseModel):
    segment: SegmentSummary


# ---------------------------------------------------------------- audiences and snapshots

#: Campaign names in the API: 1 to 128 characters, no '/' (it names a path segment) and no control characters.
CAMPAIGN_PATTERN = r"^[^/\x00-\x1f\x7f]{1,128}$"
MAX_CAMPAIGN = 128
AudienceFormat = Literal["csv", "jsonl"]


class SnapshotBody(_Body):
    campaign: str = Field(pattern=CAMPAIGN_PATTERN, max_length=MAX_CAMPAIGN, description=(
        "The campaign whose audience this is; recorded once (a second record of it is refused with 409)."))
    segment: SegmentName = Field(description="The saved segment to send to.")
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION,
                                 description="A version of the segment (default: the latest).")
    now: Instant | None = Field(default=None, description=(
        "The send time, ISO 8601 (without an offset: wall-clock time in the shop's zone). Default: the current "
        "instant."))


class UsedVersion(BaseModel):
    name: str
    version: int


class SnapshotOut(BaseModel):
    """A campaign's recorded audience: the segment as it was, the send time and settings, how many members."""

    campaign: str
    segment: str
    version: int
    versions: list[UsedVersion] = Field(description="Every saved segment it used, the segment itself included.")
    text: str = Field(description="The segment's text at that version.")
    send_time: datetime = Field(description="The send time, in the shop's zone.")
    zone: str
    cart_retention_days: int
    history_start: date
    members: int
    taken_at: datetime
    taken_by: str


class SnapshotList(BaseModel):
    snapshots: list[SnapshotOut] = Field(description="Newest send time first.")


# ---------------------------------------------------------------- membership

MAX_MEMBERSHIP_NAMES = 1000


class MembershipBody(_Body):
    member_id: str = Field(min_length=1, max_length=MAX_MEMBER_ID, description="The customer.")
    now: Instant | None = _NOW
    explain: bool = Field(default=False, description="Explain each verdict clause by clause.")
    segments: list[SegmentName] | None = Field(default=None, max_length=MAX_MEMBERSHIP_NAMES, description=(
        "Only these saved segments (default: every live one of the shop)."))


class VerdictOut(BaseModel):
    """One saved segment's verdict for the customer."""

    name: str
    version: int = Field(description="The version evaluated (the latest).")
    matches: bool
    explanation: Explanation | None = Field(default=None, description="With explain: why, clause by clause.")
    error: str | None = Field(default=None, description=(
        "Set when the latest version no longer checks (a saved segment it uses was deleted, ...): it never matches."))


class MembershipOut(BaseModel):
    """Which of the shop's live saved segments one customer is in at one instant."""

    member_id: str
    now: datetime
    segments: list[str] = Field(description="The names of the segments the customer is in.")
    verdicts: list[VerdictOut] = Field(description="One per segment asked about, by name.")
