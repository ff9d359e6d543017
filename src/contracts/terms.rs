//! The checked terms of the deals a scenario file may describe
//! (`[[contracts]]` and `[[pooled_budgets]]`; README, "Paying for the
//! shift"): outcomes contracts (social impact bonds, payment by results)
//! and pooled budgets that share savings back. Data only, every index
//! checked by `scenario::validate::contracts`; `contracts` works out what
//! they pay in each future. Sits below `model`, which carries them.

/// Every deal of a model; empty (the default) when the file has none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deals {
    pub contracts: Vec<OutcomesContract>,
    pub pools: Vec<PooledBudget>,
}

impl Deals {
    pub fn is_empty(&self) -> bool {
        self.contracts.is_empty() && self.pools.is_empty()
    }
}

/// What a tariff pays for, counted each year in a scenario against
/// do-nothing or a fixed baseline (indices into the model's levels and
/// services).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Moves from level `from` to level `to` beyond do-nothing's (people
    /// moved down a level when `to` is the lighter level).
    Moved { from: usize, to: usize },
    /// Moves into `level` from any other level that do-nothing has and the
    /// scenario does not (e.g. entries to residential care avoided).
    EntriesAvoided { level: usize },
    /// A service's activity (admissions, attendances) below do-nothing's.
    ActivityAvoided { service: usize },
    /// People in `level` at a year's end beyond do-nothing's (people
    /// sustained at a level).
    Sustained { level: usize },
}

impl Outcome {
    /// The file's name of the kind of outcome.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Moved { .. } => "moved",
            Outcome::EntriesAvoided { .. } => "entries_avoided",
            Outcome::ActivityAvoided { .. } => "activity_avoided",
            Outcome::Sustained { .. } => "sustained",
        }
    }

    /// Whether the outcome is something avoided (counted as the reference
    /// less the scenario) rather than something gained.
    pub fn is_avoided(&self) -> bool {
        matches!(self, Outcome::EntriesAvoided { .. } | Outcome::ActivityAvoided { .. })
    }

    /// Whether each year's count is a stock (people at a year's end) rather
    /// than a flow (events in the year).
    pub fn is_stock(&self) -> bool {
        matches!(self, Outcome::Sustained { .. })
    }
}

/// How often an outcome may be paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Each outcome once: a year pays for outcomes beyond the most already
    /// paid for (a flow's running total, a stock's level), so outcomes
    /// lost in one year must be made up before more are paid.
    Once,
    /// Every year's outcomes: a flow's each year, a stock's each year it
    /// lasts (people sustained for another year).
    Repeated,
}

/// A price per outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Tariff {
    /// The label in outputs, e.g. `entries_avoided:Care home`.
    pub label: String,
    pub outcome: Outcome,
    /// Money per outcome, in the model's price base year, ≥ 0.
    pub price: f64,
    pub claim: Claim,
    /// A fixed baseline: the count a year without the service (e.g. a
    /// historical rate), ≥ 0, against which outcomes are counted instead of
    /// do-nothing's (`None`).
    pub against: Option<f64>,
}

/// One payer's share of every payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Payer {
    pub name: String,
    /// In [0, 1]; a contract's shares sum to 1.
    pub share: f64,
    /// The model's funder of that name, whose savings set against its
    /// payments give its net position (`None`: a payer that saves nothing
    /// in the model, such as a central outcomes fund).
    pub funder: Option<usize>,
}

/// An outcomes contract: an investor funds an intervention's cost for the
/// contract's years and is repaid from payments for outcomes, made by the
/// payers in set shares. It runs in every scenario that funds its
/// intervention, with that scenario's outcomes against do-nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomesContract {
    pub name: String,
    /// The intervention whose cost the investor's capital pays.
    pub intervention: usize,
    /// The contract's first year (within the model's years).
    pub start_year: i32,
    /// Years in which outcomes are earned and capital drawn (≥ 1).
    pub years: u32,
    /// Years between earning an outcome and its payment; every payment
    /// falls within the model's years.
    pub payment_lag_years: u32,
    /// On everything paid (outcomes and any delivery fee), ≥ 0.
    pub cap: Option<f64>,
    /// Per participant-year of the intervention in the contract's years, ≥ 0:
    /// outcome payments are capped at this × those participant-years.
    pub cap_per_participant: Option<f64>,
    /// The share of `cap` paid whatever the outcomes, in equal parts over
    /// the contract's years, without lag (0 without a fee; needs a cap).
    pub delivery_fee_share: f64,
    pub payers: Vec<Payer>,
    pub tariffs: Vec<Tariff>,
}

/// How a pooled budget's realised savings are shared back.
#[derive(Debug, Clone, PartialEq)]
pub enum SavingsRule {
    /// In proportion to each partner's contribution.
    ProRata,
    /// In fixed shares (one per partner, in the partners' order, summing to 1).
    Fixed(Vec<f64>),
}

/// Partners pay for interventions from a pool in set shares and share the
/// savings they realise.
#[derive(Debug, Clone, PartialEq)]
pub struct PooledBudget {
    pub name: String,
    /// The interventions the pool pays for (indices into the model's).
    pub interventions: Vec<usize>,
    /// The partners (funders of the model), in the file's order.
    pub partners: Vec<usize>,
    /// Each partner's share of the pool's cost; they sum to 1.
    pub contributions: Vec<f64>,
    pub rule: SavingsRule,
}

impl PooledBudget {
    /// Each partner's share of the savings.
    pub fn savings_shares(&self) -> &[f64] {
        match &self.rule {
            SavingsRule::ProRata => &self.contributions,
            SavingsRule::Fixed(shares) => shares,
        }
    }
}
