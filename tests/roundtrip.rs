//! Every dataset and attribute of interfaces.md §3, written by the CLI and
//! read back, equals what the library computed in memory.

mod common;

use std::process::Command;

use common::{binary, config};
use hdf5::types::VarLenUnicode;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use tokensim::config::Config;
use tokensim::runner::{run_experiment, Progress};

const CONFIG: &str = r#"
[simulation]
periods = 300
warmup = 50
seed = 17
scale = 40.0
initial = "steady_state"

[rewards]
values = [0.0, 0.5, 1.5]

[revenue]
kind = "newsvendor"
price = 3.0
capacity = 2.0

[[types]]
name = "alpha"
arrival_rate = 0.6
departure = { kind = "table", p = [0.7, 0.4, 0.2], memory = { weights = [0.6, 0.4] } }

[[types]]
name = "beta"
arrival_rate = 0.4
departure = { kind = "linear_s", value = 0.8, half_width = 0.5 }

[policy]
kind = "static"
distribution = [0.25, 0.25, 0.5]
"#;

fn read_u64(group: &hdf5::Group, name: &str) -> (Vec<usize>, Vec<u64>) {
    let ds = group.dataset(name).unwrap();
    check_attrs(&ds, name);
    (ds.shape(), ds.read_raw::<u64>().unwrap())
}

fn read_f64(group: &hdf5::Group, name: &str) -> (Vec<usize>, Vec<f64>) {
    let ds = group.dataset(name).unwrap();
    check_attrs(&ds, name);
    (ds.shape(), ds.read_raw::<f64>().unwrap())
}

fn check_attrs(ds: &hdf5::Dataset, name: &str) {
    for attr in ["units", "description"] {
        let value: VarLenUnicode = ds
            .attr(attr)
            .unwrap_or_else(|_| panic!("{name} lacks {attr}"))
            .read_scalar()
            .unwrap();
        assert!(!value.as_str().is_empty(), "{name}: empty {attr}");
    }
}

fn attr_str(loc: &hdf5::Location, name: &str) -> String {
    let v: VarLenUnicode = loc.attr(name).unwrap().read_scalar().unwrap();
    v.as_str().to_string()
}

