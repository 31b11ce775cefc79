//! The demo oracle's S3 storage conclusions, re-derived independently.
//!
//! A second, self-contained implementation of the cost model of
//! `docs/storage.md` that shares no code with the generator or with
//! `costwise_analyzer::storage` and the storage rules. It reads the committed
//! snapshot's raw parquet files (`fixtures/demo/{buckets,metrics,costs}.parquet`)
//! and the bundled price catalog as text, and for EVERY bucket:
//!
//! - builds the model's inputs: the latest day's bytes per storage class and
//!   object count (CloudWatch), the least-squares growth of the daily Standard
//!   bytes, GET requests a month and object writes from the bucket's CUR lines
//!   over the lookback (scaled to 730 hours by the span of those lines), its
//!   billed Standard rate, its lifecycle rules (parsed from the JSON);
//! - prices staying put and every candidate policy (Intelligent-Tiering from
//!   day 0; Standard-IA after 30/60/90 days; Glacier IR after 30/90; Glacier
//!   Flexible after 90/180; Deep Archive after 180/365) with every fee;
//! - applies the qualification rules (≥ $5/month, payback ≤ 12 months,
//!   archive classes only for unread buckets) and picks the largest saving
//!   (ties: the shorter delay, then the warmer class). Buckets with
//!   Intelligent-Tiering or a whole-bucket transition rule are already tiered;
//!   a rule that transitions one prefix makes the bucket "not enough data".
//!
//! Then it checks that the oracle's `s3-lifecycle-tiering` entries are exactly
//! the buckets this derivation flags, with the same policy, monthly saving (to
//! the cent) and one-time transition cost, and that every other bucket is left
//! alone for the reason the demo plants. The two cleanup rules
//! (`s3-incomplete-multipart-uploads`, `s3-noncurrent-versions`) get the same
//! treatment from the Storage Lens metrics.

#![allow(clippy::many_single_char_names)] // docs/storage.md's notation (S, N, w, L, g, R, a, D)

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde_json::Value;

/// `lookback-days` of `s3-lifecycle-tiering`.
const LOOKBACK_DAYS: i64 = 90;
/// Days of metrics and billing the two cleanup rules read.
const CLEANUP_LOOKBACK_DAYS: i64 = 30;
/// `min-monthly-savings` of the two cleanup rules.
const CLEANUP_MIN_MONTHLY_SAVINGS: f64 = 1.0;
/// `min-history-days` of `s3-lifecycle-tiering`.
const MIN_HISTORY_DAYS: f64 = 30.0;
/// `min-monthly-savings` of `s3-lifecycle-tiering`.
const MIN_MONTHLY_SAVINGS: f64 = 5.0;
/// `max-payback-months` of `s3-lifecycle-tiering`.
const MAX_PAYBACK_MONTHS: f64 = 12.0;
/// `archive-max-gets-per-month` of `s3-lifecycle-tiering`.
const ARCHIVE_MAX_GETS: f64 = 0.0;
/// Lifetimes from churn longer than 10 years count as "kept".
const KEPT_AFTER_DAYS: f64 = 3650.0;
/// Noncurrent versions are flagged above this share of the bucket's bytes.
const NONCURRENT_SHARE: f64 = 0.10;
/// `NoncurrentDays` of the expiration rule `s3-noncurrent-versions` recommends.
const NONCURRENT_DAYS: f64 = 30.0;
const HOURS_PER_MONTH: f64 = 730.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// One KiB in GiB.
const KIB: f64 = 1.0 / (1024.0 * 1024.0);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled price catalog, read as text.
struct Catalog(String);

impl Catalog {
    fn load() -> Self {
        Self(std::fs::read_to_string(repo().join("crates/analyzer/data/aws-list-prices-us-east-1.toml")).unwrap())
    }

    /// The raw value of `key` in `[section]`, comments stripped.
    fn raw(&self, section: &str, key: &str) -> &str {
        let body = self.0.split(&format!("[{section}]\n")).nth(1).unwrap_or_else(|| panic!("no [{section}]"));
        body.lines()
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == key))
            .map_or_else(|| panic!("no {section}.{key}"), |(_, v)| v.split('#').next().unwrap().trim())
    }

    fn get(&self, section: &str, key: &str) -> f64 {
        self.raw(section, key).parse().unwrap_or_else(|e| panic!("{section}.{key}: {e}"))
    }

    /// A field of an inline table: `key = { field = 1, ... }`.
    fn field(&self, section: &str, key: &str, field: &str) -> f64 {
        let table = self.raw(section, key).trim_start_matches('{').trim_end_matches('}');
        table
            .split(',')
            .find_map(|kv| kv.split_once('=').filter(|(k, _)| k.trim() == field))
            .map_or_else(|| panic!("no {section}.{key}.{field}"), |(_, v)| v.trim().parse().unwrap())
    }
}

/// A storage class a lifecycle rule can move Standard data to, warmest first.
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

    /// Reads need a restore.
    fn archive(self) -> bool {
        matches!(self, Class::GlacierFlexible | Class::DeepArchive)
    }
}

