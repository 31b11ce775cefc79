//! The demo's S3 storage oracle: the cost model of `docs/storage.md` applied
//! to the buckets the generator wrote.
//!
//! [`super::plan`] plants the storage findings (which buckets, and why, in
//! words); [`price`] prices them from what was actually written — the daily
//! storage and Storage Lens metrics of [`super::tables`], the GET, PUT and
//! storage lines of [`super::billing`] — read the way the storage rules read a
//! snapshot, and checks that the model flags exactly the planted buckets.
//! Every other bucket gets a note saying why a correct rule leaves it alone.
//!
//! The inputs, per bucket (the rules' defaults: 90 days of lookback, which
//! covers the whole 60-day window):
//! - GiB per storage class and objects on the window's last day (`BucketSizeBytes`,
//!   `NumberOfObjects`); Standard's growth a day (the daily series is linear,
//!   so its least-squares slope is the planted growth);
//! - GET requests and object writes (`PutObject`) a month: the window's lines
//!   scaled to 730 hours by the hours they span; deletions a day = writes a day
//!   − object growth a day;
//! - the billed Standard rate (`TimedStorage-ByteHrs` cost ÷ GB-months), and the
//!   other classes' list prices × the region's multiplier (what the price book
//!   infers from the CUR);
//! - the lifecycle rules (`Expiration.Days` of whole-bucket rules, transitions,
//!   abort and noncurrent rules), versioning, Intelligent-Tiering.
//!
//! It is checked against a third, independent derivation from the raw fixture
//! files in `crates/synth/tests/s3_storage.rs`, and end to end against the
//! analyzer's findings in `tests/demo.rs`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::billing::{S3Lines, Traffic};
use super::plan::{ACCOUNTS, Bucket, HOURS_PER_MONTH, OracleEntry, Rates, US_EAST_1, round6};
use super::tables::{BYTES_PER_GIB, STORAGE_DAYS, class_bytes, object_count, storage_lens_gb};

/// `s3-lifecycle-tiering`'s `min-monthly-savings`.
const MIN_MONTHLY_SAVINGS: f64 = 5.0;
/// `s3-lifecycle-tiering`'s `max-payback-months`.
const MAX_PAYBACK_MONTHS: f64 = 12.0;
/// `s3-lifecycle-tiering`'s `archive-max-gets-per-month`.
const ARCHIVE_MAX_GETS_PER_MONTH: f64 = 0.0;
/// Lifetimes from churn longer than this are read as "kept".
const KEPT_AFTER_DAYS: f64 = 3650.0;
/// Objects under this size are not monitored by Intelligent-Tiering.
const SMALL_OBJECT_KIB: f64 = 128.0;
/// `min-monthly-savings` of the two cleanup rules.
const CLEANUP_MIN_MONTHLY_SAVINGS: f64 = 1.0;
/// `s3-noncurrent-versions`' `min-noncurrent-share`, as a fraction.
const NONCURRENT_MIN_SHARE: f64 = 0.10;
/// `s3-noncurrent-versions`' `noncurrent-days`.
const NONCURRENT_DAYS: f64 = 30.0;
/// One KiB, in GiB.
const KIB: f64 = 1.0 / (1024.0 * 1024.0);

/// A class a lifecycle rule can move Standard data to, warmest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    IntelligentTiering,
    StandardIa,
    GlacierIr,
    GlacierFlexible,
    DeepArchive,
}

impl Class {
    /// The S3 API's `StorageClass`.
    fn api(self) -> &'static str {
        match self {
            Class::IntelligentTiering => "INTELLIGENT_TIERING",
            Class::StandardIa => "STANDARD_IA",
            Class::GlacierIr => "GLACIER_IR",
            Class::GlacierFlexible => "GLACIER",
            Class::DeepArchive => "DEEP_ARCHIVE",
        }
    }

    /// AWS's name for it.
    fn label(self) -> &'static str {
        match self {
            Class::IntelligentTiering => "Intelligent-Tiering",
            Class::StandardIa => "Standard-IA",
            Class::GlacierIr => "Glacier Instant Retrieval",
            Class::GlacierFlexible => "Glacier Flexible Retrieval",
            Class::DeepArchive => "Glacier Deep Archive",
        }
    }

    /// Its part of the price keys.
    fn key(self) -> &'static str {
        match self {
            Class::IntelligentTiering => "intelligent_tiering",
            Class::StandardIa => "standard_ia",
            Class::GlacierIr => "glacier_ir",
            Class::GlacierFlexible => "glacier_flexible",
            Class::DeepArchive => "deep_archive",
        }
    }

    /// Reads need a restore first.
    fn archive(self) -> bool {
        matches!(self, Class::GlacierFlexible | Class::DeepArchive)
    }
}

