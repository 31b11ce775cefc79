//! EBS snapshots whose source volume is gone and that back no AMI, or that exceed a per-volume retention count.
//!
//! ## What it finds
//! Completed snapshots older than `min-age-days` that either
//!
//! - **are orphaned**: their source volume is not in the volumes table any
//!   more (deleted), or they record no source volume at all (copies and
//!   imports, `vol-ffffffff`; reported with low confidence, since a
//!   cross-region copy is often a deliberate disaster-recovery copy); or
//! - **exceed the retention count**: their volume has more than
//!   `max-snapshots-per-volume` snapshots; the newest ones are kept and the
//!   older ones past `min-age-days` are reported. Snapshots managed by AWS
//!   Backup or Data Lifecycle Manager are left out of this count: a policy
//!   already sets their retention.
//!
//! Snapshots backing an AMI are never reported: every snapshot listed in a
//! registered (not deregistered) image's block devices is kept. Without an
//! images table only snapshots described `Created by CreateImage` or
//! `Copied for DestinationAmi` are known to back an AMI; any other candidate
//! is listed under "not enough data", because an AMI may have been
//! registered from it. Likewise, without a volumes table a snapshot's
//! source volume cannot be checked and it is listed there too.
//!
//! ## Why it costs money
//! Snapshots bill per GB-month for the blocks they store ($0.05 in
//! us-east-1), forever: nothing expires them unless a policy does. They pile
//! up after volumes are deleted (final snapshots, pre-migration backups) and
//! under hand-rolled backup scripts that never prune. The archive tier
//! stores a snapshot for 75 % less when it must be kept but is rarely read.
//!
//! ## How savings are estimated
//! Deleting a snapshot saves what it is billed. That is, strongest first:
//! its amortized cost in the CUR (billed under the snapshot ARN
//! `arn:aws:ec2:<region>:<account>:snapshot/<id>`), else its full size
//! (`full_snapshot_size_bytes`, in GiB) × the snapshot rate (archive rate
//! for snapshots already archived), else — low confidence — the source
//! volume's size × the rate, an upper bound. Snapshots are incremental: one
//! that later snapshots of the same volume build on frees only the blocks
//! no other snapshot references, which is why retention-count findings are
//! never more than medium confidence.
//!
//! Keeping the snapshot in the archive tier instead is shown as evidence:
//! an archived snapshot is stored in full (full size × the archive rate),
//! is billed for at least 90 days, and costs a per-GiB fee to restore.
//!
//! ## Settings
//! - `min-age-days` (default 90): snapshots younger than this are never
//!   reported. Matches the Steampipe Thrifty check's snapshot age.
//! - `max-snapshots-per-volume` (default 30): snapshots of one volume, not
//!   managed by a backup policy, to keep. 30 is a month of daily snapshots
//!   and leaves room for the usual hand-rolled rotations (7 daily, 4 weekly
//!   and 12 monthly: 23), while a script that never prunes passes it within
//!   a month and everything it kept beyond 90 days is reported.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{ints, strings, times};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::Table;
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::PriceSource;

/// Default for `min-age-days`.
pub const DEFAULT_MIN_AGE_DAYS: u32 = 90;
/// Default for `max-snapshots-per-volume`.
pub const DEFAULT_MAX_SNAPSHOTS_PER_VOLUME: u32 = 30;

/// The volume id EC2 records for snapshots copied from another snapshot.
const COPIED_VOLUME_ID: &str = "vol-ffffffff";
/// Days an archived snapshot is billed for at least.
const ARCHIVE_MINIMUM_DAYS: u32 = 90;
/// Bytes per GiB.
const GIB: f64 = 1_073_741_824.0;

/// The rule.
pub struct OrphanedEbsSnapshot;

/// User options under `[rules.orphaned-ebs-snapshot]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Minimum snapshot age in days.
    pub min_age_days: Option<u32>,
    /// Snapshots of one volume to keep.
    pub max_snapshots_per_volume: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Minimum snapshot age in days.
    pub min_age_days: u32,
    /// Snapshots of one volume to keep.
    pub max_snapshots_per_volume: u32,
}