/// The candidate policies of docs/storage.md: (class, days after creation).
const CANDIDATES: [(Class, u32); 10] = [
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

/// One class's prices and rules.
#[derive(Debug, Clone, Copy)]
struct ClassRates {
    storage: f64,
    /// GET request, $ each (restored archive objects: the Standard GET).
    get: f64,
    /// Retrieval (archive: restore, Standard tier), $/GiB.
    retrieval: f64,
    /// Restore request, $ each (archive only).
    restore: f64,
    /// Lifecycle transition into the class, $ per object.
    transition: f64,
    min_days: f64,
    min_kib: f64,
}

/// Every price the model multiplies by, in one region.
#[derive(Debug, Clone)]
struct Rates {
    standard: f64,
    standard_get: f64,
    days_per_month: f64,
    ia: ClassRates,
    gir: ClassRates,
    gfr: ClassRates,
    gda: ClassRates,
    it_frequent: f64,
    it_infrequent: f64,
    it_archive_instant: f64,
    it_get: f64,
    it_transition: f64,
    it_monitoring: f64,
    it_infrequent_days: f64,
    it_archive_instant_days: f64,
    small_kib: f64,
    overhead_standard_kib: f64,
    overhead_archive_kib: f64,
}

impl Rates {
    /// The catalog's us-east-1 prices × `ratio` (the region's price ratio), with the Standard storage
    /// rate the bucket is billed when the CUR has it.
    fn new(c: &Catalog, ratio: f64, billed_standard: Option<f64>) -> Self {
        let p = |section: &str, key: &str| c.get(section, key) * ratio;
        let per_request = |key: &str| p("s3.requests_per_1000", key) / 1000.0;
        let rule = |key: &str, field: &str| c.field("s3.rules", key, field);
        let class = |key: &str, get: &str, retrieval: &str, restore: Option<&str>| ClassRates {
            storage: p("s3.storage_gb_month", key),
            get: per_request(get),
            retrieval: p("s3.other", retrieval),
            restore: restore.map_or(0.0, |k| p("s3.other", k) / 1000.0),
            transition: per_request(&format!("transition_to_{key}")),
            min_days: rule("min_storage_days", key),
            min_kib: if restore.is_some() { 0.0 } else { rule("min_billable_object_kb", key) },
        };
        Self {
            standard: billed_standard.unwrap_or_else(|| p("s3.storage_gb_month", "standard_first_50tb")),
            standard_get: per_request("standard_get"),
            days_per_month: c.get("hours", "per_month") / 24.0,
            ia: class("standard_ia", "standard_ia_get", "retrieval_standard_ia_gb", None),
            gir: class("glacier_ir", "glacier_ir_get", "retrieval_glacier_ir_gb", None),
            gfr: class(
                "glacier_flexible",
                "standard_get",
                "retrieval_glacier_flexible_standard_gb",
                Some("restore_requests_glacier_flexible_standard_per_1000"),
            ),
            gda: class(
                "deep_archive",
                "standard_get",
                "retrieval_deep_archive_standard_gb",
                Some("restore_requests_deep_archive_standard_per_1000"),
            ),
            it_frequent: p("s3.storage_gb_month", "intelligent_tiering_frequent"),
            it_infrequent: p("s3.storage_gb_month", "intelligent_tiering_infrequent"),
            it_archive_instant: p("s3.storage_gb_month", "intelligent_tiering_archive_instant"),
            it_get: per_request("intelligent_tiering_get"),
            it_transition: per_request("transition_to_intelligent_tiering"),
            it_monitoring: p("s3.other", "intelligent_tiering_monitoring_per_1000_objects_month") / 1000.0,
            it_infrequent_days: rule("intelligent_tiering_days", "infrequent"),
            it_archive_instant_days: rule("intelligent_tiering_days", "archive_instant"),
            small_kib: 128.0,
            overhead_standard_kib: rule("archive_overhead_kb_per_object", "standard_billed"),
            overhead_archive_kib: rule("archive_overhead_kb_per_object", "archive_billed"),
        }
    }

    fn class(&self, class: Class) -> ClassRates {
        match class {
            Class::StandardIa => self.ia,
            Class::GlacierIr => self.gir,
            Class::GlacierFlexible => self.gfr,
            Class::DeepArchive => self.gda,
            Class::IntelligentTiering => unreachable!("priced by its own formula"),
        }
    }
}

/// What the bucket's lifecycle rules already do.
#[derive(Debug, Default)]
struct Lifecycle {
    /// An enabled rule that covers the whole bucket transitions current versions.
    transitions_whole_bucket: bool,
    /// An enabled rule transitions the current versions of part of the bucket only.
    transitions_part: bool,
    /// Shortest `Expiration.Days` of an enabled rule that covers the whole bucket.
    expiration_days: Option<f64>,
    aborts_multipart: bool,
    handles_noncurrent: bool,
}

fn lifecycle(json: &str) -> Lifecycle {
    let rules: Value = serde_json::from_str(json).unwrap();
    let mut out = Lifecycle::default();
    for rule in rules.as_array().unwrap() {
        if rule["Status"] != "Enabled" {
            continue;
        }
        let non_empty = |key: &str| rule.get(key).is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()));
        out.aborts_multipart |= rule.get("AbortIncompleteMultipartUpload").is_some();
        out.handles_noncurrent |=
            rule.get("NoncurrentVersionExpiration").is_some() || non_empty("NoncurrentVersionTransitions");
        let prefix_empty = |v: Option<&Value>| v.is_none_or(|p| p == "");
        let whole = match rule.get("Filter") {
            None => prefix_empty(rule.get("Prefix")),
            Some(Value::Object(f)) => f.is_empty() || (f.len() == 1 && prefix_empty(f.get("Prefix"))),
            Some(_) => false,
        };
        if non_empty("Transitions") {
            out.transitions_whole_bucket |= whole;
            out.transitions_part |= !whole;
        }
        if let (true, Some(days)) = (whole, rule.pointer("/Expiration/Days").and_then(Value::as_f64)) {
            out.expiration_days = Some(out.expiration_days.map_or(days, |d: f64| d.min(days)));
        }
    }
    out
}

