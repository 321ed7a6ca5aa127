#!/usr/bin/env python3
"""Peer side of bench/verdicts.ts: the decisions other tools' default rules take on the same data.

Usage: python3 bench/verdicts_peer.py DATA_DIR
DATA_DIR/index.json lists case directories; each holds meta.json, ref.f64 and w<i>.f64 (float64,
feature-major; categorical features as category codes). Prints one JSON object on stdout:
{case: {rule: [[flag per feature] per window]}}.

Rules (numpy/scipy re-implementations of each tool's *defaults*, not the tools themselves):
- raw:      scipy.stats.ks_2samp p < 0.05 (numeric), scipy.stats.chi2_contingency p < 0.05
            (categorical), no multiple-testing correction.
- evidently: Evidently's default stattest choice (get_default_stattest): reference > 1000 rows ->
            Wasserstein / std(ref) >= 0.1 (numeric), Jensen-Shannon distance (scipy, natural log)
            >= 0.1 on category shares (categorical); reference <= 1000 -> KS p < 0.05 / chi2 p < 0.05.
- nannyml:  NannyML-style thresholds: numeric Wasserstein with its StandardDeviationThreshold
            (alert above mean + 3 sd of the statistic over 10 reference chunks of the window's
            size), categorical Jensen-Shannon distance (base 2) with its ConstantThreshold 0.1.
- chi2raw:  the raw chi2_contingency p < 0.05 alone (row "chi2 with rare categories").
"""
import json
import os
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance


def load(case_dir):
    with open(os.path.join(case_dir, "meta.json")) as f:
        meta = json.load(f)
    k = len(meta["features"])
    ref = np.fromfile(os.path.join(case_dir, "ref.f64")).reshape(k, -1)
    wins = [np.fromfile(os.path.join(case_dir, f"w{i}.f64")).reshape(k, -1) for i in range(meta["windows"])]
    return meta, ref, wins


def shares(a, b):
    keys = np.union1d(np.unique(a), np.unique(b))
    pa = np.array([np.sum(a == x) for x in keys], dtype=float) / a.size
    pb = np.array([np.sum(b == x) for x in keys], dtype=float) / b.size
    return pa, pb, keys


def chi2_p(a, b):
    keys = np.union1d(np.unique(a), np.unique(b))
    table = np.array([[np.sum(a == x) for x in keys], [np.sum(b == x) for x in keys]])
    if table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table).pvalue)


def wnorm(a, b):
    sd = np.std(a)
    return stats.wasserstein_distance(a, b) / (sd if sd > 0 else 1.0)


def nannyml_threshold(ref, size, rng):
    size = min(size, ref.size)
    values = [wnorm(ref, rng.choice(ref, size=size, replace=False)) for _ in range(10)]
    return float(np.mean(values) + 3 * np.std(values))


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "index.json")) as f:
        cases = json.load(f)
    out = {}
    for case in cases:
        meta, ref, wins = load(os.path.join(root, case))
        rng = np.random.default_rng(0)
        kinds = [f["kind"] for f in meta["features"]]
        size = wins[0].shape[1]
        thresholds = [nannyml_threshold(ref[j], size, rng) if kinds[j] == "numeric" else None for j in range(len(kinds))]
        rules = {"raw": [], "evidently": [], "nannyml": [], "chi2raw": []}
        for w in wins:
            raw, ev, nm = [], [], []
            for j, kind in enumerate(kinds):
                a, b = ref[j], w[j]
                if kind == "numeric":
                    p = float(stats.ks_2samp(a, b).pvalue)
                    raw.append(p < 0.05)
                    ev.append(bool(wnorm(a, b) >= 0.1) if a.size > 1000 else p < 0.05)
                    nm.append(bool(wnorm(a, b) > thresholds[j]))
                else:
                    p = chi2_p(a, b)
                    raw.append(p < 0.05)
                    pa, pb, _ = shares(a, b)
                    ev.append(bool(distance.jensenshannon(pa, pb) >= 0.1) if a.size > 1000 else p < 0.05)
                    nm.append(bool(distance.jensenshannon(pa, pb, base=2) >= 0.1))
            rules["raw"].append(raw)
            rules["evidently"].append(ev)
            rules["nannyml"].append(nm)
            rules["chi2raw"].append(raw)
        out[case] = rules
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
