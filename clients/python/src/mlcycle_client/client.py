"""The mlcycle client: registry, artifacts, monitoring data, drift, retraining, events."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import ApiError, ChecksumError
from .transport import Pager, Source, Transport, body_source, quote, timestamp
from .results import (
    AliasMove,
    Artifact,
    DownloadedArtifact,
    DriftReport,
    Event,
    LabelsAccepted,
    Lineage,
    Metric,
    Model,
    MonitorStatus,
    MonitorView,
    ReferenceSummary,
    RetrainJob,
    SamplesAccepted,
    Timeline,
    Version,
    from_json,
)
from .uri import ModelRef, parse_model_uri

#: Media types of raw sample and reference bodies.
MEDIA_TYPES = {"csv": "text/csv", "arrow": "application/vnd.apache.arrow.stream", "json": "application/json"}
Time = Union[str, datetime]
FeatureSpec = Union[Mapping[str, Any], Tuple[str, str]]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _m(name: str) -> str:
    return f"/models/{quote(name)}"


def _v(name: str, version: int) -> str:
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be an int, got {version!r} (resolve aliases with get_version or resolve)")
    return f"{_m(name)}/versions/{version}"


def _artifact_path(name: str, version: int, path: str) -> str:
    return f"{_v(name, version)}/artifacts/" + "/".join(quote(p) for p in path.split("/"))


def _drop_none(**values: Any) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _features(features: Iterable[FeatureSpec]) -> List[Dict[str, Any]]:
    out = []
    for f in features:
        if isinstance(f, tuple):
            out.append({"name": f[0], "type": f[1]})
        elif hasattr(f, "to_json"):
            out.append(f.to_json())  # a Feature from another version
        else:
            out.append(dict(f))
    return out


def _tags_query(tag: Union[None, str, Sequence[str], Mapping[str, str]]) -> Optional[List[str]]:
    if tag is None:
        return None
    if isinstance(tag, str):
        return [tag]
    if isinstance(tag, Mapping):
        return [f"{k}:{v}" for k, v in tag.items()]
    return list(tag)


def _sha256_of(source: Union[bytes, bytearray, str, "os.PathLike[str]"]) -> str:
    if isinstance(source, (bytes, bytearray)):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with open(source, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _HashingReader:
    """A caller's binary stream, hashed as the upload reads it (size via its fileno, if any)."""

    def __init__(self, stream: Any):
        self._stream = stream
        self._digest = hashlib.sha256()

    def read(self, *args: Any) -> bytes:
        block = self._stream.read(*args)
        self._digest.update(block)
        return block

    def fileno(self) -> int:
        return self._stream.fileno()

    def tell(self) -> int:
        return self._stream.tell()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _table_body(rows: Optional[Sequence[Mapping[str, Any]]], columns: Optional[Mapping[str, Sequence[Any]]]) -> Dict[str, Any]:
    if (rows is None) == (columns is None):
        raise ValueError("give either rows=[{feature: value}, …] or columns={feature: [values]}")
    if rows is not None:
        return {"rows": [dict(r) for r in rows]}
    return {"columns": {k: list(v) for k, v in columns.items()}}  # type: ignore[union-attr]


