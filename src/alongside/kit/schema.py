"""The one pydantic base every schema derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Base schema: reads ORM attributes, forbids unknown fields."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")