/// The policies `s3-lifecycle-tiering` compares with staying put.
const POLICIES: [(Class, u32); 10] = [
    (Class::IntelligentTiering, 0),
    (Class::StandardIa, 30),
    (Class::StandardIa, 60),
    (Class::StandardIa, 90),
    (Class::GlacierIr, 30),
    (Class::GlacierIr, 90),
    (Class::GlacierFlexible, 90),
    (Class::GlacierFlexible, 180),
    (Class::DeepArchive, 180),
    (Class::DeepArchive, 365),
];

/// One class's prices in a region.
#[derive(Debug, Clone, Copy)]
struct ClassPrices {
    /// $/GiB-month.
    storage: f64,
    /// $ per GET (archive: the Standard GET after a restore).
    get: f64,
    /// $ per restore request (archive only).
    restore: f64,
    /// $/GiB retrieved (archive: restored, Standard tier).
    retrieval: f64,
    /// $ per lifecycle transition into the class.
    transition: f64,
    /// Minimum storage duration, days.
    min_days: f64,
    /// Minimum billable object size, KiB.
    min_kib: f64,
}

/// Every price of the model in one region.
#[derive(Debug, Clone)]
struct Prices {
    standard: f64,
    standard_get: f64,
    classes: [(Class, ClassPrices); 4],
    it_frequent: f64,
    it_infrequent: f64,
    it_archive_instant: f64,
    it_get: f64,
    it_transition: f64,
    it_monitoring: f64,
    it_infrequent_days: f64,
    it_archive_instant_days: f64,
    overhead_standard_kib: f64,
    overhead_archive_kib: f64,
}

impl Prices {
    /// List prices in the bucket's region, S3 Standard at its billed rate.
    fn new(rates: &Rates, bucket: &Bucket, billed_standard: f64) -> Self {
        let region = bucket.region;
        let price = |key: &str| rates.list(region, key);
        // S3's class rules are the same everywhere: read unscaled.
        let rule = |key: &str| rates.list(US_EAST_1, &format!("s3.rules.{key}"));
        let class = |c: Class| {
            let key = c.key();
            ClassPrices {
                storage: price(&format!("s3.storage_gb_month.{key}")),
                get: if c.archive() {
                    price("s3.requests_per_1000.standard_get") / 1000.0
                } else {
                    price(&format!("s3.requests_per_1000.{key}_get")) / 1000.0
                },
                restore: if c.archive() {
                    price(&format!("s3.other.restore_requests_{key}_standard_per_1000")) / 1000.0
                } else {
                    0.0
                },
                retrieval: if c.archive() {
                    price(&format!("s3.other.retrieval_{key}_standard_gb"))
                } else {
                    price(&format!("s3.other.retrieval_{key}_gb"))
                },
                transition: price(&format!("s3.requests_per_1000.transition_to_{key}")) / 1000.0,
                min_days: rule(&format!("min_storage_days.{key}")),
                min_kib: if c.archive() { 0.0 } else { rule(&format!("min_billable_object_kb.{key}")) },
            }
        };
        Self {
            standard: billed_standard,
            standard_get: price("s3.requests_per_1000.standard_get") / 1000.0,
            classes: [Class::StandardIa, Class::GlacierIr, Class::GlacierFlexible, Class::DeepArchive]
                .map(|c| (c, class(c))),
            it_frequent: price("s3.storage_gb_month.intelligent_tiering_frequent"),
            it_infrequent: price("s3.storage_gb_month.intelligent_tiering_infrequent"),
            it_archive_instant: price("s3.storage_gb_month.intelligent_tiering_archive_instant"),
            it_get: price("s3.requests_per_1000.intelligent_tiering_get") / 1000.0,
            it_transition: price("s3.requests_per_1000.transition_to_intelligent_tiering") / 1000.0,
            it_monitoring: price("s3.other.intelligent_tiering_monitoring_per_1000_objects_month") / 1000.0,
            it_infrequent_days: rule("intelligent_tiering_days.infrequent"),
            it_archive_instant_days: rule("intelligent_tiering_days.archive_instant"),
            overhead_standard_kib: rule("archive_overhead_kb_per_object.standard_billed"),
            overhead_archive_kib: rule("archive_overhead_kb_per_object.archive_billed"),
        }
    }

