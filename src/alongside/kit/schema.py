"""The one pydantic base every schema derives from."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Schema(BaseModel):
    """Base schema: reads ORM attributes, forbids unknown fields."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class PageRead(Schema, Generic[T]):
    """One page of a list; ``next`` is the cursor of the following page, null on the last."""

    items: list[T]
    next: str | None
