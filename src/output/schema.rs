//! The output schema: every dataset of a run group described once — path,
//! dimensions, element type, units, long name, description — and used by
//! the writer ([`super::write_run`]), the reader ([`super::RunReader`]) and
//! everything built on the reader (audit, report, export, the sweep
//! summary, merge).
//!
//! Design note. The layout used to be spelled as string literals in five
//! modules, and the readers drifted from the writer (an export that forgot
//! the token economy, a summary reading a series under another name). Now a
//! dataset exists in the file only if it has a [`Variable`] here; the
//! writer takes its units and descriptions from the table and attaches the
//! dimension scales the table names; the reader checks a dataset's element
//! type and shape against the same entry; export iterates the table, so a
//! series added here is exported without touching the exporter. A test
//! (`tests/schema.rs`) walks written files and checks that every dataset is
//! in the table with the written dimensions, type and units.

/// The file's `Conventions` attribute: tokensim's layout, version 2
/// (attribute names as in CF — `units`, `long_name` — and netCDF-4
/// dimension scales, so xarray/h5netcdf see named axes; units are
/// tokensim's own words, not UDUNITS).
pub const CONVENTIONS: &str = "tokensim-2";

/// A named axis. Each is stored as a dimension-scale dataset of the same
/// name in the group that uses it (`series/period`, `fairness/type`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Recorded periods, 0-based.
    Period,
    /// Agent types, by name.
    Type,
    /// Agent types compared with (the second axis of a type × type table).
    OtherType,
    /// The reward set R.
    Reward,
    /// Goods of the mall, by name.
    Good,
    /// Closed budget years, 0-based.
    Year,
    /// Scheduled events, 0-based.
    Event,
    /// Operator deviation sources (`overrides.N`, `operators.N`).
    Source,
    /// Quantiles of a histogram's table.
    Quantile,
    /// Columns of a histogram's quantile table (`quantile`, `value`).
    Column,
    /// Bytes of an encoded histogram (no scale: an opaque byte string).
    Byte,
    /// `meta`'s own axis over the reward set (`meta/reward_values` is its
    /// scale; a netCDF group sees only its own and its ancestors' axes).
    RewardValues,
    /// `meta`'s own axis over the types (`meta/type_names`).
    TypeNames,
}

impl Dim {
    /// The axis name, as stored.
    pub fn name(self) -> &'static str {
        match self {
            Dim::Period => "period",
            Dim::Type => "type",
            Dim::OtherType => "other_type",
            Dim::Reward => "reward",
            Dim::Good => "good",
            Dim::Year => "year",
            Dim::Event => "event",
            Dim::Source => "deviation_sources",
            Dim::Quantile => "quantile",
            Dim::Column => "column",
            Dim::Byte => "byte",
            Dim::RewardValues => "reward_values",
            Dim::TypeNames => "type_names",
        }
    }
}

/// A dataset's element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// Unsigned 64-bit integers (counts).
    U64,
    /// Signed 64-bit integers.
    I64,
    /// Signed 32-bit integers (indices, -1 for none).
    I32,
    /// 64-bit floats.
    F64,
    /// Bytes.
    U8,
    /// Variable-length UTF-8 strings.
    Str,
}

impl Dtype {
    /// The Arrow/Parquet-friendly name, as documented.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::U64 => "u64",
            Dtype::I64 => "i64",
            Dtype::I32 => "i32",
            Dtype::F64 => "f64",
            Dtype::U8 => "u8",
            Dtype::Str => "str",
        }
    }
}

/// When a dataset is present in a run group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// In every run.
    Always,
    /// In runs with two-period memory.
    TwoPeriodMemory,
    /// In token-economy runs.
    Tokens,
    /// In token runs with an operator trace (always written by today's
    /// writer for token runs; absent in older files).
    OperatorTrace,
    /// In token runs with at least one deviation source.
    DeviationSources,
    /// In token runs whose real prices are steered by elasticity class.
    ByClass,
    /// In runs with budget years (token runs with a budget).
    Budget,
    /// In runs with scheduled events.
    Events,
}