/// A bucket's billing lines over the lookback.
#[derive(Debug, Default, Clone)]
struct Billed {
    gets: f64,
    writes: f64,
    standard_gb_months: f64,
    standard_cost: f64,
    /// Public on-demand rate of its Standard storage lines (the region's price level).
    standard_public_rate: f64,
    first: i64,
    last: i64,
}

impl Billed {
    fn hours(&self) -> f64 {
        (self.last - self.first) as f64 / 3.6e9
    }

    /// Requests a month, scaled to 730 hours by the span of the bucket's lines.
    fn monthly(&self, requests: f64) -> f64 {
        requests * HOURS_PER_MONTH / self.hours()
    }
}

/// Everything the snapshot says about one bucket.
#[derive(Debug, Clone)]
struct Bucket {
    account: String,
    region: String,
    name: String,
    versioning: Option<String>,
    it_configs: i64,
    rules: String,
    /// CloudWatch daily series per metric (`BucketSizeBytes/StandardStorage`, Storage Lens names).
    daily: BTreeMap<String, BTreeMap<NaiveDate, f64>>,
    billed: Billed,
}

impl Bucket {
    fn latest(&self, metric: &str) -> Option<f64> {
        self.daily.get(metric).and_then(|s| s.values().next_back().copied())
    }

    /// Latest day's bytes per storage type.
    fn bytes(&self) -> BTreeMap<&str, f64> {
        self.daily
            .iter()
            .filter_map(|(m, s)| Some((m.strip_prefix("BucketSizeBytes/")?, *s.values().next_back()?)))
            .collect()
    }

    /// Least-squares slope of a daily series, per day, in GiB.
    fn slope_gib(&self, metric: &str) -> f64 {
        let Some(series) = self.daily.get(metric) else { return 0.0 };
        let Some(first) = series.keys().next() else { return 0.0 };
        let points: Vec<(f64, f64)> = series.iter().map(|(d, v)| ((*d - *first).num_days() as f64, v / GIB)).collect();
        let n = points.len() as f64;
        let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
        let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
        if sxx > 0.0 { sxy / sxx } else { 0.0 }
    }

    fn billed_standard_rate(&self) -> Option<f64> {
        (self.billed.standard_gb_months > 0.0).then(|| self.billed.standard_cost / self.billed.standard_gb_months)
    }
}

/// The model's inputs for the data in S3 Standard (docs/storage.md's notation).
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_field_names)]
struct Workload {
    /// GiB in Standard.
    s: f64,
    /// Objects in Standard.
    n: f64,
    /// GiB written a day.
    w: f64,
    /// Object lifetime, days (None: kept).
    l: Option<f64>,
    /// GETs a month.
    g: f64,
    /// GiB read a month.
    r: f64,
}

impl Workload {
    /// Average object size, GiB.
    fn a(&self) -> f64 {
        self.s / self.n
    }

    /// GiB younger than `d` days (still in Standard under a policy with that delay).
    fn young(&self, d: f64) -> f64 {
        let by_lifetime = match self.l {
            Some(l) if l <= d => self.s,
            Some(l) => self.s * d / l,
            None => 0.0,
        };
        (self.w * d).max(by_lifetime).min(self.s)
    }
}

fn workload(b: &Bucket, rules: &Lifecycle) -> Workload {
    let bytes = b.bytes();
    let all: f64 = bytes.values().sum();
    let s = bytes["StandardStorage"] / GIB;
    let objects = &b.daily["NumberOfObjects/AllStorageTypes"];
    let ((first_day, first), (last_day, last)) = (objects.iter().next().unwrap(), objects.iter().next_back().unwrap());
    let n_all = *last;
    let n = n_all * bytes["StandardStorage"] / all;
    let a = s / n;
    // Deletions a day = object writes a day − net object growth a day.
    let writes_per_day = b.billed.writes / (b.billed.hours() / 24.0);
    let deletions = writes_per_day - (last - first) / (*last_day - *first_day).num_days() as f64;
    let deletions = (deletions > 0.0).then_some(deletions);
    let churn = deletions.map(|d| n_all / d).filter(|l| *l < KEPT_AFTER_DAYS);
    let l = match (rules.expiration_days, churn) {
        (Some(e), Some(c)) => Some(e.min(c)),
        (e, c) => e.or(c),
    };
    let g = b.billed.monthly(b.billed.gets);
    Workload {
        s,
        n,
        w: b.slope_gib("BucketSizeBytes/StandardStorage").max(0.0) + deletions.unwrap_or(0.0) * a,
        l,
        g,
        r: g * a,
    }
}

