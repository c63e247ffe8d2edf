"""Building blocks shared by every profile section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SeverityName = Literal["critical", "high", "medium", "low", "info"]


class Model(BaseModel):
    """Profile sections: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuth(Model):
    username: str
    password: str


class Auth(Model):
    """Credentials for a target; values come from ``${VAR}`` and are never reported."""

    basic: BasicAuth | None = None
    bearer_token: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Auth:
        if self.basic and self.bearer_token:
            raise ValueError("give either basic or bearer_token, not both")
        return self


class Endpoint(Model):
    """A live HTTP API a source reads (Prometheus, Alertmanager, a registry, …)."""

    url: str
    auth: Auth | None = None
    ca_file: str | None = None
    verify_tls: bool = True
    timeout: float = Field(10.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