class Client:
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

    def _call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self._t.request(method, path, body, **kwargs).body

    # ------------------------------------------------------------------ models

    def create_model(self, name: str, description: Optional[str] = None, tags: Optional[Mapping[str, str]] = None, *,
                     exist_ok: bool = False) -> Model:
        """Creates a model; with `exist_ok` an existing one of that name is returned instead (409 MODEL_EXISTS)."""
        try:
            return from_json(Model, self._call("POST", "/models", _drop_none(name=name, description=description, tags=tags)))
        except ApiError as error:
            if exist_ok and error.code == "MODEL_EXISTS":
                return self.get_model(name)
            raise

    def get_model(self, name: str) -> Model:
        return from_json(Model, self._call("GET", _m(name), retry=True))

    def list_models(self, q: Optional[str] = None, tag: Union[None, str, Sequence[str], Mapping[str, str]] = None, *,
                    limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[Model]:
        """Every model (q searches name and description; tag="k:v", a list of them, or {k: v} filters).
        On every list method `limit` is the page size and `cursor` resumes after a page's `next_cursor`."""
        return Pager(self._t, "/models", lambda j: from_json(Model, j), {"q": q, "tag": _tags_query(tag)}, limit, cursor)

    def update_model(self, name: str, *, description: Optional[str] = UNSET, tags: Optional[Mapping[str, str]] = None) -> Model:
        """Changes the description (None clears it) and/or replaces the tags whole."""
        body: Dict[str, Any] = {} if description is UNSET else {"description": description}
        if tags is not None:
            body["tags"] = dict(tags)
        return from_json(Model, self._call("PATCH", _m(name), body))

    def delete_model(self, name: str) -> None:
        """Deletes the model with its versions, aliases, artifacts and monitoring data."""
        self._call("DELETE", _m(name))

    def list_model_events(self, name: str, type: Optional[str] = None, *, limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[Event]:
        """The model's audit log, newest first."""
        return Pager(self._t, f"{_m(name)}/events", lambda j: from_json(Event, j), {"type": type}, limit, cursor)

    # ------------------------------------------------------------------ versions

    def register_version(self, model: str, features: Iterable[FeatureSpec], *, metrics: Optional[Mapping[str, float]] = None,
                         params: Optional[Mapping[str, Any]] = None, tags: Optional[Mapping[str, str]] = None,
                         description: Optional[str] = None, run_id: Optional[str] = None, git_commit: Optional[str] = None,
                         artifact_uri: Optional[str] = None, parent_version: Optional[int] = None,
                         idempotency_key: Optional[str] = None) -> Version:
        """Registers the model's next version. `features`: [{"name", "type": "numeric"|"categorical",
        "role"?: "feature"|"id"|"timestamp"}] or (name, type) tuples. With an idempotency key (say
        the training run's id) a repeated call returns the version the first one created, so the
        call is retried on network errors."""
        body = _drop_none(features=_features(features), metrics=metrics, params=params, tags=tags, description=description,
                          runId=run_id, gitCommit=git_commit, artifactUri=artifact_uri, parentVersion=parent_version)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return from_json(Version, self._call("POST", f"{_m(model)}/versions", body, headers=headers, retry=idempotency_key is not None))

    def get_version(self, model: str, version: Union[int, str]) -> Version:
        """A version by number, or by alias (`production`, `latest`, `v3`)."""
        if isinstance(version, int) and not isinstance(version, bool):
            return from_json(Version, self._call("GET", _v(model, version), retry=True))
        return self.get_alias(model, str(version))

    def list_versions(self, model: str, *, limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[Version]:
        return Pager(self._t, f"{_m(model)}/versions", lambda j: from_json(Version, j), None, limit, cursor)

    def update_version(self, model: str, version: int, *, description: Optional[str] = UNSET,
                       tags: Optional[Mapping[str, str]] = None) -> Version:
        body: Dict[str, Any] = {} if description is UNSET else {"description": description}
        if tags is not None:
            body["tags"] = dict(tags)
        return from_json(Version, self._call("PATCH", _v(model, version), body))

    def log_metrics(self, model: str, version: int, metrics: Union[Mapping[str, float], Iterable[Mapping[str, Any]]], *,
                    step: Optional[int] = None) -> int:
        """Appends metric points: {key: value} (with one `step`), or [{key, value, step?, timestamp?}].
        Returns how many points were stored."""
        if isinstance(metrics, Mapping):
            points = [_drop_none(key=k, value=v, step=step) for k, v in metrics.items()]
        else:
            points = [dict(p) for p in metrics]
        return int(self._call("POST", f"{_v(model, version)}/metrics", {"metrics": points})["accepted"])

    def list_metrics(self, model: str, version: int, key: Optional[str] = None, *, limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[Metric]:
        return Pager(self._t, f"{_v(model, version)}/metrics", lambda j: from_json(Metric, j), {"key": key}, limit, cursor)

    def get_lineage(self, model: str, version: int) -> Lineage:
        """The chain back to the first version, each link with its drift report and retrain job."""
        return from_json(Lineage, self._call("GET", f"{_v(model, version)}/lineage", retry=True))

    # ------------------------------------------------------------------ aliases and URIs

    def set_alias(self, model: str, alias: str, version: int) -> AliasMove:
        return from_json(AliasMove, self._call("PUT", f"{_m(model)}/aliases/{quote(alias)}", {"version": version}, retry=True))

    def get_alias(self, model: str, alias: str) -> Version:
        """The version an alias points at (`latest` = the highest, `v3` = version 3)."""
        return from_json(Version, self._call("GET", f"{_m(model)}/aliases/{quote(alias)}", retry=True))

    def delete_alias(self, model: str, alias: str) -> None:
        self._call("DELETE", f"{_m(model)}/aliases/{quote(alias)}")

    def resolve(self, uri: Union[str, ModelRef]) -> Version:
        """The version a model URI names: `mlcycle://models/churn@production`,
        `mlcycle://models/churn/3`, or MLflow's `models:/churn@production` / `models:/churn/3`."""
        ref = uri if isinstance(uri, ModelRef) else parse_model_uri(uri)
        if ref.version is not None:
            return self.get_version(ref.name, ref.version)
        return self.get_alias(ref.name, ref.alias or "latest")

    # ------------------------------------------------------------------ artifacts

    def upload_artifact(self, model: str, version: int, path: str, source: Source, *,
                        content_type: str = "application/octet-stream") -> Artifact:
        """Uploads `source` (a file path — streamed —, bytes, or a binary file object) as the
        artifact `path` (may contain `/`). The sha256 the server computed is checked against the
        local bytes' (a stream is hashed as it is sent); a mismatch raises ChecksumError."""
        stream = None if isinstance(source, (bytes, bytearray, str, os.PathLike)) else _HashingReader(source)
        opener, repeatable = body_source(stream if stream is not None else source)
        expected = _sha256_of(source) if stream is None else None
        artifact = from_json(Artifact, self._call("PUT", _artifact_path(model, version, path), data=opener,
                                                  headers={"Content-Type": content_type}, retry=repeatable))
        if stream is not None:
            expected = stream.hexdigest()  # of the bytes the upload read
        if artifact.sha256 != expected:
            raise ChecksumError(f"upload of {path}", expected, artifact.sha256)
        return artifact

    def list_artifacts(self, model: str, version: int, *, limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[Artifact]:
        return Pager(self._t, f"{_v(model, version)}/artifacts", lambda j: from_json(Artifact, j), None, limit, cursor)

    def download_artifact(self, model: str, version: int, path: str, dest: Union[str, "os.PathLike[str]"]) -> DownloadedArtifact:
        """Streams an artifact to `dest`, verifying it against the X-Artifact-Sha256 header. The
        bytes go to `dest + ".part"` first: on a mismatch (ChecksumError) `dest` is not written."""
        dest = os.fspath(dest)
        partial = dest + ".part"
        digest = hashlib.sha256()
        size = 0
        try:
            with self._t.open(_artifact_path(model, version, path)) as response, open(partial, "wb") as out:
                expected = response.headers.get("X-Artifact-Sha256")
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
            if digest.hexdigest() != expected:
                raise ChecksumError(path, expected, digest.hexdigest())
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        os.replace(partial, dest)
        return DownloadedArtifact(dest, size, digest.hexdigest(), raw={"sha256": expected, "size": size})

    def read_artifact(self, model: str, version: int, path: str) -> bytes:
        """An artifact's bytes in memory, verified against X-Artifact-Sha256."""
        with self._t.open(_artifact_path(model, version, path)) as response:
            expected = response.headers.get("X-Artifact-Sha256")
            data = response.read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise ChecksumError(path, expected, actual)
        return data

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
                     idempotency_key: Optional[str] = None) -> SamplesAccepted:
        """Posts one batch of serving samples (at most 10 000 rows), as `columns` or `rows`, aimed
        at a version or an alias (default: the version behind `production`). `predictions` are what the service
        answered (classes, not probabilities). One Idempotency-Key per batch (a uuid unless given)
        is reused by every retry, so a batch whose answer was lost is stored once."""
        body = _table_body(rows, columns)
        body.update(_drop_none(version=version, alias=alias, timestamp=_ts(timestamp),
                               ids=_list(ids), predictions=_list(predictions), labels=_list(labels)))
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
                           to: Optional[Time] = None, drifted: Optional[bool] = None, limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[DriftReport]:
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
                          limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[RetrainJob]:
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
                    limit: Optional[int] = None,
                    cursor: Optional[str] = None) -> Pager[Event]:
        """The audit log across models, newest first; filter by model name and event type."""
        query = {"model": model, "type": type, "includeDeleted": include_deleted}
        return Pager(self._t, "/events", lambda j: from_json(Event, j), query, limit, cursor)


def _ts(value: Optional[Time]) -> Optional[str]:
    return timestamp(value)


def _list(values: Optional[Sequence[Any]]) -> Optional[List[Any]]:
    return None if values is None else list(values)
