//! Versioned S3 buckets whose old object versions pile up because no lifecycle rule expires them.
//!
//! ## What it finds
//! Buckets with versioning `Enabled` or `Suspended` whose noncurrent versions
//! (S3 Storage Lens `NonCurrentVersionStorageBytes`) are more than
//! `min-noncurrent-share` percent of the bucket's bytes (CloudWatch
//! `BucketSizeBytes`, every storage class), without an enabled lifecycle rule
//! that expires or transitions noncurrent versions, where expiring them saves
//! at least `min-monthly-savings` a month. The finding carries the lifecycle
//! rule (`NoncurrentVersionExpiration` after `noncurrent-days` days, keeping
//! the newest `keep-newer-versions` noncurrent versions of each object),
//! merged with the bucket's current rules, and, as evidence, what
//! transitioning the old versions to Glacier Instant Retrieval would save
//! instead, for buckets that must keep them.
//!
//! When the snapshot has no S3 Storage Lens datapoint (namespace
//! `AWS/S3/Storage-Lens`) for any bucket, the metrics were not collected and
//! every versioned bucket is listed under "not enough data"; when they were
//! collected for some buckets, a bucket without datapoints is read as having
//! no noncurrent versions (unless metrics collection failed in its region).
//! Buckets whose lifecycle rules the snapshot does not show (only a rule
//! count, or nothing) or cannot read, and buckets without storage metrics,
//! are listed under "not enough data".
//!
//! ## Why it costs money
//! With versioning on, overwriting or deleting an object keeps the old
//! version, billed at the full storage rate of its class, forever. Buckets
//! whose objects are rewritten often (uploads, builds, exports) quietly
//! accumulate several times their visible size. Nothing in the console's
//! object list shows it; one lifecycle rule expires versions a set number of
//! days after they are replaced, and expiration is free.
//!
//! ## How savings are estimated
//! Only versions noncurrent for more than `noncurrent-days` days are expired
//! when the rule first runs. Storage Lens gives the total, not the ages, so
//! the recent part is estimated from the growth of the noncurrent bytes: the
//! daily slope of `NonCurrentVersionStorageBytes` over the last 30 days (least
//! squares, clamped at 0) × `noncurrent-days` is taken as the bytes that
//! became noncurrent recently; the rest is expired. Savings = those GiB × the
//! storage rate. Noncurrent versions are assumed to be in S3 Standard, priced
//! at the bucket's billed Standard rate in the CUR (`TimedStorage-ByteHrs`)
//! when present, else the price book's; when Standard holds fewer bytes than
//! the noncurrent versions, they are priced at the price book's rate of the
//! class holding most of the bucket's bytes (a simplification: versions are
//! billed in their own class, which Storage Lens does not report). With
//! `keep-newer-versions` above 0, the newest versions are kept even when old,
//! so the saving is an upper bound and confidence is medium (high with 0).
//! The monthly cost is what every noncurrent version costs now.
//!
//! The Glacier Instant Retrieval alternative (evidence only) saves the same
//! GiB × (storage rate − Glacier IR rate), minus the monthly transition fees of
//! the versions that become old each month (growth × 30.4 days ÷ the bucket's
//! average object size × the per-1,000 transition fee), after a one-time fee
//! to move today's old versions. It is not estimated for buckets whose
//! objects average under 128 KiB (lifecycle does not transition them by
//! default, and Glacier IR bills 128 KiB per object).
//!
//! Risk: needs testing. Expired versions cannot be recovered: check
//! retention, backup and compliance requirements (and Object Lock) first.
//!
//! ## Settings
//! - `min-noncurrent-share` (default 10): noncurrent versions must be more than this percent of the bucket's bytes.
//! - `noncurrent-days` (default 30): the recommended rule expires versions this many days after they become noncurrent.
//! - `keep-newer-versions` (default 1): noncurrent versions of each object kept regardless of age (0 = none, at most 100).
//! - `min-monthly-savings` (default 1): smallest monthly saving, in USD, worth a finding.

use serde::{Deserialize, Serialize};

