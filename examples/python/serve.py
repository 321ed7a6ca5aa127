#!/usr/bin/env python3
"""Serving-code example: score requests, report them to mlcycle, send the ground truth later.

1. downloads the weights of the version behind an alias (default `production`) and checks
   their sha256 against the server's;
2. scores batches of requests and posts each batch - features, request ids, the predicted
   classes (0/1, what the service answered) and P(churn) as scores - as one samples call. Each batch gets an Idempotency-Key once; the client retries it (network
   error, 429, 5xx) with that same key, so a batch whose answer was lost is counted once;
3. later, when the outcomes are known, posts the labels by request id.

    MLCYCLE_URL=http://127.0.0.1:8080 MLCYCLE_TOKEN=... python3 serve.py --model churn --batches 5

`--shift 1` makes the traffic drift away from the training data. The last line printed is a
JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from churn_data import FEATURES, make_rows, predict  # noqa: E402
try:
    from mlcycle_client import Client
except ImportError:  # a checkout without `pip install ./clients/python`: use the package's source
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python", "src"))
    from mlcycle_client import Client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="churn")
    parser.add_argument("--alias", default="production")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=500, help="rows per samples call (the server takes up to 10 000)")
    parser.add_argument("--shift", type=float, default=0.0, help="0 = like the training data; 1 = drifted")
    parser.add_argument("--seed", type=int, default=99)
    args = parser.parse_args()

    client = Client()
    # Pin the version once: every batch of this process is attributed to the model it really ran.
    version = client.resolve(f"mlcycle://models/{args.model}@{args.alias}").version
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        sha256 = client.download_artifact(args.model, version, "model.json", path).sha256
        with open(path) as f:
            model = json.load(f)

    requests = make_rows(args.batches * args.batch_size, seed=args.seed, shift=args.shift)
    names = [f["name"] for f in FEATURES]
    posted = 0
    outcomes: list[tuple[str, int]] = []
    for b in range(args.batches):
        batch = requests[b * args.batch_size:(b + 1) * args.batch_size]
        ids = [f"req-{args.seed}-{b}-{i}" for i in range(len(batch))]
        # Post the class the service answered (0/1) as the prediction: mlcycle scores these class
        # predictions against the labels (accuracy, F1, ...) and, on a retrain, as the champion on
        # the held-out samples. The probability goes beside it as the score, P(positive class 1):
        # it adds log loss and ROC AUC to the report.
        probabilities = [predict(model, r) for r in batch]
        predictions = [1 if p >= 0.5 else 0 for p in probabilities]
        answer = client.post_samples(
            args.model, {n: [r[n] for r in batch] for n in names}, version=version, ids=ids, predictions=predictions,
            scores=probabilities, idempotency_key=str(uuid.uuid4()),
        )
        posted += answer.accepted
        outcomes.extend(zip(ids, (r["churned"] for r in batch)))

    # ... time passes; the outcomes arrive. Labels go in chunks the server accepts (≤ 10 000).
    labelled = 0
    for start in range(0, len(outcomes), 10_000):
        labelled += client.post_labels(args.model, outcomes[start:start + 10_000]).accepted

    print(f"posted {posted} samples to {args.model} v{version} ({client.retried} retries), {labelled} labels", file=sys.stderr)
    print(json.dumps({"model": args.model, "version": version, "artifactSha256": sha256, "samples": posted, "labels": labelled, "retries": client.retried}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
