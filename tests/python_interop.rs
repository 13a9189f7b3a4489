//! Python interop: `scripts/read_output.py` (h5py + pandas) and
//! `xarray.open_dataset(..., engine="h5netcdf")` on a fresh run, and the CSV
//! export read back. Installs h5py, pandas, h5netcdf and xarray with pip
//! when they are missing (and hdrhistogram, pyarrow).

mod common;

use std::process::Command;

use common::binary;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn ensure_packages() {
    let ok = Command::new(python())
        .args(["-c", "import h5py, pandas, h5netcdf, xarray, hdrh, pyarrow"])
        .status()
        .expect("python3 is needed for the interop tests")
        .success();
    if !ok {
        let status = Command::new(python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "h5py",
                "pandas",
                "h5netcdf",
                "xarray",
                "hdrhistogram",
                "pyarrow",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "pip install failed");
    }
}

#[test]
fn python_reads_runs_with_h5py_pandas_and_xarray() {
    ensure_packages();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q.h5");
    let root = env!("CARGO_MANIFEST_DIR");
    let status = Command::new(binary())
        .args([
            "run",
            &format!("{root}/configs/quickstart.toml"),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .args([
            "--set",
            "simulation.periods=800",
            "--set",
            "simulation.warmup=100",
        ])
        .status()
        .unwrap();
    assert!(status.success());

    let script = Command::new(python())
        .arg(format!("{root}/scripts/read_output.py"))
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&script.stdout);
    assert!(
        script.status.success(),
        "{}",
        String::from_utf8_lossy(&script.stderr)
    );
    assert!(
        text.contains("steady:") && text.contains("fickle:") && text.contains("fairness: fair"),
        "{text}"
    );

    let check = format!(
        r#"
import xarray as xr, numpy as np, h5py
ds = xr.open_dataset("{path}", group="runs/0/series", engine="h5netcdf")
assert dict(ds.sizes) == {{"period": 800, "type": 2, "reward": 4}}, ds.sizes
assert list(ds["type"].values) == ["steady", "fickle"]
assert ds["active"].dims == ("period", "type")
assert ds["reward_counts"].dims == ("period", "type", "reward")
assert ds["active"].attrs["units"] == "agents" and "long_name" in ds["active"].attrs
with h5py.File("{path}") as f:
    raw = f["runs/0/series/active"][:]
assert np.array_equal(ds["active"].values, raw)
# HdrHistograms in the standard compressed V2 encoding (interfaces.md
# 4.4): Python's hdrh decodes them; its quantiles match the stored table.
import base64
from hdrh.histogram import HdrHistogram
with h5py.File("{path}") as f:
    g = f["runs/0/types/steady/lifetime_reward"]
    h = HdrHistogram.decode(base64.b64encode(g["hdrhistogram_v2"][()].tobytes()))
    table = dict((float(q), float(v)) for q, v in g["quantiles"][()])
assert h.get_total_count() > 0
scale = table[0.5] / h.get_value_at_percentile(50)
assert abs(scale * h.get_value_at_percentile(90) - table[0.9]) < 1e-9 * max(1.0, table[0.9]), (scale, table)
fair = xr.open_dataset("{path}", group="runs/0/fairness", engine="h5netcdf")
assert fair["reward_dist"].dims == ("type", "reward")
# Every group opens with named axes (dimension scales on every array but
# the opaque histogram bytes).
with h5py.File("{path}") as f:
    groups = []
    f.visit(lambda n: groups.append(n) if isinstance(f[n], h5py.Group) else None)
    assert f.attrs["Conventions"] == "tokensim-2"
for g in groups:
    d = xr.open_dataset("{path}", group=g, engine="h5netcdf", phony_dims="access")
    for name, v in d.data_vars.items():
        if name != "hdrhistogram_v2":
            assert not any(x.startswith("phony") for x in v.dims), (g, name, v.dims)
print("xarray ok", float(ds["active"].sel(type="steady").mean()))
"#,
        path = out.display()
    );
    let xr = Command::new(python())
        .args(["-c", &check])
        .output()
        .unwrap();
    assert!(
        xr.status.success(),
        "{}",
        String::from_utf8_lossy(&xr.stderr)
    );

    let csv = dir.path().join("csv");
    let export = Command::new(binary())
        .args([
            "export",
            out.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--parquet",
            dir.path().join("pq").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(export.success());
    let pandas = format!(
        r#"
import pandas as pd
s = pd.read_csv("{dir}/series.csv")
assert set(s.variable) >= {{"active", "arrivals", "departures", "reward_count", "profit"}}
assert len(s[(s.variable == "active")]) == 800 * 2
m = pd.read_csv("{dir}/summary.csv")
assert list(m.type) == ["steady", "fickle"] and (m.verdict == "fair").all()
# The same tables as Parquet.
for name in ["series", "fairness", "histograms", "summary"]:
    c = pd.read_csv(f"{dir}/{{name}}.csv")
    p = pd.read_parquet(f"{pq}/{{name}}.parquet")
    assert list(c.columns) == list(p.columns) and len(c) == len(p), name
    for col in c.columns:
        if c[col].dtype.kind in "fiu":
            assert ((c[col] == p[col]) | (c[col].isna() & p[col].isna())).all(), (name, col)
        else:
            assert (c[col].fillna("").astype(str) == p[col].fillna("").astype(str)).all(), (name, col)
print("csv ok")
"#,
        dir = csv.display(),
        pq = dir.path().join("pq").display()
    );
    let pd = Command::new(python())
        .args(["-c", &pandas])
        .output()
        .unwrap();
    assert!(
        pd.status.success(),
        "{}",
        String::from_utf8_lossy(&pd.stderr)
    );
}
