"""Typed results: one dataclass per API object, built from the server's JSON.

Field names are the API's in snake_case (`latestVersion` → `latest_version`; `from` → `from_`).
Every object keeps the JSON it came from in `raw`, so a field a newer server adds is never lost.
Timestamps stay ISO-8601 strings as the server sent them (UTC); `parse_time` turns one into a
`datetime`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Type, TypeVar, Union

T = TypeVar("T")
JSON = Dict[str, Any]


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """An API timestamp (`2026-01-31T12:00:00.000Z`) as an aware datetime; None stays None."""
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# Nested objects per class: field name → converter of its JSON value (None is passed through).
_NESTED: Dict[type, Dict[str, Callable[[Any], Any]]] = {}


def from_json(cls: Type[T], data: Mapping[str, Any]) -> T:
    """Builds `cls` from an API object; absent keys become None, unknown keys stay in `raw`."""
    nested = _NESTED.get(cls, {})
    kwargs: Dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "raw":
            continue
        value = data.get(_camel(f.name))
        convert = nested.get(f.name)
        kwargs[f.name] = convert(value) if convert is not None and value is not None else value
    return cls(**kwargs, raw=dict(data))  # type: ignore[call-arg]


def _one(cls: type) -> Callable[[Any], Any]:
    return lambda value: from_json(cls, value)


def _many(cls: type) -> Callable[[Any], Any]:
    return lambda values: [from_json(cls, v) for v in values]


def _nest(cls: type, **converters: Callable[[Any], Any]) -> None:
    _NESTED[cls] = converters


def _raw() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


# ---- registry


@dataclass
class Feature:
    name: str
    type: str
    role: Optional[str]
    raw: JSON = _raw()

    def to_json(self) -> JSON:
        return {"name": self.name, "type": self.type, **({"role": self.role} if self.role else {})}


@dataclass
class Model:
    name: str
    description: Optional[str]
    tags: Dict[str, str]
    latest_version: Optional[int]
    aliases: Dict[str, int]
    created_at: str
    updated_at: str
    raw: JSON = _raw()


@dataclass
class ReferenceInfo:
    """A version's reference profile in brief (`Version.reference`)."""

    rows: int
    source: str
    sha256: str
    updated_at: str
    raw: JSON = _raw()


@dataclass
class Version:
    model: str
    version: int
    description: Optional[str]
    features: List[Feature]
    artifact_uri: Optional[str]
    run_id: Optional[str]
    git_commit: Optional[str]
    parent_version: Optional[int]
    tags: Dict[str, str]
    params: Dict[str, Union[str, float, bool]]
    metrics: Dict[str, float]
    aliases: List[str]
    reference: Optional[ReferenceInfo]
    created_by: Optional[str]
    created_at: str
    updated_at: str
    #: {"type": "classification", "positive"?: label} or {"type": "regression"}; None: not declared.
    task: Optional[Dict[str, Any]] = None
    raw: JSON = _raw()

    @property
    def uri(self) -> str:
        return f"mlcycle://models/{self.model}/{self.version}"


_nest(Version, features=_many(Feature), reference=_one(ReferenceInfo))


@dataclass
class Metric:
    key: str
    value: float
    step: int
    timestamp: str
    raw: JSON = _raw()


@dataclass
class AliasMove:
    """The answer to setting an alias: where it points now and where it pointed before."""

    alias: str
    version: int
    previous_version: Optional[int]
    raw: JSON = _raw()


@dataclass
class Artifact:
    path: str
    size: int
    sha256: str
    content_type: str
    created_at: str
    raw: JSON = _raw()


@dataclass
class DownloadedArtifact:
    """An artifact written to `path` whose bytes matched the server's X-Artifact-Sha256."""

    path: str
    size: int
    sha256: str
    raw: JSON = _raw()


# ---- monitoring


@dataclass
class ReferenceSummary:
    model: str
    version: int
    rows: int
    chunks: int
    sha256: str
    size: int
    updated_at: str
    features: List[JSON]
    raw: JSON = _raw()


@dataclass
class SamplesAccepted:
    accepted: int
    batch_id: str
    version: int
    windows_completed: int
    raw: JSON = _raw()


@dataclass
class LabelsAccepted:
    accepted: int
    unmatched: List[str]
    raw: JSON = _raw()


@dataclass
class ReportWindow:
    kind: str
    key: str
    seq_from: Optional[int]
    seq_to: Optional[int]
    from_: Optional[str]
    to: Optional[str]
    raw: JSON = _raw()