/// One candidate policy, priced.
#[derive(Debug, Clone)]
struct Priced {
    class: Class,
    days: u32,
    savings: f64,
    one_time: f64,
    /// Why it is not a recommendation, when it is not.
    rejected: Option<String>,
}

fn stay(w: &Workload, r: &Rates) -> f64 {
    w.s * r.standard + w.g * r.standard_get
}

fn price(w: &Workload, r: &Rates, class: Class, days: u32) -> Priced {
    let d = f64::from(days);
    let now = stay(w, r);
    let a = w.a();
    let unchanged = |why: String| Priced { class, days, savings: 0.0, one_time: 0.0, rejected: Some(why) };
    if w.l.is_some_and(|l| l <= d) {
        return unchanged(format!(
            "objects are deleted after {:.0} days, before they are {days} days old",
            w.l.unwrap()
        ));
    }
    let moved = w.s - w.young(d);
    let n_moved = moved / a;
    let new_objects_a_month = w.w * r.days_per_month / a;
    let (monthly, transition) = if class == Class::IntelligentTiering {
        if a / KIB < r.small_kib {
            return unchanged(format!("{:.0} KiB objects are not monitored by Intelligent-Tiering", a / KIB));
        }
        let frequent = (w.young(r.it_infrequent_days) + w.r).min(w.s);
        let infrequent =
            (w.young(r.it_archive_instant_days) - w.young(r.it_infrequent_days)).clamp(0.0, w.s - frequent);
        let archive_instant = w.s - frequent - infrequent;
        let storage = frequent * r.it_frequent + infrequent * r.it_infrequent + archive_instant * r.it_archive_instant;
        let monitoring = w.n * r.it_monitoring;
        (storage + w.g * r.it_get + new_objects_a_month * r.it_transition + monitoring, r.it_transition)
    } else {
        let c = r.class(class);
        let (standard_gib, cold_gib, requests, retrieval) = if class.archive() {
            (
                w.young(d) + n_moved * r.overhead_standard_kib * KIB,
                moved + n_moved * r.overhead_archive_kib * KIB,
                w.g * (c.restore + c.get),
                w.r * c.retrieval,
            )
        } else {
            (w.young(d), n_moved * a.max(c.min_kib * KIB), w.g * c.get, w.r * c.retrieval)
        };
        let early = match w.l {
            Some(l) if l - d < c.min_days => c.min_days / (l - d),
            _ => 1.0,
        };
        let storage = standard_gib * r.standard + cold_gib * c.storage * early;
        let (requests, retrieval, transitions) = if moved > 0.0 {
            (requests, retrieval, new_objects_a_month * c.transition)
        } else {
            (w.g * r.standard_get, 0.0, 0.0)
        };
        (storage + requests + retrieval + transitions, c.transition)
    };
    let savings = now - monthly;
    let one_time = n_moved * transition;
    let rejected = if class.archive() && w.g > ARCHIVE_MAX_GETS {
        Some(format!("read ({:.0} GETs a month): archived objects need a restore", w.g))
    } else if savings < MIN_MONTHLY_SAVINGS {
        Some(if savings <= 0.0 {
            format!("costs ${:.2}/month more", -savings)
        } else {
            format!("saves only ${savings:.2}/month")
        })
    } else if one_time / savings > MAX_PAYBACK_MONTHS {
        Some(format!("pays back in {:.1} months", one_time / savings))
    } else {
        None
    };
    Priced { class, days, savings, one_time, rejected }
}

/// What `s3-lifecycle-tiering` must conclude about a bucket.
#[derive(Debug, Clone)]
enum Verdict {
    /// The recommended policy.
    Flagged(Priced),
    /// Not judged: already tiered, or nothing in Standard.
    NotJudged(String),
    /// Judged: no policy qualifies (every candidate, with why it lost).
    LeftAlone(Vec<Priced>),
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn judge(b: &Bucket, ratio: f64, catalog: &Catalog) -> (Verdict, Option<Workload>) {
    let bytes = b.bytes();
    let standard = bytes.get("StandardStorage").copied().unwrap_or(0.0);
    let it: f64 = bytes.iter().filter(|(t, _)| t.starts_with("IntelligentTiering")).map(|(_, v)| v).sum();
    if b.it_configs > 0 || it > standard {
        return (Verdict::NotJudged("uses Intelligent-Tiering".into()), None);
    }
    let rules = lifecycle(&b.rules);
    if rules.transitions_whole_bucket {
        return (Verdict::NotJudged("a lifecycle rule already transitions current versions".into()), None);
    }
    if rules.transitions_part {
        return (Verdict::NotJudged("a lifecycle rule already transitions one prefix: not enough data".into()), None);
    }
    if standard <= 0.0 {
        return (Verdict::NotJudged("nothing in S3 Standard".into()), None);
    }
    assert!(b.billed.hours() / 24.0 >= MIN_HISTORY_DAYS, "{}: every demo bucket has 60 days of history", b.name);
    let w = workload(b, &rules);
    let rates = Rates::new(catalog, ratio, b.billed_standard_rate());
    let priced: Vec<Priced> = CANDIDATES.iter().map(|&(c, d)| price(&w, &rates, c, d)).collect();
    // Largest saving; ties: the shorter delay (it saves sooner), then the warmer class.
    let key = |p: &Priced| (round4(p.savings), std::cmp::Reverse(p.days), std::cmp::Reverse(p.class));
    let best = |ps: Vec<&Priced>| {
        ps.into_iter().max_by(|x, y| key(x).partial_cmp(&key(y)).unwrap()).cloned().expect("ten candidates")
    };
    let qualifying: Vec<&Priced> = priced.iter().filter(|p| p.rejected.is_none()).collect();
    let verdict = if qualifying.is_empty() { Verdict::LeftAlone(priced) } else { Verdict::Flagged(best(qualifying)) };
    (verdict, Some(w))
}

fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name).unwrap().str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
}

fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name).unwrap().f64().unwrap().iter().map(|v| v.unwrap_or(0.0)).collect()
}

fn micros(df: &DataFrame, name: &str) -> Vec<i64> {
    df.column(name).unwrap().datetime().unwrap().physical().iter().map(|v| v.unwrap()).collect()
}

fn parquet(table: &str) -> DataFrame {
    ParquetReader::new(File::open(repo().join(format!("fixtures/demo/{table}.parquet"))).unwrap()).finish().unwrap()
}

/// Every bucket of the snapshot, with its metrics and CUR lines over the `lookback_days` before the
/// snapshot's end.
fn buckets(lookback_days: i64) -> Vec<Bucket> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("fixtures/demo/manifest.json")).unwrap()).unwrap();
    let end: NaiveDateTime = manifest["period"]["end"].as_str().unwrap().parse().unwrap();
    let start = end - chrono::Duration::days(lookback_days);
    let (start_us, end_us) = (start.and_utc().timestamp_micros(), end.and_utc().timestamp_micros());

    let inventory = parquet("buckets");
    let (account, region, name) =
        (strs(&inventory, "account_id"), strs(&inventory, "region"), strs(&inventory, "bucket"));
    let (versioning, rules) = (strs(&inventory, "versioning"), strs(&inventory, "lifecycle_rules"));
    let it: Vec<i64> =
        inventory.column("intelligent_tiering_configs").unwrap().i64().unwrap().iter().map(|v| v.unwrap()).collect();
    let mut out: Vec<Bucket> = (0..inventory.height())
        .map(|i| Bucket {
            account: account[i].clone().unwrap(),
            region: region[i].clone().unwrap(),
            name: name[i].clone().unwrap(),
            versioning: versioning[i].clone(),
            it_configs: it[i],
            rules: rules[i].clone().expect("the demo collects every bucket's lifecycle rules"),
            daily: BTreeMap::new(),
            billed: Billed { first: i64::MAX, last: i64::MIN, ..Billed::default() },
        })
        .collect();

    // CloudWatch: daily storage metrics (Average) of AWS/S3 and Storage Lens.
    let metrics = parquet("metrics")
        .lazy()
        .filter(col("namespace").eq(lit("AWS/S3")).or(col("namespace").eq(lit("AWS/S3/Storage-Lens"))))
        .filter(col("statistic").eq(lit("Average")))
        .collect()
        .unwrap();
    let (resource, metric, value) =
        (strs(&metrics, "resource_id"), strs(&metrics, "metric"), floats(&metrics, "value"));
    let starts = micros(&metrics, "period_start");
    for i in 0..metrics.height() {
        if starts[i] < start_us || starts[i] >= end_us {
            continue;
        }
        let Some(b) = out.iter_mut().find(|b| Some(&b.name) == resource[i].as_ref()) else { continue };
        let day = chrono::DateTime::from_timestamp_micros(starts[i]).unwrap().date_naive();
        b.daily.entry(metric[i].clone().unwrap()).or_default().insert(day, value[i]);
    }
    let has_bytes_downloaded = parquet("metrics")
        .lazy()
        .filter(col("namespace").eq(lit("AWS/S3")).and(col("metric").eq(lit("BytesDownloaded"))))
        .collect()
        .unwrap()
        .height();
    assert_eq!(has_bytes_downloaded, 0, "the demo has no BytesDownloaded: GiB read = GETs × average object size");

    // The CUR: every AmazonS3 line of each bucket.
    let costs = parquet("costs").lazy().filter(col("service").eq(lit("AmazonS3"))).collect().unwrap();
    let (acct, resource, usage_type, operation) = (
        strs(&costs, "account_id"),
        strs(&costs, "resource_id"),
        strs(&costs, "usage_type"),
        strs(&costs, "operation"),
    );
    let (amount, cost, public) =
        (floats(&costs, "usage_amount"), floats(&costs, "amortized_cost"), floats(&costs, "public_on_demand_rate"));
    let (starts, ends) = (micros(&costs, "usage_start"), micros(&costs, "usage_end"));
    for i in 0..costs.height() {
        if starts[i] < start_us || starts[i] >= end_us {
            continue;
        }
        let Some(b) =
            out.iter_mut().find(|b| Some(&b.name) == resource[i].as_ref() && Some(&b.account) == acct[i].as_ref())
        else {
            continue;
        };
        let bl = &mut b.billed;
        bl.first = bl.first.min(starts[i]);
        bl.last = bl.last.max(ends[i].min(end_us));
        let ut = usage_type[i].as_deref().unwrap_or_default();
        let op = operation[i].as_deref().unwrap_or_default();
        if ut.contains("Requests-") && ut.ends_with("Tier2") {
            bl.gets += amount[i];
        } else if ut.contains("Requests-")
            && ut.ends_with("Tier1")
            && ["PutObject", "CopyObject", "CompleteMultipartUpload", "PostObject"].contains(&op)
        {
            bl.writes += amount[i];
        } else if ut.ends_with("TimedStorage-ByteHrs") {
            bl.standard_gb_months += amount[i];
            bl.standard_cost += cost[i];
            bl.standard_public_rate = public[i];
        }
    }
    out
}

