"""Audiences at a send time over HTTP: a saved segment's members streamed as CSV or JSON Lines, and campaign
snapshots recorded and shown again.

The routes are ``cafehub segment audience``, ``snapshot`` and ``snapshots``
on the caller's shop. An audience is streamed as it is read: the store's
rows come through a streaming cursor in batches
(:data:`~cafehub.registry.audience.BATCH_ROWS`) and each batch is sent as one
chunk, so memory does not grow with the audience. Everything that can be
refused (the segment, its version, the store's tables, the query itself) is
done before the first byte is sent, so a refusal is still an error answer;
a store that fails halfway through cuts the stream (the response has no
final chunk, which a client sees as an incomplete transfer).

The rows carry customers' names, phone numbers and e-mail addresses: they
are sent to the token's own shop only and never logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response

from cafehub.registry.output import CSV_HEADER
from cafehub.service.auth import Caller, ReadAccess, WriteAccess
from cafehub.service.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, STORE_RESPONSES
from cafehub.service.segments import models as m
from cafehub.service.segments.saved import CONFLICT_RESPONSES, NameInPath, refusals
from cafehub.service.segments.text import context, count_result

router = APIRouter(prefix="/v1/shops/{shop}", tags=["audiences"], responses={**ERROR_RESPONSES, **STORE_RESPONSES})

MEDIA_TYPES: dict[m.AudienceFormat, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
CampaignInPath = Annotated[str, Path(pattern=m.CAMPAIGN_PATTERN, max_length=m.MAX_CAMPAIGN,
                                     description="The campaign.")]
FormatQuery = Annotated[m.AudienceFormat, Query(
    description="csv: a header line, then one record per member; jsonl: one JSON object per member.")]

_ROW_SCHEMA = ("member_id, name, cellphone, email, sms_consent, email_consent (consents true, false, or unknown: empty "
               "in CSV, null in JSON Lines), sorted by member_id in code-point order.")
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The audience, streamed: " + _ROW_SCHEMA, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
    }},
}


def _started(chunks: Iterator[str]) -> Iterator[str]:
    """``chunks`` with the query already running: the first chunk of rows (or the end) is read before returning.

    A CSV header comes before the query runs, so reading only one chunk would
    let a failing query turn into a cut stream instead of an error answer.
    """
    head: list[str] = []
    for chunk in chunks:
        head.append(chunk)
        if chunk != CSV_HEADER:
            break

    def rest() -> Iterator[str]:
        try:
            while head:
                yield head.pop(0)  # not kept once sent
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # a client that went away releases the store's connection at once

    return rest()


def stream(chunks: Iterator[str], fmt: m.AudienceFormat, headers: dict[str, str] | None = None) -> StreamingResponse:
    return StreamingResponse(_started(chunks), media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/segments/{name}/audience", summary="A saved segment's audience at a send time",
            responses={200: {**STREAM_RESPONSES[200], "model": m.CountResult,
                             "description": STREAM_RESPONSES[200]["description"] + " With count=true: the "
                             "number of members, as JSON."}, **NOT_FOUND_RESPONSES},
            response_class=StreamingResponse)
def audience(
    name: NameInPath,
    caller: ReadAccess,
    now: Annotated[m.Instant | None, Query(description=(
        "The send time, ISO 8601 (without an offset: wall-clock time in the shop's zone). Default: the current "
        "instant."))] = None,
    version: Annotated[int | None, Query(ge=1, le=m.MAX_VERSION,
                                         description="A version (default: the latest).")] = None,
    format: FormatQuery = "csv",  # noqa: A002 - the query parameter's name
    count: Annotated[bool, Query(description="Answer only how many members, as JSON.")] = False,
) -> Response:
    """The members of the saved segment at ``now`` with what a sender needs: name, phone, e-mail, consents.

    Streamed in constant memory, sorted as ``cafehub segment run`` sorts. The
    header ``X-CafeHub-Segment-Version`` says which version was used.
    """
    from cafehub.registry.audience import audience_text

    registry = caller.registry()
    with refusals():
        saved = registry.resolve(name, version)
        checked = registry.check(saved.text, saved_as=(saved.name, saved.version))
        if count:
            return JSONResponse(count_result(caller, checked, now).model_dump(mode="json"))
        chunks = audience_text(caller.store(), checked, context(caller, now), format)
        return stream(chunks, format, {"X-CafeHub-Segment-Version": str(saved.version)})


def snapshot_out(taken: Any) -> m.SnapshotOut:
    return m.SnapshotOut(
        campaign=taken.campaign, segment=taken.segment, version=taken.version,
        versions=[m.UsedVersion(name=n, version=v) for n, v in taken.versions], text=taken.text,
        send_time=taken.send_time.astimezone(taken.context().zone), zone=taken.zone,
        cart_retention_days=taken.cart_retention_days, history_start=taken.history_start, members=taken.members,
        taken_at=taken.taken_at, taken_by=taken.taken_by)


def _snapshots(caller: Caller) -> Any:
    from cafehub.registry.audience import Snapshots

    return Snapshots(caller.registry())


@router.post("/snapshots", response_model=m.SnapshotOut, status_code=201, summary="Record a campaign's audience",
             responses={**NOT_FOUND_RESPONSES, **CONFLICT_RESPONSES})
def record_snapshot(body: m.SnapshotBody, caller: WriteAccess) -> m.SnapshotOut:
    """Record the audience of a saved segment at the send time as the campaign's, in one transaction.

    The campaign's audience can then be shown again exactly as it was
    (GET snapshots/{campaign}/members), whatever changes in the store or the
    segment later. A campaign is recorded once: a second record is refused (409).
    """
    with refusals(name_field="body.segment", version_field="body.version"):
        return snapshot_out(_snapshots(caller).take(body.campaign, body.segment, context(caller, body.now),
                                                    taken_by=caller.who, version=body.version))


@router.get("/snapshots", response_model=m.SnapshotList, summary="The shop's recorded campaigns")
def list_snapshots(caller: ReadAccess) -> m.SnapshotList:
    """Every recorded campaign of the shop, newest send time first."""
    with refusals():
        return m.SnapshotList(snapshots=[snapshot_out(s) for s in _snapshots(caller).campaigns()])


@router.get("/snapshots/{campaign}", response_model=m.SnapshotOut, summary="A recorded campaign",
            responses=NOT_FOUND_RESPONSES)
def show_snapshot(campaign: CampaignInPath, caller: ReadAccess) -> m.SnapshotOut:
    """What was recorded: the segment and its version (and those it used), its text, the send time, how many."""
    with refusals():
        return snapshot_out(_snapshots(caller).get(campaign))


@router.get("/snapshots/{campaign}/members", summary="A recorded campaign's audience, as it was",
            responses={**STREAM_RESPONSES, **NOT_FOUND_RESPONSES}, response_class=StreamingResponse)
def snapshot_members(campaign: CampaignInPath, caller: ReadAccess, format: FormatQuery = "csv",  # noqa: A002
                     ) -> Response:
    """The recorded members, streamed, with the same bytes as the audience had when it was recorded."""
    with refusals():
        snapshots = _snapshots(caller)
        snapshots.get(campaign)  # refused before streaming
        return stream(snapshots.members_text(campaign, format), format)
