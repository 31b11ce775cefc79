//! "Commit after cleanup": usage the other rules would remove or shrink is
//! set aside before commitments are sized, so a purchase never locks in
//! waste for a year.
//!
//! What is set aside, per instance id, for the whole lookback:
//!
//! - instances the [`idle-instance`](crate::rules::idle_instance) rule flags
//!   (run through [`idle_instances`] with that rule's default settings; an
//!   idle Auto Scaling group sets aside every member it covers);
//! - instances that are `stopped`/`stopping` as of the snapshot (a stopped
//!   instance uses no compute);
//! - instances `terminated`/`shutting-down` as of the snapshot, unless they
//!   belong to an Auto Scaling group (a group replaces its instances, so the
//!   usage goes on under new ids).
//!
//! And resized: instances the `ec2-rightsizing` method finds over-provisioned
//! ([`rightsizing_resizes`], default settings) count at their recommended
//! type — the new type's normalized units and on-demand rate, in its family's
//! pool — so a reservation is never bought for capacity about to be given back.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, PolarsResultExt};
use crate::rules::columns::strings;
use crate::rules::idle_instance::{IdleInstance, Options as IdleOptions};
use crate::rules::{Context, Rule};
use crate::{Table, rightsizing};

/// Why an instance's usage was set aside.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetAsideReason {
    /// The `idle-instance` rule flags it (or its idle Auto Scaling group).
    Idle,
    /// Stopped as of the snapshot.
    Stopped,
    /// Terminated as of the snapshot, outside any Auto Scaling group.
    Terminated,
}

impl SetAsideReason {
    /// In words.
    pub fn describe(&self) -> &'static str {
        match self {
            SetAsideReason::Idle => "idle (idle-instance)",
            SetAsideReason::Stopped => "stopped",
            SetAsideReason::Terminated => "terminated",
        }
    }
}

/// A resize another rule recommends: count `instance_id`'s usage as `to_instance_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resize {
    /// The instance.
    pub instance_id: String,
    /// The type it should run as.
    pub to_instance_type: String,
}

/// What "commit after cleanup" removes or resizes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cleanup {
    /// Instances whose usage is set aside, and why.
    pub removed: BTreeMap<String, SetAsideReason>,
    /// Instances whose usage counts at another type.
    pub resized: BTreeMap<String, String>,
}

impl Cleanup {
    /// Every instance id whose usage lines must be tracked one by one.
    pub fn tracked_ids(&self) -> Vec<String> {
        self.removed.keys().chain(self.resized.keys()).cloned().collect()
    }

    /// Whether there is nothing to set aside or resize.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.resized.is_empty()
    }
}

/// Everything "commit after cleanup" sets aside or resizes, for this snapshot.
pub fn cleanup(ctx: &Context<'_>) -> Result<Cleanup, Error> {
    let mut out = Cleanup::default();
    for (id, reason) in inactive_instances(ctx)? {
        out.removed.insert(id, reason);
    }
    for id in idle_instances(ctx)? {
        out.removed.insert(id, SetAsideReason::Idle);
    }
    for resize in rightsizing_resizes(ctx)? {
        if !out.removed.contains_key(&resize.instance_id) {
            out.resized.insert(resize.instance_id, resize.to_instance_type);
        }
    }
    Ok(out)
}

/// Instance ids the `idle-instance` rule flags, with its default settings
/// (members of a flagged Auto Scaling group included).
///
/// Rules cannot read each other's configured settings, so a user who tuned
/// `[rules.idle-instance]` gets the defaults here; the evidence of every
/// commitment finding lists what was set aside.
pub fn idle_instances(ctx: &Context<'_>) -> Result<Vec<String>, Error> {
    let settings = IdleInstance::resolve(IdleOptions::default())
        .map_err(|detail| Error::Query { context: "commit after cleanup: idle-instance defaults".into(), detail })?;
    let output = IdleInstance::check(&settings, ctx)?;
    let mut ids: Vec<String> = output
        .findings
        .iter()
        .flat_map(|f| std::iter::once(&f.resource_id).chain(&f.covers))
        .filter(|id| id.starts_with("i-"))
        .cloned()
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Instances stopped, or terminated outside an Auto Scaling group, as of the snapshot.
pub fn inactive_instances(ctx: &Context<'_>) -> Result<Vec<(String, SetAsideReason)>, Error> {
    let Some(instances) = ctx.dataset.table(Table::Instances) else { return Ok(Vec::new()) };
    let context = "commit after cleanup: instances";
    let states = Series::new("states".into(), ["stopped", "stopping", "terminated", "shutting-down"]);
    let frame = instances
        .filter(col("state").is_in(lit(states).implode(false), false))
        .select([col("instance_id"), col("state"), col("auto_scaling_group")])
        .collect()
        .during(|| context.to_owned())?;
    let id = strings(&frame, "instance_id", context)?;
    let state = strings(&frame, "state", context)?;
    let asg = strings(&frame, "auto_scaling_group", context)?;
    let mut out = Vec::new();
    for i in 0..frame.height() {
        let (Some(id), Some(state)) = (id.get(i), state.get(i)) else { continue };
        match state {
            "stopped" | "stopping" => out.push((id.to_owned(), SetAsideReason::Stopped)),
            _ if asg.get(i).is_none_or(str::is_empty) => out.push((id.to_owned(), SetAsideReason::Terminated)),
            _ => {}
        }
    }
    Ok(out)
}

/// The resizes the `ec2-rightsizing` rule recommends, with its default
/// settings: every over-provisioned instance (each member of an
/// over-provisioned Auto Scaling group) moves to the recommended type, so its
/// usage counts in that type's pool at that type's units and rate. Under-
/// provisioned and optimized instances, and those without enough data, keep
/// their type.
pub fn rightsizing_resizes(ctx: &Context<'_>) -> Result<Vec<Resize>, Error> {
    let assessments = rightsizing::assess(ctx.dataset, ctx.prices, ctx.billed, &rightsizing::Params::default())?;
    let mut out = Vec::new();
    for assessment in assessments {
        let rightsizing::Outcome::Sized(sizing) = assessment.outcome else { continue };
        if sizing.classification != rightsizing::Classification::OverProvisioned {
            continue;
        }
        let Some(recommendation) = &sizing.recommendation else { continue };
        for member in &assessment.subject.members {
            out.push(Resize {
                instance_id: member.clone(),
                to_instance_type: recommendation.best.instance_type().to_owned(),
            });
        }
    }
    Ok(out)
}
