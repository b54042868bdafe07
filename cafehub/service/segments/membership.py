"""Live membership over HTTP: which of the shop's saved segments one customer is in at one instant, and why.

``POST membership`` is ``cafehub segment membership`` on the caller's shop:
the latest version of every live saved segment, and that customer's rows
read through the ``member_id`` indexes, evaluated in memory. The shop's
:class:`~cafehub.registry.membership.LiveMembership` lives as long as the
app (``caller.membership()``), so a segment is checked and compiled once
per version, not per request: this is the call a tool makes when an event
arrives (a cart updated, an order placed).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cafehub.service.auth import ReadAccess
from cafehub.service.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, STORE_RESPONSES
from cafehub.service.segments import models as m
from cafehub.service.segments.saved import refusals
from cafehub.service.segments.text import context

router = APIRouter(prefix="/v1/shops/{shop}", tags=["audiences"], responses={**ERROR_RESPONSES, **STORE_RESPONSES})


@router.post("/membership", response_model=m.MembershipOut, summary="Which saved segments one customer is in",
             responses=NOT_FOUND_RESPONSES)
def membership(body: m.MembershipBody, caller: ReadAccess) -> dict[str, Any]:
    """The customer's verdict in every live saved segment of the shop (or only ``segments``) at ``now``.

    With ``explain``, each verdict carries the clause-by-clause explanation
    of POST text/explain. A segment whose latest version no longer checks
    never matches and says why in ``error``. 404 for a customer the shop does
    not have, or a name in ``segments`` that is not a live saved segment.
    """
    ctx = context(caller, body.now)
    with refusals(name_field="body.segments"):
        found = caller.membership().membership(body.member_id, ctx, explain=body.explain, names=body.segments)
    result = found.to_dict()
    result["now"] = found.now.astimezone(ctx.zone).isoformat()
    return result