fn same_f64(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn every_dataset_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("roundtrip.toml");
    std::fs::write(&config_path, CONFIG).unwrap();
    let out = dir.path().join("out.h5");
    let status = Command::new(binary())
        .args([
            "run",
            config_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--replications", "2", "--quiet"])
        .status()
        .unwrap();
    assert!(status.success());

    let mut expected_config = config(CONFIG);
    expected_config.simulation.replications = 2;
    let records = run_experiment(&expected_config, &Progress::hidden()).unwrap();

    let file = hdf5::File::open(&out).unwrap();
    assert_eq!(attr_str(&file, "kind"), "run");
    assert_eq!(
        attr_str(&file, "tokensim_version"),
        env!("CARGO_PKG_VERSION")
    );
    assert!(attr_str(&file, "created_utc").ends_with('Z'));
    let runs = file.group("runs").unwrap();
    assert_eq!(runs.member_names().unwrap().len(), 2);

    for (id, record) in records.iter().enumerate() {
        let run = runs.group(&id.to_string()).unwrap();
        let resolved = attr_str(&run, "config_toml");
        let reparsed = Config::from_toml(&resolved, "config_toml".as_ref(), &[]).unwrap();
        assert_eq!(
            reparsed, expected_config,
            "config_toml is the resolved configuration"
        );
        assert_eq!(run.attr("seed").unwrap().read_scalar::<u64>().unwrap(), 17);
        assert_eq!(
            run.attr("replication")
                .unwrap()
                .read_scalar::<u64>()
                .unwrap(),
            id as u64
        );
        assert_eq!(
            run.attr("scale").unwrap().read_scalar::<f64>().unwrap(),
            40.0
        );
        assert_eq!(
            run.attr("periods").unwrap().read_scalar::<u64>().unwrap(),
            300
        );
        assert_eq!(
            run.attr("warmup").unwrap().read_scalar::<u64>().unwrap(),
            50
        );

        let meta = run.group("meta").unwrap();
        assert_eq!(read_f64(&meta, "reward_values").1, vec![0.0, 0.5, 1.5]);
        let names = meta.dataset("type_names").unwrap();
        check_attrs(&names, "type_names");
        let names: Vec<String> = names
            .read_raw::<VarLenUnicode>()
            .unwrap()
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        assert_eq!(names, vec!["alpha", "beta"]);

        let s = &record.series;
        let (t, k, m) = (300, 2, 3);
        let series = run.group("series").unwrap();
        assert_eq!(read_u64(&series, "active"), (vec![t, k], s.active.clone()));
        assert_eq!(
            read_u64(&series, "arrivals"),
            (vec![t, k], s.arrivals.clone())
        );
        assert_eq!(
            read_u64(&series, "departures"),
            (vec![t, k], s.departures.clone())
        );
        assert_eq!(
            read_u64(&series, "reward_counts"),
            (vec![t, k, m], s.reward_counts.clone())
        );
        for (name, values, shape) in [
            ("revenue", &s.revenue, vec![t]),
            ("reward_cost", &s.reward_cost, vec![t]),
            ("profit", &s.profit, vec![t]),
            ("policy_dist", &s.policy_dist, vec![t, m]),
        ] {
            let (got_shape, got) = read_f64(&series, name);
            assert_eq!(got_shape, shape, "{name}");
            assert!(same_f64(&got, values), "{name} differs");
        }

        let fairness = run.group("fairness").unwrap();
        let f = &record.fairness;
        let (shape, dist) = read_f64(&fairness, "reward_dist");
        assert_eq!(shape, vec![k, m]);
        assert!(same_f64(&dist, &f.reward_dist.concat()));
        let (shape, tv) = read_f64(&fairness, "tv_distance");
        assert_eq!(shape, vec![k, k]);
        assert!(same_f64(&tv, &f.tv_distance.concat()));
        assert_eq!(
            fairness
                .attr("max_tv")
                .unwrap()
                .read_scalar::<f64>()
                .unwrap(),
            f.max_tv
        );
        assert_eq!(
            fairness
                .attr("epsilon")
                .unwrap()
                .read_scalar::<f64>()
                .unwrap(),
            0.02
        );
        assert_eq!(attr_str(&fairness, "verdict"), f.verdict());

        for (i, name) in names.iter().enumerate() {
            for (what, expected) in [
                ("lifetime_reward", &record.leavers.lifetime_reward[i]),
                ("tenure", &record.leavers.tenure[i]),
            ] {
                let g = run.group(&format!("types/{name}/{what}")).unwrap();
                let ds = g.dataset("hdrhistogram_v2").unwrap();
                check_attrs(&ds, what);
                let bytes = ds.read_raw::<u8>().unwrap();
                let h: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut bytes.as_slice())
                    .unwrap();
                assert_eq!(&h, expected, "{name}/{what}");
                assert!(!h.is_empty(), "{name}/{what} recorded nobody");
                let (shape, q) = read_f64(&g, "quantiles");
                assert_eq!(shape, vec![11, 2]);
                assert_eq!(q[2 * 5], 0.5, "median row");
            }
        }

        let summary = run.group("summary").unwrap();
        let means: Vec<f64> = summary
            .attr("mean_active_per_type")
            .unwrap()
            .read_raw()
            .unwrap();
        let want: Vec<f64> = record
            .summary
            .mean_active_per_type
            .iter()
            .map(|e| e.mean)
            .collect();
        assert!(same_f64(&means, &want));
        let profit: f64 = summary
            .attr("mean_profit_per_scale")
            .unwrap()
            .read_scalar()
            .unwrap();
        assert_eq!(profit, record.summary.mean_profit_per_scale.mean);
        let se: f64 = summary
            .attr("mean_profit_per_scale_se")
            .unwrap()
            .read_scalar()
            .unwrap();
        assert!(se > 0.0);
    }
}
