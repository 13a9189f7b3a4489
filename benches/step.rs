//! Throughput of one period of the engine (pay, depart, compact) at 10k,
//! 100k and 400k agents of the `scale-400k` model (3 types, 3-period memory,
//! static policy), reported as agent-steps per second, for the full kernel
//! for the bare kernel (the same draws without bookkeeping) and for the lean
//! kernel (the lower bound: two bytes per agent, table lookups only).

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokensim::config::Config;
use tokensim::engine::SimulationBuilder;
use tokensim::model::Model;

fn step(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/scale-400k.toml");
    let base = Config::load(&path, &[]).expect("shipped config is valid");
    let mut group = c.benchmark_group("engine_step");
    for agents in [10_000u64, 100_000, 400_000] {
        // scale-400k holds ~400,000 agents at its scale: shrink proportionally.
        let mut config = base.clone();
        config.simulation.scale *= agents as f64 / 400_000.0;
        let mut sim = SimulationBuilder::from_config(&config, Arc::new(Model::new(&config)), 0)
            .and_then(|b| b.build())
            .unwrap();
        // Agent-steps per period: everyone paid, newcomers included.
        let per_step = sim.step().total_active();
        group.throughput(Throughput::Elements(per_step));
        group.bench_with_input(BenchmarkId::new("full", agents), &agents, |b, _| {
            b.iter(|| sim.step().total_active())
        });
        group.bench_with_input(BenchmarkId::new("reference", agents), &agents, |b, _| {
            b.iter(|| sim.step_reference())
        });
        if let Some(mut lean) = sim.lean_kernel() {
            group.bench_with_input(BenchmarkId::new("lean", agents), &agents, |b, _| {
                b.iter(|| sim.step_lean(&mut lean))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