/// One dataset of a run group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variable {
    /// Path under `/runs/<id>/`.
    pub path: &'static str,
    /// Its axes, in order.
    pub dims: &'static [Dim],
    /// Its element type.
    pub dtype: Dtype,
    /// Units (`1` for dimensionless).
    pub units: &'static str,
    /// A short human name (plots, column headers).
    pub long_name: &'static str,
    /// What it holds, precisely.
    pub description: &'static str,
    /// When it is present.
    pub presence: Presence,
    /// A coordinate (dimension scale) rather than data.
    pub coordinate: bool,
}

impl Variable {
    /// The dataset's name (the last path component).
    pub fn name(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// The group it lives in, relative to the run group.
    pub fn group(&self) -> &'static str {
        self.path.rsplit_once('/').map_or("", |(g, _)| g)
    }
}

use Dim::{Event, Good, OtherType, Period, Reward, Source, Type, Year};
use Dtype::{Str, F64, I32, I64, U64};
use Presence::{
    Always, Budget, ByClass, DeviationSources, Events, OperatorTrace, Tokens, TwoPeriodMemory,
};

const fn data(
    path: &'static str,
    dims: &'static [Dim],
    dtype: Dtype,
    units: &'static str,
    long_name: &'static str,
    description: &'static str,
    presence: Presence,
) -> Variable {
    Variable {
        path,
        dims,
        dtype,
        units,
        long_name,
        description,
        presence,
        coordinate: false,
    }
}

const fn coord(
    path: &'static str,
    dim: &'static [Dim],
    dtype: Dtype,
    units: &'static str,
    long_name: &'static str,
    presence: Presence,
) -> Variable {
    Variable {
        path,
        dims: dim,
        dtype,
        units,
        long_name,
        description: long_name,
        presence,
        coordinate: true,
    }
}

/// The variables of a run group, in the order they are written.
pub mod var {
    use super::*;

    // --- meta -----------------------------------------------------------
    /// The reward set R.
    pub const REWARD_VALUES: Variable = coord(
        "meta/reward_values",
        &[Dim::RewardValues],
        F64,
        "tokens",
        "the reward set R",
        Always,
    );
    /// Type names, in type order.
    pub const TYPE_NAMES: Variable = coord(
        "meta/type_names",
        &[Dim::TypeNames],
        Str,
        "1",
        "agent type names, in type order",
        Always,
    );

    // --- series: coordinates ----------------------------------------------
    /// Period axis of the series.
    pub const PERIOD: Variable = coord(
        "series/period",
        &[Period],
        U64,
        "period",
        "period index t (0 = first recorded period)",
        Always,
    );
    /// Type axis of the series.
    pub const SERIES_TYPE: Variable = coord("series/type", &[Type], Str, "1", "agent type", Always);
    /// Reward axis of the series.
    pub const SERIES_REWARD: Variable = coord(
        "series/reward",
        &[Reward],
        F64,
        "tokens",
        "reward value R[j]",
        Always,
    );
    /// Good axis of the token series.
    pub const GOOD: Variable = coord("series/good", &[Good], Str, "1", "good of the mall", Tokens);

