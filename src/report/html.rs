//! The report's `index.html`: the audit table and the figures.

use std::fmt::Write as _;
use std::path::Path;

use super::Figure;
use crate::audit::FileAudit;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page.
pub fn page(file: &Path, audit: &FileAudit, extra: &str, figures: &[Figure]) -> String {
    let mut h = String::new();
    let title = format!("tokensim report: {}", file.display());
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>
body {{ font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; margin: 0.6em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
th {{ background: #f2f2f2; }} td.l, th.l {{ text-align: left; }}
.fair {{ color: #17803d; font-weight: bold; }} .unfair {{ color: #b42318; font-weight: bold; }}
figure {{ margin: 1.2em 0; }} figcaption {{ color: #555; font-size: 0.9em; }}
img {{ width: 100%; border: 1px solid #eee; }}
table.token {{ font-size: 0.85em; }} table.token th, table.token td {{ padding: 3px 6px; }}
</style></head><body>
<h1>{t}</h1>
"#,
        t = escape(&title)
    );
    let token_unfair = audit
        .runs
        .iter()
        .filter(|r| {
            r.token_fairness
                .as_ref()
                .is_some_and(|t| t.verdict == "unfair")
        })
        .count();
    let because = if token_unfair > 0 {
        format!(" {token_unfair} run(s) fail the token-fairness audit below.")
    } else {
        String::new()
    };
    let _ = writeln!(
        h,
        "<p>Fairness verdict: <span class=\"{v}\">{V}</span> — {fair} of {n} run(s) fair. Reward policy at ε = {e}: largest reward gap {gap:.4}, largest total variation {tv:.4}; criterion 1 (one distribution per period) {c}.{because}</p>",
        v = audit.verdict,
        V = audit.verdict.to_uppercase(),
        fair = audit.fair_runs,
        n = audit.runs.len(),
        e = audit.epsilon,
        gap = audit.max_abs_gap,
        tv = audit.max_tv,
        c = if audit.criterion1 { "holds" } else { "fails" }
    );
    if !audit.points.is_empty() {
        // A sweep: one row per point, intervals across that point's
        // replications only.
        h.push_str("<h2>Audit by sweep point</h2>\n<p>Each point's replications audited together; the interval of the mean max gap is across that point's replications only (Student's t). Nothing is pooled across points.</p>\n<table><tr><th>point</th><th class=\"l\">swept values</th><th class=\"l\">runs</th><th>verdict</th><th>mean max gap</th><th>95% CI</th><th>max TV</th><th class=\"l\">mean reward by type</th></tr>\n");
        for p in &audit.points {
            let values: Vec<String> = p
                .grid
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect();
            let types: Vec<String> = p
                .types
                .iter()
                .map(|t| format!("{} {:.4}", escape(&t.name), t.mean_reward))
                .collect();
            let ci = if p.ci95[0].is_finite() {
                format!("[{:.4}, {:.4}]", p.ci95[0], p.ci95[1])
            } else {
                "— (one replication)".into()
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"{v}\">{v}</td><td>{:.4}</td><td>{ci}</td><td>{:.4}</td><td class=\"l\">{}</td></tr>",
                p.point,
                escape(&values.join(", ")),
                escape(&p.runs.join(", ")),
                p.max_abs_gap,
                p.max_tv,
                types.join("; "),
                v = p.verdict,
            );
        }
        h.push_str("</table>\n");
    }
    let swept = audit.runs.iter().any(|r| !r.grid.is_empty());
    let _ = writeln!(
        h,
        "<h2>Audit by run</h2>\n<table><tr><th class=\"l\">run</th>{}<th>verdict</th><th>max gap</th><th>95% CI</th><th>max TV</th><th>criterion 1</th><th>mean-reward difference</th><th>ratio</th><th>worst window gap</th></tr>",
        if swept { "<th class=\"l\">swept values</th>" } else { "" }
    );
    for r in audit.runs.iter().take(50) {
        let values = if swept {
            format!(
                "<td class=\"l\">{}</td>",
                escape(&crate::audit::grid_text(&r.grid))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td>{values}<td class=\"{}\">{}</td><td>{:.4}</td><td>[{:.4}, {:.4}]</td><td>{:.4}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4} (t = {})</td></tr>",
            escape(&r.run),
            r.verdict,
            r.verdict,
            r.max_abs_gap,
            r.max_abs_gap_interval.low,
            r.max_abs_gap_interval.high,
            r.max_tv,
            if r.criterion1 { "holds" } else { "fails" },
            r.mean_reward_difference,
            r.mean_reward_ratio,
            r.worst_window.1,
            r.worst_window.0
        );
    }
    if audit.runs.len() > 50 {
        let _ = writeln!(
            h,
            "<tr><td class=\"l\" colspan=\"{}\">… {} more runs</td></tr>",
            if swept { 10 } else { 9 },
            audit.runs.len() - 50
        );
    }
    let _ = write!(
        h,
        "</table>\n<h2>Types</h2>\n<p>{}.</p>\n<table>",
        escape(&audit.types_scope)
    );
    h.push_str("<tr><th class=\"l\">type</th><th>mean reward (tokens)</th><th>agent-periods</th><th class=\"l\">reward distribution q_k(r)</th></tr>\n");
    for t in &audit.types {
        let q: Vec<String> = t.reward_dist.iter().map(|v| format!("{v:.4}")).collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{:.4}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            escape(&t.name),
            t.mean_reward,
            t.agent_periods,
            q.join(", ")
        );
    }
    h.push_str("</table>\n");
    let token = audit
        .token_fairness
        .as_ref()
        .map(|t| ("across replications", t))
        .or_else(|| audit.runs[0].token_fairness.as_ref().map(|t| ("run 0", t)));
    if let Some((scope, t)) = token {
        let _ = writeln!(
            h,
            "<h2>Token fairness ({scope})</h2>\n<p>Verdict: <span class=\"{v}\">{V}</span> at tolerance {tol} of the overall rate (pay rate, purchasing power and the bonus audit; value per token is descriptive: it reflects what each type buys). Pay rate: task tokens per task; purchasing power: reference-price tokens per token paid; value per token: yuan bought per token redeemed. Bonus audit: {b}.</p>",
            v = t.verdict,
            V = t.verdict.to_uppercase(),
            tol = t.tolerance,
            b = t.bonus.verdict
        );
        h.push_str("<table class=\"token\"><tr><th class=\"l\">metric</th>");
        for (g, _) in &t.pay_rate.by_group.0 {
            let _ = write!(h, "<th>{}</th>", escape(g));
        }
        h.push_str("<th>overall</th><th>difference</th><th>95% CI</th><th>relative</th><th>ratio</th><th>verdict</th></tr>\n");
        for (label, m, judged) in [
            ("pay rate", &t.pay_rate, true),
            ("purchasing power", &t.purchasing_power, true),
            ("value per token", &t.value_per_token, false),
        ] {
            // Value per token is not judged: it reflects what types buy.
            let (class, verdict) = if judged {
                (m.verdict, m.verdict)
            } else {
                ("l", "descriptive")
            };
            let _ = write!(h, "<tr><td class=\"l\">{label}</td>");
            for (_, v) in &m.by_group.0 {
                let _ = write!(h, "<td>{v:.4}</td>");
            }
            let _ = writeln!(
                h,
                "<td>{:.4}</td><td>{:.4}</td><td>[{:.4}, {:.4}]</td><td>{:+.2}%</td><td>{:.4}</td><td class=\"{}\">{}</td></tr>",
                m.overall,
                m.difference,
                m.ci95.low,
                m.ci95.high,
                100.0 * m.relative_difference,
                m.ratio,
                class,
                verdict
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str(extra);
    h.push_str("<h2>Figures</h2>\n");
    for f in figures {
        let _ = writeln!(
            h,
            "<figure><img src=\"{n}.svg\" alt=\"{c}\"><figcaption>{c} (<a href=\"{n}.png\">PNG</a>)</figcaption></figure>",
            n = escape(&f.name),
            c = escape(&f.caption)
        );
    }
    h.push_str("</body></html>\n");
    h
}
