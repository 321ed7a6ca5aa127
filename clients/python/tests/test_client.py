"""mlcycle_client against a live server (standard library unittest).

    MLCYCLE_URL=http://127.0.0.1:8080 MLCYCLE_TOKEN=... python3 -m unittest discover -s clients/python/tests

`test/e2e/python-client.test.ts` starts a server, installs the package into a fresh venv and runs
this file with that venv's python. MLCYCLE_ARROW_FILE, when set, is an Arrow IPC stream with the
columns x (float), c (string), __id (string), written by that test with apache-arrow.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import random
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

from mlcycle_client import (
    AliasMove,
    ApiError,
    ApiKey,
    ChecksumError,
    Client,
    DriftReport,
    InvalidModelUri,
    Model,
    ModelRef,
    MonitorView,
    Pager,
    RetrainJob,
    Version,
    Webhook,
    parse_model_uri,
    parse_time,
)

URL = os.environ.get("MLCYCLE_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("MLCYCLE_TOKEN")
RUN = uuid.uuid4().hex[:8]
FEATURES = [{"name": "x", "type": "numeric"}, {"name": "c", "type": "categorical"}]


def name(suffix: str) -> str:
    return f"py-{RUN}-{suffix}"


def eventually(check, timeout: float = 60.0, interval: float = 0.2):
    """Polls `check` until it returns something truthy (the server's jobs run in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s: {check}")
        time.sleep(interval)


class ClientTestCase(unittest.TestCase):
    client: Client

    @classmethod
    def setUpClass(cls) -> None:
        if not TOKEN:
            raise unittest.SkipTest("MLCYCLE_TOKEN is not set")
        cls.client = Client(URL, TOKEN, retries=2, backoff=0.05)

    def new_model(self, suffix: str, versions: int = 1) -> str:
        model = name(suffix)
        self.client.create_model(model)
        for _ in range(versions):
            self.client.register_version(model, FEATURES)
        return model


class ModelsTest(ClientTestCase):
    def test_create_get_update_delete(self) -> None:
        model = name("crud")
        created = self.client.create_model(model, "first", {"team": "risk"})
        self.assertIsInstance(created, Model)
        self.assertEqual((created.name, created.description, created.tags, created.latest_version, created.aliases), (model, "first", {"team": "risk"}, None, {}))
        self.assertIsNotNone(parse_time(created.created_at).tzinfo)
        self.assertEqual(self.client.get_model(model), created)

        with self.assertRaises(ApiError) as dup:
            self.client.create_model(model)
        self.assertEqual((dup.exception.status, dup.exception.code), (409, "MODEL_EXISTS"))
        self.assertEqual(self.client.create_model(model, exist_ok=True).name, model)

        updated = self.client.update_model(model, description="second", tags={"team": "growth", "tier": "1"})
        self.assertEqual((updated.description, updated.tags), ("second", {"team": "growth", "tier": "1"}))
        # description=None clears it; tags left out stay.
        cleared = self.client.update_model(model, description=None)
        self.assertEqual((cleared.description, cleared.tags), (None, {"team": "growth", "tier": "1"}))

        self.client.delete_model(model)
        with self.assertRaises(ApiError) as gone:
            self.client.get_model(model)
        self.assertEqual((gone.exception.status, gone.exception.code), (404, "MODEL_NOT_FOUND"))
        # The name is free again.
        self.assertIsNone(self.client.create_model(model).latest_version)

    def test_list_iterates_every_page_with_search_and_tags(self) -> None:
        names = [name(f"list-{i}") for i in range(5)]
        for i, n in enumerate(names):
            self.client.create_model(n, f"listing model {i}", {"run": RUN, "parity": "even" if i % 2 == 0 else "odd"})
        pager = self.client.list_models(tag=f"run:{RUN}", limit=2)
        self.assertIsInstance(pager, Pager)
        pages = list(pager.pages())
        self.assertEqual([len(p.items) for p in pages], [2, 2, 1])
        self.assertIsNotNone(pages[0].next_cursor)
        self.assertIsNone(pages[-1].next_cursor)
        self.assertEqual([m.name for m in pager], sorted(names))
        # A saved cursor resumes after its page.
        self.assertEqual([m.name for m in self.client.list_models(tag=f"run:{RUN}", limit=2, cursor=pages[0].next_cursor)], sorted(names)[2:])
        # Iterating again fetches again: a Pager is not a one-shot generator.
        self.assertEqual(len(list(pager)), 5)
        self.assertEqual([m.name for m in self.client.list_models(tag={"run": RUN, "parity": "even"}, limit=1)], [names[0], names[2], names[4]])
        self.assertEqual([m.name for m in self.client.list_models(q=f"py-{RUN}-list-3")], [names[3]])

    def test_bad_input_raises_api_error_naming_the_field(self) -> None:
        with self.assertRaises(ApiError) as bad:
            self.client.create_model("not a name!")
        error = bad.exception
        self.assertEqual((error.status, error.code, error.field), (400, "VALIDATION_FAILED", "name"))
        self.assertIn("name", error.detail)
        self.assertEqual(error.problem["status"], 400)
        self.assertIn("VALIDATION_FAILED (400)", str(error))
        with self.assertRaises(ApiError) as cursor:
            self.client.list_models(limit=1, cursor="forged").first_page()
        self.assertEqual((cursor.exception.code, cursor.exception.field), ("INVALID_CURSOR", "cursor"))

    def test_a_bad_token_is_unauthenticated(self) -> None:
        with self.assertRaises(ApiError) as denied:
            Client(URL, "wrong-token").get_model("anything")
        self.assertEqual((denied.exception.status, denied.exception.code), (401, "UNAUTHENTICATED"))


class VersionsTest(ClientTestCase):
    def test_register_get_list_update_metrics(self) -> None:
        model = name("versions")
        self.client.create_model(model)
        v1 = self.client.register_version(
            model, [("x", "numeric"), ("c", "categorical"), {"name": "rid", "type": "categorical", "role": "id"}],
            metrics={"auc": 0.91}, params={"lr": 0.05, "optimizer": "adam", "early": True}, tags={"stage": "dev"},
            description="baseline", run_id="run-1", git_commit="a1b2c3d",
        )
        self.assertIsInstance(v1, Version)
        self.assertEqual(v1.version, 1)
        self.assertEqual([(f.name, f.type, f.role) for f in v1.features][:2], [("x", "numeric", None), ("c", "categorical", None)])
        self.assertEqual(v1.features[2].role, "id")
        # Params keep their JSON types.
        self.assertEqual(v1.params, {"lr": 0.05, "optimizer": "adam", "early": True})
        self.assertEqual((v1.metrics, v1.run_id, v1.git_commit, v1.description), ({"auc": 0.91}, "run-1", "a1b2c3d", "baseline"))
        self.assertIsNone(v1.reference)

        # The same idempotency key twice: one version, the second call answers with the first's.
        key = f"train-{uuid.uuid4()}"
        v2 = self.client.register_version(model, v1.features, parent_version=1, idempotency_key=key)
        again = self.client.register_version(model, v1.features, parent_version=1, idempotency_key=key)
        self.assertEqual((v2.version, again.version, again.parent_version), (2, 2, 1))
        v3 = self.client.register_version(model, FEATURES)
        self.assertEqual(v3.version, 3)

        self.assertEqual(self.client.get_version(model, 2).parent_version, 1)
        pages = list(self.client.list_versions(model, limit=2).pages())
        self.assertEqual([[v.version for v in p.items] for p in pages], [[3, 2], [1]])
        self.assertEqual(self.client.get_model(model).latest_version, 3)

        updated = self.client.update_version(model, 1, description="the first", tags={"stage": "prod"})
        self.assertEqual((updated.description, updated.tags), ("the first", {"stage": "prod"}))

        self.assertEqual(self.client.log_metrics(model, 1, {"loss": 0.5}, step=1), 1)
        self.assertEqual(self.client.log_metrics(model, 1, [{"key": "loss", "value": 0.25, "step": 2}, {"key": "acc", "value": 0.8}]), 2)
        losses = list(self.client.list_metrics(model, 1, "loss", limit=1))
        self.assertEqual([(m.step, m.value) for m in losses], [(1, 0.5), (2, 0.25)])

        lineage = self.client.get_lineage(model, 2)
        self.assertEqual([link.version for link in lineage.chain], [2, 1])

        with self.assertRaises(ApiError) as missing:
            self.client.get_version(model, 99)
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "VERSION_NOT_FOUND"))
        with self.assertRaises(ApiError) as bad:
            self.client.register_version(model, [("x", "bogus")])
        self.assertEqual((bad.exception.code, bad.exception.field), ("VALIDATION_FAILED", "features[0].type"))