    // --- series: the paper model --------------------------------------------
    /// N_k(t).
    pub const ACTIVE: Variable = data(
        "series/active",
        &[Period, Type],
        U64,
        "agents",
        "active agents",
        "N_k(t): agents of type k present and paid in period t",
        Always,
    );
    /// Arrivals.
    pub const ARRIVALS: Variable = data(
        "series/arrivals",
        &[Period, Type],
        U64,
        "agents",
        "arrivals",
        "agents of type k arriving in period t",
        Always,
    );
    /// Departures.
    pub const DEPARTURES: Variable = data(
        "series/departures",
        &[Period, Type],
        U64,
        "agents",
        "departures",
        "agents of type k leaving at the end of period t",
        Always,
    );
    /// Rewards paid by type.
    pub const REWARD_COUNTS: Variable = data(
        "series/reward_counts",
        &[Period, Type, Reward],
        U64,
        "agents",
        "agents paid each reward",
        "agents of type k paid reward R[j] in period t",
        Always,
    );
    /// Veterans by (reward now, reward before).
    pub const PAIR_COUNTS: Variable = data("series/pair_counts", &[Period, Type, Reward, Reward], U64, "agents", "agents by reward pair", "agents of type k present for at least two periods, paid R[i] in period t and R[j] in t-1 (two-period memory only)", TwoPeriodMemory);
    /// Revenue.
    pub const REVENUE: Variable = data(
        "series/revenue",
        &[Period],
        F64,
        "money",
        "revenue",
        "theta * f(N/theta): revenue of the whole market in period t",
        Always,
    );
    /// Reward cost.
    pub const REWARD_COST: Variable = data(
        "series/reward_cost",
        &[Period],
        F64,
        "money",
        "reward cost",
        "c * sum of rewards paid in period t",
        Always,
    );
    /// Profit.
    pub const PROFIT: Variable = data(
        "series/profit",
        &[Period],
        F64,
        "money",
        "profit",
        "revenue - reward_cost (divide by theta for the normalized profit)",
        Always,
    );
    /// The announced distribution.
    pub const POLICY_DIST: Variable = data(
        "series/policy_dist",
        &[Period, Reward],
        F64,
        "probability",
        "announced reward distribution",
        "distribution over R announced by the policy in period t (NaN rows: per-agent rewards)",
        Always,
    );

    // --- series: the token economy ------------------------------------------
    /// I_t.
    pub const ISSUANCE: Variable = data(
        "series/issuance",
        &[Period],
        U64,
        "tokens",
        "issuance",
        "I_t: tokens credited (earned for tasks plus policy rewards)",
        Tokens,
    );
    /// Real redemption.
    pub const REDEEMED_REAL: Variable = data(
        "series/redeemed_real",
        &[Period],
        U64,
        "tokens",
        "redeemed, real goods",
        "tokens spent on real goods",
        Tokens,
    );
    /// Virtual redemption.
    pub const REDEEMED_VIRTUAL: Variable = data(
        "series/redeemed_virtual",
        &[Period],
        U64,
        "tokens",
        "redeemed, virtual goods",
        "tokens spent on virtual goods",
        Tokens,
    );
    /// K_t.
    pub const FLOAT: Variable = data(
        "series/float",
        &[Period],
        U64,
        "tokens",
        "float",
        "K_t = K_(t-1) + I_t - R_t - F_t: tokens outstanding after period t",
        Tokens,
    );
    /// F_t.
    pub const FORFEITED: Variable = data(
        "series/forfeited",
        &[Period],
        U64,
        "tokens",
        "forfeited",
        "F_t: balances forfeited by leavers",
        Tokens,
    );
    /// Dormant float.
    pub const DORMANT_FLOAT: Variable = data("series/dormant_float", &[Period], U64, "tokens", "dormant float", "the part of float held by agents who left (kept, never redeemed); active float = float - dormant_float", Tokens);
    /// Tasks.
    pub const TASKS: Variable = data(
        "series/tasks",
        &[Period],
        U64,
        "tasks",
        "tasks",
        "tasks completed",
        Tokens,
    );
    /// Cash cost.
    pub const CASH_COST: Variable = data(
        "series/cash_cost",
        &[Period],
        F64,
        "yuan",
        "cash cost",
        "cash cost of real goods redeemed",
        Tokens,
    );
    /// π_t.
    pub const PURCHASING_POWER: Variable = data("series/purchasing_power", &[Period], F64, "1", "purchasing power", "pi_t = sum_j s_j p_ref_j / p_j: what a token buys, relative to reference prices, weighted by last period's token-spend shares (1 when effort responds to issuance alone)", Tokens);
    /// V_t.
    pub const INCENTIVE_VALUE: Variable = data(
        "series/incentive_value",
        &[Period],
        F64,
        "yuan",
        "incentive value",
        "V_t = economy.task_value x tasks: value of the tasks done",
        Tokens,
    );

