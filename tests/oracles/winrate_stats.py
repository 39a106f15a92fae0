#!/usr/bin/env python3
"""Independent statistics oracle for the evaluator tests (Debian python3-numpy, python3-scipy, python3-sklearn).

usage: winrate_stats.py IN_JSON OUT_JSON
  IN_JSON: {"wilson": [{"k", "m", "level"}], "sign": [{"wins", "losses"}],
            "bootstrap": [{"sums": [..], "counts": [..], "rounds", "level", "seed"}],
            "lc": [{"p": [..], "delta": [..]}],
            "bt": [{"battles": [[model_a, model_b, y], ...], "anchor"}]}
  OUT_JSON: {"wilson": [[low, high]], "sign": [p], "bootstrap": [[low, high]], "lc": [{"theta", "phi", "lc"}],
             "bt": [{model: elo}]}
Wilson and the sign test come from scipy.stats.binomtest; the bootstrap is numpy's own (its own random stream, so the
C# test compares with a tolerance); the LC GLM and Bradley-Terry are sklearn LogisticRegression(penalty=None) on rows
duplicated with labels 1 / 0 and sample weights p / 1-p, as AlpacaEval and Chatbot Arena fit them.
"""
import json, math, sys
import numpy as np
from scipy import stats
from sklearn.linear_model import LogisticRegression


def wilson(c):
    ci = stats.binomtest(c["k"], c["m"]).proportion_ci(confidence_level=c["level"], method="wilson")
    return [ci.low, ci.high]


def sign(c):
    w, l = c["wins"], c["losses"]
    return 1.0 if w + l == 0 else stats.binomtest(w, w + l, 0.5, alternative="greater").pvalue


def bootstrap(c):
    sums, counts = np.array(c["sums"], float), np.array(c["counts"], float)
    rng = np.random.default_rng(c["seed"])
    idx = rng.integers(0, len(sums), size=(c["rounds"], len(sums)))
    est = sums[idx].sum(1) / counts[idx].sum(1)
    a = (1 - c["level"]) / 2
    return [float(np.quantile(est, a)), float(np.quantile(est, 1 - a))]


def soft_fit(x, p, intercept):
    x = np.asarray(x, float)
    p = np.asarray(p, float)
    xx = np.vstack([x, x])
    yy = np.concatenate([np.ones(len(p)), np.zeros(len(p))])
    ww = np.concatenate([p, 1 - p])
    keep = ww > 0
    m = LogisticRegression(penalty=None, fit_intercept=intercept, tol=1e-10, max_iter=10000)
    m.fit(xx[keep], yy[keep], sample_weight=ww[keep])
    return m


def lc(c):
    p, d = np.array(c["p"], float), np.array(c["delta"], float)
    x = np.tanh(d / d.std(ddof=1)).reshape(-1, 1)
    m = soft_fit(x, p, True)
    theta, phi = float(m.intercept_[0]), float(m.coef_[0][0])
    return {"theta": theta, "phi": phi, "lc": 1 / (1 + math.exp(-theta))}


def bt(c):
    battles, anchor = c["battles"], c["anchor"]
    models = []
    for a, b, _ in battles:
        for m in (a, b):
            if m not in models:
                models.append(m)
    free = [m for m in models if m != anchor]
    x = np.zeros((len(battles), len(free)))
    for i, (a, b, _) in enumerate(battles):
        if a in free: x[i, free.index(a)] += 1
        if b in free: x[i, free.index(b)] -= 1
    m = soft_fit(x, [y for _, _, y in battles], False)
    out = {anchor: 1000.0}
    for j, name in enumerate(free):
        out[name] = 1000 + 400 * float(m.coef_[0][j]) / math.log(10)
    return out


def main():
    cases = json.load(open(sys.argv[1]))
    out = {
        "wilson": [wilson(c) for c in cases.get("wilson", [])],
        "sign": [sign(c) for c in cases.get("sign", [])],
        "bootstrap": [bootstrap(c) for c in cases.get("bootstrap", [])],
        "lc": [lc(c) for c in cases.get("lc", [])],
        "bt": [bt(c) for c in cases.get("bt", [])],
    }
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
