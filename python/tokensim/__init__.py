"""tokensim from Python: run configured experiments and sweeps in the Rust
engine (in-process, the GIL released, no per-step callbacks into Python) and
read their outputs as xarray and pandas objects.

>>> import tokensim
>>> result = tokensim.run("configs/quickstart.toml", set={"simulation.periods": 800})
>>> result.summary()["verdict"]
'fair'
>>> result.series()            # xarray.Dataset with dims period, type, reward
>>> result.audit()["verdict"]  # the `tokensim audit --json` object

Bad configurations raise ``ValueError`` naming the key, as the command line
does (exit status 2 there). Ctrl-C (or Jupyter's interrupt) stops a run at
the next period boundary and raises ``KeyboardInterrupt``: nothing is
written; a sweep keeps its finished runs, resumable with ``resume=True``.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings as _warnings
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _tokensim

__all__ = [
    "run",
    "sweep",
    "fluid",
    "open",
    "audit",
    "validate",
    "Result",
    "SweepResult",
    "__version__",
]

__version__: str = _tokensim.__version__

ConfigLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]

#: Seconds between progress polls (and checks for Ctrl-C).
_POLL_SECONDS = 0.1


def _set_args(set: Optional[Mapping[str, Any]]) -> List[str]:
    """``{"simulation.scale": 1000}`` -> ``["simulation.scale=1000"]``, each
    value written as TOML (strings quoted, booleans lower-case)."""
    if set is None:
        return []
    if not isinstance(set, Mapping):
        raise ValueError("set: expected a dict of dotted keys, e.g. {'simulation.scale': 1000}")
    return [f"{key}={_toml_value(value, key)}" for key, value in set.items()]


def _toml_value(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if hasattr(value, "item"):  # numpy scalars
        return _toml_value(value.item(), key)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, key) for v in value) + "]"
    raise ValueError(f"set: key `{key}`: expected a number, string, boolean or list, got {value!r}")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):  # numpy arrays
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{value!r} is not a TOML value")


def _config_args(config: ConfigLike) -> Dict[str, Any]:
    if isinstance(config, Mapping):
        try:
            text = json.dumps(config, default=_json_default)
        except (TypeError, ValueError) as e:
            raise ValueError(f"config dict: {e}") from None
        return {"json": text}
    if isinstance(config, (str, os.PathLike)):
        return {"path": os.fspath(config)}
    raise ValueError("config: expected a path to a TOML file or a dict of its structure")


def _interactive() -> bool:
    """True in a Jupyter kernel or on a terminal."""
    try:
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is not None:
            return True
    except ImportError:
        pass
    import sys

    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _progress_bar(total: int, unit: str, show: Optional[bool]):
    """A tqdm bar (the notebook widget in Jupyter), or None."""
    if show is False or (show is None and not _interactive()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, unit=unit, leave=False)


def _wait(job: "_tokensim.Job", unit: str, progress: Optional[bool]) -> Any:
    """Polls the job, drawing progress; Ctrl-C stops it cleanly."""
    bar = None
    try:
        while not job.wait(_POLL_SECONDS):
            done, total = job.progress()
            if bar is None and total:
                bar = _progress_bar(total, unit, progress)
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)
    except KeyboardInterrupt:
        job.cancel()
        while not job.wait(_POLL_SECONDS):
            pass
        try:
            job.result()
        except KeyboardInterrupt as e:
            raise KeyboardInterrupt(str(e)) from None
        except Exception:
            pass
        raise
    finally:
        if bar is not None:
            done, total = job.progress()
            bar.update(done - bar.n)
            bar.close()
    return job.result()


def validate(config: ConfigLike, *, set: Optional[Mapping[str, Any]] = None) -> str:
    """Checks a configuration and returns it resolved, as TOML text (what
    ``tokensim validate`` prints); warnings are issued as ``UserWarning``."""
    resolved, warns = _tokensim.validate(sets=_set_args(set), **_config_args(config))
    for w in warns:
        _warnings.warn(w, UserWarning, stacklevel=2)
    return resolved


def run(
    config: ConfigLike,
    *,
    out: Union[str, "os.PathLike[str]", None] = None,
    seed: Optional[int] = None,
    replications: int = 1,
    set: Optional[Mapping[str, Any]] = None,
    threads: Optional[int] = None,
    progress: Optional[bool] = None,
) -> "Result":
    """Runs a configured experiment and writes its HDF5 file, as
    ``tokensim run`` does.

    config: a path to a TOML file, or a dict of the same structure.
    out: the output file; by default ``output/<config-stem>.h5`` for a file
        (as the CLI) and a new file in a fresh temporary folder for a dict.
    seed: the root seed (default: the configuration's ``simulation.seed``).
    replications: independent replications, ``/runs/0 .. N-1``.
    set: overrides by dotted key, ``{"simulation.scale": 1000}``.
    threads: worker threads (default: all cores).
    progress: True shows a progress bar, False never; None (default) shows
        one in notebooks and terminals.
    """
    cfg = _config_args(config)
    if out is None and "json" in cfg:
        out = Path(tempfile.mkdtemp(prefix="tokensim-")) / "run.h5"
    if not isinstance(replications, int) or isinstance(replications, bool) or replications < 1:
        raise ValueError(f"replications: expected an integer >= 1, got {replications!r}")
    sets = _set_args(set)
    _, warns = _tokensim.validate(sets=sets, **cfg)
    for w in warns:
        _warnings.warn(w, UserWarning, stacklevel=2)
    job = _tokensim.start_run(
        out=None if out is None else os.fspath(out),
        sets=sets,
        seed=seed,
        replications=replications,
        threads=threads,
        **cfg,
    )
    summary = json.loads(_wait(job, "period", progress))
    return Result(summary["file"], summary=summary)


def sweep(
    sweep: Union[str, "os.PathLike[str]"],
    *,
    out: Union[str, "os.PathLike[str]", None] = None,
    seed: Optional[int] = None,
    replications: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    threads: Optional[int] = None,
    resume: bool = False,
    progress: Optional[bool] = None,
) -> "SweepResult":
    """Runs a sweep file (``tokensim sweep``) into one HDF5 file.

    seed and replications replace the sweep file's; set fixes keys in every
    point; resume=True keeps the runs an interrupted sweep finished (and
    extends a finished one). Failed runs raise ``RuntimeError`` after the
    file is written; the message lists them.
    """
    if not isinstance(sweep, (str, os.PathLike)):
        raise ValueError("sweep: expected the path of a sweep file")
    job = _tokensim.start_sweep(
        os.fspath(sweep),
        out=None if out is None else os.fspath(out),
        sets=_set_args(set),
        seed=seed,
        replications=replications,
        threads=threads,
        resume=resume,
    )
    _report, path = _wait(job, "run", progress)
    return SweepResult(path)


def fluid(config: ConfigLike, *, set: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Solves Fluid-Opt: the ``tokensim fluid --json`` object (``distribution``
    φ*, ``opt``, ``n_per_type``, ...)."""
    return json.loads(_tokensim.fluid(sets=_set_args(set), **_config_args(config)))


def audit(
    path: Union[str, "os.PathLike[str]"],
    *,
    run: Optional[Union[int, str]] = None,
    epsilon: Optional[float] = None,
    window: Optional[int] = None,
    token_tolerance: Optional[float] = None,
) -> Dict[str, Any]:
    """The ``tokensim audit --json`` object of a file (every run, or one)."""
    return json.loads(
        _tokensim.audit(
            os.fspath(path),
            run=None if run is None else str(run),
            epsilon=epsilon,
            window=window,
            token_tolerance=token_tolerance,
        )
    )


def open(path: Union[str, "os.PathLike[str]"]) -> "Result":
    """Opens an existing tokensim output file (a run's or a sweep's)."""
    path = os.fspath(path)
    ids = _tokensim.runs(path)  # raises ValueError for a file that is not ours
    if _tokensim.sweep_summary(path) is not None:
        return SweepResult(path)
    del ids
    return Result(path)


class Result:
    """A tokensim output file: its runs' series, summaries and audit."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], summary: Optional[Dict[str, Any]] = None):
        self.path: Path = Path(path)
        self._summary = summary

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, runs={self.runs})"

    @property
    def runs(self) -> List[str]:
        """The run ids under ``/runs`` (failed sweep runs excluded)."""
        return [i for i, failed in _tokensim.runs(str(self.path)) if not failed]

    def series(self, run: Union[int, str] = 0):
        """Every per-period series of one run as an ``xarray.Dataset``:
        dims ``period``, ``type``, ``reward`` (and ``good``,
        ``previous_reward`` where recorded), token-economy series included;
        each variable carries ``units``, ``long_name`` and ``description``."""
        return self._dataset(run, "series")

    def fairness(self, run: Union[int, str] = 0):
        """The run's fairness tables (``fairness/``) as an ``xarray.Dataset``."""
        return self._dataset(run, "fairness")

    def _dataset(self, run: Union[int, str], group: str):
        import numpy as np
        import xarray as xr

        entries = _tokensim.read_group(str(self.path), str(run), group)
        coords: Dict[str, Any] = {}
        data_vars: Dict[str, Any] = {}
        for e in entries:
            if e["dtype"] == "str":
                values = np.asarray(e["data"], dtype=object).reshape(e["shape"])
            else:
                values = np.frombuffer(e["data"], dtype=e["dtype"]).reshape(e["shape"])
            attrs = {"units": e["units"], "long_name": e["long_name"], "description": e["description"]}
            target = coords if e["coordinate"] else data_vars
            target[e["name"]] = xr.Variable(e["dims"], values, attrs=attrs)
        if "reward" in coords and any("previous_reward" in v.dims for v in data_vars.values()):
            coords["previous_reward"] = xr.Variable(("previous_reward",), coords["reward"].values,
                                                    attrs=coords["reward"].attrs)
        return xr.Dataset(data_vars, coords=coords,
                          attrs={"source": str(self.path), "run": str(run), "group": group})

    def summary(self, run: Union[int, str] = 0) -> Dict[str, Any]:
        """One run's summary: the fields of ``tokensim run --json`` (per-type
        mean agents, normalized profit with its batch-means error, the
        fairness check, token totals) for that run alone."""
        return json.loads(_tokensim.run_summary(str(self.path), str(run)))

    def audit(self, **options: Any) -> Dict[str, Any]:
        """The ``tokensim audit --json`` object of this file (options as
        :func:`tokensim.audit`)."""
        return audit(self.path, **options)

    def report(self, dir: Union[str, "os.PathLike[str]"], *, epsilon: Optional[float] = None,
               override_replications: Optional[int] = None) -> Path:
        """Writes ``tokensim report``'s plots and ``index.html`` into dir;
        returns the path of ``index.html``."""
        _tokensim.report(str(self.path), os.fspath(dir), epsilon=epsilon,
                         override_replications=override_replications)
        return Path(dir) / "index.html"

    def tables(self) -> Dict[str, Any]:
        """Every long table ``tokensim export`` writes, as pandas DataFrames
        (``series``, ``tokens``, ``fairness``, ``histograms``, ``summary``, ...)."""
        import pandas as pd

        return {name: pd.DataFrame(cols) for name, cols in _tokensim.tables(str(self.path)).items()}


class SweepResult(Result):
    """A sweep's output file: every run, and its ``/summary`` table."""

    def summary_frame(self):
        """The sweep's ``/summary`` as a pandas DataFrame: one row per run,
        with its point, grid values, replication, seed and results."""
        import pandas as pd

        cols = _tokensim.sweep_summary(str(self.path))
        if cols is None:
            raise ValueError(f"{self.path}: not a sweep's output (no /summary)")
        return pd.DataFrame(cols)
