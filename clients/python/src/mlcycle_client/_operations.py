"""Retraining jobs and the audit log."""

from __future__ import annotations

import time
from typing import Any, Mapping, Optional, Sequence

from ._base import Part, _drop_none, _m
from .results import Event, RetrainJob, from_json
from .transport import Pager


class OperationsPart(Part):
    # ------------------------------------------------------------------ retraining

    def request_retrain(self, model: str, *, base_version: Optional[int] = None,
                        executor: Optional[Mapping[str, Any]] = None) -> RetrainJob:
        """Starts a retrain job now (202). `executor` overrides the monitor's (admin only), e.g.
        {"type": "command", "command": ["python3", "train.py"], "timeoutSeconds": 600}."""
        body = _drop_none(baseVersion=base_version, executor=dict(executor) if executor else None)
        return from_json(RetrainJob, self._call("POST", f"{_m(model)}/retrain", body))

    def get_retrain_job(self, job_id: int) -> RetrainJob:
        return from_json(RetrainJob, self._call("GET", f"/retrain-jobs/{int(job_id)}", retry=True))

    def list_retrain_jobs(self, model: Optional[str] = None, status: Optional[str] = None, *,
                          limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[RetrainJob]:
        return Pager(self._t, "/retrain-jobs", lambda j: from_json(RetrainJob, j), {"model": model, "status": status}, limit, cursor)

    def cancel_retrain_job(self, job_id: int) -> RetrainJob:
        """Cancels a queued job at once; a running one is stopped (its trainer killed)."""
        return from_json(RetrainJob, self._call("POST", f"/retrain-jobs/{int(job_id)}/cancel"))

    def complete_retrain_job(self, job_id: int, *, status: str = "succeeded", attempt: Optional[int] = None,
                             metrics: Optional[Mapping[str, float]] = None, artifacts: Optional[Sequence[Mapping[str, str]]] = None,
                             error: Optional[str] = None) -> RetrainJob:
        """The external pipeline's callback (webhook executor)."""
        body = _drop_none(status=status, attempt=attempt, metrics=metrics, artifacts=artifacts, error=error)
        return from_json(RetrainJob, self._call("POST", f"/retrain-jobs/{int(job_id)}/complete", body))

    def wait_retrain_job(self, job_id: int, *, timeout: float = 600.0, interval: float = 1.0) -> RetrainJob:
        """Polls until the job succeeded, failed or was cancelled; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get_retrain_job(job_id)
            if job.finished:
                return job
            if time.monotonic() >= deadline:
                raise TimeoutError(f"retrain job {job_id} still {job.status} after {timeout}s")
            time.sleep(interval)

    # ------------------------------------------------------------------ events

    def list_events(self, model: Optional[str] = None, type: Optional[str] = None, *, include_deleted: Optional[bool] = None,
                    limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Event]:
        """The audit log across models, newest first; filter by model name and event type."""
        query = {"model": model, "type": type, "includeDeleted": include_deleted}
        return Pager(self._t, "/events", lambda j: from_json(Event, j), query, limit, cursor)


