"""The mlcycle client: registry, artifacts, monitoring data, drift, retraining, events."""

from __future__ import annotations

import os
from typing import Optional

from ._base import MEDIA_TYPES, UNSET
from ._monitoring import MonitoringPart
from ._operations import OperationsPart
from ._registry import RegistryPart
from .transport import Transport

__all__ = ["Client", "MEDIA_TYPES", "UNSET"]


class Client(RegistryPart, MonitoringPart, OperationsPart):
    """A client for one mlcycle server.

        client = Client("http://127.0.0.1:8080", token)   # or Client(): MLCYCLE_URL / MLCYCLE_TOKEN

    Every method returns a dataclass from `mlcycle_client.results` (or a `Pager` of them for lists);
    the server's refusals raise `ApiError`. Reads, keyed sample batches, labels and keyed version
    registrations are retried on network errors, 429 and 502/503/504 (`retries`, `backoff`).
    """

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, *, timeout: float = 30.0, retries: int = 4,
                 backoff: float = 0.25):
        base = base_url or os.environ.get("MLCYCLE_URL") or "http://127.0.0.1:8080"
        self._t = Transport(base, token if token is not None else os.environ.get("MLCYCLE_TOKEN"), timeout, retries, backoff)

    @property
    def base_url(self) -> str:
        return self._t.base_url

    @property
    def retried(self) -> int:
        """How many retries were needed so far."""
        return self._t.retried

    @property
    def requests(self) -> int:
        """How many HTTP requests were sent so far, retries included."""
        return self._t.requests