/// Each region's price level: its billed public Standard rate ÷ the catalog's us-east-1 rate.
fn region_ratios(buckets: &[Bucket], catalog: &Catalog) -> BTreeMap<String, f64> {
    let base = catalog.get("s3.storage_gb_month", "standard_first_50tb");
    let mut out = BTreeMap::new();
    for b in buckets.iter().filter(|b| b.billed.standard_public_rate > 0.0) {
        let ratio = b.billed.standard_public_rate / base;
        let previous = out.insert(b.region.clone(), ratio);
        assert!(previous.is_none_or(|p| (p - ratio).abs() < 1e-9), "{}: one price level per region", b.region);
    }
    out
}

fn oracle() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("fixtures/demo-oracle.json")).unwrap()).unwrap()
}

fn entries<'a>(oracle: &'a Value, kind: &str) -> BTreeMap<String, &'a Value> {
    oracle["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| (e["resource_id"].as_str().unwrap().to_owned(), e))
        .collect()
}

fn describe(p: &Priced) -> String {
    format!("{} after {} days", p.class.api(), p.days)
}

/// Facts that explain why a bucket is left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    /// Intelligent-Tiering configurations, or most bytes in Intelligent-Tiering.
    IntelligentTiering,
    /// A whole-bucket lifecycle rule already transitions current versions.
    AlreadyTransitions,
    /// A lifecycle rule transitions one prefix: the rest needs per-prefix data ("not enough data").
    PrefixTransitions,
    /// Nothing in S3 Standard.
    NoStandard,
    /// Hot: a month's reads (GiB) are at least what a 30-day policy would move.
    Hot,
    /// A whole-bucket expiration rule deletes objects within 30 days: no delayed policy moves anything.
    ExpiresWithin30Days,
    /// An expiration rule of this many days (objects never reach the longer delays).
    Expires(u32),
    /// Objects average under 128 KiB (Intelligent-Tiering ignores them, Standard-IA and Glacier IR bill 128 KiB).
    SmallObjects,
    /// Staying put costs under `min-monthly-savings`: nothing can save that much.
    Tiny,
}

fn why(b: &Bucket, verdict: &Verdict, w: Option<&Workload>, rates: &Rates) -> Vec<Why> {
    let mut out = Vec::new();
    match verdict {
        Verdict::NotJudged(reason) => out.push(match reason.as_str() {
            r if r.contains("Intelligent-Tiering") => Why::IntelligentTiering,
            r if r.contains("one prefix") => Why::PrefixTransitions,
            r if r.contains("transitions") => Why::AlreadyTransitions,
            _ => Why::NoStandard,
        }),
        Verdict::LeftAlone(_) => {
            let w = w.unwrap();
            let rules = lifecycle(&b.rules);
            if w.r >= w.s - w.young(30.0) {
                out.push(Why::Hot);
            }
            match rules.expiration_days {
                Some(d) if d <= 30.0 => out.push(Why::ExpiresWithin30Days),
                Some(d) => out.push(Why::Expires(d as u32)),
                None => {}
            }
            if w.a() / KIB < 128.0 {
                out.push(Why::SmallObjects);
            }
            if stay(w, rates) < MIN_MONTHLY_SAVINGS {
                out.push(Why::Tiny);
            }
        }
        Verdict::Flagged(_) => {}
    }
    out
}

/// Why the demo's other buckets are not `s3-lifecycle-tiering` findings (every fact must hold).
const LEFT_ALONE: [(&str, &[Why]); 18] = [
    ("acme-prod-assets", &[Why::Hot]),
    ("acme-prod-backups", &[Why::AlreadyTransitions]),
    ("acme-prod-uploads", &[Why::AlreadyTransitions]),
    ("acme-prod-cloudtrail", &[Why::PrefixTransitions]),
    ("acme-prod-terraform-state", &[Why::Hot, Why::Tiny]),
    ("acme-prod-athena-results", &[Why::Hot, Why::ExpiresWithin30Days, Why::Tiny]),
    ("acme-prod-static-eu", &[Why::Hot]),
    ("acme-prod-dr-replica", &[Why::AlreadyTransitions]),
    ("acme-staging-artifacts", &[Why::Hot, Why::Expires(90)]),
    ("acme-staging-assets", &[Why::Hot, Why::Tiny]),
    ("acme-staging-logs", &[Why::ExpiresWithin30Days, Why::SmallObjects]),
    ("acme-data-lake-raw", &[Why::IntelligentTiering]),
    ("acme-data-lake-curated", &[Why::Hot]),
    ("acme-data-emr-logs", &[Why::Expires(60), Why::SmallObjects]),
    ("acme-data-exports", &[Why::Hot]),
    ("acme-data-ml-datasets", &[Why::Hot]),
    ("acme-data-archive-2023", &[Why::AlreadyTransitions]),
    ("acme-data-query-cache", &[Why::Hot, Why::ExpiresWithin30Days, Why::Tiny]),
];