    fn class(&self, class: Class) -> ClassPrices {
        self.classes.iter().find(|(c, _)| *c == class).map(|(_, p)| *p).expect("a colder class")
    }
}

/// What the bucket's lifecycle rules already do.
#[derive(Debug, Default)]
struct Lifecycle {
    /// An enabled whole-bucket rule transitions current versions: already tiered.
    transitions_whole_bucket: bool,
    /// Prefixes of enabled rules that transition only part of the bucket.
    transition_prefixes: Vec<String>,
    expiration_days: Option<f64>,
    aborts_multipart: bool,
    handles_noncurrent: bool,
}

impl Lifecycle {
    fn parse(json: &str) -> Self {
        let rules: Vec<Value> = serde_json::from_str(json).expect("the demo's lifecycle rules are a JSON array");
        let mut out = Self::default();
        for rule in rules.iter().filter(|r| r["Status"] == "Enabled") {
            out.aborts_multipart |= rule.get("AbortIncompleteMultipartUpload").is_some();
            out.handles_noncurrent |=
                rule.get("NoncurrentVersionExpiration").is_some() || rule.get("NoncurrentVersionTransitions").is_some();
            let whole_bucket = rule["Filter"].as_object().is_some_and(|f| f.values().all(|v| v == ""));
            if rule.get("Transitions").is_some() {
                if whole_bucket {
                    out.transitions_whole_bucket = true;
                } else {
                    out.transition_prefixes.push(rule["Filter"]["Prefix"].as_str().unwrap_or("filtered").to_owned());
                }
            }
            if let (true, Some(days)) = (whole_bucket, rule.pointer("/Expiration/Days").and_then(Value::as_f64)) {
                out.expiration_days = Some(out.expiration_days.map_or(days, |d: f64| d.min(days)));
            }
        }
        out
    }
}

/// The model's inputs for a bucket's S3 Standard data.
#[derive(Debug, Clone, Copy)]
struct Workload {
    /// GiB in Standard.
    standard_gib: f64,
    /// Objects in Standard (all objects × Standard's share of bytes).
    objects: f64,
    /// GiB written a day: growth plus what deletions replace.
    written_gib_per_day: f64,
    /// Object lifetime, days; `None` when kept.
    lifetime_days: Option<f64>,
    /// Whether the lifetime is an expiration rule's (else churn's).
    expires: bool,
    /// GET requests a month.
    gets_per_month: f64,
    /// GiB read a month (GETs × average object size).
    read_gib_per_month: f64,
}

impl Workload {
    fn read(bucket: &Bucket, lines: &S3Lines, rules: &Lifecycle) -> Self {
        let last = STORAGE_DAYS - 1;
        let standard_bytes: f64 =
            bucket.classes.iter().filter(|c| c.storage_type == "StandardStorage").map(|c| class_bytes(c, last)).sum();
        let all_bytes: f64 = bucket.classes.iter().map(|c| class_bytes(c, last)).sum();
        let growth: f64 =
            bucket.classes.iter().filter(|c| c.storage_type == "StandardStorage").map(|c| c.growth_gb_day).sum();
        let (first_objects, last_objects) = (object_count(bucket, 0), object_count(bucket, last));
        let standard_gib = standard_bytes / BYTES_PER_GIB;
        let objects = last_objects * standard_bytes / all_bytes;
        let object_gib = standard_gib / objects;
        let writes_per_day = lines.object_writes / (lines.hours() / 24.0);
        let deletions = writes_per_day - (last_objects - first_objects) / last as f64;
        let deletions = (deletions > 0.0).then_some(deletions);
        let churn = deletions.map(|d| last_objects / d).filter(|days| *days < KEPT_AFTER_DAYS);
        let lifetime_days = match (rules.expiration_days, churn) {
            (Some(e), Some(c)) => Some(e.min(c)),
            (e, c) => e.or(c),
        };
        let gets_per_month = lines.gets * HOURS_PER_MONTH / lines.hours();
        Self {
            standard_gib,
            objects,
            written_gib_per_day: growth.max(0.0) + deletions.unwrap_or(0.0) * object_gib,
            lifetime_days,
            expires: rules.expiration_days.is_some() && lifetime_days == rules.expiration_days,
            gets_per_month,
            read_gib_per_month: gets_per_month * object_gib,
        }
    }

