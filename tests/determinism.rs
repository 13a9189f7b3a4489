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
