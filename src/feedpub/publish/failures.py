"""Why an attempt of a publish run starts over, or the run gives up (publish/engine.py `_attempt`)."""

from __future__ import annotations


class CommitConflictError(Exception):
    """Too many concurrent commits in a row: the keys fail and SQS retries them later."""


class StaleRecordError(Exception):
    """A record the state lists has changed or gone and its event is not in this run: take it in."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{key} changed since the state recorded it")
        self.key = key


class PoisonedRecordError(Exception):
    """A record the parser accepted failed while its feed item or a feed showing it was rendered.

    The run starts again with this version of the record rejected (`reason`), so it leaves every
    feed instead of failing each run that shows it.
    """

    def __init__(self, key: str, etag: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.etag = etag
        self.reason = reason


# Never a record's fault (an interrupt, an exit): passed on as they are, where anything else that
# rendering a record's item or a feed raises makes its record poisoned.
RECORD_FAILURES_PASS = (KeyboardInterrupt, SystemExit, GeneratorExit)
