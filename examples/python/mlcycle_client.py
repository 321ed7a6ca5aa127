"""A small mlcycle client for Python, standard library only (urllib).

    from mlcycle_client import Client
    client = Client()  # MLCYCLE_URL / MLCYCLE_TOKEN from the environment
    client.create_model("churn", exist_ok=True)
    v = client.register_version("churn", features=[{"name": "age", "type": "numeric"}],
                                metrics={"auc": 0.91})

Every error the server answers is raised as MlcycleError carrying its problem detail
(code, detail, field errors). Requests that are safe to repeat - sample batches with an
Idempotency-Key, version registration with one - are retried on network errors, 429 and 5xx.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, BinaryIO, Iterable, Mapping, Sequence

__all__ = ["Client", "MlcycleError"]


class MlcycleError(Exception):
    """The server refused a request; `problem` is its application/problem+json body."""

    def __init__(self, status: int, problem: Mapping[str, Any]):
        self.status = status
        self.problem = dict(problem)
        self.code = problem.get("code", "HTTP_ERROR")
        fields = "".join(f"\n  {e.get('path')}: {e.get('message')}" for e in problem.get("errors") or [])
        super().__init__(f"{self.code} ({status}): {problem.get('detail') or problem.get('title', '')}{fields}")


# Worth another try: the request may not have arrived, or the server was briefly unable.
_TRANSIENT_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)
_TRANSIENT_STATUS = {429, 502, 503, 504}


def _quote(segment: Any) -> str:
    return urllib.parse.quote(str(segment), safe="")


class Client:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 30.0, retries: int = 4, backoff: float = 0.25):
        self.base = (url or os.environ.get("MLCYCLE_URL") or "http://127.0.0.1:8080").rstrip("/") + "/api/v1"
        self.token = token or os.environ.get("MLCYCLE_TOKEN")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        #: How many retries were needed so far (serving code may export this as a metric).
        self.retried = 0

    # ---- transport

    def _request(self, method: str, path: str, body: Any = None, *, query: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, data: bytes | BinaryIO | None = None,
                 retry: bool = False) -> tuple[int, Any, Mapping[str, str]]:
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        payload = data
        if body is not None:
            payload = json.dumps(body, allow_nan=False).encode()
            all_headers["Content-Type"] = "application/json"
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            if attempt:
                self.retried += 1
                # Exponential backoff with jitter, so a fleet of servers does not retry in step.
                time.sleep(self.backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
            request = urllib.request.Request(url, data=payload, method=method, headers=all_headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    return response.status, (json.loads(raw) if raw else None), dict(response.headers)
            except urllib.error.HTTPError as error:
                raw = error.read()
                try:
                    problem = json.loads(raw)
                except ValueError:
                    problem = {"title": error.reason, "detail": raw[:300].decode(errors="replace")}
                if retry and error.code in _TRANSIENT_STATUS and attempt + 1 < attempts:
                    continue
                raise MlcycleError(error.code, problem) from None
            except _TRANSIENT_ERRORS:
                if attempt + 1 >= attempts:
                    raise
        raise AssertionError("unreachable")

    # ---- registry

    def create_model(self, name: str, description: str | None = None, exist_ok: bool = False) -> dict:
        try:
            return self._request("POST", "/models", {"name": name, **({"description": description} if description else {})})[1]
        except MlcycleError as error:
            if exist_ok and error.code == "MODEL_EXISTS":
                return self._request("GET", f"/models/{_quote(name)}")[1]
            raise

    def register_version(self, model: str, features: Sequence[Mapping[str, str]], *, metrics: Mapping[str, float] | None = None,
                         params: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None,
                         description: str | None = None, run_id: str | None = None, idempotency_key: str | None = None,
                         task: Mapping[str, Any] | None = None) -> dict:
        """Registers the next version. With an idempotency key (say, the training run's id) a
        retried call returns the version the first call created instead of a second one. `task`
        ({"type": "classification", "positive": 1} or {"type": "regression"}) is what drift reports
        compute performance for; without it they say performance is off."""
        body: dict[str, Any] = {"features": list(features)}
        for key, value in (("metrics", metrics), ("params", params), ("tags", tags), ("description", description), ("runId", run_id), ("task", task)):
            if value is not None:
                body[key] = value
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._request("POST", f"/models/{_quote(model)}/versions", body, headers=headers, retry=idempotency_key is not None)[1]

    def get_version(self, model: str, version: int | str) -> dict:
        """A version by number, or by alias ("production", "latest")."""
        if isinstance(version, int) or str(version).isdigit():
            return self._request("GET", f"/models/{_quote(model)}/versions/{int(version)}")[1]
        return self._request("GET", f"/models/{_quote(model)}/aliases/{_quote(version)}")[1]

    def set_alias(self, model: str, alias: str, version: int) -> dict:
        return self._request("PUT", f"/models/{_quote(model)}/aliases/{_quote(alias)}", {"version": version})[1]

    # ---- artifacts

    def _artifact_path(self, model: str, version: int, path: str) -> str:
        return f"/models/{_quote(model)}/versions/{int(version)}/artifacts/" + "/".join(_quote(p) for p in path.split("/"))

    def upload_artifact(self, model: str, version: int, path: str, file: str) -> dict:
        """Streams the file (urllib sends a file object in blocks when given its length) and checks
        the sha256 the server computed against the file's own."""
        digest = _sha256_file(file)
        size = os.path.getsize(file)
        with open(file, "rb") as f:
            artifact = self._request("PUT", self._artifact_path(model, version, path), data=f,
                                     headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})[1]
        if artifact["sha256"] != digest:
            raise IOError(f"upload of {file} corrupted: server has sha256 {artifact['sha256']}, file has {digest}")
        return artifact

    def download_artifact(self, model: str, version: int, path: str, dest: str) -> str:
        """Streams an artifact to `dest` and verifies it against X-Artifact-Sha256; returns the sha256."""
        request = urllib.request.Request(self.base + self._artifact_path(model, version, path),
                                         headers={"Authorization": f"Bearer {self.token}"} if self.token else {})
        digest = hashlib.sha256()
        partial = dest + ".part"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response, open(partial, "wb") as out:
                expected = response.headers.get("X-Artifact-Sha256")
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
        except urllib.error.HTTPError as error:
            raise MlcycleError(error.code, json.loads(error.read() or b"{}")) from None
        if digest.hexdigest() != expected:
            os.remove(partial)
            raise IOError(f"sha256 mismatch for {path}: expected {expected}, got {digest.hexdigest()}")
        os.replace(partial, dest)
        return digest.hexdigest()

    # ---- monitoring

    def push_reference(self, model: str, version: int, columns: Mapping[str, Sequence[Any]], chunk_rows: int = 50_000) -> dict:
        """Appends reference (training) data, column-wise, in chunks."""
        n = len(next(iter(columns.values())))
        summary: dict = {}
        for start in range(0, n, chunk_rows):
            chunk = {name: list(values[start:start + chunk_rows]) for name, values in columns.items()}
            summary = self._request("POST", f"/models/{_quote(model)}/versions/{int(version)}/reference", {"columns": chunk})[1]
        return summary

    def post_samples(self, model: str, columns: Mapping[str, Sequence[Any]], *, version: int | None = None, alias: str | None = None,
                     ids: Sequence[str] | None = None, predictions: Sequence[Any] | None = None, labels: Sequence[Any] | None = None,
                     scores: Sequence[Any] | None = None, classes: Sequence[Any] | None = None,
                     idempotency_key: str | None = None) -> dict:
        """Posts one batch (at most 10 000 rows). The Idempotency-Key is made once per batch and
        reused by every retry, so a batch whose answer was lost is stored once, not twice.
        `predictions` are class labels (classification) or numbers (regression); `scores` are
        P(positive class) per row, or with `classes` one probability per class per row."""
        body: dict[str, Any] = {"columns": {k: list(v) for k, v in columns.items()}}
        for key, value in (("version", version), ("alias", alias), ("ids", ids), ("predictions", predictions), ("labels", labels),
                           ("scores", scores), ("classes", classes)):
            if value is not None:
                body[key] = list(value) if isinstance(value, (list, tuple)) else value
        key = idempotency_key or str(uuid.uuid4())
        return self._request("POST", f"/models/{_quote(model)}/samples", body, headers={"Idempotency-Key": key}, retry=True)[1]

    def post_labels(self, model: str, labels: Iterable[tuple[str, Any]]) -> dict:
        """Delayed ground truth, joined to earlier samples by id. Re-posting a label overwrites it,
        so retrying is safe."""
        items = [{"id": i, "label": label} for i, label in labels]
        return self._request("POST", f"/models/{_quote(model)}/labels", {"items": items}, retry=True)[1]


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
