"""The Python package against the command line: the same configuration and
seed give the same data (`tokensim diff`), errors name the key, Ctrl-C stops
a run cleanly. Run by the README's test command (scripts/test), which sets
TOKENSIM_BIN to the command-line binary it built."""

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import tokensim

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "configs" / "quickstart.toml"
SHORT = {"simulation.periods": 400, "simulation.warmup": 100}


def binary() -> str:
    if "TOKENSIM_BIN" in os.environ:
        return os.environ["TOKENSIM_BIN"]
    for build in ("release", "debug"):
        path = ROOT / "target" / build / "tokensim"
        if path.exists():
            return str(path)
    pytest.skip("no tokensim binary: set TOKENSIM_BIN or build it")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), *args], capture_output=True, text=True,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "0"})


def same_data(a: Path, b: Path) -> bool:
    done = cli("diff", str(a), str(b))
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def sets(d):
    out = []
    for k, v in d.items():
        out += ["--set", f"{k}={v}"]
    return out


def test_run_matches_the_cli_bit_for_bit(tmp_path):
    py = tokensim.run(QUICK, out=tmp_path / "py.h5", seed=7, replications=2, set=SHORT, threads=1)
    done = cli("run", str(QUICK), "--quiet", "--out", str(tmp_path / "cli.h5"), "--seed", "7",
               "--replications", "2", *sets(SHORT))
    assert done.returncode == 0, done.stderr
    assert py.path == tmp_path / "py.h5"
    assert py.runs == ["0", "1"]
    assert same_data(py.path, tmp_path / "cli.h5")


def test_dict_config_equals_the_file_config(tmp_path):
    import tomllib

    with open(QUICK, "rb") as f:
        config = tomllib.load(f)
    config["simulation"].update({"periods": 400, "warmup": 100})
    from_dict = tokensim.run(config, out=tmp_path / "dict.h5")
    from_file = tokensim.run(QUICK, out=tmp_path / "file.h5", set=SHORT)
    assert same_data(from_dict.path, from_file.path)
    # Without `out`, a dict's run goes to a fresh temporary file.
    default = tokensim.run(config)
    assert default.path.exists() and default.path != from_dict.path


def test_series_is_an_xarray_dataset_with_named_axes(tmp_path):
    result = tokensim.run(QUICK, out=tmp_path / "q.h5", set=SHORT)
    ds = result.series()
    assert ds["active"].dims == ("period", "type")
    assert ds["reward_counts"].dims == ("period", "type", "reward")
    assert list(ds["type"].values) == ["steady", "fickle"]
    np.testing.assert_array_equal(ds["reward"].values, [0.0, 1.0, 2.0, 3.0])
    assert ds.sizes["period"] == 400
    assert ds["active"].attrs["units"] == "agents"
    # Every agent present is paid one reward: the counts add up.
    np.testing.assert_array_equal(ds["reward_counts"].sum("reward").values, ds["active"].values)
    # The same numbers as the long table `tokensim export` writes.
    series = result.tables()["series"]
    active = series[(series.variable == "active") & (series.type == "fickle")].sort_values("period")
    np.testing.assert_array_equal(active.value.values, ds["active"].sel(type="fickle").values)


def test_token_series_are_in_the_dataset(tmp_path):
    result = tokensim.run(ROOT / "configs" / "fengdou-steer.toml", out=tmp_path / "t.h5",
                          set={"simulation.scale": 2000.0, "simulation.periods": 20})
    ds = result.series()
    for name in ("issuance", "redeemed_real", "redeemed_virtual", "float", "cash_cost", "tasks"):
        assert ds[name].dims == ("period",), name
    assert "good" in ds.coords
    s = result.summary()
    assert s["tokens"]["issuance"] == pytest.approx(float(ds["issuance"].sum()))
    # Float identity: K_t = K_(t-1) + I_t - R_t - F_t.
    k = ds["float"].values.astype(np.int64)
    flow = (ds["issuance"].values.astype(np.int64) - ds["redeemed_real"].values.astype(np.int64)
            - ds["redeemed_virtual"].values.astype(np.int64) - ds["forfeited"].values.astype(np.int64))
    np.testing.assert_array_equal(np.diff(k), flow[1:])