use super::{Context, Rule, RuleOutput};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::{Price, PriceOrigin};
use crate::spend::stable;
use crate::storage::bucket::{self, NONCURRENT_BYTES, Verdict};
use crate::storage::lifecycle::{NewRule, Recommendation};
use crate::storage::tiering::{GIB_PER_KIB, S3Rates};
use crate::storage::{BYTES_PER_GIB, BucketProfile};

/// Default for `min-noncurrent-share` (percent).
pub const DEFAULT_MIN_NONCURRENT_SHARE: f64 = 10.0;
/// Default for `noncurrent-days`.
pub const DEFAULT_NONCURRENT_DAYS: u32 = 30;
/// Default for `keep-newer-versions`.
pub const DEFAULT_KEEP_NEWER_VERSIONS: u32 = 1;
/// Default for `min-monthly-savings` (USD).
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 1.0;
/// S3's largest `NewerNoncurrentVersions`.
const MAX_KEEP_NEWER_VERSIONS: u32 = 100;
/// Days of storage metrics and billing read (the noncurrent growth and the billed Standard rate).
const LOOKBACK_DAYS: u32 = 30;

/// The rule.
pub struct S3NoncurrentVersions;

/// User options under `[rules.s3-noncurrent-versions]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Noncurrent versions must be more than this percent of the bucket's bytes.
    pub min_noncurrent_share: Option<f64>,
    /// Days after becoming noncurrent at which the recommended rule expires a version.
    pub noncurrent_days: Option<u32>,
    /// Noncurrent versions of each object kept regardless of age.
    pub keep_newer_versions: Option<u32>,
    /// Smallest monthly saving worth a finding.
    pub min_monthly_savings: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Noncurrent versions must be more than this percent of the bucket's bytes.
    pub min_noncurrent_share: f64,
    /// Days after becoming noncurrent at which the recommended rule expires a version.
    pub noncurrent_days: u32,
    /// Noncurrent versions of each object kept regardless of age.
    pub keep_newer_versions: u32,
    /// Smallest monthly saving worth a finding.
    pub min_monthly_savings: f64,
}

impl Rule for S3NoncurrentVersions {
    const ID: &'static str = "s3-noncurrent-versions";
    const CATEGORY: Category = Category::Storage;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let min_noncurrent_share = options.min_noncurrent_share.unwrap_or(DEFAULT_MIN_NONCURRENT_SHARE);
        if !(min_noncurrent_share.is_finite() && (0.0..100.0).contains(&min_noncurrent_share)) {
            return Err(format!(
                "min-noncurrent-share must be a percentage from 0 to under 100, not {min_noncurrent_share}"
            ));
        }
        let noncurrent_days = options.noncurrent_days.unwrap_or(DEFAULT_NONCURRENT_DAYS);
        if noncurrent_days == 0 {
            return Err("noncurrent-days must be at least 1 (S3 rejects 0)".into());
        }
        let keep_newer_versions = options.keep_newer_versions.unwrap_or(DEFAULT_KEEP_NEWER_VERSIONS);
        if keep_newer_versions > MAX_KEEP_NEWER_VERSIONS {
            return Err(format!(
                "keep-newer-versions must be at most {MAX_KEEP_NEWER_VERSIONS} (S3's limit), not {keep_newer_versions}"
            ));
        }
        let min_monthly_savings = options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS);
        if !(min_monthly_savings.is_finite() && min_monthly_savings >= 0.0) {
            return Err(format!("min-monthly-savings must be a number ≥ 0, not {min_monthly_savings}"));
        }
        Ok(Settings { min_noncurrent_share, noncurrent_days, keep_newer_versions, min_monthly_savings })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let profiles = bucket::load(ctx.dataset, LOOKBACK_DAYS, ctx.prices.hours_per_month())?;
        let lens_collected = bucket::storage_lens_collected(&profiles);
        Ok(bucket::rule_output(&profiles, |profile| judge(settings, ctx, profile, lens_collected)))
    }
}

