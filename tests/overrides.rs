//! Operator overrides and the controller (model.md E.4): while an operator
//! sets a lever, the controller plans from the value set, not from its own
//! ignored recommendation, so it does not wind up (drift to its band's edge
//! while overridden and jump when the override ends).

use std::path::Path;

use tokensim::config::Config;
use tokensim::runner::{run_experiment, Progress};

#[test]
fn the_controller_plans_from_the_implemented_levers_under_an_override() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let overrides = r#"overrides=[{lever = "issuance_rate", from = 10, to = 30, value = 1.3}, {lever = "real_price_mult", from = 20, to = 40, value = 1.2}]"#;
    let config = Config::load(
        &path,
        &[
            "simulation.scale=4000".into(),
            "budget.annual=4.0e5".into(),
            overrides.into(),
        ],
    )
    .unwrap();
    let step = config.steer.as_ref().unwrap().issuance_step;
    let [lo, hi] = config.steer.as_ref().unwrap().real_price_band;
    let record = &run_experiment(&config, &Progress::hidden()).unwrap()[0];
    let t = record.series.tokens.as_ref().unwrap();
    for p in 1..t.levers.len() {
        let (implemented, recommended) = (t.levers[p - 1], t.recommended_levers[p]);
        // Issuance moves by at most one step a period from what was in
        // force, overridden or not (it sits at 1.3 through the window, so
        // the first recommendation after it is within a step of 1.3).
        let ratio = recommended[0] / implemented[0];
        assert!(
            (ratio - 1.0).abs() <= step + 1e-12,
            "period {p}: issuance recommended {} after {} in force",
            recommended[0],
            implemented[0]
        );
        // The real price moves half-way (in logs) from what was in force
        // towards a setting inside its band.
        let (low, high) = ((implemented[1] * lo).sqrt(), (implemented[1] * hi).sqrt());
        assert!(
            recommended[1] >= low.min(implemented[1]) - 1e-9
                && recommended[1] <= high.max(implemented[1]) + 1e-9,
            "period {p}: real price recommended {} after {} in force",
            recommended[1],
            implemented[1]
        );
    }
    // The overrides were in force.
    assert_eq!(t.levers[20][0], 1.3);
    assert_eq!(t.levers[30][1], 1.2);
}
