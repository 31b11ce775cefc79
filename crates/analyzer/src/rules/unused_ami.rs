//! AMIs no instance or launch template has used for weeks, still billing their snapshots.
//!
//! ## What it finds
//! Images owned by the account, in state `available`, that are:
//!
//! - at least `min-age-days` old (by creation date);
//! - not launched for at least `min-days-unused` days: AWS records each
//!   image's last launch (`LastLaunchedTime`, since April 2017); an image
//!   never launched since is judged by its creation date, and the evidence
//!   says so;
//! - not the image of any instance that is not terminated (running or
//!   stopped instances may need it to be rebuilt);
//! - not referenced by the default or the latest version of any launch
//!   template (what Auto Scaling groups and fleets launch from), nor by a
//!   version an Auto Scaling group pins by number.
//!
//! When the snapshot has no `launch_templates` table, images are still
//! judged — their launch history already shows any launch template that
//! actually launched them — but confidence drops one level and the evidence
//! says launch templates were not checked. Confidence also drops when
//! something in the same region may launch this image without the snapshot
//! saying which image it is, and the remediation prints the command that
//! tells: a launch template resolving its image at launch from an SSM
//! parameter (`resolve:ssm:...`), an Auto Scaling group pinning a template
//! version the snapshot does not hold, or a group on a launch configuration
//! (whose image is not read). Groups are known from the
//! `auto_scaling_groups` table; without it, versions pinned by number and
//! launch configurations go unchecked, as the launch history covers what
//! they actually launched.
//!
//! An image that cannot be judged goes under "not enough data": no creation
//! date, no `instances` table, instances in its region whose image is not
//! recorded, or backing snapshots that can be priced neither from the CUR
//! nor from the `snapshots` table. Instance-store-backed images (no EBS
//! snapshots) and images whose every snapshot also backs an image that stays
//! are not reported: deregistering them saves nothing here.
//!
//! ## Why it costs money
//! An AMI itself is free, but the EBS snapshots behind it bill every month
//! (GB-months of stored blocks) until the image is deregistered and its
//! snapshots deleted. Deregistering does not delete them, which is how old
//! golden images and nightly builds pile up for years.
//!
//! ## How savings are estimated
//! The monthly cost of its backing snapshots: each at its CUR amortized cost
//! (billed under the snapshot ARN), else at the standard (or archive)
//! snapshot rate × its size — the full snapshot size where EC2 reports it,
//! else the source volume size, an upper bound since snapshots store only
//! used, changed blocks. A snapshot that also backs another image that is
//! not reported is not counted (it cannot be deleted). The finding covers
//! the snapshots it counts, so an orphaned-snapshot finding on them is not
//! counted twice.
//!
//! Confidence is high when the last launch is recorded and launch templates
//! were checked, medium when the image was never launched (judged from its
//! creation date), one level lower without launch templates or with a
//! launcher in the region whose image the snapshot does not show. Risk is non-disruptive: instances
//! already launched from an image keep running when it is deregistered.
//!
//! ## Settings
//! - `min-age-days` (default 90): minimum age of the image.
//! - `min-days-unused` (default 90): minimum days since its last launch (or
//!   its creation, when never launched).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{bools, ints, strings, times};
use super::ec2_resize::{AutoScalingGroups, LaunchSource};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_word};
use crate::prices::PriceSource;
use crate::{Dataset, Table};

/// Default for `min-age-days`.
pub const DEFAULT_MIN_AGE_DAYS: u32 = 90;

/// Default for `min-days-unused`.
pub const DEFAULT_MIN_DAYS_UNUSED: u32 = 90;

/// Prefix of launch template image ids resolved from SSM at launch.
const SSM_PREFIX: &str = "resolve:ssm:";

/// Bytes per GiB.
const GIB: f64 = 1_073_741_824.0;

/// The rule.
pub struct UnusedAmi;

/// User options under `[rules.unused-ami]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Minimum age in days.
    pub min_age_days: Option<u32>,
    /// Minimum days since the last launch.
    pub min_days_unused: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Minimum age in days.
    pub min_age_days: u32,
    /// Minimum days since the last launch.
    pub min_days_unused: u32,
}