    fn object_gib(&self) -> f64 {
        self.standard_gib / self.objects
    }

    /// GiB younger than `days`: still in Standard under a policy with that delay.
    fn younger_than(&self, days: f64) -> f64 {
        let by_lifetime = self
            .lifetime_days
            .map_or(0.0, |l| if l <= days { self.standard_gib } else { self.standard_gib * days / l });
        (self.written_gib_per_day * days).max(by_lifetime).min(self.standard_gib)
    }

    fn stay(&self, p: &Prices) -> f64 {
        self.standard_gib * p.standard + self.gets_per_month * p.standard_get
    }
}

/// One policy, priced.
#[derive(Debug, Clone)]
struct Outcome {
    class: Class,
    days: u32,
    monthly: f64,
    savings: f64,
    one_time: f64,
    objects_moved: f64,
    /// Why the policy moves nothing, when it does not.
    blocked: Option<String>,
    /// Why it is not recommended, when it is not (blocked, read, too small a saving, slow payback).
    rejected: Option<String>,
}

impl Outcome {
    fn describe(&self) -> String {
        if self.days == 0 {
            format!("{} from day 0", self.class.label())
        } else {
            format!("{} after {} days", self.class.label(), self.days)
        }
    }

    /// The oracle's `expected_policy`.
    fn policy(&self) -> String {
        format!("{} after {} days", self.class.api(), self.days)
    }

    fn payback(&self) -> f64 {
        self.one_time / self.savings
    }
}

#[allow(clippy::many_single_char_names)] // docs/storage.md's notation (w, p, d, a, c)
fn evaluate(w: &Workload, p: &Prices, class: Class, days: u32) -> Outcome {
    let now = w.stay(p);
    let d = f64::from(days);
    let a = w.object_gib();
    let blocked = |why: String| Outcome {
        class,
        days,
        monthly: now,
        savings: 0.0,
        one_time: 0.0,
        objects_moved: 0.0,
        blocked: Some(why.clone()),
        rejected: Some(why),
    };
    if let Some(lifetime) = w.lifetime_days.filter(|l| *l <= d) {
        return blocked(format!("objects are deleted after about {lifetime:.0} days, before they are {days} days old"));
    }
    let moved = w.standard_gib - w.younger_than(d);
    let objects_moved = moved / a;
    let new_objects = w.written_gib_per_day * HOURS_PER_MONTH / 24.0 / a;
    let (monthly, transition) = if class == Class::IntelligentTiering {
        if a / KIB < SMALL_OBJECT_KIB {
            return blocked(format!(
                "objects average {:.0} KiB: Intelligent-Tiering does not monitor objects under {SMALL_OBJECT_KIB:.0} KiB",
                a / KIB
            ));
        }
        let frequent = (w.younger_than(p.it_infrequent_days) + w.read_gib_per_month).min(w.standard_gib);
        let infrequent = (w.younger_than(p.it_archive_instant_days) - w.younger_than(p.it_infrequent_days))
            .clamp(0.0, w.standard_gib - frequent);
        let archive_instant = w.standard_gib - frequent - infrequent;
        let storage = frequent * p.it_frequent + infrequent * p.it_infrequent + archive_instant * p.it_archive_instant;
        let monthly =
            storage + w.gets_per_month * p.it_get + new_objects * p.it_transition + w.objects * p.it_monitoring;
        (monthly, p.it_transition)
    } else {
        if moved <= 0.0 {
            return blocked(format!("no data in S3 Standard is {days} days old"));
        }
        let c = p.class(class);
        let (standard_gib, class_gib, requests, retrieval) = if class.archive() {
            (
                w.younger_than(d) + objects_moved * p.overhead_standard_kib * KIB,
                moved + objects_moved * p.overhead_archive_kib * KIB,
                w.gets_per_month * (c.restore + c.get),
                w.read_gib_per_month * c.retrieval,
            )
        } else {
            (
                w.younger_than(d),
                objects_moved * a.max(c.min_kib * KIB),
                w.gets_per_month * c.get,
                w.read_gib_per_month * c.retrieval,
            )
        };
        // Objects deleted before the class's minimum duration pay the rest of it.
        let early = match w.lifetime_days {
            Some(l) if l - d < c.min_days => c.min_days / (l - d),
            _ => 1.0,
        };
        let storage = standard_gib * p.standard + class_gib * c.storage * early;
        (storage + requests + retrieval + new_objects * c.transition, c.transition)
    };
    let savings = now - monthly;
    let one_time = objects_moved * transition;
    let rejected = if class.archive() && w.gets_per_month > ARCHIVE_MAX_GETS_PER_MONTH {
        Some(format!(
            "the bucket is read ({:.0} GET requests a month): a GET on an archived object fails until it is restored",
            w.gets_per_month
        ))
    } else if savings < MIN_MONTHLY_SAVINGS {
        Some(if savings <= 0.0 {
            format!("costs ${:.2}/month more", -savings)
        } else {
            format!("saves only ${savings:.2}/month")
        })
    } else if one_time / savings > MAX_PAYBACK_MONTHS {
        Some(format!("takes {:.1} months to pay back its ${one_time:.2} one-time fee", one_time / savings))
    } else {
        None
    };
    Outcome { class, days, monthly, savings, one_time, objects_moved, blocked: None, rejected }
}