/// The rate the noncurrent versions are priced at, and in words which one it is.
struct StorageRate {
    price: Price,
    describe: String,
}

fn judge(settings: &Settings, ctx: &Context<'_>, profile: &BucketProfile, lens_collected: bool) -> Verdict {
    if !matches!(profile.versioning.as_deref(), Some("Enabled" | "Suspended")) {
        return Verdict::Fine;
    }
    if profile.lifecycle.as_ref().is_some_and(|l| l.handles_noncurrent) {
        return Verdict::Fine;
    }
    if profile.noncurrent_bytes.is_none()
        && let Some(reason) = bucket::missing_storage_lens(ctx.dataset, profile, lens_collected, NONCURRENT_BYTES)
    {
        return Verdict::NotEnoughData(reason);
    }
    let noncurrent_bytes = profile.noncurrent_bytes.unwrap_or(0.0);
    if noncurrent_bytes <= 0.0 {
        return Verdict::Fine;
    }
    let total_bytes = profile.total_bytes();
    if total_bytes <= 0.0 {
        return Verdict::NotEnoughData(
            "no S3 storage metrics (AWS/S3 BucketSizeBytes): the noncurrent versions' share of the bucket is unknown"
                .into(),
        );
    }
    let share = noncurrent_bytes / total_bytes * 100.0;
    if share <= settings.min_noncurrent_share {
        return Verdict::Fine;
    }
    if let Some(reason) = profile.lifecycle_unknown("one may already expire or transition noncurrent versions") {
        return Verdict::NotEnoughData(reason);
    }
    let Some(rate) = storage_rate(ctx, profile, noncurrent_bytes) else {
        return Verdict::NotEnoughData(format!(
            "no storage price for {} in the price book for the bucket's storage classes",
            profile.region
        ));
    };
    let days = settings.noncurrent_days;
    let noncurrent_gib = noncurrent_bytes / BYTES_PER_GIB;
    let growth = profile.noncurrent_growth_gib_per_day.max(0.0);
    let recent_gib = (growth * f64::from(days)).min(noncurrent_gib);
    let old_gib = noncurrent_gib - recent_gib;
    let savings = old_gib * rate.price.value;
    if savings <= 0.0 || savings < settings.min_monthly_savings {
        return Verdict::Fine;
    }

    let keep = settings.keep_newer_versions;
    let mut evidence = vec![
        Evidence::text("versioning", profile.versioning.clone().unwrap_or_default()),
        Evidence::quantity("bucket size (every storage class, BucketSizeBytes)", total_bytes / BYTES_PER_GIB, "GiB"),
        Evidence::quantity(format!("noncurrent versions ({NONCURRENT_BYTES})"), noncurrent_gib, "GiB"),
        Evidence::percent("noncurrent share of the bucket", share),
        Evidence::percent("threshold (min-noncurrent-share)", settings.min_noncurrent_share),
        Evidence::series("noncurrent versions, GiB a day", profile.noncurrent_gib_daily.iter().copied(), "GiB"),
        Evidence::quantity(
            "noncurrent growth a day (least squares, clamped at 0)",
            profile.noncurrent_growth_gib_per_day.max(0.0),
            "GiB",
        ),
        Evidence::quantity(format!("noncurrent for less than {days} days (growth × {days})"), recent_gib, "GiB"),
        Evidence::quantity(format!("noncurrent for more than {days} days (expired)"), old_gib, "GiB"),
        Evidence::text("storage rate", rate.describe.clone()),
    ];
    if keep > 0 {
        evidence.push(Evidence::text(
            "newer noncurrent versions kept (keep-newer-versions)",
            format!(
                "the rule keeps the newest {keep} noncurrent version(s) of each object even when older than {days} days: some of these bytes may stay, so the saving is an upper bound"
            ),
        ));
    }
    evidence.extend([
        Evidence::monthly("noncurrent versions cost now", noncurrent_gib * rate.price.value),
        Evidence::text(
            "alternative: keep old versions in Glacier Instant Retrieval",
            glacier_ir_alternative(ctx, profile, days, old_gib, growth, rate.price.value),
        ),
        Evidence::monthly("threshold (min-monthly-savings)", settings.min_monthly_savings),
    ]);

    let mut rule = NewRule::new(format!("costwise-expire-noncurrent-versions-after-{days}-days"));
    rule.noncurrent_expiration = Some((days, (keep > 0).then_some(keep)));
    let recommendation = Recommendation {
        bucket: profile.bucket.clone(),
        rules: vec![rule],
        existing: profile.lifecycle.as_ref().map(|l| l.rules.clone()),
        existing_unknown: profile.lifecycle.is_none() && profile.lifecycle_rule_count.unwrap_or(0) > 0,
        minimum_object_size: None,
    };
    let (kept, up_to) =
        if keep > 0 { (format!(" (keeping the newest {keep} of each object)"), "up to ") } else { (String::new(), "") };
    let summary = format!(
        "Add a lifecycle rule to {} that deletes object versions {days} days after they become noncurrent{kept}: frees about {old_gib:.1} GiB and saves {up_to}${savings:.2}/month. Deleted versions cannot be recovered: check retention, backup and compliance requirements first.",
        profile.bucket
    );
    Verdict::Finding(Box::new(Finding {
        rule: S3NoncurrentVersions::ID.into(),
        category: S3NoncurrentVersions::CATEGORY,
        account_id: profile.account_id.clone(),
        region: Some(profile.region.clone()),
        resource_type: "s3-bucket".into(),
        resource_id: profile.bucket.clone(),
        resource_name: None,
        title: format!(
            "{noncurrent_gib:.0} GiB of noncurrent versions ({share:.0}% of the bucket) and no rule expires them"
        ),
        evidence,
        monthly_cost: stable(noncurrent_gib * rate.price.value),
        monthly_savings: stable(savings),
        price_source: rate.price.source,
        confidence: if keep > 0 { Confidence::Medium } else { Confidence::High },
        risk: Risk::NeedsTesting,
        remediation: Remediation {
            summary,
            cli: recommendation.cli(),
            terraform: Some(recommendation.terraform()),
            lifecycle_configuration: Some(recommendation.configuration_json()),
        },
        tags: profile.tags.clone(),
        covers: Vec::new(),
    }))
}

