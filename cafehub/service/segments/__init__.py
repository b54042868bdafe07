"""The segment API: operations on segment text (``text``), saved segments (``saved``), audiences and
snapshots (``audience``) and live membership (``membership``)."""

from fastapi import APIRouter

from cafehub.service.segments import audience, membership, saved, text

router = APIRouter()
router.include_router(text.router)
router.include_router(saved.router)
router.include_router(audience.router)
router.include_router(membership.router)

__all__ = ["router"]
