"""Saved segments over HTTP: the shop's registry (save a new version, list, show, history, soft delete)
and a saved segment's count, SQL and explain.

Each route is the :class:`~cafehub.registry.SegmentRegistry` call behind one
``cafehub segment`` command, on the caller's own shop's registry
(``caller.registry()``): a name is looked up in that shop only, so another
shop's segments are never found, listed or changed. Reading needs the read
scope; saving and deleting need the write scope, and record the token (its
name and id) as who did it.

Registry refusals become the app's error body (:func:`refusals`): an unknown
segment or version is 404, a delete of a segment that others use or a save
that kept colliding with concurrent ones is 409, a name the registry does
not allow is 422; an invalid text is 422 ``invalid_segment`` with its
diagnostics, and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from cafehub.registry.registry import (
    ConcurrentChange,
    InvalidName,
    RegistryError,
    SegmentInfo,
    SegmentInUse,
    SegmentNotFound,
    SegmentVersion,
    VersionNotFound,
)
from cafehub.service.auth import ReadAccess, WriteAccess
from cafehub.service.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, STORE_RESPONSES, ApiError, ErrorBody
from cafehub.service.segments import models as m
from cafehub.service.segments.text import context, count_result, explain_member, sql_result

router = APIRouter(prefix="/v1/shops/{shop}/segments", tags=["saved segments"],
                   responses={**ERROR_RESPONSES, **STORE_RESPONSES})

NameInPath = Annotated[str, Path(pattern=m.SEGMENT_NAME_PATTERN, max_length=64, description="The segment's name.")]
CONFLICT_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The change conflicts with the registry's state."},
}


@contextmanager
def refusals(name_field: str = "path.name", version_field: str = "query.version") -> Iterator[None]:
    """Registry refusals as :class:`~cafehub.service.errors.ApiError` (the messages never repeat a value sent).

    ``name_field`` and ``version_field`` say where the request named the
    segment and the version. Refusals of audiences and membership
    (snapshots, customers) are mapped here too, by class name, so this module
    does not import theirs.
    """
    try:
        yield
    except SegmentNotFound as missing:
        hint = f"; did you mean '{missing.suggestion}'?" if missing.suggestion else ""
        raise ApiError(404, "not_found", f"the shop has no saved segment of this name{hint}",
                       field=name_field) from None
    except VersionNotFound as missing:
        raise ApiError(404, "not_found", f"the segment has no such version (its versions are 1 to {missing.latest})",
                       field=version_field) from None
    except SegmentInUse as used:
        raise ApiError(409, "conflict", f"the segment is used by {', '.join(repr(u) for u in used.used_by)}; "
                                        "change or delete those first", field=name_field) from None
    except ConcurrentChange:
        raise ApiError(409, "conflict", "the segment is being saved by someone else at the same time; try again",
                       field=name_field) from None
    except InvalidName as invalid:
        raise ApiError(422, "invalid_request", _rule(str(invalid)), field=name_field) from None
    except RegistryError as refused:
        kind = type(refused).__name__
        if kind == "SnapshotExists":
            raise ApiError(409, "conflict", "the campaign already has a recorded audience (a campaign is sent once)",
                           field="body.campaign") from None
        if kind == "SnapshotNotFound":
            raise ApiError(404, "not_found", "the shop has no recorded audience for this campaign",
                           field="path.campaign") from None
        if kind == "CustomerNotFound":
            raise ApiError(404, "not_found", "the shop has no customer with this member_id",
                           field="body.member_id") from None
        raise ApiError(422, "invalid_request", "the registry refused the request") from None


def _rule(message: str) -> str:
    """An :class:`InvalidName` message without the name it was about (it quotes it only for a case twin)."""
    if message.startswith("'") and "only in case" in message:
        return "the name differs from a saved segment's only in case; use that name or another"
    return message


def summary(info: SegmentInfo) -> m.SegmentSummary:
    return m.SegmentSummary(**asdict(info))


def version_out(version: SegmentVersion) -> m.VersionOut:
    return m.VersionOut(name=version.name, version=version.version, text=version.text, document=version.ast,
                        saved_at=version.saved_at, saved_by=version.saved_by)


@router.get("", response_model=m.SegmentList, summary="The shop's saved segments")
def list_segments(caller: ReadAccess, deleted: Annotated[bool, Query(
        description="Include deleted segments (they carry deleted_at and deleted_by).")] = False) -> m.SegmentList:
    """Every live saved segment of the shop by name, with its description and latest version."""
    with refusals():
        return m.SegmentList(segments=[summary(i) for i in caller.registry().segments(include_deleted=deleted)])


@router.get("/{name}", response_model=m.SegmentOut, summary="A saved segment at a version",
            responses=NOT_FOUND_RESPONSES)
def show_segment(name: NameInPath, caller: ReadAccess, version: Annotated[int | None, Query(
        ge=1, le=m.MAX_VERSION, description="The version to show (default: the latest).")] = None) -> m.SegmentOut:
    """The segment and one of its versions (deleted segments too: their versions stay readable)."""
    registry = caller.registry()
    with refusals():
        return m.SegmentOut(segment=summary(registry.info(name)), version=version_out(registry.get(name, version)))


@router.get("/{name}/versions", response_model=m.VersionList, summary="A saved segment's history",
            responses=NOT_FOUND_RESPONSES)
def history(name: NameInPath, caller: ReadAccess) -> m.VersionList:
    """Every version of the segment, oldest first: the text, its JSON AST, who saved it and when."""
    with refusals():
        return m.VersionList(versions=[version_out(v) for v in caller.registry().history(name)])


@router.put("/{name}", response_model=m.SaveResultOut, summary="Save a new version of a segment",
            status_code=201, responses={200: {"model": m.SaveResultOut, "description": (
                "The text equals the latest version's: nothing was written (a retried save is harmless).")},
                **CONFLICT_RESPONSES})
def save_segment(name: NameInPath, body: m.SaveBody, caller: WriteAccess, response: Response) -> m.SaveResultOut:
    """Check the text (``segment("x")`` resolved in this shop) and keep it as the segment's next version.

    An invalid text is refused with its diagnostics (422 ``invalid_segment``)
    and nothing is written. Answers 201 with the new version, or 200 when the
    text equals the latest version's. Saving under a deleted name brings the
    segment back with its history.
    """
    with refusals():
        saved = caller.registry().save(name, body.text, saved_by=caller.who, description=body.description)
    if not saved.created:
        response.status_code = 200
    return m.SaveResultOut(segment=summary(saved.segment), version=version_out(saved.version), created=saved.created,
                           warnings=[m.DiagnosticOut.of(d) for d in saved.warnings])


@router.delete("/{name}", response_model=m.DeletedOut, summary="Delete a saved segment (softly)",
               responses={**NOT_FOUND_RESPONSES, **CONFLICT_RESPONSES})
def delete_segment(name: NameInPath, caller: WriteAccess) -> m.DeletedOut:
    """Soft delete: the segment leaves the list and ``segment("x")``, its versions stay readable.

    Refused (409) while a live segment's latest version uses it. Deleting a
    deleted segment changes nothing.
    """
    with refusals():
        return m.DeletedOut(segment=summary(caller.registry().delete(name, deleted_by=caller.who)))


@router.post("/{name}/count", response_model=m.CountResult, summary="Audience size of a saved segment",
             responses=NOT_FOUND_RESPONSES)
def count(name: NameInPath, body: m.SavedCountBody, caller: ReadAccess) -> m.CountResult:
    """How many of the shop's customers the segment (latest version, or ``version``) selects at ``now``."""
    with refusals(version_field="body.version"):
        checked = caller.registry().checked(name, body.version)
        return count_result(caller, checked, body.now)


@router.post("/{name}/sql", response_model=m.SqlResult, summary="SQL of a saved segment for a dialect",
             responses=NOT_FOUND_RESPONSES)
def sql(name: NameInPath, body: m.SavedSqlBody, caller: ReadAccess) -> m.SqlResult:
    """The segment's query for ``dialect`` (saved segments it uses inlined) and its parameters."""
    ctx = context(caller, body.now) if body.now is not None else None
    with refusals(version_field="body.version"):
        return sql_result(caller.registry().checked(name, body.version), body.dialect, ctx)


@router.post("/{name}/explain", response_model=m.Explanation, summary="Why one customer is in a saved segment or not",
             responses=NOT_FOUND_RESPONSES)
def explain(name: NameInPath, body: m.SavedExplainBody, caller: ReadAccess) -> dict[str, Any]:
    """Each clause's verdict for one customer of the shop, with its evidence."""
    with refusals(version_field="body.version"):
        checked = caller.registry().checked(name, body.version)
    return explain_member(caller, checked, body.member_id, body.now)
