"""The segment API: operations on segment text (``text``), saved segments (``saved``), audiences and membership."""

from fastapi import APIRouter

from cafehub.service.segments import saved, text

router = APIRouter()
router.include_router(text.router)
router.include_router(saved.router)

__all__ = ["router"]
