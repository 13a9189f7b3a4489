"""The paper model of configs/scale-400k.toml as a performance-minded Python
user would write it: a numba-jitted structure-of-arrays loop, parallel over
chunks of 2,048 agents with `prange`.

Same model as tokensim's: Poisson arrivals, the static reward lottery, a
3-period weighted reward memory renormalized over the periods stayed, table
(interpolated) and logistic departure curves. Like tokensim, it tabulates the
departure probability by (periods stayed, last 3 rewards) once, packs the
last 3 reward indices in one byte, and compacts each chunk in the same pass;
it records the per-type population of every period. Random numbers: one
64-bit SplitMix64 draw per agent-step from a stream per chunk and period,
split into the reward (low half) and the departure (high half), as
tokensim's kernel does. The exact steady-state
start is replaced by a burn-in, and the JIT compilation happens during it:
only the recorded periods are timed. Prints one JSON line.

    python3 numba_model.py SCALE PERIODS BURN_IN   (threads: NUMBA_NUM_THREADS)
"""
import json
import sys
import time

import numba
import numpy as np

REWARDS = np.array([0.0, 1.0, 2.0, 3.0])
PHI = np.array([0.1, 0.3, 0.4, 0.2])
ARRIVALS = np.array([0.4, 1.0, 1.2])
WEIGHTS = [np.array([0.5, 0.3, 0.2]), np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.3, 0.1])]
TABLES = [np.array([0.3, 0.15, 0.08, 0.05]), np.array([0.6, 0.45, 0.3, 0.2]), None]
CHUNK = 2048
MEMORY = 3


def departure_probability(kind, perceived):
    if TABLES[kind] is not None:
        return np.interp(perceived, REWARDS, TABLES[kind])
    return 0.15 + (0.95 - 0.15) / (1.0 + np.exp((perceived - 1.5) / 0.5))


def departure_table():
    """p[kind, periods stayed - 1, key], key = 2-bit reward indices, newest lowest."""
    table = np.zeros((3, MEMORY, 64))
    for k in range(3):
        for level in range(MEMORY):
            for key in range(64):
                recent = [(key >> (2 * j)) & 3 for j in range(MEMORY)]
                w = WEIGHTS[k][: level + 1]
                perceived = sum(w[j] * REWARDS[recent[j]] for j in range(level + 1)) / w.sum()
                table[k, level, key] = departure_probability(k, perceived)
    return table


@numba.njit(cache=False)
def place(kind, state, lens, counts):
    """Newcomers fill the first chunks with room, in type order."""
    c = 0
    for k in range(counts.shape[0]):
        left = counts[k]
        while left > 0:
            room = CHUNK - lens[c]
            take = min(left, room)
            for i in range(lens[c], lens[c] + take):
                kind[c, i] = k
                state[c, i] = 0
            lens[c] += take
            left -= take
            if lens[c] == CHUNK:
                c += 1


M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
LOW32 = np.uint64(0xFFFFFFFF)


@numba.njit(inline="always")
def splitmix64(x):
    """One step of SplitMix64: (next state, 64 random bits)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & M64
    z = x
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & M64
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & M64
    return x, z ^ (z >> np.uint64(31))


@numba.njit(parallel=True, cache=False)
def step(kind, state, lens, cdf, table, active, seed):
    """One period: pay, decide departures, compact; per-type counts. Each
    chunk has its own SplitMix64 stream keyed on (seed, chunk); one 64-bit
    draw per agent-step: the low 32 bits pick the reward (integer CDF), the
    high 32 bits decide the departure (integer thresholds)."""
    chunks = lens.shape[0]
    per_chunk = np.zeros((chunks, 3), dtype=np.int64)
    for c in numba.prange(chunks):
        x = seed ^ (np.uint64(c) * np.uint64(0xD1B54A32D192ED03))
        kept = 0
        for i in range(lens[c]):
            x, bits = splitmix64(x)
            low = bits & LOW32
            r = 0
            while r < 3 and cdf[r] <= low:
                r += 1
            k = kind[c, i]
            s = state[c, i]
            stayed = min((s >> 6) + 1, MEMORY)
            key = ((s & 63) << 2 | r) & 63
            per_chunk[c, k] += 1
            if (bits >> np.uint64(32)) >= table[k, stayed - 1, key]:
                kind[c, kept] = k
                state[c, kept] = (stayed << 6) | key
                kept += 1
        lens[c] = kept
    for c in range(chunks):
        for k in range(3):
            active[k] += per_chunk[c, k]


def main(scale, periods, burn_in, seed=2026):
    rng = np.random.default_rng(seed)
    # Probabilities as thresholds on 32 random bits, as tokensim's.
    table = np.round(departure_table() * 2.0**32).astype(np.uint64)
    cdf = np.round(np.cumsum(PHI) * 2.0**32).astype(np.uint64)
    expected = scale * (ARRIVALS / np.array([0.12, 0.3, 0.35])).sum()  # generous: room to spare
    chunks = int(expected * 2 / CHUNK) + 8
    kind = np.zeros((chunks, CHUNK), dtype=np.int8)
    state = np.zeros((chunks, CHUNK), dtype=np.uint8)  # 2 bits stayed, 6 bits last 3 rewards
    lens = np.zeros(chunks, dtype=np.int64)
    steps = 0
    start = None
    for t in range(burn_in + periods):
        if t == burn_in:
            start = time.perf_counter()
        place(kind, state, lens, rng.poisson(scale * ARRIVALS))
        active = np.zeros(3, dtype=np.int64)
        step(kind, state, lens, cdf, table, active, np.uint64(seed * 1_000_003 + t))
        if t >= burn_in:
            steps += int(active.sum())
    wall = time.perf_counter() - start
    print(json.dumps({"implementation": f"numba {numba.__version__} "
                      f"(prange over chunks, {numba.get_num_threads()} threads)",
                      "agent_steps": steps, "wall": wall, "agents_at_end": int(lens.sum())}))


if __name__ == "__main__":
    scale, periods, burn_in = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    main(scale, periods, burn_in)