class AliasesTest(ClientTestCase):
    def test_aliases_and_model_uris(self) -> None:
        model = self.new_model("aliases", versions=3)
        first = self.client.set_alias(model, "production", 1)
        self.assertEqual(first, AliasMove("production", 1, None))
        moved = self.client.set_alias(model, "production", 2)
        self.assertEqual((moved.version, moved.previous_version), (2, 1))
        self.assertEqual(self.client.get_alias(model, "production").version, 2)
        self.assertEqual(self.client.get_version(model, "production").aliases, ["production"])

        self.assertEqual(self.client.resolve(f"mlcycle://models/{model}@production").version, 2)
        self.assertEqual(self.client.resolve(f"models:/{model}@production").version, 2)
        self.assertEqual(self.client.resolve(f"mlcycle://models/{model}@latest").version, 3)
        self.assertEqual(self.client.resolve(f"mlcycle://models/{model}/1").version, 1)
        self.assertEqual(self.client.resolve(ModelRef(model, alias="v3")).version, 3)
        resolved = self.client.resolve(f"mlcycle://models/{model}@production")
        self.assertEqual(self.client.resolve(resolved.uri).version, 2)

        self.assertEqual(parse_model_uri("mlcycle://models/churn@prod").uri(), "mlcycle://models/churn@prod")
        self.assertEqual(parse_model_uri("models:/churn/7"), ModelRef("churn", None, 7))
        for bad in ("mlcycle://churn@prod", "models:/churn", "mlcycle://models/churn@", "models:/churn/0", "s3://models/churn@x"):
            with self.assertRaises(InvalidModelUri, msg=bad):
                parse_model_uri(bad)

        self.client.delete_alias(model, "production")
        with self.assertRaises(ApiError) as gone:
            self.client.resolve(f"mlcycle://models/{model}@production")
        self.assertEqual((gone.exception.status, gone.exception.code), (404, "ALIAS_NOT_FOUND"))
        with self.assertRaises(ApiError) as nowhere:
            self.client.set_alias(model, "production", 9)
        self.assertEqual(nowhere.exception.status, 404)