/// The recommended policy: the largest saving (to 1/100 of a cent), then the shorter delay (it saves
/// sooner), then the warmer class.
fn best(outcomes: &[Outcome]) -> Option<&Outcome> {
    let key = |o: &Outcome| ((o.savings * 1e4).round() as i64, std::cmp::Reverse(o.days), std::cmp::Reverse(o.class));
    outcomes.iter().filter(|o| o.rejected.is_none()).max_by_key(|o| key(o))
}

/// Prices the planted storage findings in `findings` (kinds `s3-lifecycle-tiering`,
/// `s3-incomplete-multipart-uploads`, `s3-noncurrent-versions`) from what the
/// generator wrote, and returns a note for every bucket a correct rule leaves alone.
///
/// # Panics
/// If the model flags a bucket the plan did not plant, or does not flag a planted one.
pub fn price(buckets: &[Bucket], traffic: &Traffic, rates: &Rates, findings: &mut [OracleEntry]) -> Vec<String> {
    let planted = |kind: &str| -> BTreeSet<(String, String)> {
        findings
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.account_id.clone(), e.resource_id.clone().expect("a bucket")))
            .collect()
    };
    let (tiering, mpu, noncurrent) = (
        planted("s3-lifecycle-tiering"),
        planted("s3-incomplete-multipart-uploads"),
        planted("s3-noncurrent-versions"),
    );
    let mut notes = Vec::new();
    let mut already_tiered = Vec::new();
    for bucket in buckets {
        let key = (ACCOUNTS[bucket.account].id.to_owned(), bucket.name.clone());
        let lines = traffic.s3.get(&(bucket.account, bucket.name.clone())).copied().unwrap_or_default();
        let rules = Lifecycle::parse(&bucket.lifecycle_json);
        let rate = lines
            .standard_rate()
            .unwrap_or_else(|| rates.list(bucket.region, "s3.storage_gb_month.standard_first_50tb"));
        let entry = |kind: &str, findings: &mut [OracleEntry]| -> usize {
            findings
                .iter()
                .position(|e| e.kind == kind && e.account_id == key.0 && e.resource_id.as_deref() == Some(&bucket.name))
                .unwrap_or_else(|| panic!("no {kind} entry for {}", bucket.name))
        };

        // s3-lifecycle-tiering.
        match tiering_verdict(bucket, &lines, &rules, rates, rate) {
            Tiering::NotJudged(why) => {
                assert!(!tiering.contains(&key), "{} is planted for s3-lifecycle-tiering but {why}", bucket.name);
                if why == ALREADY_TRANSITIONS {
                    already_tiered.push(bucket.name.clone());
                } else {
                    notes.push(format!("{}: NOT an s3-lifecycle-tiering finding: {why}.", bucket.name));
                }
            }
            Tiering::LeftAlone(w, outcomes) => {
                assert!(
                    !tiering.contains(&key),
                    "{} is planted for s3-lifecycle-tiering but no policy qualifies: {outcomes:?}",
                    bucket.name
                );
                notes.push(left_alone_note(bucket, &w, &outcomes));
            }
            Tiering::Flagged(w, outcomes) => {
                assert!(
                    tiering.contains(&key),
                    "{} would be an s3-lifecycle-tiering finding: {:?}",
                    bucket.name,
                    best(&outcomes)
                );
                let chosen = best(&outcomes).expect("flagged").clone();
                let e = &mut findings[entry("s3-lifecycle-tiering", findings)];
                e.expected_monthly_savings = Some(round6(chosen.savings));
                e.expected_policy = Some(chosen.policy());
                e.expected_one_time_cost = Some(round6(chosen.one_time));
                e.note.push_str(&flagged_note(&w, &lines, rate, &chosen, &outcomes));
            }
        }

        // s3-incomplete-multipart-uploads: uploads older than 7 days, no abort rule.
        let lens = storage_lens_gb(bucket);
        let (mpu_gib, mpu_old_gib) = (gib(lens[1].1), gib(lens[2].1));
        let mpu_saving = mpu_old_gib * rate;
        let mpu_flagged = !rules.aborts_multipart && mpu_old_gib > 0.0 && mpu_saving >= CLEANUP_MIN_MONTHLY_SAVINGS;
        assert_eq!(mpu_flagged, mpu.contains(&key), "{}: s3-incomplete-multipart-uploads", bucket.name);
        if mpu_flagged {
            let e = &mut findings[entry("s3-incomplete-multipart-uploads", findings)];
            e.expected_monthly_savings = Some(round6(mpu_saving));
            let _ = write!(
                e.note,
                ". Storage Lens: {mpu_gib:.0} GiB of incomplete uploads, {mpu_old_gib:.0} GiB started more than 7 days ago; × the billed Standard rate ${rate:.5}/GiB-month = ${mpu_saving:.2}/month"
            );
        } else if mpu_gib > 0.0 {
            notes.push(format!(
                "{}: {mpu_gib:.0} GiB of incomplete multipart uploads (Storage Lens), {mpu_old_gib:.0} GiB of them started more than 7 days ago{}: uploads in progress, NOT an s3-incomplete-multipart-uploads finding.",
                bucket.name,
                if rules.aborts_multipart { ", and a lifecycle rule already aborts uploads (AbortIncompleteMultipartUpload)" } else { "" }
            ));
        }

        // s3-noncurrent-versions: versioned, noncurrent over 10 % of the bytes, no noncurrent rule.
        let noncurrent_gib = gib(lens[0].1);
        let last = STORAGE_DAYS - 1;
        let all_gib: f64 = bucket.classes.iter().map(|c| class_bytes(c, last)).sum::<f64>() / BYTES_PER_GIB;
        let standard_gib: f64 = bucket
            .classes
            .iter()
            .filter(|c| c.storage_type == "StandardStorage")
            .map(|c| class_bytes(c, last))
            .sum::<f64>()
            / BYTES_PER_GIB;
        let share = noncurrent_gib / all_gib;
        // Storage Lens publishes a constant series: no version became noncurrent in the last 30 days.
        let growth = 0.0_f64;
        let old_gib = (noncurrent_gib - growth.max(0.0) * NONCURRENT_DAYS).max(0.0);
        assert!(
            standard_gib >= noncurrent_gib || noncurrent_gib == 0.0,
            "{}: priced at the Standard rate",
            bucket.name
        );
        let noncurrent_saving = old_gib * rate;
        let versioned = matches!(bucket.versioning, Some("Enabled" | "Suspended"));
        let noncurrent_flagged = versioned
            && !rules.handles_noncurrent
            && share > NONCURRENT_MIN_SHARE
            && noncurrent_saving >= CLEANUP_MIN_MONTHLY_SAVINGS;
        assert_eq!(noncurrent_flagged, noncurrent.contains(&key), "{}: s3-noncurrent-versions", bucket.name);
        if noncurrent_flagged {
            let e = &mut findings[entry("s3-noncurrent-versions", findings)];
            e.expected_monthly_savings = Some(round6(noncurrent_saving));
            let _ = write!(
                e.note,
                ". Storage Lens: {noncurrent_gib:.0} GiB noncurrent of the bucket's {all_gib:.1} GiB ({:.1}% > 10%), flat over the last 30 days, so all of it is older than the rule's 30 days; × the billed Standard rate ${rate:.5}/GiB-month = ${noncurrent_saving:.2}/month",
                share * 100.0
            );
        } else if noncurrent_gib > 0.0 {
            let why = if rules.handles_noncurrent {
                "a lifecycle rule already expires them (NoncurrentVersionExpiration)".to_owned()
            } else {
                format!("only {:.1}% of the bucket's {all_gib:.0} GiB, not over 10%", share * 100.0)
            };
            notes.push(format!(
                "{}: versioned with {noncurrent_gib:.0} GiB of noncurrent versions (Storage Lens), but {why}: NOT an s3-noncurrent-versions finding.",
                bucket.name
            ));
        }
    }
    if !already_tiered.is_empty() {
        notes.push(format!(
            "{}: a lifecycle rule already transitions their current versions (already tiered): NOT s3-lifecycle-tiering findings.",
            already_tiered.join(", ")
        ));
    }
    notes
}

