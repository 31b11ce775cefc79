//! S3 buckets paying for incomplete multipart uploads that no lifecycle rule aborts.
//!
//! ## What it finds
//! Buckets holding parts of multipart uploads that were started and never
//! completed or aborted (S3 Storage Lens `IncompleteMultipartUploadStorageBytes`),
//! without an enabled lifecycle rule with `AbortIncompleteMultipartUpload`,
//! where aborting the uploads older than 7 days saves at least
//! `min-monthly-savings` a month. The finding carries the lifecycle rule that
//! aborts uploads `days-after-initiation` days after they start, merged with
//! the bucket's current rules.
//!
//! The byte counts come from S3 Storage Lens metrics published to CloudWatch
//! (namespace `AWS/S3/Storage-Lens`; advanced metrics, daily). When the
//! snapshot has no Storage Lens datapoint for any bucket, the metrics were not
//! collected and every bucket is listed under "not enough data"; when they
//! were collected for some buckets, a bucket without datapoints is read as
//! having no incomplete uploads (unless metrics collection failed in its
//! region). Buckets whose lifecycle rules the snapshot does not show (only a
//! rule count, or nothing) or cannot read are listed under "not enough data":
//! a rule may already abort the uploads, and
//! `put-bucket-lifecycle-configuration` replaces every rule.
//!
//! ## Why it costs money
//! Every part uploaded to S3 is stored, and billed at the bucket's storage
//! rate, until the upload is completed or aborted. Uploads from crashed jobs,
//! killed clients or retried transfers are never aborted by anyone, do not
//! appear in `ListObjects` or in the console's object list, and stay billed
//! forever. One lifecycle rule removes them; it costs nothing to run.
//!
//! ## How savings are estimated
//! Savings = GiB of incomplete uploads started more than 7 days ago (Storage
//! Lens `IncompleteMPUStorageBytesOlderThan7Days`, latest day) × the bucket's
//! S3 Standard rate: its billed rate in the CUR (`TimedStorage-ByteHrs` cost ÷
//! GB-months) when present, else the price book's first-tier Standard rate
//! for its region. Parts are billed as stored data in the upload's class;
//! Standard is assumed. Storage Lens splits uploads only at 7 days: with
//! `days-after-initiation` above 7 the saving is an upper bound (some uploads
//! 7 to N days old stay) and confidence is medium; below 7 the rule also
//! aborts uploads 1 to 7 days old, which are not counted (a lower bound).
//! The monthly cost is what every incomplete upload costs now. Uploads that
//! legitimately run longer than `days-after-initiation` days would be aborted
//! too: the risk is non-disruptive for ordinary uploads, which finish in
//! minutes or hours.
//!
//! ## Settings
//! - `days-after-initiation` (default 7): the recommended rule aborts uploads this many days after they start.
//! - `min-monthly-savings` (default 1): smallest monthly saving, in USD, worth a finding.

use serde::{Deserialize, Serialize};

use super::{Context, Rule, RuleOutput};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::PriceOrigin;
use crate::spend::stable;
use crate::storage::bucket::{self, INCOMPLETE_MPU_BYTES, INCOMPLETE_MPU_BYTES_OVER_7_DAYS, Verdict};
use crate::storage::lifecycle::{NewRule, Recommendation};
use crate::storage::{BYTES_PER_GIB, BucketProfile};

/// Default for `days-after-initiation`.
pub const DEFAULT_DAYS_AFTER_INITIATION: u32 = 7;
/// Default for `min-monthly-savings` (USD).
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 1.0;
/// The age at which Storage Lens splits incomplete uploads.
const STORAGE_LENS_SPLIT_DAYS: u32 = 7;
/// Days of storage metrics and billing read (the latest Storage Lens day and the billed Standard rate).
const LOOKBACK_DAYS: u32 = 30;
/// The `ID` of the recommended rule.
const RULE_ID: &str = "costwise-abort-incomplete-multipart-uploads";

/// The rule.
pub struct S3IncompleteMultipartUploads;

/// User options under `[rules.s3-incomplete-multipart-uploads]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days after initiation at which the recommended rule aborts an upload.
    pub days_after_initiation: Option<u32>,
    /// Smallest monthly saving worth a finding.
    pub min_monthly_savings: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days after initiation at which the recommended rule aborts an upload.
    pub days_after_initiation: u32,
    /// Smallest monthly saving worth a finding.
    pub min_monthly_savings: f64,
}

impl Rule for S3IncompleteMultipartUploads {
    const ID: &'static str = "s3-incomplete-multipart-uploads";
    const CATEGORY: Category = Category::Storage;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let days_after_initiation = options.days_after_initiation.unwrap_or(DEFAULT_DAYS_AFTER_INITIATION);
        if days_after_initiation == 0 {
            return Err("days-after-initiation must be at least 1 (S3 rejects 0)".into());
        }
        let min_monthly_savings = options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS);
        if !(min_monthly_savings.is_finite() && min_monthly_savings >= 0.0) {
            return Err(format!("min-monthly-savings must be a number ≥ 0, not {min_monthly_savings}"));
        }
        Ok(Settings { days_after_initiation, min_monthly_savings })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let profiles = bucket::load(ctx.dataset, LOOKBACK_DAYS, ctx.prices.hours_per_month())?;
        let lens_collected = bucket::storage_lens_collected(&profiles);
        Ok(bucket::rule_output(&profiles, |profile| judge(settings, ctx, profile, lens_collected)))
    }
}

