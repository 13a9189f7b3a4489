//! Custom policies are first-class: registered once by name, they run
//! through replications, sweeps, events and checkpoints like the built-in
//! ones, and draw from their own keyed stream in `prepare`. Events never
//! reset a policy's state unless they change `[policy]`, and an event that
//! cannot take effect is refused.

mod common;

use std::path::Path;

use rand::Rng;
use tokensim::config::Config;
use tokensim::engine::StreamRng;
use tokensim::error::Error;
use tokensim::policy::{
    register_policy, PolicyContext, RewardDistribution, RewardPlan, RewardPolicy,
};
use tokensim::runner::{run_experiment, thread_pool, Progress};

/// Pays everyone the top reward in a period with probability `share`
/// (drawn in `prepare` from the policy's stream), the lowest otherwise.
struct CoinFlip {
    share: f64,
    top: RewardDistribution,
    bottom: RewardDistribution,
    paying_top: bool,
}

impl RewardPolicy for CoinFlip {
    fn name(&self) -> &str {
        "coin-flip"
    }
    fn prepare(&mut self, _ctx: &PolicyContext<'_>, rng: &mut StreamRng) {
        self.paying_top = rng.random::<f64>() < self.share;
    }
    fn plan(&self) -> RewardPlan<'_> {
        RewardPlan::Shared(if self.paying_top {
            &self.top
        } else {
            &self.bottom
        })
    }
}

fn register() {
    register_policy("coin-flip", |config, model| {
        let share = config
            .policy
            .parameters
            .as_ref()
            .and_then(|p| p.get("share"))
            .and_then(|v| v.as_float())
            .ok_or_else(|| Error::Input("policy.parameters.share: a number".into()))?;
        let m = model.reward_count();
        let mass = |i: usize| (0..m).map(|j| if j == i { 1.0 } else { 0.0 }).collect();
        Ok(Box::new(CoinFlip {
            share,
            top: RewardDistribution::new(mass(m - 1)),
            bottom: RewardDistribution::new(mass(0)),
            paying_top: false,
        }))
    });
}

const BASE: &str = r#"
[simulation]
periods = 4000
seed = 11
scale = 20.0
replications = 2
initial = "empty"
burn_in = 0

[rewards]
values = [0.0, 1.0]

[revenue]
kind = "linear"
price = 2.0

[[types]]
name = "a"
arrival_rate = 1.0
departure = { kind = "table", p = [0.9, 0.3] }

[policy]
kind = "custom"
name = "coin-flip"
parameters = { share = 0.25 }
"#;

/// Fraction of the periods t in `range` whose φ_t put its mass on the top
/// reward.
fn top_share(record: &tokensim::record::RunRecord, range: std::ops::Range<usize>) -> f64 {
    let s = &record.series;
    let m = s.rewards;
    let n = range.len() as f64;
    range
        .filter(|&t| s.policy_dist[t * m + m - 1] == 1.0)
        .count() as f64
        / n
}

/// |x − q| within 4 binomial standard errors of n Bernoulli(q) draws.
fn within(x: f64, q: f64, n: usize) -> bool {
    (x - q).abs() < 4.0 * (q * (1.0 - q) / n as f64).sqrt()
}

fn run(config: &Config, threads: usize) -> Vec<tokensim::record::RunRecord> {
    let pool = thread_pool(Some(threads)).unwrap();
    pool.install(|| run_experiment(config, &Progress::hidden()))
        .unwrap()
}

#[test]
fn a_registered_policy_runs_replications_with_its_own_keyed_stream() {
    register();
    let config = common::config(BASE);
    let one = run(&config, 1);
    let three = run(&config, 3);
    assert_eq!(one.len(), 2);
    for (a, b) in one.iter().zip(&three) {
        assert_eq!(a.series.policy_dist, b.series.policy_dist, "thread count");
        assert_eq!(a.series.profit, b.series.profit, "thread count");
        assert!(within(top_share(a, 0..4000), 0.25, 4000));
    }
    assert_ne!(
        one[0].series.policy_dist, one[1].series.policy_dist,
        "replications draw from different streams"
    );
    assert_eq!(one[0].info.policy, "coin-flip");
}

#[test]
fn an_event_on_policy_parameters_takes_effect_in_its_window_only() {
    register();
    let text = format!(
        "{BASE}\n[[events]]\nfrom = 1000\nto = 2999\nkey = \"policy.parameters.share\"\nvalue = 0.75\n"
    );
    let config = common::config(&text);
    for record in run(&config, 2) {
        assert!(within(top_share(&record, 0..1000), 0.25, 1000));
        assert!(within(top_share(&record, 1000..3000), 0.75, 2000));
        assert!(within(top_share(&record, 3000..4000), 0.25, 1000));
    }
}

