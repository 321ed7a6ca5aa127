"""Peer for bench/cli.ts: what a user would write instead of `mlcycle drift` — pandas.read_csv
(or read_parquet) + scipy.stats, computing the same statistics per column: PSI over 10 reference
quantile bins and two-sample KS for numeric columns, PSI over categories (+ unseen) and a chi2
test of homogeneity for categorical ones, and missing rates. Prints one JSON line per run with
the KS p-values so the bench can check both sides agree.

    python3 bench/cli_peer.py REFERENCE CURRENT
"""
import json
import sys

import numpy as np
import pandas as pd
from scipy import stats

EPS = 1e-4


def psi(r, c):
    r = np.where(r == 0, EPS, r)
    c = np.where(c == 0, EPS, c)
    return float(np.sum((c - r) * np.log(c / r)))


def read(path):
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)


def main():
    ref, cur = read(sys.argv[1]), read(sys.argv[2])
    out = {}
    for name in ref.columns:
        a, b = ref[name], cur[name]
        miss = (float(a.isna().mean()), float(b.isna().mean()))
        if pd.api.types.is_numeric_dtype(a):
            x, y = np.sort(a.dropna().to_numpy()), np.sort(b.dropna().to_numpy())
            edges = np.unique(np.quantile(x, np.arange(1, 10) / 10))
            rc = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1) / len(x)
            cc = np.bincount(np.searchsorted(edges, y, side="left"), minlength=len(edges) + 1) / len(y)
            ks = stats.ks_2samp(x, y)
            out[name] = {"psi": psi(rc, cc), "p": float(ks.pvalue), "missing": miss}
        else:
            rv, cv = a.value_counts(), b.value_counts()
            cats = list(rv.index)
            rc = np.append(rv.to_numpy(dtype=float), 0.0)
            cc = np.append(cv.reindex(cats, fill_value=0).to_numpy(dtype=float), cv[~cv.index.isin(cats)].sum())
            table = np.vstack([rc, cc])
            table = table[:, table.sum(axis=0) > 0]
            chi2 = stats.chi2_contingency(table, correction=False)
            out[name] = {"psi": psi(rc / rc.sum(), cc / cc.sum()), "p": float(chi2[1]), "missing": miss}
    print(json.dumps(out))


main()