/// The noncurrent versions' rate: S3 Standard's (billed, else the price book's)
/// unless Standard holds fewer bytes than them, then the price book's rate of
/// the class holding most of the bucket's bytes.
fn storage_rate(ctx: &Context<'_>, profile: &BucketProfile, noncurrent_bytes: f64) -> Option<StorageRate> {
    if profile.standard_bytes() >= noncurrent_bytes {
        let price = profile.standard_rate(ctx.prices)?;
        let describe = if price.source.origin == PriceOrigin::Billed {
            format!("${:.5}/GB-month, S3 Standard billed (CUR)", price.value)
        } else {
            format!("${:.5}/GB-month, S3 Standard (price book: {})", price.value, price.source.detail)
        };
        return Some(StorageRate { price, describe });
    }
    let (storage_type, key) = profile
        .bytes_by_storage_type
        .iter()
        .filter_map(|(storage_type, bytes)| price_key(storage_type).map(|key| (storage_type, key, *bytes)))
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(storage_type, key, _)| (storage_type, key))?;
    let price = if key == bucket::STANDARD_RATE_KEY {
        profile.standard_rate(ctx.prices)?
    } else {
        ctx.prices.list_price(&profile.region, key)?
    };
    let describe = format!(
        "${:.5}/GB-month, {storage_type} ({}): S3 Standard holds less than the noncurrent versions, so they are priced in the class holding most of the bucket's bytes",
        price.value,
        if price.source.origin == PriceOrigin::Billed { "billed, CUR".to_owned() } else { price.source.detail.clone() }
    );
    Some(StorageRate { price, describe })
}