impl Rule for UnusedAmi {
    const ID: &'static str = "unused-ami";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        Ok(Settings {
            min_age_days: options.min_age_days.unwrap_or(DEFAULT_MIN_AGE_DAYS),
            min_days_unused: options.min_days_unused.unwrap_or(DEFAULT_MIN_DAYS_UNUSED),
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(images) = ctx.dataset.table(Table::Images) else {
            return Ok(RuleOutput::default());
        };
        let context = "unused-ami: images";
        let images = images
            .filter(col("state").neq(lit("deregistered")).or(col("state").is_null()))
            .collect()
            .during(|| context.into())?;
        if images.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let rows = ImageRow::read(&images)?;
        let instances = Instances::load(ctx.dataset)?;
        let templates = Templates::load(ctx.dataset)?;
        let as_of = ctx.dataset.as_of();

        let mut output = RuleOutput::default();
        let mut candidates = Vec::new();
        for image in rows.iter().filter(|r| r.state.as_deref() == Some("available")) {
            match judge(settings, image, instances.as_ref(), templates.as_ref(), as_of) {
                Verdict::Unused(unused) => candidates.push((image, unused)),
                Verdict::Keep => {}
                Verdict::NotEnoughData(reason) => output.not_enough_data.push(image.skipped(reason)),
            }
        }
        if candidates.is_empty() {
            return Ok(output);
        }

        // A snapshot that also backs an image staying registered cannot be deleted.
        let flagged: HashSet<(String, String)> = candidates.iter().map(|(image, _)| image.key()).collect();
        let mut kept_by: HashMap<(String, String), String> = HashMap::new();
        for image in rows.iter().filter(|r| !flagged.contains(&r.key())) {
            for snapshot in &image.snapshot_ids {
                kept_by.entry((image.account.clone(), snapshot.clone())).or_insert_with(|| image.id.clone());
            }
        }
        let snapshots = Snapshots::load(ctx.dataset)?;
        for (image, unused) in candidates {
            let priced = price_snapshots(ctx, image, &kept_by, snapshots.as_ref());
            if priced.counted.is_empty() {
                if !priced.unpriced.is_empty() {
                    output.not_enough_data.push(image.skipped(format!(
                        "its backing snapshot(s) {} are neither billed by id in the CUR nor in the snapshots table, so deregistering it cannot be priced",
                        priced.unpriced.join(", ")
                    )));
                }
                // Else every snapshot backs an image that stays: nothing to save.
                continue;
            }
            output.findings.push(finding(ctx, settings, image, &unused, &priced, templates.as_ref(), as_of));
        }
        Ok(output)
    }
}

/// One image row.
struct ImageRow {
    account: String,
    region: String,
    id: String,
    name: Option<String>,
    state: Option<String>,
    created: Option<NaiveDateTime>,
    last_launched: Option<NaiveDateTime>,
    snapshot_ids: Vec<String>,
    tags: Option<String>,
}

impl ImageRow {
    fn read(images: &DataFrame) -> Result<Vec<Self>, Error> {
        let context = "unused-ami: images";
        let account = strings(images, "account_id", context)?;
        let region = strings(images, "region", context)?;
        let id = strings(images, "image_id", context)?;
        let name = strings(images, "name", context)?;
        let state = strings(images, "state", context)?;
        let created = times(images, "creation_date", context)?;
        let launched = times(images, "last_launched_time", context)?;
        let snapshots = strings(images, "snapshot_ids", context)?;
        let tags = strings(images, "tags", context)?;
        let owned = |v: Option<&str>| v.map(str::to_owned);
        Ok((0..images.height())
            .filter_map(|i| {
                Some(ImageRow {
                    account: account.get(i)?.to_owned(),
                    region: region.get(i)?.to_owned(),
                    id: id.get(i)?.to_owned(),
                    name: owned(name.get(i)),
                    state: owned(state.get(i)),
                    created: created[i],
                    last_launched: launched[i],
                    snapshot_ids: snapshots
                        .get(i)
                        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
                        .unwrap_or_default(),
                    tags: owned(tags.get(i)),
                })
            })
            .collect())
    }

    fn key(&self) -> (String, String) {
        (self.account.clone(), self.id.clone())
    }

    fn skipped(&self, reason: String) -> NotEnoughData {
        NotEnoughData {
            account_id: self.account.clone(),
            region: Some(self.region.clone()),
            resource_id: self.id.clone(),
            reason,
        }
    }
}