impl Rule for OrphanedEbsSnapshot {
    const ID: &'static str = "orphaned-ebs-snapshot";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let settings = Settings {
            min_age_days: options.min_age_days.unwrap_or(DEFAULT_MIN_AGE_DAYS),
            max_snapshots_per_volume: options.max_snapshots_per_volume.unwrap_or(DEFAULT_MAX_SNAPSHOTS_PER_VOLUME),
        };
        if settings.max_snapshots_per_volume == 0 {
            return Err("`max-snapshots-per-volume` must be at least 1".into());
        }
        Ok(settings)
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(snapshots) = ctx.dataset.table(Table::Snapshots) else {
            return Ok(RuleOutput::default());
        };
        let context = "orphaned-ebs-snapshot: snapshots";
        let snapshots = snapshots
            .filter(col("state").eq(lit("completed")))
            .sort(["account_id", "region", "snapshot_id"], SortMultipleOptions::default())
            .collect()
            .during(|| context.into())?;
        if snapshots.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let rows = SnapshotRow::read(&snapshots, context)?;
        let volumes = existing_volumes(ctx)?;
        let images = ami_snapshots(ctx)?;
        let as_of = ctx.dataset.as_of();

        // Per-volume ranks, newest first, among snapshots a policy does not manage and no AMI needs.
        let mut by_volume: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(volume) = row.source_volume() else { continue };
            if row.policy_managed() || matches!(ami_status(row, images.as_ref()), AmiStatus::Backs(_)) {
                continue;
            }
            by_volume.entry((row.account.as_str(), row.region.as_str(), volume)).or_default().push(i);
        }
        let mut rank: HashMap<usize, (usize, usize)> = HashMap::new();
        for members in by_volume.values_mut() {
            members.sort_by(|a, b| rows[*b].start.cmp(&rows[*a].start).then_with(|| rows[*b].id.cmp(&rows[*a].id)));
            for (position, index) in members.iter().enumerate() {
                rank.insert(*index, (position + 1, members.len()));
            }
        }

        let mut output = RuleOutput::default();
        for (i, row) in rows.iter().enumerate() {
            let skip = |reason: String| NotEnoughData {
                account_id: row.account.clone(),
                region: Some(row.region.clone()),
                resource_id: row.id.clone(),
                reason,
            };
            let Some(start) = row.start else {
                output.not_enough_data.push(skip("no start time recorded: its age is unknown".into()));
                continue;
            };
            let age_days = (as_of - start).num_seconds() as f64 / 86_400.0;
            if age_days < f64::from(settings.min_age_days) {
                continue;
            }
            let ami = ami_status(row, images.as_ref());
            if let AmiStatus::Backs(_) = ami {
                continue;
            }
            let source = match (row.source_volume(), volumes.as_ref()) {
                (None, _) => Source::NoneRecorded,
                (Some(volume), Some(existing)) if existing.contains(volume) => Source::Exists,
                (Some(_), Some(_)) => Source::Deleted,
                (Some(_), None) => Source::Unknown,
            };
            let excess =
                rank.get(&i).copied().filter(|(position, _)| *position > settings.max_snapshots_per_volume as usize);
            let reason = match (source, excess) {
                (Source::Deleted, _) => Reason::SourceDeleted,
                (Source::NoneRecorded, _) => Reason::NoSourceRecorded,
                (_, Some((position, count))) => Reason::Retention { position, count },
                (Source::Unknown, None) => {
                    let mut why = format!(
                        "the volumes table is absent: cannot tell whether source volume {} still exists",
                        row.volume.as_deref().unwrap_or_default()
                    );
                    if ami == AmiStatus::Unknown {
                        why = format!("{why}; {NO_IMAGES}");
                    }
                    output.not_enough_data.push(skip(why));
                    continue;
                }
                (Source::Exists, None) => continue,
            };
            if ami == AmiStatus::Unknown {
                output.not_enough_data.push(skip(NO_IMAGES.into()));
                continue;
            }
            match finding(settings, ctx, row, age_days, reason, source, excess) {
                Some(f) => output.findings.push(f),
                None => output
                    .not_enough_data
                    .push(skip("no billed cost, snapshot size or volume size to price it by".into())),
            }
        }
        Ok(output)
    }
}

const NO_IMAGES: &str = "the images table is absent: cannot rule out that an AMI is registered from this snapshot (only `Created by CreateImage` descriptions identify AMI snapshots without it)";

/// One snapshot row.
struct SnapshotRow {
    account: String,
    region: String,
    id: String,
    name: Option<String>,
    volume: Option<String>,
    volume_size_gib: Option<i64>,
    full_size_bytes: Option<i64>,
    start: Option<NaiveDateTime>,
    archived: bool,
    description: String,
    tags: BTreeMap<String, String>,
}