fn judge(settings: &Settings, ctx: &Context<'_>, profile: &BucketProfile, lens_collected: bool) -> Verdict {
    if profile.lifecycle.as_ref().is_some_and(|l| l.aborts_multipart) {
        return Verdict::Fine;
    }
    if profile.incomplete_mpu_bytes.is_none()
        && profile.incomplete_mpu_bytes_over_7_days.is_none()
        && let Some(reason) = bucket::missing_storage_lens(ctx.dataset, profile, lens_collected, INCOMPLETE_MPU_BYTES)
    {
        return Verdict::NotEnoughData(reason);
    }
    let over_7_days = profile.incomplete_mpu_bytes_over_7_days.unwrap_or(0.0);
    if over_7_days <= 0.0 {
        return Verdict::Fine;
    }
    if let Some(reason) = profile.lifecycle_unknown("one may already abort incomplete multipart uploads") {
        return Verdict::NotEnoughData(reason);
    }
    let Some(rate) = profile.standard_rate(ctx.prices) else {
        return Verdict::NotEnoughData(format!("no S3 Standard price for {} in the price book", profile.region));
    };
    let over_7_gib = over_7_days / BYTES_PER_GIB;
    let total_gib = profile.incomplete_mpu_bytes.unwrap_or(0.0).max(over_7_days) / BYTES_PER_GIB;
    let savings = over_7_gib * rate.value;
    if savings < settings.min_monthly_savings {
        return Verdict::Fine;
    }
    let days = settings.days_after_initiation;
    let mut evidence = vec![
        Evidence::quantity(format!("incomplete multipart uploads ({INCOMPLETE_MPU_BYTES})"), total_gib, "GiB"),
        Evidence::quantity(
            format!("of which started more than 7 days ago ({INCOMPLETE_MPU_BYTES_OVER_7_DAYS})"),
            over_7_gib,
            "GiB",
        ),
        Evidence::text(
            "S3 Standard rate",
            if rate.source.origin == PriceOrigin::Billed {
                format!("${:.5}/GB-month billed (CUR)", rate.value)
            } else {
                format!("${:.5}/GB-month (price book: {})", rate.value, rate.source.detail)
            },
        ),
        Evidence::quantity("recommended rule aborts uploads after (days-after-initiation)", f64::from(days), "days"),
    ];
    if days > STORAGE_LENS_SPLIT_DAYS {
        evidence.push(Evidence::text(
            "estimate",
            format!(
                "Storage Lens splits uploads only at 7 days: the bytes older than {days} days are at most the {over_7_gib:.1} GiB older than 7, so the saving is an upper bound"
            ),
        ));
    } else if days < STORAGE_LENS_SPLIT_DAYS {
        evidence.push(Evidence::text(
            "estimate",
            format!(
                "the rule also aborts uploads {days} to 7 days old, which are not counted: only the {over_7_gib:.1} GiB older than 7 days are, so the saving is a lower bound"
            ),
        ));
    }
    evidence.extend([
        Evidence::monthly("incomplete uploads cost now", total_gib * rate.value),
        Evidence::monthly("threshold (min-monthly-savings)", settings.min_monthly_savings),
    ]);

    let mut rule = NewRule::new(RULE_ID);
    rule.abort_incomplete_multipart_days = Some(days);
    let recommendation = Recommendation {
        bucket: profile.bucket.clone(),
        rules: vec![rule],
        existing: profile.lifecycle.as_ref().map(|l| l.rules.clone()),
        existing_unknown: profile.lifecycle.is_none() && profile.lifecycle_rule_count.unwrap_or(0) > 0,
        minimum_object_size: None,
    };
    let summary = format!(
        "Add a lifecycle rule to {} that aborts incomplete multipart uploads {days} days after they start: frees {over_7_gib:.1} GiB and saves ${savings:.2}/month. Uploads still running after {days} days would be aborted too.",
        profile.bucket
    );
    Verdict::Finding(Box::new(Finding {
        rule: S3IncompleteMultipartUploads::ID.into(),
        category: S3IncompleteMultipartUploads::CATEGORY,
        account_id: profile.account_id.clone(),
        region: Some(profile.region.clone()),
        resource_type: "s3-bucket".into(),
        resource_id: profile.bucket.clone(),
        resource_name: None,
        title: format!(
            "{over_7_gib:.0} GiB of incomplete multipart uploads older than 7 days, and no rule aborts them"
        ),
        evidence,
        monthly_cost: stable(total_gib * rate.value),
        monthly_savings: stable(savings),
        price_source: rate.source,
        confidence: if days > STORAGE_LENS_SPLIT_DAYS { Confidence::Medium } else { Confidence::High },
        risk: Risk::NonDisruptive,
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
