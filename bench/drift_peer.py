#!/usr/bin/env python3
"""Peer side of bench/drift.ts: scipy.stats.ks_2samp + numpy PSI on the very same float64 data.

Usage: python3 bench/drift_peer.py DATA_DIR FEATURES REF_N CUR_N[,CUR_N...] BINS EPSILON SORT_FEATURES
Reads DATA_DIR/ref.f64 (FEATURES x REF_N, feature-major) and DATA_DIR/cur_<N>.f64, times each
step in-process with time.perf_counter, and prints one JSON object on stdout.

PSI follows issue 3 exactly: edges = np.unique(np.quantile(ref, i/b)), bin = np.searchsorted(edges,
v, side='left') (= #{edges < v}), zero proportions -> epsilon, sum((c - r) * log(c / r)).
The peer gets raw (unsorted) columns, as a scipy user would; ours gets the profile built once.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy import stats


def psi(ref, cur, bins, eps):
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    k = len(edges) + 1
    r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=k) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=k) / cur.size
    r = np.where(r == 0, eps, r)
    c = np.where(c == 0, eps, c)
    return float(np.sum((c - r) * np.log(c / r)))


def main():
    data_dir, features, ref_n, cur_ns, bins, eps, sort_features = sys.argv[1:8]
    features, ref_n, bins, eps, sort_features = int(features), int(ref_n), int(bins), float(eps), int(sort_features)
    ref = np.fromfile(f"{data_dir}/ref.f64", dtype="<f8").reshape(features, ref_n)
    out = {"numpy": np.__version__, "scipy": scipy.__version__, "windows": {}}

    # np.sort of one 1 M column (copying, as a profile build must), best of 3 per column.
    sort_ms = []
    for i in range(sort_features):
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            np.sort(ref[i])
            best = min(best, time.perf_counter() - t)
        sort_ms.append(best * 1e3)
    out["sortMs"] = sort_ms

    for cur_n in (int(x) for x in cur_ns.split(",")):
        cur = np.fromfile(f"{data_dir}/cur_{cur_n}.f64", dtype="<f8").reshape(features, cur_n)
        results = []
        t0 = time.perf_counter()
        for i in range(features):
            ks = stats.ks_2samp(ref[i], cur[i])
            results.append({"statistic": float(ks.statistic), "pValue": float(ks.pvalue), "psi": psi(ref[i], cur[i], bins, eps)})
        elapsed = time.perf_counter() - t0
        out["windows"][str(cur_n)] = {"msPerFeature": elapsed * 1e3 / features, "results": results}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
