#!/usr/bin/env python3
"""Load a tokensim run with h5py and pandas: its series as a tidy table and
its fairness numbers. Usage: scripts/read_output.py FILE [RUN]"""
import sys

import h5py
import numpy as np
import pandas as pd


def load_series(path, run="0"):
    """Per-period, per-type series of one run as a long DataFrame."""
    with h5py.File(path, "r") as f:
        g = f[f"runs/{run}"]
        names = g["meta/type_names"].asstr()[:]
        warmup = int(g.attrs["warmup"])
        frames = []
        for variable in ("active", "arrivals", "departures"):
            data = g[f"series/{variable}"][:]  # [T, K]
            frame = pd.DataFrame(data, columns=names)
            frame.index.name = "period"
            frames.append(frame.reset_index().melt(id_vars="period", var_name="type", value_name="value")
                          .assign(variable=variable))
        fairness = {
            "verdict": g["fairness"].attrs["verdict"],
            "max_abs_gap": float(g["fairness"].attrs["max_abs_gap"]),
            "max_tv": float(g["fairness"].attrs["max_tv"]),
            "reward_dist": pd.DataFrame(g["fairness/reward_dist"][:], index=names,
                                        columns=g["meta/reward_values"][:]),
        }
        profit = g["series/profit"][:] / g.attrs["scale"]
    return pd.concat(frames, ignore_index=True), warmup, fairness, profit


def main():
    path = sys.argv[1]
    run = sys.argv[2] if len(sys.argv) > 2 else "0"
    series, warmup, fairness, profit = load_series(path, run)
    steady = series[(series.variable == "active") & (series.period >= warmup)]
    print("mean agents per type after warm-up:")
    for name, mean in steady.groupby("type")["value"].mean().items():
        print(f"  {name}: {mean:.3f}")
    print(f"normalized profit after warm-up: {np.mean(profit[warmup:]):.5f}")
    print(f"fairness: {fairness['verdict']} (max gap {fairness['max_abs_gap']:.5f}, "
          f"max TV {fairness['max_tv']:.5f})")
    print("reward distribution by type:")
    print(fairness["reward_dist"].round(4).to_string())


if __name__ == "__main__":
    main()