/// The price-book key of a CloudWatch storage type's storage rate, for the
/// types that hold object data (not the per-object overheads).
fn price_key(storage_type: &str) -> Option<&'static str> {
    Some(match storage_type {
        bucket::STANDARD_STORAGE => bucket::STANDARD_RATE_KEY,
        "StandardIAStorage" => "s3.storage_gb_month.standard_ia",
        "OneZoneIAStorage" => "s3.storage_gb_month.onezone_ia",
        "GlacierInstantRetrievalStorage" => "s3.storage_gb_month.glacier_ir",
        "GlacierStorage" => "s3.storage_gb_month.glacier_flexible",
        "DeepArchiveStorage" => "s3.storage_gb_month.deep_archive",
        "IntelligentTieringFAStorage" => "s3.storage_gb_month.intelligent_tiering_frequent",
        "IntelligentTieringIAStorage" => "s3.storage_gb_month.intelligent_tiering_infrequent",
        "IntelligentTieringAIAStorage" => "s3.storage_gb_month.intelligent_tiering_archive_instant",
        "IntelligentTieringAAStorage" => "s3.storage_gb_month.intelligent_tiering_archive",
        "IntelligentTieringDAAStorage" => "s3.storage_gb_month.intelligent_tiering_deep_archive",
        _ => return None,
    })
}

/// "Transition noncurrent versions to Glacier Instant Retrieval after `days`
/// days" priced for the old GiB, in words.
fn glacier_ir_alternative(
    ctx: &Context<'_>,
    profile: &BucketProfile,
    days: u32,
    old_gib: f64,
    growth_gib_per_day: f64,
    rate: f64,
) -> String {
    let rates = match S3Rates::for_region(ctx.prices, &profile.region) {
        Ok(rates) => rates,
        Err(e) => return format!("not estimated: {e}"),
    };
    let gir = &rates.glacier_ir;
    if rate <= gir.storage_gib_month {
        return format!(
            "not cheaper: the versions' rate (${rate:.5}/GB-month) is not above Glacier IR's (${:.5})",
            gir.storage_gib_month
        );
    }
    let storage_saving = old_gib * (rate - gir.storage_gib_month);
    let average_object_gib = match profile.objects {
        Some(objects) if objects > 0.0 => profile.total_bytes() / BYTES_PER_GIB / objects,
        _ => {
            return format!(
                "transition noncurrent versions to Glacier Instant Retrieval after {days} days: storage ${storage_saving:.2}/month less ({old_gib:.1} GiB × (${rate:.5} − ${:.5})); transition fees not estimated (object counts were not collected)",
                gir.storage_gib_month
            );
        }
    };
    let average_kib = average_object_gib / GIB_PER_KIB;
    if average_kib < rates.small_object_kib {
        return format!(
            "not estimated: objects average {average_kib:.0} KiB, and lifecycle does not transition objects under {:.0} KiB by default (Glacier IR bills {:.0} KiB per object)",
            rates.small_object_kib, gir.min_billable_kib
        );
    }
    let fee_per_object = gir.transition_per_1000 / 1000.0;
    let monthly_fees = growth_gib_per_day * rates.days_per_month / average_object_gib * fee_per_object;
    let one_time = old_gib / average_object_gib * fee_per_object;
    let monthly_saving = storage_saving - monthly_fees;
    if monthly_saving <= 0.0 {
        return format!(
            "not cheaper: transition fees (${monthly_fees:.2}/month at the {average_kib:.0} KiB average object size) exceed the storage saving (${storage_saving:.2}/month)"
        );
    }
    format!(
        "transition noncurrent versions to Glacier Instant Retrieval after {days} days instead: saves ${monthly_saving:.2}/month ({old_gib:.1} GiB × (${rate:.5} − ${:.5}) = ${storage_saving:.2}, minus ${monthly_fees:.2}/month of transition fees for versions aging in, at the {average_kib:.0} KiB average object size), after a one-time ${one_time:.2} to move today's old versions (pays back in {:.1} months); versions stay readable in milliseconds at ${:.2}/GB retrieved, with a {:.0}-day minimum storage duration",
        gir.storage_gib_month,
        one_time / monthly_saving,
        gir.retrieval_gib,
        gir.min_storage_days,
    )
}