    // --- series/levers ----------------------------------------------------
    /// Lever 1, implemented.
    pub const ISSUANCE_RATE: Variable = data(
        "series/levers/issuance_rate",
        &[Period],
        F64,
        "tokens per task",
        "issuance rate",
        "lever 1: tokens issued per task, as implemented",
        Tokens,
    );
    /// Lever 2, implemented.
    pub const REAL_PRICE_MULT: Variable = data(
        "series/levers/real_price_mult",
        &[Period],
        F64,
        "1",
        "real price multiplier",
        "lever 2: multiplier on real goods' reference prices, as implemented",
        Tokens,
    );
    /// Lever 3, implemented.
    pub const VIRTUAL_PRICE_MULT: Variable = data(
        "series/levers/virtual_price_mult",
        &[Period],
        F64,
        "1",
        "virtual price multiplier (valve)",
        "lever 3: multiplier on virtual goods' reference prices (the valve), as implemented",
        Tokens,
    );
    /// Lever 1, recommended.
    pub const RECOMMENDED_ISSUANCE_RATE: Variable = data("series/levers/recommended_issuance_rate", &[Period], F64, "tokens per task", "recommended issuance rate", "lever 1: tokens issued per task, as recommended before operator overrides (the configured lever: no controller yet)", Tokens);
    /// Lever 2, recommended.
    pub const RECOMMENDED_REAL_PRICE_MULT: Variable = data("series/levers/recommended_real_price_mult", &[Period], F64, "1", "recommended real price multiplier", "lever 2: multiplier on real goods' reference prices, as recommended before operator overrides (the configured lever: no controller yet)", Tokens);
    /// Lever 3, recommended.
    pub const RECOMMENDED_VIRTUAL_PRICE_MULT: Variable = data("series/levers/recommended_virtual_price_mult", &[Period], F64, "1", "recommended virtual price multiplier", "lever 3: multiplier on virtual goods' reference prices (the valve), as recommended before operator overrides (the configured lever: no controller yet)", Tokens);
    const TRACE: &str = "the override trace: index into deviation_sources of the operator source (scheduled override or operator model) that moved this lever away from the recommendation in period t; -1: the recommendation was implemented";
    /// Override trace of lever 1.
    pub const DEVIATION_ISSUANCE_RATE: Variable = data(
        "series/levers/deviation_issuance_rate",
        &[Period],
        I32,
        "1",
        "deviation source, issuance rate",
        TRACE,
        OperatorTrace,
    );
    /// Override trace of lever 2.
    pub const DEVIATION_REAL_PRICE_MULT: Variable = data(
        "series/levers/deviation_real_price_mult",
        &[Period],
        I32,
        "1",
        "deviation source, real price multiplier",
        TRACE,
        OperatorTrace,
    );
    /// Override trace of lever 3.
    pub const DEVIATION_VIRTUAL_PRICE_MULT: Variable = data(
        "series/levers/deviation_virtual_price_mult",
        &[Period],
        I32,
        "1",
        "deviation source, virtual price multiplier",
        TRACE,
        OperatorTrace,
    );
    /// Deviation sources (a coordinate: the override trace indexes it).
    pub const DEVIATION_SOURCES: Variable = coord(
        "series/levers/deviation_sources",
        &[Source],
        Str,
        "1",
        "where each deviation source is configured: overrides.N or operators.N",
        DeviationSources,
    );
    /// Their kinds.
    pub const DEVIATION_KINDS: Variable = data("series/levers/deviation_kinds", &[Source], Str, "1", "deviation kind", "each deviation source's kind label (information, discretion, adherence, or an override's kind)", DeviationSources);
    /// Class A real prices.
    pub const CLASS_A_PRICE_MULT: Variable = data("series/levers/class_A_price_mult", &[Period], F64, "1", "class A price multiplier", "multiplier on the prices of class-A real goods, on top of real_price_mult (steer.real_prices = \"by_class\")", ByClass);
    /// Class B real prices.
    pub const CLASS_B_PRICE_MULT: Variable = data("series/levers/class_B_price_mult", &[Period], F64, "1", "class B price multiplier", "multiplier on the prices of class-B real goods, on top of real_price_mult (steer.real_prices = \"by_class\")", ByClass);
    /// Class C real prices.
    pub const CLASS_C_PRICE_MULT: Variable = data("series/levers/class_C_price_mult", &[Period], F64, "1", "class C price multiplier", "multiplier on the prices of class-C real goods, on top of real_price_mult (steer.real_prices = \"by_class\")", ByClass);
    /// Class D real prices.
    pub const CLASS_D_PRICE_MULT: Variable = data("series/levers/class_D_price_mult", &[Period], F64, "1", "class D price multiplier", "multiplier on the prices of class-D real goods, on top of real_price_mult (steer.real_prices = \"by_class\")", ByClass);

