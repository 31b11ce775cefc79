//! The costwise demo account: a deterministic, realistic mid-size company
//! (three accounts, three regions, ~100 instances, a ~$6.0k monthly bill)
//! with every kind of waste the rules look for planted in it.
//!
//! [`generate`] writes a snapshot directory (what `costwise demo` analyses)
//! and returns the oracle: the list of planted findings with the savings the
//! generator intends, plus the spend it intends per category. Nothing reads
//! the wall clock and all randomness comes from a fixed seed, so two runs
//! give byte-identical files.
//!
//! The billing table goes through the real importer: the generator builds a
//! raw CUR 2.0 frame ([`crate::cur2`]) and normalizes it with
//! [`costwise_analyzer::ingest::billing::normalize_cur`], exactly as
//! `costwise import` does with a customer's export. Inventory and metrics are
//! built directly in the snapshot schema.
//!
//! Conventions the rules can rely on (they match real exports):
//! - CUR resource ids: instance and volume ids as is; snapshots and NAT
//!   gateways as ARNs (`arn:aws:ec2:<region>:<account>:snapshot/snap-…`);
//!   load balancers and RDS instances as ARNs; public IPv4 charges by public
//!   IP (`PublicIPv4:IdleAddress` while unassociated or on a stopped
//!   instance); S3 lines (and S3 egress under `AWSDataTransfer`) by bucket name.
//! - Every instance names its AMI (`image_id`): mostly public Amazon Linux /
//!   Ubuntu images the accounts do not own, some owned ones from the images
//!   table; launch templates (one row per version) point at AMIs too. The
//!   unused family's resources are in [`plan::unused`].
//! - Every instance's hourly CloudWatch series ([`series`]) reach fixed
//!   peaks once a day, so the p99.5 a rightsizing rule reads is exact; the
//!   rightsizing family's profiles, extra instances and oracle entries are in
//!   [`plan::rightsizing`] (checked independently by
//!   `crates/synth/tests/rightsizing.rs`).
//! - Public on-demand rates are the bundled us-east-1 list prices × a fixed
//!   regional multiplier (us-east-1 and us-west-2 1.0, eu-west-1 1.10).
//! - All billing lines are hourly except `RIFee` (monthly). See
//!   [`billing`] for the line items and [`tables`] for the metrics.
//! - The S3 storage findings (`s3-lifecycle-tiering` and the two cleanup
//!   rules) are planted in [`plan`] and priced by [`storage`] from the
//!   metrics and CUR lines written (checked independently by
//!   `crates/synth/tests/s3_storage.rs`).

pub mod billing;
pub mod plan;
pub mod series;
pub mod shape;
pub mod storage;
pub mod tables;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDateTime;
use costwise_analyzer::Table;
use costwise_analyzer::ingest::billing::normalize_cur;
use costwise_analyzer::manifest::{Account, Period, Source, SourceKind};
use costwise_analyzer::snapshot::{SnapshotInfo, SnapshotWriter};
use polars::prelude::IntoLazy;
use serde::{Deserialize, Serialize};

pub use plan::OracleEntry;

/// The seed of the committed demo account.
pub const DEMO_SEED: u64 = 20_261_123;

/// The manifest's fixed `created_at`.
pub fn created_at() -> NaiveDateTime {
    plan::window_end() + chrono::Duration::hours(6)
}

/// What the generator planted and intended: `fixtures/demo-oracle.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Oracle {
    /// The snapshot's "as of" (end of the 60-day window).
    pub as_of: NaiveDateTime,
    /// Intended amortized spend per month (last 30 days scaled to 730 hours), by category, plus `total`.
    pub spend: BTreeMap<String, f64>,
    /// The same, by CUR product code.
    pub spend_by_service: BTreeMap<String, f64>,
    /// Planted findings (and negative controls such as `recently-detached-ebs-volume`).
    pub findings: Vec<OracleEntry>,
    /// Traps a correct rule must not fall into.
    pub notes: Vec<String>,
}

/// The product code a spend category is billed under.
pub fn service_of(category: &str) -> &'static str {
    match category {
        "ec2-instances" | "ebs" | "ebs-snapshots" | "nat-gateways" => "AmazonEC2",
        "rds" => "AmazonRDS",
        "s3" => "AmazonS3",
        "data-transfer" => "AWSDataTransfer",
        "load-balancers" => "AWSELB",
        "public-ipv4" => "AmazonVPC",
        "cloudwatch" => "AmazonCloudWatch",
        _ => "ComputeSavingsPlans",
    }
}