/// Why an image counts as unused.
struct Unused {
    age_days: f64,
    idle_days: f64,
    never_launched: bool,
    instances_in_region: usize,
}

enum Verdict {
    Unused(Unused),
    Keep,
    NotEnoughData(String),
}

fn days_between(from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

fn judge(
    settings: &Settings,
    image: &ImageRow,
    instances: Option<&Instances>,
    templates: Option<&Templates>,
    as_of: NaiveDateTime,
) -> Verdict {
    if image.snapshot_ids.is_empty() {
        // Instance-store-backed: no EBS snapshots to delete.
        return Verdict::Keep;
    }
    let Some(created) = image.created else {
        return Verdict::NotEnoughData("no creation date: its age cannot be checked".into());
    };
    let age_days = days_between(created, as_of);
    if age_days < f64::from(settings.min_age_days) {
        return Verdict::Keep;
    }
    let last_use = image.last_launched.map_or(created, |t| t.max(created));
    let idle_days = days_between(last_use, as_of);
    if idle_days < f64::from(settings.min_days_unused) {
        return Verdict::Keep;
    }
    if templates.is_some_and(|t| t.referencing.contains_key(&image.key())) {
        return Verdict::Keep;
    }
    let Some(instances) = instances else {
        return Verdict::NotEnoughData(
            "the snapshot has no instances table: cannot tell whether an instance runs from it".into(),
        );
    };
    if instances.using.contains(&image.key()) {
        return Verdict::Keep;
    }
    let region_key = (image.account.clone(), image.region.clone());
    if let Some(unknown) = instances.unknown_image.get(&region_key) {
        return Verdict::NotEnoughData(format!(
            "{unknown} instance(s) in {} have no recorded image id, so one of them may run from it",
            image.region
        ));
    }
    Verdict::Unused(Unused {
        age_days,
        idle_days,
        never_launched: image.last_launched.is_none(),
        instances_in_region: instances.in_region.get(&region_key).copied().unwrap_or(0),
    })
}

/// Instances that are not terminated, by the image they run.
struct Instances {
    /// (account, image id) of every non-terminated instance.
    using: HashSet<(String, String)>,
    /// Non-terminated instances without a recorded image, by (account, region).
    unknown_image: HashMap<(String, String), usize>,
    /// Non-terminated instances, by (account, region).
    in_region: HashMap<(String, String), usize>,
}

impl Instances {
    fn load(dataset: &Dataset) -> Result<Option<Self>, Error> {
        let Some(instances) = dataset.table(Table::Instances) else { return Ok(None) };
        let context = "unused-ami: instances";
        let df = instances
            .filter(col("state").neq(lit("terminated")))
            .select([col("account_id"), col("region"), col("image_id")])
            .collect()
            .during(|| context.into())?;
        let account = strings(&df, "account_id", context)?;
        let region = strings(&df, "region", context)?;
        let image = strings(&df, "image_id", context)?;
        let mut out = Self { using: HashSet::new(), unknown_image: HashMap::new(), in_region: HashMap::new() };
        for i in 0..df.height() {
            let (Some(account), Some(region)) = (account.get(i), region.get(i)) else { continue };
            let region_key = (account.to_owned(), region.to_owned());
            *out.in_region.entry(region_key.clone()).or_default() += 1;
            match image.get(i) {
                Some(image) => {
                    out.using.insert((account.to_owned(), image.to_owned()));
                }
                None => *out.unknown_image.entry(region_key).or_default() += 1,
            }
        }
        Ok(Some(out))
    }
}

/// The launch template versions that can launch instances: each template's
/// default and latest version, and any version an Auto Scaling group pins by
/// number.
struct Templates {
    /// Versions referencing each (account, image id), described.
    referencing: HashMap<(String, String), Vec<String>>,
    /// What may launch an image the snapshot cannot name, by (account, region).
    doubts: HashMap<(String, String), Vec<Doubt>>,
    /// Versions that can launch instances, by (account, region).
    versions: HashMap<(String, String), usize>,
    /// Auto Scaling groups by (account, region); `None` without an `auto_scaling_groups` table.
    groups: Option<HashMap<(String, String), usize>>,
}

/// A launcher whose image the snapshot does not show, and the command that shows it.
struct Doubt {
    label: &'static str,
    detail: String,
    /// Prints the image it launches.
    command: String,
}

impl Templates {
    fn load(dataset: &Dataset) -> Result<Option<Self>, Error> {
        let Some(templates) = dataset.table(Table::LaunchTemplates) else { return Ok(None) };
        let groups = AutoScalingGroups::load(dataset, UnusedAmi::ID)?;
        let context = "unused-ami: launch templates";
        let df = templates
            .sort(["account_id", "region", "launch_template_id", "version_number"], SortMultipleOptions::default())
            .collect()
            .during(|| context.into())?;
        let account = strings(&df, "account_id", context)?;
        let region = strings(&df, "region", context)?;
        let id = strings(&df, "launch_template_id", context)?;
        let name = strings(&df, "launch_template_name", context)?;
        let version = ints(&df, "version_number", context)?;
        let default = bools(&df, "default_version", context)?;
        let latest = bools(&df, "latest_version", context)?;
        let image = strings(&df, "image_id", context)?;
        let pinned: HashSet<(&str, &str, &str, i64)> = groups
            .iter()
            .flat_map(AutoScalingGroups::iter)
            .filter_map(|((account, region, _), source)| {
                let (id, version) = template_of(source)?;
                Some((account.as_str(), region.as_str(), id, version.parse().ok()?))
            })
            .collect();
        let mut out = Self {
            referencing: HashMap::new(),
            doubts: HashMap::new(),
            versions: HashMap::new(),
            groups: groups.as_ref().map(|groups| {
                let mut counts = HashMap::new();
                for ((account, region, _), _) in groups.iter() {
                    *counts.entry((account.clone(), region.clone())).or_default() += 1;
                }
                counts
            }),
        };
        // The (account, region, template) versions that can launch: `$Default`, `$Latest` and numbers.
        let mut launchable: HashSet<(String, String, String, String)> = HashSet::new();
        for i in 0..df.height() {
            let (Some(account), Some(region), Some(id), Some(number)) =
                (account.get(i), region.get(i), id.get(i), version.get(i))
            else {
                continue;
            };
            let is_default = default.get(i) == Some(true);
            let is_latest = latest.get(i) == Some(true);
            let is_pinned = pinned.contains(&(account, region, id, number));
            if !(is_default || is_latest || is_pinned) {
                continue;
            }
            let versions =
                [(is_default, "$Default".to_owned()), (is_latest, "$Latest".to_owned()), (true, number.to_string())];
            for (applies, version) in versions {
                if applies {
                    launchable.insert((account.to_owned(), region.to_owned(), id.to_owned(), version));
                }
            }
            let region_key = (account.to_owned(), region.to_owned());
            *out.versions.entry(region_key.clone()).or_default() += 1;
            let Some(image) = image.get(i) else { continue };
            let which: Vec<&str> =
                [(is_default, "default"), (is_latest, "latest"), (is_pinned, "pinned by an Auto Scaling group")]
                    .into_iter()
                    .filter_map(|(applies, what)| applies.then_some(what))
                    .collect();
            let described = format!(
                "{id}{} version {number} ({})",
                name.get(i).map_or_else(String::new, |n| format!(" ({n})")),
                which.join(", ")
            );
            match image.strip_prefix(SSM_PREFIX) {
                Some(parameter) => out.doubts.entry(region_key).or_default().push(Doubt {
                    label: "launch template resolving its image from SSM at launch",
                    detail: format!("{described}: {SSM_PREFIX}{parameter}"),
                    command: format!(
                        "aws ssm get-parameter --region {region} --name {} --query Parameter.Value --output text",
                        shell_word(parameter)
                    ),
                }),
                None => out.referencing.entry((account.to_owned(), image.to_owned())).or_default().push(described),
            }
        }
        for ((account, region, group), source) in groups.iter().flat_map(AutoScalingGroups::iter) {
            let doubt = match (source, template_of(source)) {
                (_, Some((template, version))) => {
                    let key = (account.clone(), region.clone(), template.to_owned(), version.to_owned());
                    if launchable.contains(&key) {
                        continue;
                    }
                    Doubt {
                        label: "Auto Scaling group launching a template version the snapshot does not hold",
                        detail: format!("{group} launches {template} version {version}"),
                        command: format!(
                            "aws ec2 describe-launch-template-versions --region {region} --launch-template-id {} --versions {} --query 'LaunchTemplateVersions[0].LaunchTemplateData.ImageId' --output text",
                            shell_word(template),
                            shell_word(version)
                        ),
                    }
                }
                (LaunchSource::LaunchConfiguration(configuration), None) => Doubt {
                    label: "Auto Scaling group on a launch configuration (its image is not read)",
                    detail: format!("{group} launches from launch configuration {configuration}"),
                    command: format!(
                        "aws autoscaling describe-launch-configurations --region {region} --launch-configuration-names {} --query 'LaunchConfigurations[0].ImageId' --output text",
                        shell_word(configuration)
                    ),
                },
                (_, None) => continue,
            };
            out.doubts.entry((account.clone(), region.clone())).or_default().push(doubt);
        }
        Ok(Some(out))
    }
}

/// The launch template and version a group launches from, if it uses one.
fn template_of(source: &LaunchSource) -> Option<(&str, &str)> {
    match source {
        LaunchSource::Template { id, version } | LaunchSource::MixedInstances { id, version, .. } => {
            Some((id.as_str(), version.as_str()))
        }
        LaunchSource::LaunchConfiguration(_) => None,
    }
}

/// Size and tier of each snapshot, by (account, snapshot id).
struct Snapshots(HashMap<(String, String), SnapshotSize>);

struct SnapshotSize {
    gib: f64,
    /// Whether `gib` is the snapshot's own size (else the source volume's).
    exact: bool,
    archived: bool,
}

impl Snapshots {
    fn load(dataset: &Dataset) -> Result<Option<Self>, Error> {
        let Some(snapshots) = dataset.table(Table::Snapshots) else { return Ok(None) };
        let context = "unused-ami: snapshots";
        let df = snapshots
            .select([
                col("account_id"),
                col("snapshot_id"),
                col("volume_size_gib"),
                col("full_snapshot_size_bytes"),
                col("storage_tier"),
            ])
            .collect()
            .during(|| context.into())?;
        let account = strings(&df, "account_id", context)?;
        let id = strings(&df, "snapshot_id", context)?;
        let volume_gib = ints(&df, "volume_size_gib", context)?;
        let bytes = ints(&df, "full_snapshot_size_bytes", context)?;
        let tier = strings(&df, "storage_tier", context)?;
        let mut out = HashMap::new();
        for i in 0..df.height() {
            let (Some(account), Some(id)) = (account.get(i), id.get(i)) else { continue };
            let size = match (bytes.get(i), volume_gib.get(i)) {
                (Some(bytes), _) => Some((bytes as f64 / GIB, true)),
                (None, Some(gib)) => Some((gib as f64, false)),
                (None, None) => None,
            };
            if let Some((gib, exact)) = size {
                out.insert(
                    (account.to_owned(), id.to_owned()),
                    SnapshotSize { gib, exact, archived: tier.get(i) == Some("archive") },
                );
            }
        }
        Ok(Some(Self(out)))
    }
}

/// One backing snapshot and its monthly cost.
struct PricedSnapshot {
    id: String,
    label: String,
    monthly: f64,
    source: PriceSource,
    billed: bool,
}

/// An image's backing snapshots, priced.
#[derive(Default)]
struct Priced {
    counted: Vec<PricedSnapshot>,
    /// (snapshot, the image that keeps it).
    shared: Vec<(String, String)>,
    unpriced: Vec<String>,
}

fn price_snapshots(
    ctx: &Context<'_>,
    image: &ImageRow,
    kept_by: &HashMap<(String, String), String>,
    snapshots: Option<&Snapshots>,
) -> Priced {
    let mut priced = Priced::default();
    let mut seen = BTreeSet::new();
    for snapshot_id in &image.snapshot_ids {
        if !seen.insert(snapshot_id.as_str()) {
            continue;
        }
        let key = (image.account.clone(), snapshot_id.clone());
        if let Some(kept) = kept_by.get(&key) {
            priced.shared.push((snapshot_id.clone(), kept.clone()));
            continue;
        }
        let size = snapshots.and_then(|s| s.0.get(&key));
        let size_text = size.map_or_else(String::new, |s| {
            let gib = (s.gib * 100.0).round() / 100.0;
            if s.exact { format!(", {gib} GiB") } else { format!(", source volume {gib} GiB") }
        });
        let arn = format!("arn:aws:ec2:{}:{}:snapshot/{snapshot_id}", image.region, image.account);
        if let Some(billed) = ctx.billed.first_of([arn.as_str(), snapshot_id.as_str()]) {
            priced.counted.push(PricedSnapshot {
                id: snapshot_id.clone(),
                label: format!("snapshot {snapshot_id}{size_text}, billed"),
                monthly: billed.monthly,
                source: ctx.billed.source(),
                billed: true,
            });
            continue;
        }
        let Some(size) = size else {
            priced.unpriced.push(snapshot_id.clone());
            continue;
        };
        let (key, tier) = if size.archived {
            ("ebs.snapshot_archive_gb_month", "archive")
        } else {
            ("ebs.snapshot_standard_gb_month", "standard")
        };
        let Some(rate) = ctx.prices.list_price(&image.region, key) else {
            priced.unpriced.push(snapshot_id.clone());
            continue;
        };
        let bound = if size.exact { "" } else { ", at most" };
        priced.counted.push(PricedSnapshot {
            id: snapshot_id.clone(),
            label: format!("snapshot {snapshot_id}{size_text}, {tier} tier list price{bound}"),
            monthly: size.gib * rate.value,
            source: rate.source,
            billed: false,
        });
    }
    priced
}

/// One level less sure.
fn lower(confidence: Confidence) -> Confidence {
    match confidence {
        Confidence::High => Confidence::Medium,
        Confidence::Medium | Confidence::Low => Confidence::Low,
    }
}

fn finding(
    ctx: &Context<'_>,
    settings: &Settings,
    image: &ImageRow,
    unused: &Unused,
    priced: &Priced,
    templates: Option<&Templates>,
    as_of: NaiveDateTime,
) -> Finding {
    let region_key = (image.account.clone(), image.region.clone());
    let doubts = templates.and_then(|t| t.doubts.get(&region_key)).map_or(&[][..], Vec::as_slice);
    let created = image.created.unwrap_or(as_of);
    let mut evidence = vec![
        Evidence::text("state", "available"),
        Evidence::quantity("age", unused.age_days.floor(), "days"),
        Evidence::text("created", created.format("%Y-%m-%d").to_string()),
    ];
    let mut confidence = Confidence::High;
    if let Some(t) = image.last_launched {
        evidence.push(Evidence::quantity("days since last launch", unused.idle_days.floor(), "days"));
        evidence.push(Evidence::text("last launched", t.format("%Y-%m-%d").to_string()));
    } else {
        confidence = Confidence::Medium;
        evidence.push(Evidence::quantity("days unused (since creation)", unused.idle_days.floor(), "days"));
        evidence.push(Evidence::text(
            "last launched",
            "never since AWS began recording launches (April 2017): judged from its creation date",
        ));
    }
    evidence.push(Evidence::quantity("minimum age", f64::from(settings.min_age_days), "days"));
    evidence.push(Evidence::quantity("minimum days unused", f64::from(settings.min_days_unused), "days"));
    evidence.push(Evidence::text(
        "instances running from it",
        match unused.instances_in_region {
            0 => format!("none: no instance in {} that is not terminated", image.region),
            n => format!("none of the {n} instance(s) not terminated in {}", image.region),
        },
    ));
    if let Some(t) = templates {
        evidence.push(Evidence::text(
            "launch templates referencing it",
            match t.versions.get(&region_key).copied().unwrap_or(0) {
                0 => format!("none: no launch template in {}", image.region),
                n => format!("none of the {n} default, latest or group-pinned version(s) in {}", image.region),
            },
        ));
        if let Some(groups) = &t.groups {
            evidence.push(Evidence::text(
                "Auto Scaling groups",
                match groups.get(&region_key).copied().unwrap_or(0) {
                    0 => format!("none in {}", image.region),
                    n => format!("{n} in {}, their launch sources checked", image.region),
                },
            ));
        }
    } else {
        confidence = lower(confidence);
        evidence.push(Evidence::text(
            "launch templates referencing it",
            "not checked: the snapshot has no launch_templates table (describe-launch-template-versions.json)",
        ));
    }
    if !doubts.is_empty() {
        confidence = lower(confidence);
        for doubt in doubts {
            evidence.push(Evidence::text(
                doubt.label,
                format!("{}; check that it does not launch {}", doubt.detail, image.id),
            ));
        }
    }

    let mut total = 0.0;
    let mut source: Option<PriceSource> = None;
    let (mut billed, mut listed) = (0, 0);
    for snapshot in &priced.counted {
        total += snapshot.monthly;
        evidence.push(Evidence::monthly(snapshot.label.clone(), snapshot.monthly));
        if snapshot.billed {
            billed += 1;
        } else {
            listed += 1;
        }
        source = Some(match source {
            Some(s) => s.weakest(snapshot.source.clone()),
            None => snapshot.source.clone(),
        });
    }
    for (snapshot_id, kept) in &priced.shared {
        evidence.push(Evidence::text(
            format!("snapshot {snapshot_id}"),
            format!("also backs {kept}, which stays registered: not counted"),
        ));
    }
    for snapshot_id in &priced.unpriced {
        evidence.push(Evidence::text(
            format!("snapshot {snapshot_id}"),
            "not priced: neither billed by id in the CUR nor in the snapshots table",
        ));
    }
    evidence.push(Evidence::text(
        "cost basis",
        match (billed, listed) {
            (_, 0) => "CUR amortized cost of every counted snapshot".to_owned(),
            (0, _) => "snapshot list price × size: none of the snapshots is billed by id in the CUR".to_owned(),
            (b, l) => format!("{b} snapshot(s) at their CUR amortized cost, {l} at list price × size"),
        },
    ));

    let label = image.name.as_deref().unwrap_or(&image.id);
    let count = priced.counted.len();
    let snapshot_word = if count == 1 { "snapshot" } else { "snapshots" };
    let title = if unused.never_launched {
        format!("AMI {label} never launched in {} days, {count} {snapshot_word} still billed", unused.idle_days.floor())
    } else {
        format!("AMI {label} not launched for {} days, {count} {snapshot_word} still billed", unused.idle_days.floor())
    };
    let snapshot_ids: Vec<String> = priced.counted.iter().map(|s| s.id.clone()).collect();
    Finding {
        rule: UnusedAmi::ID.into(),
        category: UnusedAmi::CATEGORY,
        account_id: image.account.clone(),
        region: Some(image.region.clone()),
        resource_type: "ami".into(),
        resource_id: image.id.clone(),
        resource_name: image.name.clone(),
        title,
        evidence,
        monthly_cost: total,
        monthly_savings: total,
        price_source: source.unwrap_or_else(|| ctx.billed.source()),
        confidence,
        risk: Risk::NonDisruptive,
        remediation: remediation(&image.region, &image.id, &snapshot_ids, doubts),
        tags: parse_tags(image.tags.as_deref()),
        covers: snapshot_ids,
    }
}

fn remediation(region: &str, image_id: &str, snapshot_ids: &[String], doubts: &[Doubt]) -> Remediation {
    let mut cli = vec![format!(
        "# shared with other accounts? They can no longer launch it once it is deregistered:\naws ec2 describe-image-attribute --region {region} --image-id {image_id} --attribute launchPermission"
    )];
    for doubt in doubts {
        cli.push(format!("# must not print {image_id}:\n{}", doubt.command));
    }
    cli.push(format!(
        "# fails while deregistration protection is on (aws ec2 disable-image-deregistration-protection):\naws ec2 deregister-image --region {region} --image-id {image_id}"
    ));
    for snapshot_id in snapshot_ids {
        cli.push(format!("aws ec2 delete-snapshot --region {region} --snapshot-id {snapshot_id}"));
    }
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Deregister {image_id}, then delete its {} backing snapshot(s): deregistering alone keeps billing them.",
            snapshot_ids.len()
        ),
        cli,
        terraform: Some(format!(
            "# Managed by Terraform (aws_ami, aws_ami_copy or aws_ami_from_instance)? Remove the resource for {image_id} and apply, then delete any of its snapshots still listed by `aws ec2 describe-snapshots --snapshot-ids {}`.\n# Built by Packer? Packer does not track the images it builds: deregister old builds with the commands above and keep only the last few.",
            snapshot_ids.join(" ")
        )),
    }
}