class _Proxy(http.server.ThreadingHTTPServer):
    """Forwards requests to the server, with faults: `corrupt` flips one byte of every artifact
    download; `unavailable` answers the first N POSTs to paths ending so with a 503 problem."""

    def __init__(self, upstream: str, corrupt: bool = False, unavailable: tuple = ("", 0)):
        upstream_base = upstream.rstrip("/")
        proxy = self
        self.seen: list = []
        self._left = unavailable[1]

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append((self.command, self.path, self.headers.get("Idempotency-Key")))
                if self.command == "POST" and unavailable[0] and self.path.endswith(unavailable[0]) and proxy._left > 0:
                    proxy._left -= 1
                    problem = b'{"type":"about:blank","title":"Overloaded","status":503,"detail":"try again","code":"OVERLOADED"}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/problem+json")
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", str(len(problem)))
                    self.end_headers()
                    self.wfile.write(problem)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "idempotency-key")}
                request = urllib.request.Request(upstream_base + self.path, data=body, method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(request) as response:
                        status, answer, answer_headers = response.status, bytearray(response.read()), response.headers
                except urllib.error.HTTPError as error:
                    status, answer, answer_headers = error.code, bytearray(error.read()), error.headers
                if corrupt and "/artifacts/" in self.path and status == 200 and answer:
                    answer[len(answer) // 2] ^= 0xFF
                self.send_response(status)
                for key in ("Content-Type", "X-Artifact-Sha256"):
                    if answer_headers.get(key) is not None:
                        self.send_header(key, answer_headers.get(key))
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(bytes(answer))

            do_GET = do_POST = do_PUT = _forward  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class ArtifactsTest(ClientTestCase):
    def test_upload_streams_and_download_is_sha256_verified(self) -> None:
        model = self.new_model("artifacts")
        payload = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
        digest = hashlib.sha256(payload).hexdigest()
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "weights.bin")
            with open(source, "wb") as f:
                f.write(payload)
            uploaded = self.client.upload_artifact(model, 1, "weights/model.bin", source)
            self.assertEqual((uploaded.path, uploaded.size, uploaded.sha256), ("weights/model.bin", len(payload), digest))
            small = self.client.upload_artifact(model, 1, "config.json", b'{"depth": 3}', content_type="application/json")
            self.assertEqual((small.size, small.content_type), (12, "application/json"))
            with open(source, "rb") as stream:
                self.assertEqual(self.client.upload_artifact(model, 1, "copy.bin", stream).sha256, digest)
            # A stream without a file behind it goes chunked, and is hashed as it is read.
            self.assertEqual(self.client.upload_artifact(model, 1, "copy.bin", io.BytesIO(payload)).size, len(payload))

            self.assertEqual([a.path for a in self.client.list_artifacts(model, 1, limit=2)], ["config.json", "copy.bin", "weights/model.bin"])

            dest = os.path.join(tmp, "downloaded.bin")
            got = self.client.download_artifact(model, 1, "weights/model.bin", dest)
            self.assertEqual((got.sha256, got.size), (digest, len(payload)))
            with open(dest, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest)
            self.assertEqual(self.client.read_artifact(model, 1, "config.json"), b'{"depth": 3}')

            # Bytes altered on the way: the download fails and leaves nothing behind.
            proxy = _Proxy(URL, corrupt=True)
            try:
                through = Client(proxy.base, TOKEN, retries=0)
                corrupt_dest = os.path.join(tmp, "corrupt.bin")
                with self.assertRaises(ChecksumError) as bad:
                    through.download_artifact(model, 1, "weights/model.bin", corrupt_dest)
                self.assertEqual(bad.exception.expected, digest)
                self.assertNotEqual(bad.exception.actual, digest)
                self.assertFalse(os.path.exists(corrupt_dest))
                self.assertFalse(os.path.exists(corrupt_dest + ".part"))
                with self.assertRaises(ChecksumError):
                    through.read_artifact(model, 1, "config.json")
            finally:
                proxy.close()

            with self.assertRaises(ApiError) as missing:
                self.client.download_artifact(model, 1, "nope.bin", os.path.join(tmp, "nope"))
            self.assertEqual((missing.exception.status, missing.exception.code), (404, "ARTIFACT_NOT_FOUND"))
            self.assertFalse(os.path.exists(os.path.join(tmp, "nope.part")))


class ReferenceAndSamplesTest(ClientTestCase):
    def test_reference_from_rows_columns_csv_and_arrow(self) -> None:
        model = self.new_model("reference")
        s1 = self.client.upload_reference(model, 1, rows=[{"x": 1.0, "c": "a"}, {"x": 2.0, "c": "b"}])
        self.assertEqual((s1.rows, s1.chunks), (2, 1))
        s2 = self.client.upload_reference(model, 1, columns={"x": [3.0, 4.0, None], "c": ["a", "a", "b"]})
        self.assertEqual((s2.rows, s2.chunks), (5, 2))
        s3 = self.client.upload_reference_file(model, 1, b"x,c\n5,a\n6,b\n", format="csv")
        self.assertEqual(s3.rows, 7)
        rows = 7
        arrow = os.environ.get("MLCYCLE_ARROW_FILE")
        if arrow:
            s4 = self.client.upload_reference_file(model, 1, arrow, format="arrow")
            rows = 7 + 3
            self.assertEqual(s4.rows, rows)
        summary = self.client.get_reference(model, 1)
        self.assertEqual((summary.rows, summary.version), (rows, 1))
        self.assertEqual({f["name"] for f in summary.features}, {"x", "c"})
        self.assertEqual(self.client.get_version(model, 1).reference.rows, rows)
        # In chunks: 2500 rows in 1000-row requests.
        pushed = self.client.push_reference(model, 1, {"x": [float(i) for i in range(2500)], "c": ["a"] * 2500}, chunk_rows=1000)
        self.assertEqual(pushed.rows, rows + 2500)

        with self.assertRaises(ApiError) as bad:
            self.client.upload_reference(model, 1, rows=[{"x": "not a number", "c": "a"}])
        self.assertEqual((bad.exception.code, bad.exception.field), ("VALIDATION_FAILED", "rows[0].x"))
        self.assertEqual(self.client.get_reference(model, 1).rows, rows + 2500)  # nothing half-written

        self.client.delete_reference(model, 1)
        with self.assertRaises(ApiError) as gone:
            self.client.get_reference(model, 1)
        self.assertEqual(gone.exception.code, "REFERENCE_NOT_FOUND")

    def test_samples_with_ids_predictions_idempotency_and_labels(self) -> None:
        model = self.new_model("samples", versions=2)
        self.client.set_alias(model, "production", 1)
        key = str(uuid.uuid4())
        ids = [f"r-{i}" for i in range(4)]
        first = self.client.post_samples(model, {"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", None]}, alias="production",
                                         ids=ids, predictions=[1, 0, 1, 0], idempotency_key=key)
        self.assertEqual((first.accepted, first.version), (4, 1))
        # A retry with the same key and bytes is the same batch, not a second one.
        replay = self.client.post_samples(model, {"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", None]}, alias="production",
                                          ids=ids, predictions=[1, 0, 1, 0], idempotency_key=key)
        self.assertEqual(replay.batch_id, first.batch_id)
        with self.assertRaises(ApiError) as reused:
            self.client.post_samples(model, {"x": [9.0], "c": ["z"]}, alias="production", idempotency_key=key)
        self.assertEqual((reused.exception.status, reused.exception.code), (409, "BATCH_ID_REUSED"))

        by_rows = self.client.post_samples(model, rows=[{"x": 5.0, "c": "b"}], version=2, ids=["r-9"], timestamp="2026-01-31T12:00:00Z")
        self.assertEqual((by_rows.accepted, by_rows.version), (1, 2))
        self.assertNotEqual(by_rows.batch_id, first.batch_id)
        # No target: the version behind the "production" alias.
        production = self.client.post_samples_file(model, b"x,c,__id,__prediction\n7,a,r-20,1\n8,b,r-21,0\n", format="csv")
        self.assertEqual((production.accepted, production.version), (2, 1))
        arrow = os.environ.get("MLCYCLE_ARROW_FILE")
        if arrow:
            self.assertEqual(self.client.post_samples_file(model, arrow, format="arrow", version=1).accepted, 3)

        labels = self.client.post_labels(model, [("r-0", 1), ("r-1", 1), ("r-missing", 0)])
        # Every label is stored (a sample may arrive later); the ones matching no sample yet are named.
        self.assertEqual((labels.accepted, labels.unmatched), (3, ["r-missing"]))
        self.assertEqual(self.client.post_labels(model, {"r-0": 0, "r-20": 1}).accepted, 2)  # a late correction

        with self.assertRaises(ApiError) as bad:
            self.client.post_samples(model, {"x": [1.0, "two"], "c": ["a", "b"]}, version=1)
        self.assertEqual((bad.exception.code, bad.exception.field), ("VALIDATION_FAILED", "columns.x[1]"))
        with self.assertRaises(ValueError):
            self.client.post_samples(model, {"x": [1.0]}, rows=[{"x": 1.0}])

    def test_declared_task_and_scores(self) -> None:
        model = self.new_model("task")
        v = self.client.register_version(model, FEATURES, task={"type": "classification", "positive": 1})
        self.assertEqual(v.task, {"type": "classification", "positive": 1})
        self.assertEqual(self.client.get_version(model, v.version).task, v.task)
        ok = self.client.post_samples(model, {"x": [1.0, 2.0], "c": ["a", "b"]}, version=v.version,
                                      predictions=[1, 0], scores=[0.9, 0.2])
        self.assertEqual(ok.accepted, 2)
        # A score outside [0, 1] is refused whole, naming the field.
        with self.assertRaises(ApiError) as bad:
            self.client.post_samples(model, {"x": [1.0], "c": ["a"]}, version=v.version, predictions=[1], scores=[1.5])
        self.assertEqual(bad.exception.status, 400)
        self.assertIn("scores", bad.exception.field or bad.exception.detail)


    def test_a_503_is_retried_with_the_same_key_and_a_400_is_not(self) -> None:
        model = self.new_model("retry")
        proxy = _Proxy(URL, unavailable=("/samples", 2))
        try:
            through = Client(proxy.base, TOKEN, retries=3, backoff=0.01)
            answer = through.post_samples(model, {"x": [1.0, 2.0], "c": ["a", "b"]}, version=1, ids=["k-1", "k-2"])
            self.assertEqual((answer.accepted, through.retried), (2, 2))
            posts = [key for method, path, key in proxy.seen if method == "POST"]
            self.assertEqual(len(posts), 3)
            self.assertEqual(len(set(posts)), 1)  # every attempt carried the batch's one key
            self.assertEqual(self.client.post_labels(model, {"k-1": 1, "k-2": 0}).unmatched, [])  # the batch arrived: its ids take labels
            before = through.requests
            with self.assertRaises(ApiError) as bad:
                through.post_samples(model, {"x": ["one"], "c": ["a"]}, version=1)
            self.assertEqual((bad.exception.status, through.requests - before, through.retried), (400, 1, 2))
            # Out of retries: the last 503 is raised as it came.
            proxy._left = 5
            once = Client(proxy.base, TOKEN, retries=1, backoff=0.01)
            with self.assertRaises(ApiError) as unavailable:
                once.post_samples(model, {"x": [3.0], "c": ["a"]}, version=1)
            self.assertEqual((unavailable.exception.status, unavailable.exception.code, unavailable.exception.retry_after, once.retried), (503, "OVERLOADED", 0.0, 1))
        finally:
            proxy.close()


