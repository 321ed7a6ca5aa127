#!/usr/bin/env python3
"""Logistic regression on mlcycle's exported training data — Python standard library only.

mlcycle's command executor runs it with (the evaluation contract, docs/retraining.md):
  MLCYCLE_DATASET_DIR  train.csv   (sample_id, <features…>, label)  what to learn from
                       holdout.csv (sample_id, <features…>)         no labels: mlcycle keeps them
                       manifest.json (files, rows, sha256, the split rule)
  MLCYCLE_OUTPUT_DIR   model.json, metrics.json and holdout-predictions.csv (sample_id,prediction:
                       one class per holdout row, spelled as in train.csv's labels); every file
                       there becomes an artifact of the new version

mlcycle decides promotion itself, from holdout-predictions.csv against the labels it kept;
metrics.json is this script's own claim (measured on a validation split of train.csv), recorded
and never trusted. No reference.* is written: mlcycle profiles train.csv's features instead.

Numeric features are standardised (mean/std of the fitted rows); categorical ones are one-hot
encoded. Labels: 0/1, true/false, yes/no, or two class names (the lexically larger one is the
positive class). A seeded shuffle puts LOGREG_VALIDATION of train.csv aside for metrics.json;
batch gradient descent with L2 fits the rest.
Options (environment): LOGREG_EPOCHS (300), LOGREG_LR (0.5), LOGREG_L2 (0.001), LOGREG_VALIDATION (0.25), LOGREG_SEED (42).
"""
import csv
import json
import math
import os
import random
import sys

NON_FEATURES = {"sample_id", "label"}


def load(path, labelled=True):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        features = [c for c in reader.fieldnames or [] if c not in NON_FEATURES]
        rows = [r for r in reader if not labelled or r.get("label", "") != ""]
    return features, rows


def class_names(classes):
    """(negative, positive) spelled as in the labels, for holdout-predictions.csv."""
    truthy = {"1", "1.0", "true", "True", "yes"}
    pos = next((c for c in classes if c in truthy), classes[-1])
    neg = next((c for c in classes if c != pos), "0" if pos in ("1", "1.0") else "false" if pos in ("true", "True") else "no")
    return neg, pos


def encode_label(values):
    classes = sorted(set(values))
    if len(classes) > 2:
        sys.exit(f"logreg: labels must have two classes, found {len(classes)}: {classes[:5]}")
    truthy = {"1", "1.0", "true", "True", "yes"}
    if set(classes) <= truthy | {"0", "0.0", "false", "False", "no"}:
        return [1 if v in truthy else 0 for v in values], classes
    return [1 if v == classes[-1] else 0 for v in values], classes


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def build_encoder(features, rows):
    """Per feature: ('num', mean, std) or ('cat', [levels])."""
    spec = []
    for name in features:
        values = [r[name] for r in rows if r[name] != ""]
        if values and all(is_number(v) for v in values):
            xs = [float(v) for v in values]
            mean = sum(xs) / len(xs)
            std = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs)) or 1.0
            spec.append({"name": name, "kind": "numeric", "mean": mean, "std": std})
        else:
            spec.append({"name": name, "kind": "categorical", "levels": sorted(set(values))})
    return spec


def encode(spec, row):
    x = [1.0]  # intercept
    for s in spec:
        v = row.get(s["name"], "")
        if s["kind"] == "numeric":
            x.append(0.0 if v == "" or not is_number(v) else (float(v) - s["mean"]) / s["std"])
        else:
            x.extend(1.0 if v == level else 0.0 for level in s["levels"])
    return x


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def train(X, y, epochs, lr, l2):
    w = [0.0] * len(X[0])
    n = len(X)
    for _ in range(epochs):
        grad = [0.0] * len(w)
        for xi, yi in zip(X, y):
            err = sigmoid(sum(a * b for a, b in zip(w, xi))) - yi
            for j, xij in enumerate(xi):
                grad[j] += err * xij
        for j in range(len(w)):
            w[j] -= lr * (grad[j] / n + (l2 * w[j] if j else 0.0))
    return w


def evaluate(w, X, y):
    probs = [sigmoid(sum(a * b for a, b in zip(w, xi))) for xi in X]
    pred = [1 if p >= 0.5 else 0 for p in probs]
    tp = sum(1 for p, t in zip(pred, y) if p == 1 and t == 1)
    fp = sum(1 for p, t in zip(pred, y) if p == 1 and t == 0)
    fn = sum(1 for p, t in zip(pred, y) if p == 0 and t == 1)
    eps = 1e-12
    logloss = -sum(t * math.log(max(p, eps)) + (1 - t) * math.log(max(1 - p, eps)) for p, t in zip(probs, y)) / len(y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "accuracy": sum(1 for p, t in zip(pred, y) if p == t) / len(y),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "log_loss": logloss,
    }


def main():
    dataset = os.environ.get("MLCYCLE_DATASET_DIR") or sys.exit("logreg: MLCYCLE_DATASET_DIR is not set")
    out = os.environ.get("MLCYCLE_OUTPUT_DIR") or sys.exit("logreg: MLCYCLE_OUTPUT_DIR is not set")
    features, rows = load(os.path.join(dataset, "train.csv"))
    if len(rows) < 10:
        sys.exit(f"logreg: {len(rows)} labelled rows in train.csv; need at least 10")
    rng = random.Random(int(os.environ.get("LOGREG_SEED", "42")))
    rng.shuffle(rows)
    cut = max(1, int(len(rows) * float(os.environ.get("LOGREG_VALIDATION", "0.25"))))
    test, train_rows = rows[:cut], rows[cut:]
    spec = build_encoder(features, train_rows)
    y_all, classes = encode_label([r["label"] for r in rows])
    y_test, y_train = y_all[:cut], y_all[cut:]
    X_train = [encode(spec, r) for r in train_rows]
    X_test = [encode(spec, r) for r in test]
    epochs, lr, l2 = int(os.environ.get("LOGREG_EPOCHS", "300")), float(os.environ.get("LOGREG_LR", "0.5")), float(os.environ.get("LOGREG_L2", "0.001"))
    w = train(X_train, y_train, epochs, lr, l2)
    metrics = evaluate(w, X_test, y_test)
    metrics.update({"train_rows": len(train_rows), "validation_rows": len(test)})
    # Predict the holdout: the rows mlcycle scores this version on, against labels it never gave us.
    _, holdout = load(os.path.join(dataset, "holdout.csv"), labelled=False)
    neg, pos = class_names(classes)
    with open(os.path.join(out, "holdout-predictions.csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["sample_id", "prediction"])
        for r in holdout:
            p = sigmoid(sum(a * b for a, b in zip(w, encode(spec, r))))
            writer.writerow([r["sample_id"], pos if p >= 0.5 else neg])
    print(f"logreg: {len(train_rows)} train / {len(test)} validation rows, accuracy {metrics['accuracy']:.4f}; {len(holdout)} holdout predictions")
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump({"type": "logistic_regression", "classes": classes, "encoder": spec, "weights": w, "intercept_first": True}, f, indent=2)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)


if __name__ == "__main__":
    main()