    // --- series: per type and per good ------------------------------------
    /// Tasks by type.
    pub const TASKS_BY_TYPE: Variable = data(
        "series/tasks_by_type",
        &[Period, Type],
        U64,
        "tasks",
        "tasks",
        "tasks completed by agents of type k in period t",
        Tokens,
    );
    /// Task tokens by type.
    pub const TASK_TOKENS_BY_TYPE: Variable = data(
        "series/task_tokens_by_type",
        &[Period, Type],
        U64,
        "tokens",
        "task tokens",
        "tokens credited for tasks (issuance_rate x tasks, rounded) to type k in period t",
        Tokens,
    );
    /// Bonus tokens by type.
    pub const BONUS_TOKENS_BY_TYPE: Variable = data(
        "series/bonus_tokens_by_type",
        &[Period, Type],
        U64,
        "tokens",
        "bonus tokens",
        "tokens credited as policy rewards (bonus) to type k in period t",
        Tokens,
    );
    /// Real redemption by type.
    pub const REDEEMED_REAL_BY_TYPE: Variable = data(
        "series/redeemed_real_by_type",
        &[Period, Type],
        U64,
        "tokens",
        "redeemed, real goods",
        "tokens type k spent on real goods in period t",
        Tokens,
    );
    /// Virtual redemption by type.
    pub const REDEEMED_VIRTUAL_BY_TYPE: Variable = data(
        "series/redeemed_virtual_by_type",
        &[Period, Type],
        U64,
        "tokens",
        "redeemed, virtual goods",
        "tokens type k spent on virtual goods in period t",
        Tokens,
    );
    /// Real value bought by type.
    pub const REAL_VALUE_BY_TYPE: Variable = data(
        "series/real_value_by_type",
        &[Period, Type],
        F64,
        "yuan",
        "real goods value",
        "cash value (yuan, at cash cost) of the real goods type k bought in period t",
        Tokens,
    );
    /// Virtual value bought by type.
    pub const VIRTUAL_VALUE_BY_TYPE: Variable = data("series/virtual_value_by_type", &[Period, Type], F64, "yuan", "virtual goods value", "value (yuan, at mall.goods.N.value, default 0) of the virtual goods type k bought in period t", Tokens);
    /// Redemption at reference prices by type.
    pub const REDEEMED_AT_REFERENCE_BY_TYPE: Variable = data("series/redeemed_at_reference_by_type", &[Period, Type], F64, "tokens", "redeemed at reference prices", "tokens type k's purchases in period t would have cost at reference prices (purchasing power = this / tokens redeemed)", Tokens);
    /// Sales by good.
    pub const SALES: Variable = data(
        "series/sales",
        &[Period, Good],
        U64,
        "units",
        "sales",
        "units of good j sold in period t",
        Tokens,
    );