class DriftTest(ClientTestCase):
    def test_monitor_reports_pagination_filters_and_timeline(self) -> None:
        model = self.new_model("drift")
        rng = random.Random(7)
        self.client.push_reference(model, 1, {"x": [rng.gauss(0, 1) for _ in range(1000)], "c": [rng.choice("abc") for _ in range(1000)]})
        view = self.client.put_monitor(model, {"window": {"size": 200}, "minSamples": 50})
        self.assertIsInstance(view, MonitorView)
        self.assertEqual(view.config["window"], {"size": 200})
        self.assertEqual(self.client.get_monitor(model).config, view.config)
        self.assertEqual(self.client.monitor_status(model).state, "idle")

        # One window like the reference, then three far from it (x shifted by 3 σ, c all "c").
        windows = [(0.0, "abc")] + [(3.0, "c")] * 3
        for i, (shift, cats) in enumerate(windows):
            answer = self.client.post_samples(model, {"x": [rng.gauss(shift, 1) for _ in range(200)], "c": [rng.choice(cats) for _ in range(200)]},
                                              version=1, ids=[f"w{i}-{j}" for j in range(200)])
            self.assertEqual((answer.accepted, answer.windows_completed), (200, 1))

        done = eventually(lambda: [r for r in self.client.list_drift_reports(model) if r.status == "done"][3:] and
                          [r for r in self.client.list_drift_reports(model) if r.status == "done"])
        self.assertEqual(len(done), 4)
        pages = list(self.client.list_drift_reports(model, limit=1).pages())
        self.assertEqual(len(pages), 4)
        reports = [p.items[0] for p in pages]
        self.assertIsInstance(reports[0], DriftReport)
        ids = [r.id for r in reports]
        self.assertEqual(ids, sorted(ids, reverse=True))  # newest first
        self.assertEqual([r.sample_count for r in reports], [200] * 4)
        self.assertEqual([r.window.kind for r in reports], ["count"] * 4)
        self.assertTrue(all(r.dataset_drift for r in reports[:3]))
        drifted = [r.id for r in self.client.list_drift_reports(model, drifted=True, limit=2)]
        self.assertEqual(drifted, [r.id for r in reports if r.dataset_drift])
        self.assertGreaterEqual(len(drifted), 3)
        self.assertEqual([r.id for r in self.client.list_drift_reports(model, version=1)], ids)

        whole = self.client.get_drift_report(reports[0].id)
        self.assertEqual(whole.sample_count, 200)
        self.assertEqual(whole.reference_version, 1)
        by_name = {f["name"]: f for f in whole.features}
        self.assertTrue(by_name["x"]["drifted"])
        self.assertEqual(set(whole.drifted_features), {"x", "c"})
        with self.assertRaises(ApiError) as missing:
            self.client.get_drift_report(2_000_000_000)
        self.assertEqual(missing.exception.code, "DRIFT_REPORT_NOT_FOUND")

        timeline = self.client.drift_timeline(model, "x")
        self.assertEqual([p.report_id for p in timeline.points], list(reversed(ids)))  # oldest first
        self.assertEqual([p.features[0].name for p in timeline.points], ["x"] * 4)
        last = timeline.points[-1].features[0]
        self.assertTrue(last.drifted)
        self.assertLess(last.p_value, 1e-6)
        self.assertGreater(last.psi, 0.2)
        self.assertEqual(len(self.client.drift_timeline(model, limit=2).points), 2)
        status = self.client.monitor_status(model)
        self.assertEqual((status.state, status.report_id), ("ok", ids[0]))

        with self.assertRaises(ApiError) as bad:
            self.client.put_monitor(model, {"window": {"size": 0}})
        self.assertEqual(bad.exception.code, "VALIDATION_FAILED")
        self.assertTrue(bad.exception.field.startswith("window"), bad.exception.field)
        self.assertEqual(self.client.get_monitor(model).config["window"], {"size": 200})

        # On demand, over a time range given as datetimes: every sample of the last hour.
        now = datetime.now(timezone.utc)
        requested = self.client.request_drift_report(model, now - timedelta(hours=1), now + timedelta(minutes=1), version=1)
        self.assertIn(requested.status, ("pending", "done"))
        self.assertEqual(requested.window.kind, "range")
        ranged = eventually(lambda: (lambda r: r if r.status == "done" else None)(self.client.get_drift_report(requested.id)))
        self.assertEqual((ranged.sample_count, ranged.dataset_drift), (800, True))
        self.assertEqual(parse_time(ranged.window.to) - parse_time(ranged.window.from_), timedelta(hours=1, minutes=1))


