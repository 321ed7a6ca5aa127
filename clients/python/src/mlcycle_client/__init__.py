"""mlcycle_client: the Python client of mlcycle (standard library only).

    from mlcycle_client import Client, ApiError
    client = Client("http://127.0.0.1:8080", token)      # or Client(): MLCYCLE_URL / MLCYCLE_TOKEN
    model = client.create_model("churn", exist_ok=True)
    v = client.register_version("churn", [("age", "numeric"), ("plan", "categorical")], metrics={"auc": 0.91})
    for report in client.list_drift_reports("churn", drifted=True):
        print(report.id, report.drift_share)
    client.resolve("mlcycle://models/churn@production").version
"""

from .client import MEDIA_TYPES, UNSET, Client
from .errors import ApiError, ChecksumError, FieldError, InvalidModelUri, MlcycleError
from .transport import Page, Pager
from .results import (
    Actor,
    ApiKey,
    AliasMove,
    Artifact,
    DownloadedArtifact,
    DriftReport,
    Evaluation,
    Event,
    Feature,
    FeaturePoint,
    LabelsAccepted,
    Lineage,
    LineageLink,
    Metric,
    Model,
    MonitorStatus,
    MonitorView,
    ReferenceInfo,
    ReferenceSummary,
    ReportWindow,
    RetrainJob,
    SamplesAccepted,
    Timeline,
    TimelinePoint,
    Version,
    Webhook,
    WebhookDelivery,
    parse_time,
)
from .uri import ModelRef, parse_model_uri

__version__ = "0.2.0"

__all__ = [
    "Actor", "AliasMove", "ApiError", "ApiKey", "Artifact", "ChecksumError", "Client", "DownloadedArtifact", "DriftReport", "Evaluation",
    "Event", "Feature", "FeaturePoint", "FieldError", "InvalidModelUri", "LabelsAccepted", "Lineage", "LineageLink", "MEDIA_TYPES",
    "Metric", "MlcycleError", "Model", "ModelRef", "MonitorStatus", "MonitorView", "Page", "Pager", "ReferenceInfo",
    "ReferenceSummary", "ReportWindow", "RetrainJob", "SamplesAccepted", "Timeline", "TimelinePoint", "UNSET", "Version", "Webhook", "WebhookDelivery",
    "parse_model_uri", "parse_time",
]