fn gib(gb: f64) -> f64 {
    (gb * BYTES_PER_GIB).round() / BYTES_PER_GIB
}

const ALREADY_TRANSITIONS: &str = "a lifecycle rule already transitions its current versions";

enum Tiering {
    /// Not judged (already tiered, nothing in Standard).
    NotJudged(String),
    /// Judged: no policy qualifies.
    LeftAlone(Workload, Vec<Outcome>),
    /// Judged: a policy qualifies.
    Flagged(Workload, Vec<Outcome>),
}

fn tiering_verdict(bucket: &Bucket, lines: &S3Lines, rules: &Lifecycle, rates: &Rates, rate: f64) -> Tiering {
    let last = STORAGE_DAYS - 1;
    let gib_in = |pick: &dyn Fn(&str) -> bool| -> f64 {
        bucket.classes.iter().filter(|c| pick(c.storage_type)).map(|c| class_bytes(c, last)).sum::<f64>()
            / BYTES_PER_GIB
    };
    let standard_gb = gib_in(&|t| t == "StandardStorage");
    let it_gb = gib_in(&|t| t.starts_with("IntelligentTiering"));
    if bucket.it_configs > 0 || it_gb > standard_gb {
        return Tiering::NotJudged(format!(
            "it uses Intelligent-Tiering (intelligent_tiering_configs = {}; {it_gb:.0} GiB in Intelligent-Tiering tiers, {:.0} in Standard): already tiered, lifecycle rules or not",
            bucket.it_configs,
            standard_gb + 0.0
        ));
    }
    if rules.transitions_whole_bucket {
        return Tiering::NotJudged(ALREADY_TRANSITIONS.into());
    }
    if !rules.transition_prefixes.is_empty() {
        return Tiering::NotJudged(format!(
            "a lifecycle rule already transitions the objects under `{}`; whether the rest is worth tiering needs per-prefix data (an S3 Inventory), so the rule lists it under \"not enough data\"",
            rules.transition_prefixes.join("`, `")
        ));
    }
    if standard_gb <= 0.0 {
        return Tiering::NotJudged("nothing in S3 Standard".into());
    }
    assert!(lines.hours() / 24.0 >= 30.0, "{}: at least 30 days of request history", bucket.name);
    let w = Workload::read(bucket, lines, rules);
    let prices = Prices::new(rates, bucket, rate);
    let outcomes: Vec<Outcome> = POLICIES.iter().map(|&(c, d)| evaluate(&w, &prices, c, d)).collect();
    if best(&outcomes).is_some() { Tiering::Flagged(w, outcomes) } else { Tiering::LeftAlone(w, outcomes) }
}