    // --- fairness ---------------------------------------------------------
    /// Type axis of the fairness tables.
    pub const FAIRNESS_TYPE: Variable =
        coord("fairness/type", &[Type], Str, "1", "agent type", Always);
    /// Second type axis.
    pub const FAIRNESS_OTHER_TYPE: Variable = coord(
        "fairness/other_type",
        &[OtherType],
        Str,
        "1",
        "agent type compared with",
        Always,
    );
    /// Reward axis of the fairness tables.
    pub const FAIRNESS_REWARD: Variable = coord(
        "fairness/reward",
        &[Reward],
        F64,
        "tokens",
        "reward value R[j]",
        Always,
    );
    /// q_k(r).
    pub const REWARD_DIST: Variable = data(
        "fairness/reward_dist",
        &[Type, Reward],
        F64,
        "probability",
        "reward distribution",
        "q_k(r): fraction of type k's agent-periods after warmup paid reward R[j]",
        Always,
    );
    /// TV distances.
    pub const TV_DISTANCE: Variable = data(
        "fairness/tv_distance",
        &[Type, OtherType],
        F64,
        "probability",
        "total-variation distance",
        "total-variation distance between types' reward_dist",
        Always,
    );

    // --- budget -----------------------------------------------------------
    /// Budget-year axis.
    pub const YEAR: Variable = coord(
        "budget/year",
        &[Year],
        U64,
        "year",
        "budget year (0 = first)",
        Budget,
    );
    /// B_y.
    pub const BUDGET: Variable = data(
        "budget/budget",
        &[Year],
        F64,
        "yuan",
        "budget",
        "B_y: the year's budget for real goods",
        Budget,
    );
    /// C_y.
    pub const COST: Variable = data(
        "budget/cost",
        &[Year],
        F64,
        "yuan",
        "cash cost",
        "C_y: cash cost of real goods redeemed in the year",
        Budget,
    );
    /// The year's penalty.
    pub const PENALTY: Variable = data(
        "budget/penalty",
        &[Year],
        F64,
        "yuan",
        "budget penalty",
        "kappa_o (C-B)^+ + kappa_u (B-C)^+",
        Budget,
    );

    // --- events -----------------------------------------------------------
    /// Event axis.
    pub const EVENT: Variable = coord(
        "events/event",
        &[Event],
        U64,
        "1",
        "event index, in configuration order",
        Events,
    );
    /// Event labels.
    pub const EVENT_NAME: Variable = data(
        "events/name",
        &[Event],
        Str,
        "1",
        "event",
        "event label",
        Events,
    );
    /// Keys changed.
    pub const EVENT_KEY: Variable = data(
        "events/key",
        &[Event],
        Str,
        "1",
        "key",
        "configuration key changed",
        Events,
    );
    /// First period.
    pub const EVENT_START: Variable = data(
        "events/start",
        &[Event],
        I64,
        "period",
        "start",
        "first period the change applies",
        Events,
    );
    /// Last period.
    pub const EVENT_END: Variable = data(
        "events/end",
        &[Event],
        I64,
        "period",
        "end",
        "last period it applies, inclusive (-1: to the end of the run)",
        Events,
    );
    /// The change.
    pub const EVENT_CHANGE: Variable = data(
        "events/change",
        &[Event],
        Str,
        "1",
        "change",
        "x factor, or = new value",
        Events,
    );
}

