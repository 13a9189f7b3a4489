//! The token-economy step, whose cost is dominated by the redemption choice
//! (each shopping visit draws from the affordable-set logit over the mall):
//! the courier scenario (3 types, 15 goods, 1.8–5.3 visits per courier-week)
//! at 10,000 and 100,000 couriers, in agent-steps per second; and one
//! period under the `steer` controller.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokensim::config::Config;
use tokensim::engine::SimulationBuilder;
use tokensim::model::Model;

fn economy(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("economy_step");
    for (file, name) in [
        ("fengdou-baseline.toml", "fixed_levers"),
        ("fengdou-steer.toml", "steer"),
    ] {
        for couriers in [10_000u64, 100_000] {
            let sets = [
                format!("simulation.scale={couriers}"),
                format!("budget.annual={}", 4.0e7 * couriers as f64 / 400_000.0),
            ];
            let config = Config::load(&root.join("configs").join(file), &sets)
                .expect("shipped config is valid");
            let mut sim = SimulationBuilder::from_config(&config, Arc::new(Model::new(&config)), 0)
                .and_then(|b| b.build())
                .unwrap();
            let per_step = sim.step().total_active();
            group.throughput(Throughput::Elements(per_step));
            group.bench_with_input(BenchmarkId::new(name, couriers), &couriers, |b, _| {
                b.iter(|| sim.step().issuance)
            });
        }
    }
    group.finish();
}

criterion_group!(benches, economy);
criterion_main!(benches);
