"""The same paper model as a Mesa model (one Python object per courier,
stepped by Mesa's agent set): what an ABM user would otherwise pick. Prints
one JSON line. Mesa is slow per agent, so it is run at a smaller size and
compared by agent-steps per second."""
import json
import math
import sys
import time

import mesa

REWARDS = [0.0, 1.0, 2.0, 3.0]
PHI = [0.1, 0.3, 0.4, 0.2]
ARRIVALS = [0.4, 1.0, 1.2]
WEIGHTS = [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.6, 0.3, 0.1]]
TABLES = [[0.3, 0.15, 0.08, 0.05], [0.6, 0.45, 0.3, 0.2], None]


def interpolate(table, r):
    if r <= REWARDS[0]:
        return table[0]
    for i in range(1, len(REWARDS)):
        if r <= REWARDS[i]:
            x0, x1 = REWARDS[i - 1], REWARDS[i]
            return table[i - 1] + (table[i] - table[i - 1]) * (r - x0) / (x1 - x0)
    return table[-1]


class Courier(mesa.Agent):
    def __init__(self, model, kind):
        super().__init__(model)
        self.kind = kind
        self.history = []

    def step(self):
        rng = self.model.random
        self.history.insert(0, rng.choices(REWARDS, weights=PHI)[0])
        w = WEIGHTS[self.kind][: len(self.history)]
        perceived = sum(a * b for a, b in zip(w, self.history)) / sum(w)
        del self.history[len(WEIGHTS[self.kind]):]
        if TABLES[self.kind] is not None:
            p = interpolate(TABLES[self.kind], perceived)
        else:
            p = 0.15 + 0.8 / (1.0 + math.exp((perceived - 1.5) / 0.5))
        if rng.random() < p:
            self.model.leaving.append(self)


class Market(mesa.Model):
    def __init__(self, scale, seed=2026):
        super().__init__(seed=seed)
        self.scale = scale
        self.leaving = []
        self.stepped = 0

    def poisson(self, mean):
        # Knuth's method for small means, normal approximation otherwise.
        if mean > 50:
            return max(0, round(self.random.gauss(mean, math.sqrt(mean))))
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.random.random()
            if p <= limit:
                return k
            k += 1

    def step(self):
        for kind, rate in enumerate(ARRIVALS):
            for _ in range(self.poisson(self.scale * rate)):
                Courier(self, kind)
        self.stepped += len(self.agents)
        self.agents.do("step")
        for agent in self.leaving:
            agent.remove()
        self.leaving = []


def main(scale, periods, burn_in):
    model = Market(scale)
    for _ in range(burn_in):
        model.step()
    model.stepped = 0
    start = time.perf_counter()
    for _ in range(periods):
        model.step()
    wall = time.perf_counter() - start
    steps = model.stepped
    print(json.dumps({"implementation": "mesa", "agent_steps": steps, "wall": wall,
                      "agents_at_end": len(model.agents)}))


if __name__ == "__main__":
    main(float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
