"""The segment API: operations on segment text (``text``), saved segments, audiences and membership."""

from fastapi import APIRouter

from cafehub.service.segments import text

router = APIRouter()
router.include_router(text.router)

__all__ = ["router"]
