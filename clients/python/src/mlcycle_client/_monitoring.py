"""Reference data, samples, labels, monitors, drift reports and timelines."""

from __future__ import annotations

import uuid
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

from ._base import MEDIA_TYPES, Part, Time, _drop_none, _list, _m, _table_body, _ts, _v
from .results import DriftReport, LabelsAccepted, MonitorStatus, MonitorView, ReferenceSummary, SamplesAccepted, Timeline, from_json
from .transport import Pager, Source, body_source


class MonitoringPart(Part):
    # ------------------------------------------------------------------ reference data

    def upload_reference(self, model: str, version: int, *, rows: Optional[Sequence[Mapping[str, Any]]] = None,
                         columns: Optional[Mapping[str, Sequence[Any]]] = None) -> ReferenceSummary:
        """Appends one chunk of reference (training) data as JSON rows or columns."""
        return from_json(ReferenceSummary, self._call("POST", f"{_v(model, version)}/reference", _table_body(rows, columns)))

    def upload_reference_file(self, model: str, version: int, source: Source, format: str = "csv") -> ReferenceSummary:
        """Appends a chunk given as a CSV (header row) or Arrow IPC stream: a path (streamed), bytes or a file."""
        opener, _ = body_source(source)
        return from_json(ReferenceSummary, self._call("POST", f"{_v(model, version)}/reference", data=opener,
                                                      headers={"Content-Type": MEDIA_TYPES[format]}))

    def push_reference(self, model: str, version: int, columns: Mapping[str, Sequence[Any]], chunk_rows: int = 50_000) -> ReferenceSummary:
        """Appends column-wise reference data in chunks of `chunk_rows`; returns the last summary."""
        n = len(next(iter(columns.values())))
        summary: Optional[ReferenceSummary] = None
        for start in range(0, max(n, 1), chunk_rows):
            chunk = {name: list(values[start:start + chunk_rows]) for name, values in columns.items()}
            summary = self.upload_reference(model, version, columns=chunk)
        assert summary is not None
        return summary

    def get_reference(self, model: str, version: int) -> ReferenceSummary:
        return from_json(ReferenceSummary, self._call("GET", f"{_v(model, version)}/reference", retry=True))

    def delete_reference(self, model: str, version: int) -> None:
        self._call("DELETE", f"{_v(model, version)}/reference")

    # ------------------------------------------------------------------ samples and labels

    def post_samples(self, model: str, columns: Optional[Mapping[str, Sequence[Any]]] = None, *,
                     rows: Optional[Sequence[Mapping[str, Any]]] = None, version: Optional[int] = None, alias: Optional[str] = None,
                     ids: Optional[Sequence[Optional[str]]] = None, predictions: Optional[Sequence[Any]] = None,
                     labels: Optional[Sequence[Any]] = None, timestamp: Optional[Time] = None,
                     scores: Optional[Sequence[Any]] = None, classes: Optional[Sequence[Any]] = None,
                     idempotency_key: Optional[str] = None) -> SamplesAccepted:
        """Posts one batch of serving samples (at most 10 000 rows), as `columns` or `rows`, aimed
        at a version or an alias (default: the version behind `production`). `predictions` are what the service
        answered (classes, not probabilities); `scores` the probabilities: P(positive class) per row for
        a binary task, or with `classes` one probability per class per row. One Idempotency-Key per batch (a uuid unless given)
        is reused by every retry, so a batch whose answer was lost is stored once."""
        body = _table_body(rows, columns)
        body.update(_drop_none(version=version, alias=alias, timestamp=_ts(timestamp),
                               ids=_list(ids), predictions=_list(predictions), labels=_list(labels),
                               scores=_list(scores), classes=_list(classes)))
        key = idempotency_key or str(uuid.uuid4())
        return from_json(SamplesAccepted, self._call("POST", f"{_m(model)}/samples", body, headers={"Idempotency-Key": key}, retry=True))

    def post_samples_file(self, model: str, source: Source, format: str = "csv", *, version: Optional[int] = None,
                          alias: Optional[str] = None, idempotency_key: Optional[str] = None) -> SamplesAccepted:
        """Posts a batch given as CSV (header row) or an Arrow IPC stream; ids, predictions and
        labels travel in the reserved columns `__id`, `__prediction`, `__label`."""
        opener, repeatable = body_source(source)
        key = idempotency_key or str(uuid.uuid4())
        return from_json(SamplesAccepted, self._call("POST", f"{_m(model)}/samples", query={"version": version, "alias": alias}, data=opener,
                                                     headers={"Content-Type": MEDIA_TYPES[format], "Idempotency-Key": key},
                                                     retry=repeatable))

    def post_labels(self, model: str, labels: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]]) -> LabelsAccepted:
        """Delayed ground truth by sample id: {id: label} or [(id, label)] (at most 10 000).
        Re-posting a label overwrites it, so the call is retried."""
        pairs = labels.items() if isinstance(labels, Mapping) else labels
        items = [{"id": i, "label": label} for i, label in pairs]
        return from_json(LabelsAccepted, self._call("POST", f"{_m(model)}/labels", {"items": items}, retry=True))

    # ------------------------------------------------------------------ monitor and drift

    def get_monitor(self, model: str) -> MonitorView:
        return from_json(MonitorView, self._call("GET", f"{_m(model)}/monitor", retry=True))

    def put_monitor(self, model: str, config: Mapping[str, Any]) -> MonitorView:
        """Sets the monitor (API field names: `window`, `minSamples`, `methods`, `retrain`, …);
        what is left out takes its default."""
        return from_json(MonitorView, self._call("PUT", f"{_m(model)}/monitor", dict(config), retry=True))

    def monitor_status(self, model: str) -> MonitorStatus:
        return from_json(MonitorStatus, self._call("GET", f"{_m(model)}/monitor/status", retry=True))

    def request_drift_report(self, model: str, from_: Time, to: Time, *, version: Optional[int] = None) -> DriftReport:
        """Computes a report over a time range, on demand; poll `get_drift_report` until it is done."""
        body = _drop_none(version=version, **{"from": _ts(from_), "to": _ts(to)})
        return from_json(DriftReport, self._call("POST", f"{_m(model)}/drift-reports", body))

    def list_drift_reports(self, model: str, *, version: Optional[int] = None, from_: Optional[Time] = None,
                           to: Optional[Time] = None, drifted: Optional[bool] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[DriftReport]:
        """The model's reports, newest first (summaries; `get_drift_report` has the features)."""
        query = {"version": version, "from": _ts(from_), "to": _ts(to), "drifted": drifted}
        return Pager(self._t, f"{_m(model)}/drift-reports", lambda j: from_json(DriftReport, j), query, limit, cursor)

    def get_drift_report(self, report_id: int) -> DriftReport:
        return from_json(DriftReport, self._call("GET", f"/drift-reports/{int(report_id)}", retry=True))

    def drift_timeline(self, model: str, feature: Optional[str] = None, *, version: Optional[int] = None,
                       limit: Optional[int] = None) -> Timeline:
        """Per-window PSI, statistic, p-value and verdict per feature, oldest first (at most `limit` windows)."""
        query = {"feature": feature, "version": version, "limit": limit}
        return from_json(Timeline, self._call("GET", f"{_m(model)}/drift/timeline", query=query, retry=True))

