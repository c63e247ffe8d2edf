"""Building blocks shared by every profile section."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from readiness.redact import MIN_SECRET

SeverityName = Literal["critical", "high", "medium", "low", "info"]


class Model(BaseModel):
    """Profile sections: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: Validation context of a profile being loaded (credential rules apply to profiles only).
PROFILE_CONTEXT = {"profile": True}


def check_credential(value: str | None, info: ValidationInfo) -> str | None:
    """A profile's credential too short to mask safely (or to be secret) is refused."""
    in_profile = isinstance(info.context, dict) and info.context.get("profile")
    if in_profile and value and len(value) < MIN_SECRET:  # empty: no credential given
        raise ValueError(
            f"a credential of {len(value)} characters is too short: use at least "
            f"{MIN_SECRET} (short values cannot be told apart from ordinary text in reports)"
        )
    return value


class BasicAuth(Model):
    username: str
    password: str

    _password_length = field_validator("password")(check_credential)


class Auth(Model):
    """Credentials for a target; values come from ``${VAR}`` and are never reported."""

    basic: BasicAuth | None = None
    bearer_token: str | None = None

    _token_length = field_validator("bearer_token")(check_credential)

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
    timeout: float = Field(10.0, gt=0, le=3600)
    retries: int = Field(2, ge=0, le=10)
    # Total time for one read (connect, retries, body); unset: limits.deadline.
    deadline: float | None = Field(None, gt=0, le=3600)
    # Largest answer read, in MiB; unset: the limits.max_body_mb entry for this source.
    max_body_mb: float | None = Field(None, gt=0, le=4096)
