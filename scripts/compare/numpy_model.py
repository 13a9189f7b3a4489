"""The paper model of configs/scale-400k.toml written as a vectorized NumPy
script: what a researcher would otherwise write. Same model (Poisson
arrivals, static reward lottery, 3-period weighted reward memory renormalized
over the periods stayed, table and logistic departure curves), exact
steady-state start replaced by a burn-in. Prints one JSON line."""
import json
import sys
import time

import numpy as np

REWARDS = np.array([0.0, 1.0, 2.0, 3.0])
PHI = np.array([0.1, 0.3, 0.4, 0.2])
ARRIVALS = np.array([0.4, 1.0, 1.2])
WEIGHTS = [np.array([0.5, 0.3, 0.2]), np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.3, 0.1])]
TABLES = [np.array([0.3, 0.15, 0.08, 0.05]), np.array([0.6, 0.45, 0.3, 0.2]), None]


def departure_probability(kind, perceived):
    if TABLES[kind] is not None:
        return np.interp(perceived, REWARDS, TABLES[kind])
    return 0.15 + (0.95 - 0.15) / (1.0 + np.exp((perceived - 1.5) / 0.5))


def main(scale, periods, burn_in, seed=2026):
    rng = np.random.default_rng(seed)
    kind = np.empty(0, dtype=np.int8)
    history = np.empty((0, 3), dtype=np.float64)  # rewards paid, most recent first
    tenure = np.empty(0, dtype=np.int32)
    steps = 0
    start = None
    for t in range(burn_in + periods):
        if t == burn_in:
            start = time.perf_counter()
        counts = rng.poisson(scale * ARRIVALS)
        kind = np.concatenate([kind, np.repeat(np.arange(3, dtype=np.int8), counts)])
        history = np.concatenate([history, np.zeros((counts.sum(), 3))])
        tenure = np.concatenate([tenure, np.zeros(counts.sum(), dtype=np.int32)])
        paid = REWARDS[rng.choice(len(REWARDS), size=len(kind), p=PHI)]
        history = np.column_stack([paid, history[:, :2]])
        tenure += 1
        leave = np.zeros(len(kind), dtype=bool)
        for k in range(3):
            sel = kind == k
            w = WEIGHTS[k]
            stayed = np.minimum(tenure[sel], len(w))
            mask = np.arange(len(w))[None, :] < stayed[:, None]
            weights = mask * w[None, :]
            perceived = (weights * history[sel]).sum(axis=1) / weights.sum(axis=1)
            leave[sel] = rng.random(sel.sum()) < departure_probability(k, perceived)
        if t >= burn_in:
            steps += len(kind)
        keep = ~leave
        kind, history, tenure = kind[keep], history[keep], tenure[keep]
    wall = time.perf_counter() - start
    print(json.dumps({"implementation": "numpy", "agent_steps": steps, "wall": wall,
                      "agents_at_end": int(len(kind))}))


if __name__ == "__main__":
    scale, periods, burn_in = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    main(scale, periods, burn_in)