/// Every variable of a run group, in writing order.
pub const RUN_VARIABLES: &[Variable] = &[
    var::REWARD_VALUES,
    var::TYPE_NAMES,
    var::PERIOD,
    var::SERIES_TYPE,
    var::SERIES_REWARD,
    var::ACTIVE,
    var::ARRIVALS,
    var::DEPARTURES,
    var::REWARD_COUNTS,
    var::PAIR_COUNTS,
    var::REVENUE,
    var::REWARD_COST,
    var::PROFIT,
    var::POLICY_DIST,
    var::ISSUANCE,
    var::REDEEMED_REAL,
    var::REDEEMED_VIRTUAL,
    var::FLOAT,
    var::FORFEITED,
    var::DORMANT_FLOAT,
    var::TASKS,
    var::CASH_COST,
    var::PURCHASING_POWER,
    var::INCENTIVE_VALUE,
    var::RECOMMENDED_ISSUANCE_RATE,
    var::ISSUANCE_RATE,
    var::RECOMMENDED_REAL_PRICE_MULT,
    var::REAL_PRICE_MULT,
    var::RECOMMENDED_VIRTUAL_PRICE_MULT,
    var::VIRTUAL_PRICE_MULT,
    var::DEVIATION_ISSUANCE_RATE,
    var::DEVIATION_REAL_PRICE_MULT,
    var::DEVIATION_VIRTUAL_PRICE_MULT,
    var::DEVIATION_SOURCES,
    var::DEVIATION_KINDS,
    var::CLASS_A_PRICE_MULT,
    var::CLASS_B_PRICE_MULT,
    var::CLASS_C_PRICE_MULT,
    var::CLASS_D_PRICE_MULT,
    var::TASKS_BY_TYPE,
    var::TASK_TOKENS_BY_TYPE,
    var::BONUS_TOKENS_BY_TYPE,
    var::REDEEMED_REAL_BY_TYPE,
    var::REDEEMED_VIRTUAL_BY_TYPE,
    var::REAL_VALUE_BY_TYPE,
    var::VIRTUAL_VALUE_BY_TYPE,
    var::REDEEMED_AT_REFERENCE_BY_TYPE,
    var::GOOD,
    var::SALES,
    var::FAIRNESS_TYPE,
    var::FAIRNESS_OTHER_TYPE,
    var::FAIRNESS_REWARD,
    var::REWARD_DIST,
    var::TV_DISTANCE,
    var::YEAR,
    var::BUDGET,
    var::COST,
    var::PENALTY,
    var::EVENT,
    var::EVENT_NAME,
    var::EVENT_KEY,
    var::EVENT_START,
    var::EVENT_END,
    var::EVENT_CHANGE,
];

/// The lever variables, by lever index (0 issuance, 1 real, 2 virtual):
/// (implemented, recommended, override trace).
pub const LEVERS: [(Variable, Variable, Variable); 3] = [
    (
        var::ISSUANCE_RATE,
        var::RECOMMENDED_ISSUANCE_RATE,
        var::DEVIATION_ISSUANCE_RATE,
    ),
    (
        var::REAL_PRICE_MULT,
        var::RECOMMENDED_REAL_PRICE_MULT,
        var::DEVIATION_REAL_PRICE_MULT,
    ),
    (
        var::VIRTUAL_PRICE_MULT,
        var::RECOMMENDED_VIRTUAL_PRICE_MULT,
        var::DEVIATION_VIRTUAL_PRICE_MULT,
    ),
];

/// The class price-multiplier variables, classes A to D.
pub const CLASS_LEVERS: [Variable; 4] = [
    var::CLASS_A_PRICE_MULT,
    var::CLASS_B_PRICE_MULT,
    var::CLASS_C_PRICE_MULT,
    var::CLASS_D_PRICE_MULT,
];

/// The schema entry of a run-group dataset path (`series/active`).
pub fn lookup(path: &str) -> Option<&'static Variable> {
    RUN_VARIABLES.iter().find(|v| v.path == path)
}

/// A histogram of a type, stored at `types/<type>/<name>/` as the encoded
/// bytes `hdrhistogram_v2` [byte] and a `quantiles` [quantile, column]
/// table with its `quantile` and `column` scales.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramVariable {
    /// Group name under `types/<type>/`.
    pub name: &'static str,
    /// Units of the values.
    pub units: &'static str,
    /// What is recorded.
    pub description: &'static str,
    /// When it is present.
    pub presence: Presence,
}