impl SnapshotRow {
    fn read(df: &DataFrame, context: &str) -> Result<Vec<Self>, Error> {
        let account = strings(df, "account_id", context)?;
        let region = strings(df, "region", context)?;
        let id = strings(df, "snapshot_id", context)?;
        let name = strings(df, "name", context)?;
        let volume = strings(df, "volume_id", context)?;
        let volume_size = ints(df, "volume_size_gib", context)?;
        let full_size = ints(df, "full_snapshot_size_bytes", context)?;
        let start = times(df, "start_time", context)?;
        let tier = strings(df, "storage_tier", context)?;
        let description = strings(df, "description", context)?;
        let tags = strings(df, "tags", context)?;
        Ok((0..df.height())
            .filter_map(|i| {
                Some(Self {
                    account: account.get(i)?.to_owned(),
                    region: region.get(i)?.to_owned(),
                    id: id.get(i)?.to_owned(),
                    name: name.get(i).map(str::to_owned),
                    volume: volume.get(i).map(str::to_owned),
                    volume_size_gib: volume_size.get(i),
                    full_size_bytes: full_size.get(i),
                    start: start[i],
                    archived: tier.get(i) == Some("archive"),
                    description: description.get(i).unwrap_or_default().to_owned(),
                    tags: parse_tags(tags.get(i)),
                })
            })
            .collect())
    }

    /// The source volume, unless none is recorded (copies carry `vol-ffffffff`).
    fn source_volume(&self) -> Option<&str> {
        self.volume.as_deref().filter(|v| !v.is_empty() && *v != COPIED_VOLUME_ID)
    }

    /// Whether AWS Backup or Data Lifecycle Manager manages the snapshot's retention.
    fn policy_managed(&self) -> bool {
        self.tags.keys().any(|k| k.starts_with("aws:backup:") || k.starts_with("aws:dlm:"))
            || self.description.contains("AWS Backup")
            || self.description.starts_with("Created for policy:")
    }

    /// Whether the description says an AMI was made from (or copied into) it.
    fn ami_description(&self) -> bool {
        self.description.starts_with("Created by CreateImage")
            || self.description.starts_with("Copied for DestinationAmi")
    }

    fn arn(&self) -> String {
        format!("arn:aws:ec2:{}:{}:snapshot/{}", self.region, self.account, self.id)
    }
}

/// Whether a snapshot backs an AMI.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AmiStatus {
    /// Registered AMIs use it.
    Backs(Vec<String>),
    /// No AMI uses it.
    Free,
    /// No images table and nothing in the description to tell.
    Unknown,
}

fn ami_status(row: &SnapshotRow, images: Option<&HashMap<String, Vec<String>>>) -> AmiStatus {
    match images {
        Some(images) => images.get(&row.id).map_or(AmiStatus::Free, |ids| AmiStatus::Backs(ids.clone())),
        None if row.ami_description() => AmiStatus::Backs(Vec::new()),
        None => AmiStatus::Unknown,
    }
}

/// What became of a snapshot's source volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Exists,
    Deleted,
    NoneRecorded,
    Unknown,
}

/// Why a snapshot is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    SourceDeleted,
    NoSourceRecorded,
    Retention { position: usize, count: usize },
}

/// Ids of volumes that still exist, or `None` without a volumes table.
fn existing_volumes(ctx: &Context<'_>) -> Result<Option<HashSet<String>>, Error> {
    let Some(volumes) = ctx.dataset.table(Table::Volumes) else { return Ok(None) };
    let context = "orphaned-ebs-snapshot: volumes";
    let df = volumes
        .filter(col("state").neq(lit("deleted")))
        .select([col("volume_id")])
        .collect()
        .during(|| context.into())?;
    Ok(Some(strings(&df, "volume_id", context)?.iter().flatten().map(str::to_owned).collect()))
}

/// Snapshot id → registered AMIs using it, or `None` without an images table.
fn ami_snapshots(ctx: &Context<'_>) -> Result<Option<HashMap<String, Vec<String>>>, Error> {
    let Some(images) = ctx.dataset.table(Table::Images) else { return Ok(None) };
    let context = "orphaned-ebs-snapshot: images";
    let df = images
        .filter(col("state").neq(lit("deregistered")).or(col("state").is_null()))
        .select([col("image_id"), col("snapshot_ids")])
        .collect()
        .during(|| context.into())?;
    let image = strings(&df, "image_id", context)?;
    let snapshot_ids = strings(&df, "snapshot_ids", context)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for i in 0..df.height() {
        let (Some(image), Some(json)) = (image.get(i), snapshot_ids.get(i)) else { continue };
        let ids: Vec<String> = serde_json::from_str(json).unwrap_or_else(|e| {
            tracing::warn!(image, error = %e, "images.snapshot_ids is not a JSON array of ids");
            Vec::new()
        });
        for id in ids {
            out.entry(id).or_default().push(image.to_owned());
        }
    }
    Ok(Some(out))
}