/// Writes the demo snapshot to `out` and its oracle to `oracle_path`.
pub fn generate(out: &Path, oracle_path: &Path, seed: u64) -> anyhow::Result<Oracle> {
    let rates = plan::Rates::new();
    let plan = plan::build(seed, &rates);
    let billing = billing::generate(&plan, &rates, seed);

    let mut writer = SnapshotWriter::create(out).with_context(|| format!("creating {}", out.display()))?;
    let raw = billing.cur.finish().context("building the raw CUR 2.0 frame")?;
    let origin = PathBuf::from("<costwise-synth demo CUR 2.0>");
    let costs = normalize_cur(raw.lazy(), &origin).context("normalizing the demo CUR")?;
    writer.write_lazy(Table::Costs, costs).context("writing costs")?;
    for (table, frame) in tables::inventory(&plan).context("building inventory tables")? {
        writer.write_frame(table, frame).with_context(|| format!("writing {table}"))?;
    }
    let metrics = tables::metrics(&plan, seed).context("building metrics")?;
    writer.write_frame(Table::Metrics, metrics).context("writing metrics")?;
    writer
        .finish(SnapshotInfo {
            created_at: created_at(),
            source: Source {
                kind: SourceKind::Synthetic,
                description: "costwise demo account (synthetic)".into(),
                inputs: Vec::new(),
            },
            accounts: plan::ACCOUNTS.iter().map(|a| Account { id: a.id.into(), name: Some(a.name.into()) }).collect(),
            regions: plan::REGIONS.iter().map(|r| r.code.to_owned()).collect(),
            period: Period { start: plan::window_start(), end: plan::window_end() },
            currency: "USD".into(),
            data_gaps: Vec::new(),
        })
        .context("finishing the snapshot")?;

    let mut spend = billing.last_30_days;
    let mut spend_by_service: BTreeMap<String, f64> = BTreeMap::new();
    for (category, cost) in &spend {
        *spend_by_service.entry(service_of(category).to_owned()).or_default() += cost;
    }
    let total: f64 = spend.values().sum();
    spend.insert("total".into(), plan::round6(total));
    for v in spend_by_service.values_mut() {
        *v = plan::round6(*v);
    }
    let mut notes: Vec<String> = vec![
            "Snapshots backing AMIs (description `Created by CreateImage(...)`) have source volumes that no longer exist but are NOT orphaned: an AMI references them.".into(),
            "Every NAT gateway holds an Elastic IP that is associated with the gateway's network interface (no instance id): those addresses are NOT idle.".into(),
            "Volumes attached to stopped instances are in state `in-use`: they are part of the stopped-instance findings, not unattached volumes.".into(),
            "Instances covered by the reservations (web m5.large ×2, search r5.large) and the savings plan (api m6g.large ×4, worker c5.large ×2, export c6g.large ×3) are not commitment opportunities.".into(),
        ];
    notes.extend(plan.notes);
    let mut findings = plan.oracle;
    notes.extend(storage::price(&plan.buckets, &billing.traffic, &rates, &mut findings));
    for entry in findings.iter_mut().filter(|e| e.kind == "heavy-s3-egress") {
        let account = plan::ACCOUNTS.iter().position(|a| a.id == entry.account_id).context("oracle account")?;
        let bucket = entry.resource_id.as_deref().context("heavy-s3-egress names its bucket")?;
        let e = billing.traffic.cloudfront_estimate(account, bucket);
        entry.expected_monthly_savings = Some(plan::round6(e.savings));
        entry.note = format!(
            "{}. Over the last 30 days (scaled to 730 hours): {:.1} GB/month billed ${:.2} (at list price, on top of the payer's other {:.1} GB/month of internet egress, ${:.2}); CloudFront US/Europe with its 1 TB free: ${:.2} data transfer + ${:.2} for {:.0} HTTPS requests a month (one per S3 GET, 10M free); saves ${:.2}/month",
            entry.note,
            e.gb_month,
            e.billed_month,
            e.other_gb_month,
            e.list_month,
            e.transfer_month,
            e.request_fee_month,
            e.requests_month,
            e.savings,
        );
    }
    let oracle = Oracle { as_of: plan::window_end(), spend, spend_by_service, findings, notes };
    let json = serde_json::to_string_pretty(&oracle).context("serializing the oracle")?;
    std::fs::write(oracle_path, json + "\n").with_context(|| format!("writing {}", oracle_path.display()))?;
    Ok(oracle)
}
