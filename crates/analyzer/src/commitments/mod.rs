//! Reserved instances and savings plans: an optimizer, not a rule of thumb.
//!
//! The commitments rules (`reserved-instance-purchase`,
//! `savings-plan-purchase`, `underused-reservation`, `expiring-commitment`)
//! share this module. It answers three questions from the hourly CUR:
//!
//! 1. **What runs on demand, hour by hour?** [`usage`] pools EC2 instance
//!    usage per account × region × family × platform × tenancy in normalized
//!    units (size flexibility, [`normalization`]), leaving out usage already
//!    covered, spot, and — "commit after cleanup" — usage of instances other
//!    rules would remove ([`cleanup`]).
//! 2. **What should be bought?** [`optimizer`] finds the savings-maximizing
//!    RI count per pool and offering (`k* = max{k : utilization of unit k ≥
//!    r/p}`) and the optimal savings-plan commitment (the `d`-quantile of
//!    hourly on-demand-equivalent spend) with the whole savings curve;
//!    [`plan`] decides per account between RIs and a savings plan so that no
//!    usage is committed twice, at rates from the CUR when the offering is in
//!    use and the price book's marked estimates otherwise ([`offerings`]).
//! 3. **How are existing commitments doing?** [`existing`] measures each
//!    reservation's and savings plan's utilization from the CUR.
//!
//! `docs/commitments.md` explains the method with a worked example.

pub mod cleanup;
pub mod existing;
pub mod normalization;
pub mod offerings;
pub mod optimizer;
pub mod plan;
pub mod usage;

pub use cleanup::{Cleanup, Resize, SetAsideReason};
pub use existing::{ExistingCommitments, ReservationUse, SavingsPlanUse};
pub use offerings::{Payment, Rate, RateBasis, RiClass, RiOffering, SpOffering, SpType};
pub use optimizer::{HourlySeries, RiChoice, SpPoint};
pub use plan::{
    AccountPlan, Alternative, PlanKind, PoolSummary, PurchaseOptions, PurchasePlan, PurchaseSettings, RateBook,
    RiRecommendation, SavingsPlanChoice, SpRecommendation, SpScope, Strategy, plan_pools, purchase_plan,
};
pub use usage::{PoolKey, PoolUsage, Window};