/// How a snapshot's monthly cost was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CostBasis {
    Billed,
    FullSize,
    VolumeSize,
}

fn finding(
    settings: &Settings,
    ctx: &Context<'_>,
    row: &SnapshotRow,
    age_days: f64,
    reason: Reason,
    source: Source,
    excess: Option<(usize, usize)>,
) -> Option<Finding> {
    let region = row.region.as_str();
    let rate_key = if row.archived { "ebs.snapshot_archive_gb_month" } else { "ebs.snapshot_standard_gb_month" };
    let rate = ctx.prices.list_price(region, rate_key);
    let archive_rate = ctx.prices.list_price(region, "ebs.snapshot_archive_gb_month");
    let restore_rate = ctx.prices.list_price(region, "ebs.snapshot_archive_restore_gb");
    let full_gib = row.full_size_bytes.filter(|b| *b > 0).map(|b| b as f64 / GIB);
    let volume_gib = row.volume_size_gib.filter(|g| *g > 0).map(|g| g as f64);

    let arn = row.arn();
    let billed = ctx.billed.first_of([arn.as_str(), row.id.as_str()]);
    let (monthly, price_source, basis): (f64, PriceSource, CostBasis) = if let Some(b) = billed {
        (b.monthly, ctx.billed.source(), CostBasis::Billed)
    } else if let (Some(gib), Some(rate)) = (full_gib, &rate) {
        (gib * rate.value, rate.source.clone(), CostBasis::FullSize)
    } else if let (Some(gib), Some(rate)) = (volume_gib, &rate) {
        (gib * rate.value, rate.source.clone(), CostBasis::VolumeSize)
    } else {
        return None;
    };

    let age = age_days.floor();
    let mut evidence = vec![
        Evidence::quantity("age", age, "days"),
        Evidence::quantity("minimum age reported", f64::from(settings.min_age_days), "days"),
        Evidence::text("storage tier", if row.archived { "archive" } else { "standard" }),
    ];
    match reason {
        Reason::SourceDeleted => evidence.push(Evidence::text(
            "source volume",
            format!("{} no longer exists", row.volume.as_deref().unwrap_or_default()),
        )),
        Reason::NoSourceRecorded => evidence.push(Evidence::text(
            "source volume",
            "none recorded: a copied or imported snapshot (if it is a deliberate cross-region or disaster-recovery copy, keep or archive it)",
        )),
        Reason::Retention { .. } => evidence.push(Evidence::text(
            "source volume",
            if source == Source::Exists {
                format!("{} still exists", row.volume.as_deref().unwrap_or_default())
            } else {
                format!("{} (not checked: no volumes table)", row.volume.as_deref().unwrap_or_default())
            },
        )),
    }
    if let Some((position, count)) = excess {
        evidence.push(Evidence::quantity("snapshots of this volume", count as f64, "snapshots"));
        evidence.push(Evidence::quantity("position, newest first", position as f64, ""));
        evidence.push(Evidence::quantity(
            "newest kept per volume",
            f64::from(settings.max_snapshots_per_volume),
            "snapshots",
        ));
    }
    evidence.push(Evidence::text(
        "used by an AMI",
        if row.ami_description() {
            "no: made for an AMI that is no longer registered"
        } else {
            "no: no registered image lists it"
        },
    ));
    if !row.description.is_empty() {
        evidence.push(Evidence::text("description", row.description.clone()));
    }
    if let Some(gib) = full_gib {
        evidence.push(Evidence::quantity("full snapshot size", gib, "GiB"));
    }
    if let Some(gib) = volume_gib {
        evidence.push(Evidence::quantity("source volume size", gib, "GiB"));
    }
    match basis {
        CostBasis::Billed => evidence.push(Evidence::monthly("snapshot cost (CUR, billed)", monthly)),
        CostBasis::FullSize => evidence.push(Evidence::monthly(
            if row.archived { "full size × archive rate" } else { "full size × snapshot rate" },
            monthly,
        )),
        CostBasis::VolumeSize => evidence.push(Evidence::monthly(
            "volume size × snapshot rate, an upper bound (snapshots store only used, changed blocks, compressed)",
            monthly,
        )),
    }
    if matches!(reason, Reason::Retention { .. }) {
        evidence.push(Evidence::text(
            "incremental",
            "deleting an older snapshot frees only the blocks no newer snapshot of the volume references",
        ));
    }

    let archive_gib = full_gib.or(volume_gib);
    if row.archived {
        evidence.push(Evidence::text(
            "archive minimum",
            format!(
                "archived snapshots are billed for at least {ARCHIVE_MINIMUM_DAYS} days: deleting one archived less than {ARCHIVE_MINIMUM_DAYS} days ago bills the rest at once"
            ),
        ));
    } else if let (Some(gib), Some(archive)) = (archive_gib, &archive_rate) {
        let archived = gib * archive.value;
        evidence
            .push(Evidence::monthly("archive tier instead, if it must be kept (full size × archive rate)", archived));
        if monthly > archived {
            evidence.push(Evidence::monthly("archiving instead saves", monthly - archived));
        }
        evidence.push(Evidence::text(
            "archive terms",
            format!("stored in full, billed for at least {ARCHIVE_MINIMUM_DAYS} days, restores take up to 72 hours"),
        ));
        if let Some(restore) = &restore_rate {
            evidence.push(Evidence::money("restore from archive, one-off", gib * restore.value));
        }
    }
    if row.policy_managed() {
        evidence.push(Evidence::text(
            "managed by",
            "a backup policy (AWS Backup or Data Lifecycle Manager): delete it there, or shorten the policy's retention",
        ));
    }

    let confidence = match (reason, basis) {
        (_, CostBasis::VolumeSize) | (Reason::NoSourceRecorded, _) => Confidence::Low,
        (Reason::Retention { .. }, _) | (Reason::SourceDeleted, CostBasis::FullSize) => Confidence::Medium,
        (Reason::SourceDeleted, CostBasis::Billed) => Confidence::High,
    };
    let size_text = full_gib.or(volume_gib).map_or_else(String::new, |g| format!(", {g:.0} GiB"));
    let title = match reason {
        Reason::SourceDeleted => format!(
            "Snapshot of deleted volume {}{size_text}, {age} days old",
            row.volume.as_deref().unwrap_or_default()
        ),
        Reason::NoSourceRecorded => format!("Copied snapshot with no source volume{size_text}, {age} days old"),
        Reason::Retention { position, count } => format!(
            "Snapshot {position} of {count} of {} (newest {} kept){size_text}, {age} days old",
            row.volume.as_deref().unwrap_or_default(),
            settings.max_snapshots_per_volume
        ),
    };

    Some(Finding {
        rule: OrphanedEbsSnapshot::ID.into(),
        category: OrphanedEbsSnapshot::CATEGORY,
        account_id: row.account.clone(),
        region: Some(row.region.clone()),
        resource_type: "ebs-snapshot".into(),
        resource_id: row.id.clone(),
        resource_name: row.name.clone(),
        title,
        evidence,
        monthly_cost: monthly,
        monthly_savings: monthly,
        price_source,
        confidence,
        risk: Risk::NonDisruptive,
        remediation: remediation(row, reason),
        tags: row.tags.clone(),
        covers: Vec::new(),
    })
}