class RetrainingTest(ClientTestCase):
    def test_trigger_get_list_cancel_and_a_failing_job(self) -> None:
        model = self.new_model("retrain")
        with self.assertRaises(ApiError) as unconfigured:
            self.client.request_retrain(model)
        self.assertEqual((unconfigured.exception.status, unconfigured.exception.code), (409, "RETRAIN_NOT_CONFIGURED"))
        # A job trains on the base version's labelled windows: one window of 150 labelled samples.
        rng = random.Random(3)
        self.client.push_reference(model, 1, {"x": [rng.gauss(0, 1) for _ in range(300)], "c": [rng.choice("ab") for _ in range(300)]})
        self.client.put_monitor(model, {"window": {"size": 150}})
        xs = [rng.gauss(0, 1) for _ in range(150)]
        self.client.post_samples(model, {"x": xs, "c": [rng.choice("ab") for _ in range(150)]}, version=1, ids=[f"t-{i}" for i in range(150)],
                                 predictions=[int(x > 0) for x in xs], labels=[int(x > 0.1) for x in xs])
        eventually(lambda: [r for r in self.client.list_drift_reports(model) if r.status == "done"])

        slow = {"type": "command", "command": ["python3", "-c", "import time; time.sleep(120)"], "timeoutSeconds": 300}
        job = self.client.request_retrain(model, executor=slow)
        self.assertIsInstance(job, RetrainJob)
        self.assertEqual((job.model, job.trigger, job.base_version, job.status in ("queued", "running")), (model, "manual", 1, True))
        self.assertEqual(self.client.get_retrain_job(job.id).id, job.id)
        with self.assertRaises(ApiError) as active:
            self.client.request_retrain(model, executor=slow)
        self.assertEqual(active.exception.code, "RETRAIN_ACTIVE")

        self.client.cancel_retrain_job(job.id)
        cancelled = self.client.wait_retrain_job(job.id, timeout=60, interval=0.2)
        self.assertEqual(cancelled.status, "cancelled")
        self.assertIsNotNone(cancelled.finished_at)
        with self.assertRaises(ApiError) as finished:
            self.client.cancel_retrain_job(job.id)
        self.assertEqual(finished.exception.code, "RETRAIN_JOB_FINISHED")

        failing = self.client.request_retrain(model, base_version=1, executor={"type": "command", "command": ["python3", "-c", "import sys; sys.exit(3)"]})
        failed = self.client.wait_retrain_job(failing.id, timeout=60, interval=0.2)
        self.assertEqual(failed.status, "failed")
        self.assertTrue(failed.error)

        jobs = list(self.client.list_retrain_jobs(model=model, limit=1))
        self.assertEqual([j.id for j in jobs], [failing.id, job.id])
        self.assertEqual([j.id for j in self.client.list_retrain_jobs(model=model, status="cancelled")], [job.id])
        with self.assertRaises(ApiError) as bad:
            list(self.client.list_retrain_jobs(status="sleeping"))
        self.assertEqual((bad.exception.code, bad.exception.field), ("VALIDATION_FAILED", "querystring.status"))
        with self.assertRaises(ApiError) as missing:
            self.client.get_retrain_job(2_000_000_000)
        self.assertEqual(missing.exception.code, "RETRAIN_JOB_NOT_FOUND")