fn workload_text(w: &Workload) -> String {
    let lifetime = match w.lifetime_days {
        Some(days) if w.expires => format!("objects expire after {days:.0} days (lifecycle rule)"),
        Some(days) => format!("objects are replaced after about {days:.0} days"),
        None => "objects are kept".to_owned(),
    };
    format!(
        "{:.1} GiB in S3 Standard, {:.0} objects of {:.1} KiB on average, {:.2} GiB written a day, {lifetime}, {:.0} GET requests a month",
        w.standard_gib,
        w.objects,
        w.object_gib() / KIB,
        w.written_gib_per_day,
        w.gets_per_month
    )
}

fn flagged_note(w: &Workload, lines: &S3Lines, rate: f64, chosen: &Outcome, outcomes: &[Outcome]) -> String {
    let mut text = format!(
        ". The model of docs/storage.md on the generated data ({}; {:.0} hours of CUR lines; Standard billed ${rate:.5}/GiB-month): staying put costs ${:.2}/month; {} costs ${:.2}/month, saves ${:.2}/month after a one-time ${:.2} ({:.0} objects to transition), paying back in {:.1} months. Other policies: ",
        workload_text(w),
        lines.hours(),
        chosen.monthly + chosen.savings,
        chosen.describe(),
        chosen.monthly,
        chosen.savings,
        chosen.one_time,
        chosen.objects_moved,
        chosen.payback(),
    );
    let others: Vec<String> = outcomes
        .iter()
        .filter(|o| (o.class, o.days) != (chosen.class, chosen.days))
        .map(|o| match &o.rejected {
            Some(why) if o.blocked.is_none() && o.class.archive() => {
                format!("{} would save ${:.2} but {why}", o.describe(), o.savings)
            }
            Some(why) => format!("{} {why}", o.describe()),
            None => format!("{} saves ${:.2}", o.describe(), o.savings),
        })
        .collect();
    text.push_str(&others.join("; "));
    text
}

