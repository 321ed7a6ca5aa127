"""Models, versions, metrics, aliases and model URIs, artifacts."""

from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Union

from ._base import UNSET, FeatureSpec, HashingReader, Part, _artifact_path, _drop_none, _features, _m, _sha256_of, _tags_query, _v
from .errors import ApiError, ChecksumError
from .results import AliasMove, Artifact, DownloadedArtifact, Event, Lineage, Metric, Model, Version, from_json
from .transport import Pager, Source, body_source, quote
from .uri import ModelRef, parse_model_uri


class RegistryPart(Part):
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
                    limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Model]:
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

    def list_model_events(self, name: str, type: Optional[str] = None, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Event]:
        """The model's audit log, newest first."""
        return Pager(self._t, f"{_m(name)}/events", lambda j: from_json(Event, j), {"type": type}, limit, cursor)

    # ------------------------------------------------------------------ versions

    def register_version(self, model: str, features: Iterable[FeatureSpec], *, metrics: Optional[Mapping[str, float]] = None,
                         params: Optional[Mapping[str, Any]] = None, tags: Optional[Mapping[str, str]] = None,
                         description: Optional[str] = None, run_id: Optional[str] = None, git_commit: Optional[str] = None,
                         artifact_uri: Optional[str] = None, parent_version: Optional[int] = None,
                         task: Optional[Mapping[str, Any]] = None, idempotency_key: Optional[str] = None) -> Version:
        """Registers the model's next version. `features`: [{"name", "type": "numeric"|"categorical",
        "role"?: "feature"|"id"|"timestamp"}] or (name, type) tuples. With an idempotency key (say
        the training run's id) a repeated call returns the version the first one created, so the
        call is retried on network errors. `task` ({"type": "classification", "positive": 1} or
        {"type": "regression"}) is what drift reports compute performance for; without it they say
        performance is off."""
        body = _drop_none(features=_features(features), metrics=metrics, params=params, tags=tags, description=description,
                          runId=run_id, gitCommit=git_commit, artifactUri=artifact_uri, parentVersion=parent_version, task=task)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return from_json(Version, self._call("POST", f"{_m(model)}/versions", body, headers=headers, retry=idempotency_key is not None))

    def get_version(self, model: str, version: Union[int, str]) -> Version:
        """A version by number, or by alias (`production`, `latest`, `v3`)."""
        if isinstance(version, int) and not isinstance(version, bool):
            return from_json(Version, self._call("GET", _v(model, version), retry=True))
        return self.get_alias(model, str(version))

    def list_versions(self, model: str, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Version]:
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

    def list_metrics(self, model: str, version: int, key: Optional[str] = None, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Metric]:
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
        stream = None if isinstance(source, (bytes, bytearray, str, os.PathLike)) else HashingReader(source)
        opener, repeatable = body_source(stream if stream is not None else source)
        expected = _sha256_of(source) if stream is None else None
        artifact = from_json(Artifact, self._call("PUT", _artifact_path(model, version, path), data=opener,
                                                  headers={"Content-Type": content_type}, retry=repeatable))
        if stream is not None:
            expected = stream.hexdigest()  # of the bytes the upload read
        if artifact.sha256 != expected:
            raise ChecksumError(f"upload of {path}", expected, artifact.sha256)
        return artifact

    def list_artifacts(self, model: str, version: int, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Pager[Artifact]:
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

