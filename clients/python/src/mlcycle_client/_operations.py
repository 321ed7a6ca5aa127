"""Retraining jobs, the audit log, API keys and outbound webhooks."""

from __future__ import annotations

import time
from typing import Any, Mapping, Optional, Sequence

from ._base import Part, _drop_none, _m
from .results import ApiKey, Event, RetrainJob, Webhook, WebhookDelivery, from_json
from .transport import Pager, quote


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

    # ------------------------------------------------------------------ API keys (admin)

    def create_api_key(self, name: str, scopes: Sequence[str]) -> ApiKey:
        """A new key with some of the scopes `admin`, `models:write`, `samples:write`, `read`,
        `metrics`; its `token` is in this answer only."""
        return from_json(ApiKey, self._call("POST", "/api-keys", {"name": name, "scopes": list(scopes)}))

    def list_api_keys(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[ApiKey]:
        return Pager(self._t, "/api-keys", lambda j: from_json(ApiKey, j), None, limit, cursor)

    def revoke_api_key(self, key_id: str) -> None:
        self._call("DELETE", f"/api-keys/{quote(key_id)}")

    # ------------------------------------------------------------------ webhooks (admin)

    def create_webhook(self, url: str, events: Sequence[str], description: Optional[str] = None) -> Webhook:
        """Subscribes `url` to event types (`version.created`, `alias.moved`, `drift.detected`,
        …); deliveries are signed (Standard Webhooks) with the `secret` in this answer only."""
        return from_json(Webhook, self._call("POST", "/webhooks", _drop_none(url=url, events=list(events), description=description)))

    def list_webhooks(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Webhook]:
        return Pager(self._t, "/webhooks", lambda j: from_json(Webhook, j), None, limit, cursor)

    def delete_webhook(self, webhook_id: int) -> None:
        self._call("DELETE", f"/webhooks/{int(webhook_id)}")

    def list_webhook_deliveries(self, webhook_id: int, *, limit: Optional[int] = None,
                                cursor: Optional[str] = None) -> Pager[WebhookDelivery]:
        return Pager(self._t, f"/webhooks/{int(webhook_id)}/deliveries", lambda j: from_json(WebhookDelivery, j), None, limit, cursor)

    def redeliver_webhook(self, webhook_id: int, delivery_id: int) -> WebhookDelivery:
        """Sends a delivery again (202)."""
        return from_json(WebhookDelivery, self._call("POST", f"/webhooks/{int(webhook_id)}/deliveries/{int(delivery_id)}/redeliver"))