fn left_alone_note(bucket: &Bucket, w: &Workload, outcomes: &[Outcome]) -> String {
    let mut reasons = Vec::new();
    let moved_after_30_days = w.standard_gib - w.younger_than(30.0);
    if w.read_gib_per_month >= moved_after_30_days {
        reasons.push(format!(
            "it is hot: it reads about {:.0} GiB a month (GETs × average object size), at least the {moved_after_30_days:.0} GiB a 30-day policy would move, so reads would pay the colder classes' request and retrieval fees and keep Intelligent-Tiering's data in its Frequent tier",
            w.read_gib_per_month
        ));
    }
    let movable: Vec<&Outcome> =
        outcomes.iter().filter(|o| o.blocked.is_none() && !(o.class.archive() && w.gets_per_month > 0.0)).collect();
    if let Some(top) = movable.iter().max_by_key(|o| (o.savings * 1e4).round() as i64) {
        reasons.push(format!(
            "the best policy that moves data, {}, {}",
            top.describe(),
            top.rejected.as_deref().unwrap_or("qualifies")
        ));
    }
    let expired: Vec<u32> = outcomes
        .iter()
        .filter(|o| o.blocked.as_deref().is_some_and(|b| b.starts_with("objects are deleted")))
        .map(|o| o.days)
        .collect();
    if let Some(first) = expired.iter().min() {
        reasons.push(format!("policies waiting {first} days or more move nothing (objects are gone first)"));
    }
    if let Some(why) = outcomes
        .iter()
        .find(|o| o.class == Class::IntelligentTiering)
        .and_then(|o| o.blocked.as_deref())
        .filter(|b| b.starts_with("objects average"))
    {
        reasons.push(why.to_owned());
    }
    if w.object_gib() / KIB < SMALL_OBJECT_KIB {
        reasons.push(format!("Standard-IA and Glacier Instant Retrieval bill {SMALL_OBJECT_KIB:.0} KiB per object"));
    }
    if w.gets_per_month > ARCHIVE_MAX_GETS_PER_MONTH {
        reasons.push("the archive classes are ruled out because the bucket is read".to_owned());
    }
    format!("{} ({}): NOT an s3-lifecycle-tiering finding: {}.", bucket.name, workload_text(w), reasons.join("; "))
}
