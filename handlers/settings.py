"""The handlers' configuration: environment variables parsed once into a typed model."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class SettingsError(Exception):
    """The function's environment is incomplete: a deployment problem, reported by variable name."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    content_bucket: str = Field(min_length=3)
    publish_bucket: str = Field(min_length=3)
    distribution_id: str | None = None  # no CloudFront locally
    state_prefix: str = "_state/"
    # Where rebuilds run (the ARN of RebuildStateMachine); unset, as in `feedpub dev`, they run in
    # this process on a pool of threads.
    rebuild_state_machine: str | None = None
    # How many parts of a rebuild run at once: the state machine's Map concurrency.
    rebuild_workers: int = Field(default=16, ge=1, le=40)

    @field_validator("distribution_id", "rebuild_state_machine")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @field_validator("state_prefix")
    @classmethod
    def _directory(cls, value: str) -> str:
        value = value.strip().lstrip("/")
        if not value:
            raise ValueError("must not be empty (the state must not mix with the public outputs)")
        return value if value.endswith("/") else value + "/"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read CONTENT_BUCKET, PUBLISH_BUCKET, DISTRIBUTION_ID, STATE_PREFIX, REBUILD_STATE_MACHINE
        and REBUILD_WORKERS.

        The S3 endpoint is boto3's own business (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3).
        """
        env = os.environ if environ is None else environ
        values = {
            "content_bucket": env.get("CONTENT_BUCKET", ""),
            "publish_bucket": env.get("PUBLISH_BUCKET", ""),
            "distribution_id": env.get("DISTRIBUTION_ID") or None,
            "state_prefix": env.get("STATE_PREFIX") or "_state/",
            "rebuild_state_machine": env.get("REBUILD_STATE_MACHINE") or None,
            "rebuild_workers": env.get("REBUILD_WORKERS") or 16,
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{str(err['loc'][0]).upper()}: {err['msg'].removeprefix('Value error, ')}"
                for err in exc.errors()
            )
            raise SettingsError(f"invalid function environment: {problems}") from exc
