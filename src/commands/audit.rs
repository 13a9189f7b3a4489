//! `tokensim audit FILE [--run ID] [--epsilon E] [--window W] [--json]`.

use std::fmt::Write as _;
use std::path::Path;

use crate::audit::printable;
use crate::audit::{audit_file, AuditOptions, FileAudit, Interval, TokenFairness};
use crate::error::Result;

/// Audits a file; returns the report (a table, or JSON) and whether it is fair.
pub fn audit(
    path: &Path,
    run: Option<&str>,
    options: &AuditOptions,
    json: bool,
) -> Result<(String, bool)> {
    let result = audit_file(path, run, options)?;
    let fair = result.verdict == "fair";
    let text = if json {
        serde_json::to_string_pretty(&result).expect("the audit serializes")
    } else {
        table(path, &result)
    };
    Ok((text, fair))
}

fn ci(i: &Interval) -> String {
    format!("{:.4} [{:.4}, {:.4}]", i.estimate, i.low, i.high)
}

fn table(path: &Path, a: &FileAudit) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Fairness audit of {} ({} run(s)), epsilon = {}",
        path.display(),
        a.runs.len(),
        a.epsilon
    );
    for r in &a.runs {
        let swept = match r.point {
            Some(p) if !r.grid.is_empty() => {
                let grid: Vec<String> = r.grid.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(" (point {p}: {})", grid.join(", "))
            }
            _ => String::new(),
        };
        let _ = writeln!(s, "\nrun {}{swept}: {}", r.run, r.verdict.to_uppercase());
        let _ = writeln!(
            s,
            "  criterion 1 (one distribution per period): {}",
            if r.criterion1 {
                "holds"
            } else {
                "FAILS (rewards differ within periods)"
            }
        );
        let _ = writeln!(
            s,
            "  max reward gap between types: {} (95% CI, {})",
            ci(&r.max_abs_gap_interval),
            r.max_abs_gap_interval.method
        );
        let _ = writeln!(s, "  max total variation: {:.4}", r.max_tv);
        if let Some(g) = &r.two_period {
            let _ = writeln!(
                s,
                "  two-period fairness (Def. G.1, veterans' (now, previous) rewards): max gap {:.4} -> {}",
                g.max_gap,
                if g.max_gap <= a.epsilon { "fair" } else { "UNFAIR" }
            );
        }
        let _ = writeln!(
            s,
            "  mean reward: difference {} , ratio {:.4}",
            ci(&r.mean_reward_difference_interval),
            r.mean_reward_ratio
        );
        let _ = writeln!(
            s,
            "  worst window of {} periods: gap {:.4} starting at period {}",
            r.window, r.worst_window.1, r.worst_window.0
        );
        let _ = writeln!(
            s,
            "  {:<14} {:>12} {:>12}  reward distribution q_k(r)",
            "type", "mean reward", "agent-periods"
        );
        for t in &r.types {
            let q: Vec<String> = t.reward_dist.iter().map(|v| format!("{v:.4}")).collect();
            let _ = writeln!(
                s,
                "  {:<14} {:>12.4} {:>12}  [{}]",
                printable(&t.name),
                t.mean_reward,
                t.agent_periods,
                q.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "  {:<14} {:>10} {:>10} {:>8} {:>8} {:>8} {:>10} {:>10}",
            "pair", "max gap", "at reward", "TV", "KS", "W1", "life KS", "life W1"
        );
        for p in &r.pairs {
            let _ = writeln!(
                s,
                "  {:<14} {:>10.4} {:>10} {:>8.4} {:>8.4} {:>8.4} {:>10.4} {:>10.4}",
                format!("{}/{}", printable(&p.a), printable(&p.b)),
                p.max_abs_gap,
                p.at_reward,
                p.tv,
                p.reward_ks,
                p.reward_wasserstein,
                p.lifetime_ks,
                p.lifetime_wasserstein
            );
        }
        if let Some(t) = &r.token_fairness {
            token_table(&mut s, t);
        }
        let _ = writeln!(s, "  lifetime reward quantiles (tokens; departed agents):");
        for t in &r.types {
            let q: Vec<String> = t
                .lifetime_reward_quantiles
                .iter()
                .map(|(q, v)| format!("q{:.0}={v:.2}", q * 100.0))
                .collect();
            let _ = writeln!(
                s,
                "    {:<14} mean {:.3}  {}",
                printable(&t.name),
                t.lifetime_reward_mean,
                q.join(" ")
            );
        }
    }
    if let Some(t) = &a.token_fairness {
        let _ = writeln!(s, "\nacross runs (replications):");
        token_table(&mut s, t);
    }
    if !a.points.is_empty() {
        let _ = writeln!(
            s,
            "\nby sweep point (intervals across each point's replications only):"
        );
        for p in &a.points {
            let grid: Vec<String> = p.grid.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                s,
                "  point {:>3} [{}]: mean max gap {:.4} [{:.4}, {:.4}] over {} run(s), max TV {:.4}: {}",
                p.point,
                grid.join(", "),
                p.max_abs_gap,
                p.ci95[0],
                p.ci95[1],
                p.runs.len(),
                p.max_tv,
                p.verdict
            );
        }
    }
    if let Some(i) = &a.across_replications {
        let _ = writeln!(s, "\nacross runs: mean max gap {} ({})", ci(i), i.method);
    }
    let _ = write!(
        s,
        "\nverdict: {} ({} of {} runs fair; max gap {:.4}, max TV {:.4}, criterion 1 {})",
        a.verdict.to_uppercase(),
        a.fair_runs,
        a.runs.len(),
        a.max_abs_gap,
        a.max_tv,
        if a.criterion1 { "holds" } else { "fails" }
    );
    s
}

/// The token-fairness block of the text audit.
fn token_table(s: &mut String, t: &TokenFairness) {
    let _ = writeln!(
        s,
        "  token fairness (tolerance {} of the overall rate): {}",
        t.tolerance,
        t.verdict.to_uppercase()
    );
    for (label, m, judged) in [
        ("pay rate (task tokens per task)", &t.pay_rate, true),
        (
            "purchasing power (reference-price tokens per token)",
            &t.purchasing_power,
            true,
        ),
        (
            "value per token redeemed (yuan; descriptive, reflects choices)",
            &t.value_per_token,
            false,
        ),
    ] {
        let verdict = if judged {
            m.verdict
        } else {
            "descriptive, not judged"
        };
        let by: Vec<String> = m
            .by_group
            .0
            .iter()
            .map(|(g, v)| format!("{}={v:.4}", printable(g)))
            .collect();
        let _ = writeln!(s, "    {label}: {}  overall {:.4}", by.join(" "), m.overall);
        let _ = writeln!(
            s,
            "      difference {} ({:+.2}% of overall; {}), ratio {:.4} -> {}",
            ci(&m.ci95),
            100.0 * m.relative_difference,
            m.ci95.method,
            m.ratio,
            verdict
        );
    }
    let _ = writeln!(
        s,
        "    bonus (reward-policy audit): {} (max gap {:.4})",
        t.bonus.verdict, t.bonus.max_abs_gap
    );
}
