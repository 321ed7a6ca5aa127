#!/usr/bin/env python3
"""Training-script example: train, then register the model with mlcycle.

1. trains a logistic regression on synthetic churn data (standard library only);
2. registers the next version with its features, parameters and held-out metrics
   (the run id is the Idempotency-Key, so re-running after a network failure does not
   create a second version);
3. uploads the weights file as an artifact (streamed; the server's sha256 is checked);
4. pushes the training features as the version's reference data, which drift is measured against;
5. optionally points an alias (--promote production) at the new version.

    MLCYCLE_URL=http://127.0.0.1:8080 MLCYCLE_TOKEN=... python3 train.py --model churn --promote production

The last line printed is a JSON summary (version, metrics, artifact sha256) for pipelines.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from churn_data import FEATURES, PLANS, make_rows, predict, encode  # noqa: E402
try:
    from mlcycle_client import Client
except ImportError:  # a checkout without `pip install ./clients/python`: use the package's source
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python", "src"))
    from mlcycle_client import Client


def train(rows: list[dict], epochs: int, lr: float) -> dict:
    scaling = {k: (statistics.fmean(r[k] for r in rows), statistics.pstdev(r[k] for r in rows) or 1.0) for k in ("age", "monthly_spend")}
    weights = [0.0] * (2 + len(PLANS))
    bias = 0.0
    for _ in range(epochs):
        for row in rows:
            x = encode(row, scaling)
            p = 1 / (1 + math.exp(-(bias + sum(w * v for w, v in zip(weights, x)))))
            g = p - row["churned"]
            bias -= lr * g
            weights = [w - lr * g * v for w, v in zip(weights, x)]
    return {"weights": weights, "bias": bias, "scaling": scaling, "plans": PLANS}


def evaluate(model: dict, rows: list[dict]) -> dict:
    eps = 1e-12
    probs = [predict(model, r) for r in rows]
    accuracy = sum((p >= 0.5) == (r["churned"] == 1) for p, r in zip(probs, rows)) / len(rows)
    log_loss = -statistics.fmean(math.log(max(eps, p)) if r["churned"] else math.log(max(eps, 1 - p)) for p, r in zip(probs, rows))
    return {"accuracy": round(accuracy, 4), "log_loss": round(log_loss, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="churn")
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=".", help="directory for the weights file")
    parser.add_argument("--run-id", default=None, help="idempotency key of this run (default: a new uuid)")
    parser.add_argument("--promote", metavar="ALIAS", help="point this alias at the new version")
    args = parser.parse_args()

    rows = make_rows(args.rows, seed=args.seed)
    cut = int(len(rows) * 0.8)
    model = train(rows[:cut], args.epochs, args.lr)
    metrics = evaluate(model, rows[cut:])
    weights_file = os.path.join(args.out, "model.json")
    with open(weights_file, "w") as f:
        json.dump(model, f)

    client = Client()
    run_id = args.run_id or str(uuid.uuid4())
    client.create_model(args.model, description="churn classifier (examples/python)", exist_ok=True)
    version = client.register_version(
        args.model, FEATURES, metrics=metrics,
        params={"epochs": args.epochs, "lr": args.lr, "rows": args.rows, "algorithm": "logistic-regression"},
        run_id=run_id, idempotency_key=f"train-{run_id}",
        # A binary classifier whose positive class is 1 (churned): reports score its class
        # predictions and P(churn) against the labels as sklearn.metrics would.
        task={"type": "classification", "positive": 1},
    ).version
    artifact = client.upload_artifact(args.model, version, "model.json", weights_file)
    train_rows = rows[:cut]
    reference = client.push_reference(args.model, version, {f["name"]: [r[f["name"]] for r in train_rows] for f in FEATURES}, chunk_rows=1000)
    if args.promote:
        client.set_alias(args.model, args.promote, version)
    print(f"registered {args.model} v{version}: accuracy {metrics['accuracy']}, reference rows {reference.rows}", file=sys.stderr)
    print(json.dumps({"model": args.model, "version": version, "metrics": metrics, "artifact": artifact.raw, "referenceRows": reference.rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