/// Every histogram of a type.
pub const HISTOGRAMS: [HistogramVariable; 4] = [
    HistogramVariable {
        name: "lifetime_reward",
        units: "tokens",
        description: "total reward paid to each agent over its stay (agents that arrived at period >= 0 and left before the end)",
        presence: Always,
    },
    HistogramVariable {
        name: "tenure",
        units: "periods",
        description: "periods each agent stayed (agents that arrived at period >= 0 and left before the end)",
        presence: Always,
    },
    HistogramVariable {
        name: "credited_per_period",
        units: "tokens",
        description: "tokens credited to an agent in a period (every agent-period from period 0 on)",
        presence: Tokens,
    },
    HistogramVariable {
        name: "balance_at_end",
        units: "tokens",
        description: "token balances of the agents present at the end",
        presence: Tokens,
    },
];

/// The fixed columns of a sweep's `/summary` table (one row per run, the
/// dimension `run`). Grid keys (one column each, "as configured") and
/// `mean_active_<type>` (one per type) are added per sweep.
pub const SUMMARY_COLUMNS: &[(&str, Dtype, &str, &str)] = &[
    ("run", U64, "1", "run index in the sweep"),
    ("point", U64, "1", "grid point index"),
    ("replication", U64, "1", "replication within the point"),
    (
        "seed",
        U64,
        "1",
        "the run's seed, derived from the root seed, the point's grid values and the replication",
    ),
    (
        "mean_profit_per_scale",
        F64,
        "money",
        "normalized profit per period after warm-up",
    ),
    (
        "mean_profit_per_scale_se",
        F64,
        "money",
        "its batch-means standard error",
    ),
    (
        "max_abs_gap",
        F64,
        "probability",
        "max over type pairs and rewards of |q_k(r) - q_k'(r)|",
    ),
    (
        "max_tv",
        F64,
        "probability",
        "largest total-variation distance between types",
    ),
    (
        "cash_cost",
        F64,
        "yuan",
        "total cash cost of real goods over the run (token sweeps)",
    ),
    (
        "issuance",
        F64,
        "tokens",
        "total tokens credited over the run (token sweeps)",
    ),
    (
        "redeemed_real",
        F64,
        "tokens",
        "total tokens redeemed for real goods over the run (token sweeps)",
    ),
    (
        "redeemed_virtual",
        F64,
        "tokens",
        "total tokens redeemed for virtual goods over the run (token sweeps)",
    ),
    (
        "tasks",
        F64,
        "tasks",
        "total tasks completed over the run (token sweeps)",
    ),
    (
        "budget_penalty",
        F64,
        "yuan",
        "total budget penalty over the closed budget years (token sweeps)",
    ),
    (
        "ending_float",
        F64,
        "tokens",
        "tokens outstanding after the last period (token sweeps)",
    ),
    ("verdict", Str, "1", "fair / unfair (empty for failed runs)"),
    ("status", Str, "1", "ok, or error"),
    ("error", Str, "1", "the error of a failed run"),
];

/// A `/summary` column's (type, units, description), if it is a fixed one.
pub fn summary_column(name: &str) -> Option<(Dtype, &'static str, &'static str)> {
    SUMMARY_COLUMNS
        .iter()
        .find(|c| c.0 == name)
        .map(|&(_, t, u, d)| (t, u, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_coordinates_are_named_after_their_axis() {
        let mut paths: Vec<&str> = RUN_VARIABLES.iter().map(|v| v.path).collect();
        paths.sort_unstable();
        let n = paths.len();
        paths.dedup();
        assert_eq!(paths.len(), n, "a path appears twice");
        for v in RUN_VARIABLES {
            if v.coordinate {
                assert_eq!(v.dims.len(), 1);
                assert_eq!(v.name(), v.dims[0].name(), "{}", v.path);
            }
        }
    }

    #[test]
    fn every_axis_of_a_group_has_a_coordinate_there() {
        for v in RUN_VARIABLES {
            for d in v.dims {
                let here = RUN_VARIABLES
                    .iter()
                    .any(|c| c.coordinate && c.dims == [*d] && v.group().starts_with(c.group()));
                assert!(here, "{}: no coordinate for {}", v.path, d.name());
            }
        }
    }
}
