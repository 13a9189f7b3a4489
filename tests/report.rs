//! `tokensim report` (issue 14, point 5): every figure of a paper, a token
//! and a sweep report is written as SVG and PNG and looked at by machine —
//! well-formed, labelled, nothing outside the canvas, drawn but not
//! flooded — and index.html shows exactly the figures there are and the
//! audit; where Chromium is installed the page is rendered headless too.

mod common;

use std::process::Command;

use common::binary;

/// The numbers of an SVG `points` or path `d` attribute, as (x, y) pairs.
fn coordinates(text: &str) -> Vec<(f64, f64)> {
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|t| t.parse().ok())
        .collect();
    numbers.chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

/// Renders `file`'s report into `dir` and checks what a reader sees: every
/// expected figure as well-formed SVG with labels and lines inside the
/// canvas, and as a PNG that decodes to a drawn (not blank, not flooded)
/// image; index.html showing every figure there is and referring to no
/// file that is not there; and, where headless Chromium is installed, the
/// page itself rendered to a non-blank screenshot.
fn check_report(file: &std::path::Path, dir: &std::path::Path, expected: &[&str]) {
    let out = Command::new(binary())
        .args([
            "report",
            file.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains("Fairness verdict"));
    for name in expected {
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert!(
            doc.descendants().filter(|n| n.has_tag_name("text")).count() > 5,
            "{name}.svg has labels"
        );
        // Nothing is drawn outside the canvas.
        let size = |a: &str| {
            root.attribute(a)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap()
        };
        let (w, h) = (size("width"), size("height"));
        for node in doc.descendants() {
            let points = match node.tag_name().name() {
                "polyline" | "polygon" => node.attribute("points"),
                _ => None,
            };
            for (x, y) in points.map(coordinates).unwrap_or_default() {
                assert!(
                    (-1.0..=w + 1.0).contains(&x) && (-1.0..=h + 1.0).contains(&y),
                    "{name}.svg: point ({x}, {y}) outside the {w}x{h} canvas"
                );
            }
        }
        let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
        let image = image::load_from_memory(&png)
            .unwrap_or_else(|e| panic!("{name}.png does not decode: {e}"))
            .to_rgb8();
        assert!(
            image.width() >= 600 && image.height() >= 400,
            "{name}.png size"
        );
        let ink = image.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64
            / f64::from(image.width() * image.height());
        assert!(
            (0.01..0.6).contains(&ink),
            "{name}.png: {:.1}% of the pixels are drawn",
            100.0 * ink
        );
        assert!(
            index.contains(&format!("{name}.svg")),
            "index.html shows {name}"
        );
    }
    // Every figure written is on the page, and the page refers to no
    // missing file.
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".svg") || name.ends_with(".png") {
            assert!(index.contains(&name), "{name} is not on the page");
        }
    }
    for part in index
        .split("src=\"")
        .skip(1)
        .chain(index.split("href=\"").skip(1))
    {
        let target = part.split('"').next().unwrap();
        if !target.starts_with("http") && !target.starts_with('#') {
            assert!(
                dir.join(target).exists(),
                "index.html refers to missing {target}"
            );
        }
    }
    screenshot(dir);
}

/// Renders index.html in headless Chromium, when it is installed (not in
/// the default CI image; set TOKENSIM_REQUIRE_BROWSER=1 to insist), and
/// checks that the page is drawn.
fn screenshot(dir: &std::path::Path) {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(browser) = browser else {
        assert!(
            std::env::var_os("TOKENSIM_REQUIRE_BROWSER").is_none(),
            "no headless browser found"
        );
        return;
    };
    let shot = dir.join("page.png");
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", dir.join("index.html").display()),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let image = image::open(&shot).unwrap().to_rgb8();
    let ink = image.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64
        / f64::from(image.width() * image.height());
    assert!(
        ink > 0.02,
        "the rendered page is blank ({:.2}% drawn)",
        100.0 * ink
    );
    std::fs::remove_file(shot).unwrap();
}

#[test]
fn run_and_sweep_reports_have_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let run = dir.path().join("run.h5");
    let status = Command::new(binary())
        .args([
            "run",
            &format!("{root}/configs/paper-cyclic.toml"),
            "--quiet",
            "--out",
            run.to_str().unwrap(),
        ])
        .args(["--set", "simulation.periods=600"])
        .status()
        .unwrap();
    assert!(status.success());
    let run_figures = [
        "agents",
        "reward_distribution",
        "lifetime_reward",
        "window_gap",
    ];
    check_report(&run, &dir.path().join("run-report"), &run_figures);

    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"{root}/configs/quickstart.toml\"\nreplications = 2\nseed = 3\n[grid]\n\"simulation.scale\" = [20.0, 50.0]\n\"policy.kind\" = [\"fluid\", \"fixed\"]\n[set]\n\"simulation.periods\" = 300\n\"simulation.warmup\" = 50\n"
        ),
    )
    .unwrap();
    let sweep_out = dir.path().join("sweep.h5");
    let status = Command::new(binary())
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--quiet",
            "--out",
            sweep_out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let mut figures = run_figures.to_vec();
    figures.extend(["sweep_simulation_scale", "sweep_policy_kind"]);
    check_report(&sweep_out, &dir.path().join("sweep-report"), &figures);
    // A sweep report audits by point, names every run by its swept values,
    // and never averages types across points.
    let index = std::fs::read_to_string(dir.path().join("sweep-report/index.html")).unwrap();
    assert!(index.contains("Audit by sweep point"));
    assert!(index.contains("simulation.scale=50.0, policy.kind=fixed"));
    assert!(index.contains("point 0 (simulation.scale=20.0, policy.kind=fluid) only"));
    assert!(index.contains("Drawn from run 0 (simulation.scale=20.0, policy.kind=fluid)"));

    // A token-economy run adds flows, float, levers and the budget.
    let tokens = dir.path().join("tokens.h5");
    let status = Command::new(binary())
        .args([
            "run",
            &format!("{root}/configs/fengdou-steer.toml"),
            "--quiet",
            "--out",
            tokens.to_str().unwrap(),
        ])
        .args([
            "--set",
            "simulation.scale=2000",
            "--set",
            "budget.annual=2.0e5",
            "--set",
            "simulation.periods=60",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    // A token run paying no bonus has one reward: no lifetime-reward or
    // window-gap chart (they would be empty), and the pay-rate charts.
    let mut figures: Vec<&str> = run_figures
        .iter()
        .copied()
        .filter(|f| !["lifetime_reward", "window_gap"].contains(f))
        .collect();
    figures.extend([
        "token_flows",
        "float",
        "levers",
        "budget",
        "pay_rate",
        "pay_rate_by_type",
    ]);
    check_report(&tokens, &dir.path().join("token-report"), &figures);
    let index = std::fs::read_to_string(dir.path().join("token-report/index.html")).unwrap();
    assert!(index.contains("Token fairness"), "the token audit is shown");
    assert!(!dir.path().join("token-report/lifetime_reward.png").exists());
}
