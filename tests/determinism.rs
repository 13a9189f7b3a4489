//! Same configuration and seed ⇒ bit-identical results with 1, 2 or 8 threads.

mod common;

use common::config;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use tokensim::record::RunRecord;
use tokensim::runner::{run_experiment, thread_pool, Progress};

/// Several chunks (≈ 9,000 agents), memory, a cycle and two replications.
const CONFIG: &str = r#"
[simulation]
periods = 120
warmup = 20
seed = 99
scale = 3000.0
initial = "steady_state"
replications = 2

[rewards]
values = [0.0, 1.0, 2.0, 3.0]

[revenue]
kind = "log"
price = 5.0

[[types]]
name = "a"
arrival_rate = 1.0
departure = { kind = "table", p = [0.5, 0.3, 0.2, 0.1], memory = { weights = [0.5, 0.3, 0.2] } }

[[types]]
name = "b"
arrival_rate = 0.5
departure = { kind = "logistic", midpoint = 1.5, scale = 0.4, lo = 0.1, hi = 0.9 }

[policy]
kind = "cyclic"
cycle = [[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]
"#;

fn histogram_bytes(record: &RunRecord) -> Vec<Vec<u8>> {
    let l = &record.leavers;
    l.lifetime_reward
        .iter()
        .chain(&l.tenure)
        .map(|h| {
            let mut bytes = Vec::new();
            V2Serializer::new().serialize(h, &mut bytes).unwrap();
            bytes
        })
        .collect()
}

fn run_with(threads: usize) -> Vec<RunRecord> {
    let config = config(CONFIG);
    thread_pool(Some(threads))
        .unwrap()
        .install(|| run_experiment(&config, &Progress::hidden()))
        .unwrap()
}

#[test]
fn identical_across_thread_counts() {
    let one = run_with(1);
    assert!(one[0].series.active.iter().sum::<u64>() > 0);
    assert!(
        one[0].series.active.iter().sum::<u64>() / 120 > 2 * 2048,
        "the test needs several chunks"
    );
    assert_ne!(one[0].series, one[1].series, "replications must differ");
    for threads in [2, 8] {
        let other = run_with(threads);
        for (a, b) in one.iter().zip(&other) {
            assert_eq!(a.series, b.series, "series differ with {threads} threads");
            assert_eq!(a.summary, b.summary);
            assert_eq!(a.fairness, b.fairness);
            assert_eq!(
                histogram_bytes(a),
                histogram_bytes(b),
                "histograms differ with {threads} threads"
            );
        }
    }
}

/// The lean kernel of `tokensim bench` (its lower bound) makes exactly the
/// engine's draws — the same stream per chunk, one 64-bit number per
/// agent-step, the same alias table and departure thresholds, the same
/// placement of arrivals — so from the same start it keeps the same agents,
/// period after period. A yardstick that did less random work than the
/// model would flatter nothing but itself.
#[test]
fn the_lean_kernel_makes_the_engines_draws() {
    use std::sync::Arc;
    use tokensim::engine::SimulationBuilder;
    use tokensim::model::Model;
    let config = config(CONFIG);
    let model = Arc::new(Model::new(&config));
    let build = || {
        SimulationBuilder::from_config(&config, Arc::clone(&model), 0)
            .and_then(|b| b.build())
            .unwrap()
    };
    let (mut full, mut bench) = (build(), build());
    let mut lean = bench.lean_kernel().expect("2 bits × 3 periods fit a byte");
    assert_eq!(lean.population(), full.population());
    for period in 0..60 {
        full.step();
        assert!(bench.step_lean(&mut lean));
        assert_eq!(lean.population(), full.population(), "period {period}");
    }
    assert!(full.population() > 5_000);
}