fn remediation(row: &SnapshotRow, reason: Reason) -> Remediation {
    let (region, id) = (row.region.as_str(), row.id.as_str());
    let why = match reason {
        Reason::SourceDeleted => "its source volume is gone and no AMI uses it",
        Reason::NoSourceRecorded => "it records no source volume and no AMI uses it",
        Reason::Retention { .. } => "newer snapshots of the same volume are kept",
    };
    let mut cli = vec![format!("aws ec2 delete-snapshot --region {region} --snapshot-id {id}")];
    let terraform;
    let summary;
    if row.archived {
        summary = format!("Delete {id} ({why}); it is already in the archive tier.");
        terraform = format!("# If Terraform manages {id}, remove its aws_ebs_snapshot from your configuration.");
    } else {
        summary = format!("Delete {id} ({why}); if it must be kept, move it to the archive tier instead.");
        cli.push(format!(
            "# or, to keep it at the archive rate (90-day minimum, restores take up to 72 hours):\naws ec2 modify-snapshot-tier --region {region} --snapshot-id {id} --storage-tier archive"
        ));
        terraform = format!(
            "# If Terraform manages {id}, remove its aws_ebs_snapshot from your configuration,\n# or keep it archived:\nstorage_tier = \"archive\""
        );
    }
    if row.policy_managed() {
        cli.insert(
            0,
            "# managed by AWS Backup or Data Lifecycle Manager: EC2 may refuse the delete; remove the recovery point or shorten the policy's retention instead".into(),
        );
    }
    Remediation { summary, cli, terraform: Some(terraform), lifecycle_configuration: None }
}