@dataclass
class DriftReport:
    """A drift report. From a list: the summary; from `get_drift_report`: with `features`
    (per-feature tests, PSI, histograms), `performance` and `options`."""

    id: int
    model: str
    version: int
    window: ReportWindow
    status: str
    sample_count: Optional[int]
    dataset_drift: Optional[bool]
    drift_share: Optional[float]
    drifted_features: Optional[List[str]]
    performance: Optional[Any]
    features: Optional[List[JSON]]
    options: Optional[Any]
    reference_version: Optional[int]
    error: Optional[str]
    failure_reason: Optional[str]
    created_at: str
    completed_at: Optional[str]
    raw: JSON = _raw()


_nest(DriftReport, window=_one(ReportWindow))


@dataclass
class FeaturePoint:
    name: str
    drifted: bool
    status: str
    psi: Optional[float]
    statistic: Optional[float]
    p_value: Optional[float]
    raw: JSON = _raw()


@dataclass
class TimelinePoint:
    report_id: int
    version: int
    reference_version: int
    from_: Optional[str]
    to: Optional[str]
    dataset_drift: bool
    drift_share: float
    features: List[FeaturePoint]
    raw: JSON = _raw()


_nest(TimelinePoint, features=_many(FeaturePoint))


@dataclass
class Timeline:
    """Per-window drift of a model, oldest first."""

    model: str
    points: List[TimelinePoint]
    raw: JSON = _raw()


_nest(Timeline, points=_many(TimelinePoint))


@dataclass
class MonitorView:
    """`config` is what was set (camelCase keys, as sent); `effective` has every default filled in."""

    model: str
    config: JSON
    effective: JSON
    updated_at: Optional[str]
    raw: JSON = _raw()


@dataclass
class MonitorStatus:
    model: str
    state: str
    reason: Optional[str]
    message: Optional[str]
    report_id: Optional[int]
    version: Optional[int]
    last_report_at: Optional[str]
    raw: JSON = _raw()


# ---- retraining


@dataclass
class Evaluation:
    rows: int
    metric: str
    champion: Optional[float]
    challenger: Optional[float]
    p_value: Optional[float]
    test: Optional[str]
    alpha: float
    min_improvement: float
    champion_version: Optional[int]
    decision: str
    alias: str
    reason: str
    raw: JSON = _raw()


@dataclass
class RetrainJob:
    id: int
    model: str
    base_version: Optional[int]
    trigger: str
    trigger_report_id: Optional[int]
    requested_by: Optional[str]
    status: str
    attempts: int
    executor: JSON
    dataset_uri: Optional[str]
    result_version: Optional[int]
    evaluation: Optional[Evaluation]
    log_tail: Optional[str]
    error: Optional[str]
    created_at: str
    started_at: Optional[str]
    finished_at: Optional[str]
    raw: JSON = _raw()

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


_nest(RetrainJob, evaluation=_one(Evaluation))


@dataclass
class LineageLink:
    version: int
    parent_version: Optional[int]
    drift_report_id: Optional[int]
    retrain_job: Optional[JSON]
    created_at: str
    raw: JSON = _raw()


@dataclass
class Lineage:
    model: str
    version: int
    chain: List[LineageLink]
    raw: JSON = _raw()


_nest(Lineage, chain=_many(LineageLink))


# ---- events


@dataclass
class Actor:
    key_id: str
    name: Optional[str]
    raw: JSON = _raw()


@dataclass
class Event:
    id: int
    type: str
    model: Optional[str]
    model_id: Optional[int]
    data: JSON
    actor: Optional[Actor]
    created_at: str
    raw: JSON = _raw()


_nest(Event, actor=_one(Actor))


# ---- access and outbound webhooks


@dataclass
class ApiKey:
    """An API key; `token` is set only in the answer that created it (it is never shown again)."""

    id: str
    name: str
    scopes: List[str]
    created_at: str
    last_used_at: Optional[str]
    token: Optional[str]
    raw: JSON = _raw()


@dataclass
class Webhook:
    """A webhook subscription; `secret` (to verify signatures) only in the answer that created it."""

    id: int
    url: str
    events: List[str]
    description: Optional[str]
    created_at: str
    secret: Optional[str]
    raw: JSON = _raw()


@dataclass
class WebhookDelivery:
    id: int
    webhook_id: int
    message_id: str
    event_type: str
    status: str
    attempts: int
    response_code: Optional[int]
    latency_ms: Optional[int]
    last_error: Optional[str]
    created_at: str
    delivered_at: Optional[str]
    raw: JSON = _raw()
