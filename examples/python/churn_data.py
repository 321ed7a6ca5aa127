"""Synthetic churn data shared by the two examples (seeded, standard library only).

`shift` moves the serving distribution away from the training one - older customers on
cheaper plans - so the monitor has real drift to find.
"""

from __future__ import annotations

import math
import random

FEATURES = [
    {"name": "age", "type": "numeric"},
    {"name": "monthly_spend", "type": "numeric"},
    {"name": "plan", "type": "categorical"},
]
PLANS = ["basic", "pro", "team"]


def make_rows(n: int, seed: int, shift: float = 0.0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        age = rng.gauss(38 + 15 * shift, 9)
        plan = rng.choices(PLANS, weights=[0.5 + shift, 0.3, 0.2])[0]
        spend = max(0.0, rng.gauss({"basic": 20, "pro": 45, "team": 90}[plan], 8))
        # Young customers on basic plans who spend little churn most.
        logit = 1.5 - 0.06 * (age - 38) - 0.03 * (spend - 40) + (0.8 if plan == "basic" else -0.4)
        churned = 1 if rng.random() < 1 / (1 + math.exp(-logit)) else 0
        rows.append({"age": round(age, 2), "monthly_spend": round(spend, 2), "plan": plan, "churned": churned})
    return rows


def encode(row: dict, means: dict) -> list[float]:
    """Standardised numerics plus a one-hot plan: the logistic regression's inputs."""
    return [
        (row["age"] - means["age"][0]) / means["age"][1],
        (row["monthly_spend"] - means["monthly_spend"][0]) / means["monthly_spend"][1],
        *[1.0 if row["plan"] == p else 0.0 for p in PLANS],
    ]


def predict(model: dict, row: dict) -> float:
    x = encode(row, model["scaling"])
    z = model["bias"] + sum(w * v for w, v in zip(model["weights"], x))
    return 1 / (1 + math.exp(-z))