def test_summary_and_audit_equal_the_cli(tmp_path):
    result = tokensim.run(QUICK, out=tmp_path / "q.h5", set=SHORT)
    done = cli("run", str(QUICK), "--quiet", "--json", "--out", str(tmp_path / "c.h5"), *sets(SHORT))
    expected = json.loads(done.stdout)
    s = result.summary(0)
    for key in ("policy", "scale", "periods", "warmup", "seed", "max_tv", "max_abs_gap",
                "epsilon", "verdict", "normalized_profit", "types"):
        assert s[key] == expected[key], key
    audit = result.audit()
    cli_audit = json.loads(cli("audit", str(tmp_path / "c.h5"), "--json").stdout)
    assert audit["verdict"] == cli_audit["verdict"] == "fair"
    assert audit["runs"][0]["max_abs_gap"] == cli_audit["runs"][0]["max_abs_gap"]
    assert tokensim.audit(result.path)["verdict"] == "fair"


def test_fluid_equals_the_cli():
    solution = tokensim.fluid(QUICK)
    expected = json.loads(cli("fluid", str(QUICK), "--json").stdout)
    assert solution == expected
    assert sum(solution["distribution"]) == pytest.approx(1.0, abs=1e-9)


def test_bad_configurations_raise_value_error_naming_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"types\.0\.arrival_rate"):
        tokensim.run(QUICK, out=tmp_path / "x.h5", set={"types.0.arrival_rate": -1.0})
    with pytest.raises(ValueError, match=r"simulation\.perods"):
        tokensim.run({"simulation": {"perods": 10}}, out=tmp_path / "y.h5")
    with pytest.raises(ValueError, match="replications"):
        tokensim.run(QUICK, replications=0)
    with pytest.raises(ValueError, match="no_such_file"):
        tokensim.run(tmp_path / "no_such_file.toml")
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "y.h5").exists()


def test_sweep_summary_frame_and_cli_identity(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(f'base = "{QUICK}"\nreplications = 2\nseed = 5\n\n[grid]\n'
                    '"simulation.scale" = [50.0, 100.0]\n\n[set]\n'
                    '"simulation.periods" = 300\n"simulation.warmup" = 50\n')
    result = tokensim.sweep(spec, out=tmp_path / "py.h5")
    frame = result.summary_frame()
    assert len(frame) == 4
    assert sorted(set(frame["simulation.scale"])) == [50.0, 100.0]
    done = cli("sweep", str(spec), "--quiet", "--out", str(tmp_path / "cli.h5"))
    assert done.returncode == 0, done.stderr
    assert same_data(result.path, tmp_path / "cli.h5")
    assert isinstance(tokensim.open(result.path), tokensim.SweepResult)
    assert result.summary(3)["scale"] == 100.0


def test_ctrl_c_stops_a_run_cleanly(tmp_path):
    out = tmp_path / "long.h5"
    timer = threading.Timer(1.0, lambda: signal.raise_signal(signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            tokensim.run(QUICK, out=out, set={"simulation.scale": 50_000.0}, threads=1)
    finally:
        timer.cancel()
    assert not out.exists()
    assert not any(p.name.startswith("long") for p in tmp_path.iterdir())
    # The interpreter and the engine are usable at once.
    assert tokensim.run(QUICK, out=tmp_path / "after.h5", set=SHORT).summary()["verdict"] == "fair"


def test_report_and_open(tmp_path):
    result = tokensim.run(QUICK, out=tmp_path / "q.h5", set=SHORT)
    index = result.report(tmp_path / "report")
    assert index.exists() and (tmp_path / "report").glob("*.png")
    again = tokensim.open(result.path)
    assert type(again) is tokensim.Result and again.runs == ["0"]
    with pytest.raises(ValueError):
        tokensim.open(tmp_path / "report" / "index.html")