#[test]
fn a_sweep_over_a_custom_policy_parameter_runs_every_point() {
    register();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"base.toml\"\nreplications = 1\nseed = 5\n[grid]\n\"policy.parameters.share\" = [0.1, 0.9]\n",
    )
    .unwrap();
    let plan = tokensim::sweep::SweepPlan::load(&sweep).unwrap();
    let out = dir.path().join("out.h5");
    let options = tokensim::sweep::SweepOptions {
        out: out.clone(),
        create_folder: false,
        checkpoint_every: None,
        shard: None,
        resume: false,
        on_error: tokensim::sweep::OnError::Stop,
        quiet: true,
        control: None,
    };
    let outcome =
        tokensim::sweep::run_sweep(&plan, &options, &thread_pool(Some(2)).unwrap()).unwrap();
    assert_eq!((outcome.ran, outcome.failed.len()), (2, 0));
    assert!(out.exists());
    for index in 0..2 {
        let config = plan.config_of(&plan.run(index));
        let q = [0.1, 0.9][index];
        let record = &run(&config, 1)[0];
        assert!(within(top_share(record, 0..4000), q, 4000), "point {index}");
    }
}

#[test]
fn an_unregistered_custom_policy_is_a_clear_error() {
    let text = BASE.replace("coin-flip", "nobody-registered-this");
    let config = common::config(&text);
    match run_experiment(&config, &Progress::hidden()) {
        Err(Error::Input(message)) => assert!(message.contains("nobody-registered-this")),
        other => panic!("expected an input error, got {:?}", other.map(|r| r.len())),
    }
}

const BELIEF: &str = r#"
[simulation]
periods = 3000
seed = 8
scale = 30.0
initial = "empty"
burn_in = 0

[rewards]
values = [0.0, 0.5]

[revenue]
kind = "newsvendor"
price = 1.0
capacity = 10.0

[[types]]
name = "cheap"
arrival_rate = 1.0
departure = { kind = "table", p = [1.0, 0.05] }

[[types]]
name = "costly"
arrival_rate = 1.0
departure = { kind = "table", p = [1.0, 1.0] }

[policy]
kind = "belief"
cheap_type = "cheap"
"#;

/// An event elsewhere in the model (here one that changes nothing) must not
/// rebuild the policy: the belief policy's learnt stock carries through.
#[test]
fn an_event_outside_the_policy_does_not_reset_it() {
    let plain = run(&common::config(BELIEF), 2);
    let text = format!(
        "{BELIEF}\n[[events]]\nfrom = 1000\nto = 1999\nkey = \"types.1.arrival_rate\"\nfactor = 1.0\n"
    );
    let with_event = run(&common::config(&text), 2);
    assert_eq!(
        plain[0].series.reward_counts,
        with_event[0].series.reward_counts
    );
    assert_eq!(plain[0].series.profit, with_event[0].series.profit);
}

/// Switching to or from a policy that learns about agents cannot take
/// effect, so it is refused before anything runs; switching among static
/// kinds takes effect.
#[test]
fn events_switching_policy_kind_take_effect_or_are_refused() {
    let to_belief = BELIEF.replace("kind = \"belief\"", "kind = \"fluid\"")
        + "\n[[events]]\nperiod = 100\nkey = \"policy.kind\"\nvalue = \"belief\"\n";
    match Config::from_toml(&to_belief, Path::new("x.toml"), &[]) {
        Err(Error::Config(issues)) => {
            assert_eq!(issues[0].key, "events.0.key (policy.kind)");
            assert!(
                issues[0].expected.contains("belief"),
                "{}",
                issues[0].expected
            );
        }
        other => panic!("expected a configuration error, got {:?}", other.is_ok()),
    }
    let to_fixed = BELIEF.replace("kind = \"belief\"", "kind = \"fluid\"")
        + "\n[[events]]\nfrom = 1000\nto = 1999\nkey = \"policy.kind\"\nvalue = \"fixed\"\n\
           [[events]]\nfrom = 1000\nto = 1999\nkey = \"policy.value\"\nvalue = 0.0\n";
    let record = &run(&common::config(&to_fixed), 1)[0];
    let m = record.series.rewards;
    let phi = |t: usize| record.series.policy_dist[t * m..(t + 1) * m].to_vec();
    assert_eq!(phi(1500), vec![1.0, 0.0], "fixed at 0 inside the window");
    assert!(
        phi(500)[1] > 0.5 && phi(2500) == phi(500),
        "fluid outside it"
    );
}