#[test]
#[allow(clippy::too_many_lines)] // one derivation, bucket by bucket
fn oracle_tiering_is_the_cost_model_on_the_raw_fixture() {
    let catalog = Catalog::load();
    let buckets = buckets(LOOKBACK_DAYS);
    let ratios = region_ratios(&buckets, &catalog);
    let oracle = oracle();
    let planted = entries(&oracle, "s3-lifecycle-tiering");
    let notes: Vec<&str> = oracle["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(buckets.len(), 20, "the demo's buckets");

    let mut flagged = BTreeMap::new();
    for b in &buckets {
        let ratio = ratios[&b.region];
        let (verdict, w) = judge(b, ratio, &catalog);
        let rates = Rates::new(&catalog, ratio, b.billed_standard_rate());
        let facts = why(b, &verdict, w.as_ref(), &rates);
        if let Verdict::Flagged(p) = &verdict {
            let w = w.unwrap();
            // Hand check of the shape: cold data, read little or not at all, kept.
            assert!(w.r < w.s * 0.001 && w.l.is_none(), "{}: {w:?}", b.name);
            flagged.insert(b.name.clone(), p.clone());
            continue;
        }
        if let Verdict::LeftAlone(priced) = &verdict {
            assert!(priced.iter().all(|p| p.rejected.is_some()), "{}: {priced:?}", b.name);
        }
        let (_, expected) = LEFT_ALONE
            .iter()
            .find(|(name, _)| *name == b.name)
            .unwrap_or_else(|| panic!("{} is left alone ({verdict:?}) but not listed in LEFT_ALONE", b.name));
        for fact in *expected {
            assert!(facts.contains(fact), "{}: expected {fact:?}, derived {facts:?} ({verdict:?}, {w:?})", b.name);
        }
        // The oracle says why.
        let name = b.name.as_str();
        assert!(
            notes.iter().any(|n| (n.starts_with(name) && n.contains("NOT an s3-lifecycle-tiering finding"))
                || (n.contains(name) && n.contains("NOT s3-lifecycle-tiering findings"))),
            "no oracle note says why {name} is left alone"
        );
    }
    assert_eq!(
        flagged.keys().collect::<Vec<_>>(),
        planted.keys().collect::<Vec<_>>(),
        "the oracle plants exactly the buckets the cost model flags"
    );
    for (name, p) in &flagged {
        let entry = planted[name];
        let want = entry["expected_monthly_savings"].as_f64().expect("priced");
        assert!((p.savings - want).abs() < 0.005, "{name}: derived ${:.4}/month, oracle ${want:.4}", p.savings);
        assert_eq!(entry["expected_policy"].as_str(), Some(describe(p).as_str()), "{name}");
        let one_time = entry["expected_one_time_cost"].as_f64().expect("one-time cost");
        assert!(
            (p.one_time - one_time).abs() < 0.005,
            "{name}: derived ${:.4} one-time, oracle ${one_time:.4}",
            p.one_time
        );
        assert!(p.one_time / p.savings <= MAX_PAYBACK_MONTHS, "{name}");
    }

    // Hand checks (docs/storage.md's worked example):
    // acme-prod-logs: 5,618 GiB, 41,879,636 objects (140.7 KiB), +2 GiB a day, 2,103 GETs a month.
    // Glacier IR after 30 days: 60 GiB stay × $0.023 + 5,558 GiB × $0.004 = $23.61; GETs $0.021; retrieval
    // 0.28 GiB × $0.03 = $0.008; 453,500 new objects a month × $0.02/1000 = $9.07 → $32.71 vs $129.21: $96.50.
    let logs = &flagged["acme-prod-logs"];
    assert_eq!(describe(logs), "GLACIER_IR after 30 days");
    assert!((logs.savings - 96.50).abs() < 0.005 && (logs.one_time - 828.65).abs() < 0.005, "{logs:?}");
    // acme-staging-old-builds: 2,500 GiB of 1.3 M objects, never read: Deep Archive storage
    // 2,500 × $0.00099 + 1.3 M × 32 KiB × $0.00099 + 1.3 M × 8 KiB × $0.023 = $2.74; 180 and 365 days
    // tie (nothing is written), and the shorter delay wins.
    let builds = &flagged["acme-staging-old-builds"];
    assert_eq!(describe(builds), "DEEP_ARCHIVE after 180 days");
    assert!((builds.savings - 54.76).abs() < 0.005 && (builds.one_time - 65.0).abs() < 1e-6, "{builds:?}");
}

/// What a cleanup rule must conclude about a bucket.
#[derive(Debug, Clone, PartialEq)]
enum Cleanup {
    Flagged(f64),
    LeftAlone(&'static str),
}

#[test]
fn oracle_cleanup_rules_are_storage_lens_bytes_at_the_standard_rate() {
    let catalog = Catalog::load();
    let buckets = buckets(CLEANUP_LOOKBACK_DAYS);
    let oracle = oracle();
    let standard_list = catalog.get("s3.storage_gb_month", "standard_first_50tb");
    let lens = [
        "NonCurrentVersionStorageBytes",
        "IncompleteMultipartUploadStorageBytes",
        "IncompleteMPUStorageBytesOlderThan7Days",
    ];
    let lens_collected = buckets.iter().any(|b| lens.iter().any(|m| b.daily.contains_key(*m)));
    assert!(lens_collected, "the demo publishes Storage Lens metrics");
    let mut mpu = BTreeMap::new();
    let mut noncurrent = BTreeMap::new();
    for b in &buckets {
        let rules = lifecycle(&b.rules);
        let standard_rate = b.billed_standard_rate().unwrap_or(standard_list);
        // s3-incomplete-multipart-uploads: uploads started over 7 days ago × the Standard rate.
        let old = b.latest("IncompleteMPUStorageBytesOlderThan7Days").unwrap_or(0.0) / GIB;
        let verdict = if rules.aborts_multipart {
            Cleanup::LeftAlone("a rule aborts incomplete uploads")
        } else if old <= 0.0 {
            Cleanup::LeftAlone("no upload older than 7 days")
        } else if old * standard_rate < CLEANUP_MIN_MONTHLY_SAVINGS {
            Cleanup::LeftAlone("saves under $1")
        } else {
            Cleanup::Flagged(old * standard_rate)
        };
        mpu.insert(b.name.clone(), verdict);

        // s3-noncurrent-versions: versioned, over 10 % of the bytes, no noncurrent rule; the versions
        // older than 30 days (all minus the last 30 days' growth) × the Standard rate.
        let nc = b.latest("NonCurrentVersionStorageBytes").unwrap_or(0.0) / GIB;
        let all: f64 = b.bytes().values().sum::<f64>() / GIB;
        let standard = b.bytes().get("StandardStorage").copied().unwrap_or(0.0) / GIB;
        let recent = (b.slope_gib("NonCurrentVersionStorageBytes").max(0.0) * NONCURRENT_DAYS).min(nc);
        let verdict = if !matches!(b.versioning.as_deref(), Some("Enabled" | "Suspended")) {
            Cleanup::LeftAlone("not versioned")
        } else if rules.handles_noncurrent {
            Cleanup::LeftAlone("a rule handles noncurrent versions")
        } else if nc <= 0.0 {
            Cleanup::LeftAlone("no noncurrent versions")
        } else if nc / all <= NONCURRENT_SHARE {
            Cleanup::LeftAlone("noncurrent versions are at most 10 % of the bytes")
        } else {
            assert!(standard >= nc, "{}: the versions are priced at the Standard rate", b.name);
            let saving = (nc - recent) * standard_rate;
            if saving < CLEANUP_MIN_MONTHLY_SAVINGS {
                Cleanup::LeftAlone("saves under $1")
            } else {
                Cleanup::Flagged(saving)
            }
        };
        noncurrent.insert(b.name.clone(), verdict);
    }
    for (kind, derived) in [("s3-incomplete-multipart-uploads", &mpu), ("s3-noncurrent-versions", &noncurrent)] {
        let planted = entries(&oracle, kind);
        let flagged: BTreeMap<&String, f64> = derived
            .iter()
            .filter_map(|(name, v)| match v {
                Cleanup::Flagged(saving) => Some((name, *saving)),
                Cleanup::LeftAlone(_) => None,
            })
            .collect();
        assert_eq!(flagged.keys().copied().collect::<Vec<_>>(), planted.keys().collect::<Vec<_>>(), "{kind}");
        for (name, saving) in flagged {
            let want = planted[name]["expected_monthly_savings"].as_f64().unwrap();
            assert!((saving - want).abs() < 0.005, "{kind} {name}: derived ${saving:.4}/month, oracle ${want:.4}");
        }
    }
    // Hand checks: 320 GiB × $0.023 = $7.36; 350 GiB × $0.023 = $8.05 (flat series: no recent versions).
    assert!(matches!(mpu["acme-data-lake-curated"], Cleanup::Flagged(s) if (s - 320.0 * 0.023).abs() < 1e-9));
    assert!(matches!(noncurrent["acme-prod-uploads"], Cleanup::Flagged(s) if (s - 350.0 * 0.023).abs() < 1e-9));
    // The traps, and why.
    assert_eq!(mpu["acme-prod-assets"], Cleanup::LeftAlone("a rule aborts incomplete uploads"));
    assert!(
        buckets
            .iter()
            .any(|b| b.name == "acme-prod-assets" && b.latest("IncompleteMultipartUploadStorageBytes") > Some(0.0))
    );
    assert_eq!(noncurrent["acme-prod-backups"], Cleanup::LeftAlone("a rule handles noncurrent versions"));
    assert_eq!(
        noncurrent["acme-data-ml-datasets"],
        Cleanup::LeftAlone("noncurrent versions are at most 10 % of the bytes")
    );
    let notes: Vec<&str> = oracle["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    for (bucket, rule) in [
        ("acme-prod-assets", "s3-incomplete-multipart-uploads"),
        ("acme-prod-backups", "s3-noncurrent-versions"),
        ("acme-data-ml-datasets", "s3-noncurrent-versions"),
    ] {
        assert!(
            notes.iter().any(|n| n.starts_with(bucket) && n.contains(&format!("NOT an {rule} finding"))),
            "no oracle note says why {bucket} is not an {rule} finding"
        );
    }
}
