//! Fluid-Opt solve times: the memoryless closed form (the shipped
//! convergence instance, 5 rewards) and the exact stationary recursion
//! (scale-400k: 4 rewards, 3-period memory).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use tokensim::config::Config;
use tokensim::fluid::FluidProblem;
use tokensim::model::Model;

fn solve(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, file) in [
        (
            "memoryless_5_rewards",
            "configs/paper/convergence-smooth.toml",
        ),
        ("memory_3_periods", "configs/scale-400k.toml"),
    ] {
        let config = Config::load(&root.join(file), &[]).expect("shipped config is valid");
        let model = Model::new(&config);
        c.bench_function(&format!("fluid_opt/{name}"), |b| {
            b.iter(|| FluidProblem::new(&model).solve().expect("feasible").opt)
        });
    }
}

criterion_group!(benches, solve);
criterion_main!(benches);
