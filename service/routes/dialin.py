"""Routes that lint a whole dial-in config body (PLACEHOLDER until the dial-in issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