class EventsTest(ClientTestCase):
    def test_audit_log_pages_and_filters(self) -> None:
        model = self.new_model("events", versions=2)
        self.client.set_alias(model, "production", 2)
        events = list(self.client.list_events(model=model, limit=1))
        self.assertGreaterEqual(len(events), 4)  # model created, two versions, alias moved
        self.assertEqual({e.model for e in events}, {model})
        ids = [e.id for e in events]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(len(set(ids)), len(ids))  # no page repeats an item
        self.assertIsNotNone(events[0].actor)
        self.assertTrue(events[0].actor.key_id)
        kinds = {e.type for e in events}
        self.assertEqual(len(kinds), 3)
        alias_type = events[0].type  # the newest: the alias move
        self.assertIn(2, events[0].data.values())  # the version the alias moved to
        only = list(self.client.list_events(model=model, type=alias_type))
        self.assertEqual([e.id for e in only], [events[0].id])
        self.assertEqual([e.id for e in self.client.list_model_events(model, limit=2)], ids)
        with self.assertRaises(ApiError) as bad:
            list(self.client.list_events(type="no.such.type"))
        self.assertEqual((bad.exception.code, bad.exception.field), ("VALIDATION_FAILED", "querystring.type"))


class _Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver: records each POST's headers and JSON body, answers 204."""

    def __init__(self) -> None:
        self.received: list = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class AccessTest(ClientTestCase):
    def test_scoped_api_keys(self) -> None:
        model = self.new_model("keys")
        reader = self.client.create_api_key(name("reader"), ["read"])
        self.assertIsInstance(reader, ApiKey)
        self.assertEqual(reader.scopes, ["read"])
        self.assertTrue(reader.token)
        as_reader = Client(URL, reader.token, retries=0)
        self.assertEqual(as_reader.get_model(model).name, model)
        with self.assertRaises(ApiError) as forbidden:
            as_reader.create_model(name("not-allowed"))
        self.assertEqual((forbidden.exception.status, forbidden.exception.code), (403, "FORBIDDEN"))

        self.client.create_api_key(name("writer"), ["models:write", "samples:write"])
        keys = list(self.client.list_api_keys(limit=1))
        listed = [k for k in keys if k.id == reader.id]
        self.assertEqual(len(listed), 1)
        self.assertIsNone(listed[0].token)  # shown once, never again
        self.assertIsNotNone(listed[0].last_used_at)
        self.assertGreaterEqual(len(keys), 3)  # the admin key, the reader, the writer

        self.client.revoke_api_key(reader.id)
        with self.assertRaises(ApiError) as revoked:
            as_reader.get_model(model)
        self.assertEqual(revoked.exception.code, "UNAUTHENTICATED")
        with self.assertRaises(ApiError) as bad:
            self.client.create_api_key(name("bad"), ["everything"])
        self.assertEqual(bad.exception.code, "VALIDATION_FAILED")
        self.assertTrue(bad.exception.field.startswith("scopes"), bad.exception.field)

    def test_webhook_subscription_deliveries_and_redelivery(self) -> None:
        model = self.new_model("hooks", versions=2)
        receiver = _Receiver()
        try:
            try:
                hook = self.client.create_webhook(f"http://127.0.0.1:{receiver.server_address[1]}/hook", ["alias.moved"], "py tests")
            except ApiError as error:
                if error.field == "url":
                    self.skipTest("this server refuses loopback webhook URLs (start it with OUTBOUND_ALLOW_PRIVATE=true)")
                raise
            self.assertIsInstance(hook, Webhook)
            self.assertTrue(hook.secret)
            self.assertEqual(hook.events, ["alias.moved"])
            self.client.set_alias(model, "production", 2)
            headers, body = eventually(lambda: receiver.received[:1])[0]
            self.assertEqual(body["type"], "alias.moved")
            self.assertTrue(headers.get("webhook-signature", "").startswith("v1,"))
            delivery = eventually(lambda: [d for d in self.client.list_webhook_deliveries(hook.id) if d.response_code == 204])[0]
            self.assertEqual((delivery.webhook_id, delivery.event_type, delivery.attempts), (hook.id, "alias.moved", 1))
            self.assertEqual(delivery.message_id, headers.get("webhook-id"))

            self.client.redeliver_webhook(hook.id, delivery.id)
            eventually(lambda: len(receiver.received) >= 2)
            self.assertEqual(receiver.received[1][1]["type"], "alias.moved")
            self.assertIn(hook.id, [h.id for h in self.client.list_webhooks(limit=1)])
            self.client.delete_webhook(hook.id)
            self.assertNotIn(hook.id, [h.id for h in self.client.list_webhooks()])
            with self.assertRaises(ApiError) as bad:
                self.client.create_webhook("ftp://example.com/hook", ["alias.moved"])
            self.assertEqual((bad.exception.code, bad.exception.field), ("VALIDATION_FAILED", "url"))
        finally:
            receiver.shutdown()
            receiver.server_close()


if __name__ == "__main__":
    unittest.main()
