//! EC2 rightsizing: the requirement model, candidate search, performance risk
//! and classification behind the `ec2-rightsizing` rule, as a library other
//! rules and tools can call.
//!
//! The method (`docs/rightsizing.md` explains it in full and compares it
//! with AWS Compute Optimizer):
//!
//! 1. **Usage** ([`usage`]): hourly CloudWatch datapoints over the lookback
//!    (14, 32 or 93 days): CPU `Maximum` (and `Average`), the CloudWatch
//!    agent's `mem_used_percent` when present, network and EBS.
//! 2. **Requirement** ([`requirement`]): required vCPU = current vCPU ×
//!    percentile CPU / (1 − headroom), compared across processors with a
//!    per-vCPU [`performance`] table; memory from the agent's metric, else the
//!    current memory (never shrunk blind); network and EBS at least their
//!    observed peaks; the same architecture unless Graviton is allowed;
//!    instance store kept; burstable types only when the mean CPU stays under
//!    their [`burstable`] baseline.
//! 3. **Candidates** ([`candidates`]): every general-purpose type from an
//!    allowed family that meets the requirement and has a price in the
//!    region, cheapest first, each with a 0–4 performance risk and a
//!    migration effort; the best plus up to two alternatives.
//! 4. **Classification** ([`assess`]): over-provisioned (a cheaper type fits,
//!    by at least the minimum saving), under-provisioned (the current type
//!    does not meet its own requirement), or optimized; savings = rate
//!    difference × hours actually run, after the RI/SP discount the instance
//!    gets when the CUR shows one. Auto Scaling groups are sized once, from
//!    their members' mean load.
//!
//! ```no_run
//! use costwise_analyzer::billed::BilledCosts;
//! use costwise_analyzer::prices::PriceBook;
//! use costwise_analyzer::rightsizing::{self, Classification, Outcome, Params};
//! use costwise_analyzer::Dataset;
//!
//! let dataset = Dataset::open("fixtures/demo")?;
//! let prices = PriceBook::for_dataset(&dataset, Default::default())?;
//! let billed = BilledCosts::load(&dataset, prices.hours_per_month())?;
//! for a in rightsizing::assess(&dataset, &prices, &billed, &Params::default())? {
//!     if let Outcome::Sized(s) = &a.outcome
//!         && s.classification == Classification::OverProvisioned
//!     {
//!         let best = &s.recommendation.as_ref().unwrap().best;
//!         println!("{}: {} → {} saves ${:.2}/month", a.subject.id, s.current.instance_type, best.instance_type(), s.monthly_savings);
//!     }
//! }
//! # Ok::<(), costwise_analyzer::Error>(())
//! ```

pub mod assess;
pub mod burstable;
pub mod candidates;
pub mod percentile;
pub mod performance;
pub mod requirement;
pub mod usage;

pub use assess::{
    ALLOWED_CPU_PERCENTILES, ALLOWED_LOOKBACK_DAYS, Assessment, COMMITMENT_COVERED_BELOW, Classification, Commitment,
    ComputeBills, DEFAULT_CPU_PERCENTILE, DEFAULT_HEADROOM_PCT, DEFAULT_LOOKBACK_DAYS, DEFAULT_MIN_HOURS,
    DEFAULT_MIN_MONTHLY_SAVINGS, Inputs, MAX_HEADROOM_PCT, Outcome, Params, Sizing, Subject, SubjectKind, assess, size,
    subjects,
};
pub use burstable::baseline_per_vcpu;
pub use candidates::{
    Alternative, AlternativeKind, Candidate, Families, MigrationEffort, Recommendation, is_general_purpose, recommend,
    search,
};
pub use percentile::percentile;
pub use performance::{performance_ratio, relative_performance};
pub use requirement::{Headroom, Misfit, PerformanceRisk, Requirement, Shortfall, risk_score};
pub use usage::{CpuStatistic, HourlyMetrics, MemoryUsage, MetricsWindow, Usage};
