//! The S3 storage-class cost model: what a bucket's Standard data costs a
//! month if it stays put, and under each lifecycle policy costwise considers.
//!
//! Pure arithmetic over a [`Workload`] (what the bucket stores and how it is
//! read) and [`S3Rates`] (one region's prices and S3's class rules), so every
//! figure can be checked by hand; `docs/storage.md` walks through the
//! formulas and the tests in this module and in `tests/rules` do exactly
//! that.
//!
//! The model is a steady state of the bucket as it is today: the data in
//! Standard now, written at the observed rate, read at the observed rate,
//! with every object of the average size (bytes ÷ objects). It is
//! deliberately pessimistic where the inputs cannot tell: every observed read
//! is assumed to hit transitioned data (it pays the colder class's request and
//! retrieval fees), and data written in the last `after_days` days is assumed
//! to stay in Standard.

use serde::Serialize;

use crate::prices::{PriceBook, PriceSource, catalog};

/// GiB in one KiB.
pub const GIB_PER_KIB: f64 = 1.0 / (1024.0 * 1024.0);

/// A storage class a lifecycle rule can move Standard objects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetClass {
    /// S3 Intelligent-Tiering (Frequent, Infrequent and Archive Instant Access tiers).
    IntelligentTiering,
    /// S3 Standard-Infrequent Access.
    StandardIa,
    /// S3 Glacier Instant Retrieval.
    GlacierInstantRetrieval,
    /// S3 Glacier Flexible Retrieval: objects must be restored before reading.
    GlacierFlexibleRetrieval,
    /// S3 Glacier Deep Archive: objects must be restored (hours) before reading.
    DeepArchive,
}

impl TargetClass {
    /// Every class, cheapest access first.
    pub const ALL: [TargetClass; 5] = [
        TargetClass::IntelligentTiering,
        TargetClass::StandardIa,
        TargetClass::GlacierInstantRetrieval,
        TargetClass::GlacierFlexibleRetrieval,
        TargetClass::DeepArchive,
    ];

    /// The `StorageClass` value of the S3 API (`GLACIER_IR`).
    pub fn api_name(self) -> &'static str {
        match self {
            TargetClass::IntelligentTiering => "INTELLIGENT_TIERING",
            TargetClass::StandardIa => "STANDARD_IA",
            TargetClass::GlacierInstantRetrieval => "GLACIER_IR",
            TargetClass::GlacierFlexibleRetrieval => "GLACIER",
            TargetClass::DeepArchive => "DEEP_ARCHIVE",
        }
    }

    /// The class's name in AWS's documentation.
    pub fn label(self) -> &'static str {
        match self {
            TargetClass::IntelligentTiering => "Intelligent-Tiering",
            TargetClass::StandardIa => "Standard-IA",
            TargetClass::GlacierInstantRetrieval => "Glacier Instant Retrieval",
            TargetClass::GlacierFlexibleRetrieval => "Glacier Flexible Retrieval",
            TargetClass::DeepArchive => "Glacier Deep Archive",
        }
    }

    /// Whether objects must be restored before they can be read.
    pub fn is_archive(self) -> bool {
        matches!(self, TargetClass::GlacierFlexibleRetrieval | TargetClass::DeepArchive)
    }

    /// Its part of the price-list keys (`glacier_ir`).
    fn price_key(self) -> &'static str {
        match self {
            TargetClass::IntelligentTiering => "intelligent_tiering",
            TargetClass::StandardIa => "standard_ia",
            TargetClass::GlacierInstantRetrieval => "glacier_ir",
            TargetClass::GlacierFlexibleRetrieval => "glacier_flexible",
            TargetClass::DeepArchive => "deep_archive",
        }
    }
}

/// "Transition current versions to `class` `after_days` days after creation."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Policy {
    /// Destination class.
    pub class: TargetClass,
    /// Object age, in days, at which the transition happens.
    pub after_days: u32,
}

impl Policy {
    /// The policies costwise compares with staying put: S3's own shortest
    /// delays and one or two longer ones per class (Standard-IA needs 30
    /// days; the archive classes are only worth it for data kept long after).
    pub const CANDIDATES: [Policy; 10] = [
        Policy { class: TargetClass::IntelligentTiering, after_days: 0 },
        Policy { class: TargetClass::StandardIa, after_days: 30 },
        Policy { class: TargetClass::StandardIa, after_days: 60 },
        Policy { class: TargetClass::StandardIa, after_days: 90 },
        Policy { class: TargetClass::GlacierInstantRetrieval, after_days: 30 },
        Policy { class: TargetClass::GlacierInstantRetrieval, after_days: 90 },
        Policy { class: TargetClass::GlacierFlexibleRetrieval, after_days: 90 },
        Policy { class: TargetClass::GlacierFlexibleRetrieval, after_days: 180 },
        Policy { class: TargetClass::DeepArchive, after_days: 180 },
        Policy { class: TargetClass::DeepArchive, after_days: 365 },
    ];

    /// "Glacier Instant Retrieval after 30 days".
    pub fn describe(self) -> String {
        if self.after_days == 0 {
            format!("{} from day 0", self.class.label())
        } else {
            format!("{} after {} days", self.class.label(), self.after_days)
        }
    }
}

/// Age, in days, under which a census counts an object as written in the last month.
const CENSUS_NEW_OBJECT_DAYS: u32 = 30;

/// The Standard objects at least N days old, counted exactly from an S3 Inventory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AgeCut {
    /// Minimum age, days.
    pub days: u32,
    /// Objects at least `days` old.
    pub objects: f64,
    /// Their GiB.
    pub gib: f64,
    /// Of those, objects under 128 KiB.
    pub small_objects: f64,
    /// Their GiB.
    pub small_gib: f64,
}

/// Exact counts of a bucket's (or prefix's) current S3 Standard objects by age, from an S3 Inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Census {
    /// One cut per age in [`Census::CUT_DAYS`], in that order.
    pub cuts: Vec<AgeCut>,
}

impl Census {
    /// Ages the census is cut at: every candidate policy's delay and Intelligent-Tiering's tier boundaries.
    pub const CUT_DAYS: [u32; 6] = [0, 30, 60, 90, 180, 365];

    /// The objects at least `days` old, when the census is cut there.
    pub fn cut(&self, days: u32) -> Option<&AgeCut> {
        self.cuts.iter().find(|c| c.days == days)
    }
}

/// What a bucket keeps in S3 Standard and how it is used: the model's input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    /// GiB in S3 Standard now.
    pub standard_gib: f64,
    /// Objects in S3 Standard now (> 0).
    pub standard_objects: f64,
    /// GiB written to Standard per day (net growth plus what deletions replace).
    pub written_gib_per_day: f64,
    /// How long objects live, in days, when they are deleted (an expiration
    /// rule, or churn); `None` when they are kept.
    pub lifetime_days: Option<f64>,
    /// GET requests a month.
    pub gets_per_month: f64,
    /// GiB read a month.
    pub read_gib_per_month: f64,
    /// Exact object counts by age from an S3 Inventory; when present they
    /// replace the averages (object size, age from the write rate).
    pub census: Option<Census>,
}

impl Workload {
    /// Average object size, GiB.
    pub fn average_object_gib(&self) -> f64 {
        if self.standard_objects > 0.0 { self.standard_gib / self.standard_objects } else { 0.0 }
    }

    /// Average object size, KiB.
    pub fn average_object_kib(&self) -> f64 {
        self.average_object_gib() / GIB_PER_KIB
    }

    /// Objects written a month.
    fn objects_written_per_month(&self, days_per_month: f64) -> f64 {
        let size = self.average_object_gib();
        if size > 0.0 { self.written_gib_per_day * days_per_month / size } else { 0.0 }
    }

    /// GiB younger than `days` (still in Standard under a policy with that delay).
    fn younger_than(&self, days: f64) -> f64 {
        let by_lifetime = self.lifetime_days.map_or(0.0, |lifetime| {
            if lifetime <= days { self.standard_gib } else { self.standard_gib * days / lifetime }
        });
        (self.written_gib_per_day * days).max(by_lifetime).min(self.standard_gib)
    }
}

/// Prices and rules of one storage class in one region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassRates {
    /// Storage, $/GiB-month.
    pub storage_gib_month: f64,
    /// GET requests, $ per 1,000.
    pub get_per_1000: f64,
    /// Retrieval, $/GiB read (restore for the archive classes).
    pub retrieval_gib: f64,
    /// Restore requests, $ per 1,000 (archive classes only).
    pub restore_per_1000: f64,
    /// Lifecycle transition into the class, $ per 1,000 objects.
    pub transition_per_1000: f64,
    /// Minimum storage duration, days (deleting earlier bills the rest).
    pub min_storage_days: f64,
    /// Minimum billable object size, KiB (0 when none).
    pub min_billable_kib: f64,
}

/// Everything the model multiplies by, for one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct S3Rates {
    /// Days in the month the model prices (hours per month ÷ 24).
    pub days_per_month: f64,
    /// S3 Standard storage, $/GiB-month.
    pub standard_gib_month: f64,
    /// S3 Standard GET requests, $ per 1,000.
    pub standard_get_per_1000: f64,
    /// Standard-IA.
    pub standard_ia: ClassRates,
    /// Glacier Instant Retrieval.
    pub glacier_ir: ClassRates,
    /// Glacier Flexible Retrieval.
    pub glacier_flexible: ClassRates,
    /// Glacier Deep Archive.
    pub deep_archive: ClassRates,
    /// Intelligent-Tiering as a transition target (its Frequent tier's rates).
    pub intelligent_tiering: ClassRates,
    /// Intelligent-Tiering Infrequent Access tier, $/GiB-month.
    pub it_infrequent_gib_month: f64,
    /// Intelligent-Tiering Archive Instant Access tier, $/GiB-month.
    pub it_archive_instant_gib_month: f64,
    /// Intelligent-Tiering monitoring, $ per 1,000 objects a month (objects ≥ 128 KiB).
    pub it_monitoring_per_1000: f64,
    /// Days without access before Intelligent-Tiering moves an object to Infrequent Access.
    pub it_infrequent_after_days: f64,
    /// Days without access before Intelligent-Tiering moves an object to Archive Instant Access.
    pub it_archive_instant_after_days: f64,
    /// Objects smaller than this (KiB) are not monitored by Intelligent-Tiering
    /// and not transitioned by S3 lifecycle's default size filter.
    pub small_object_kib: f64,
    /// Per-object archive metadata billed at the Standard rate, KiB.
    pub archive_overhead_standard_kib: f64,
    /// Per-object archive metadata billed at the archive class's rate, KiB.
    pub archive_overhead_archive_kib: f64,
    /// The weakest source among the prices used.
    pub source: PriceSource,
}

impl S3Rates {
    /// The price book's rates for `region`, or the first key it lacks.
    ///
    /// Class rules (minimum durations and sizes, archive overhead) are S3's,
    /// the same in every region: they come from the catalog unscaled.
    pub fn for_region(prices: &PriceBook, region: &str) -> Result<Self, String> {
        let mut source: Option<PriceSource> = None;
        let mut price = |key: &str| -> Result<f64, String> {
            let p = prices.list_price(region, key).ok_or_else(|| format!("no price for `{key}` in {region}"))?;
            source = Some(match source.take() {
                Some(s) => s.weakest(p.source),
                None => p.source,
            });
            Ok(p.value)
        };
        let rule = |key: &str| catalog().list_prices.get(&format!("s3.rules.{key}")).copied();
        let mut class = |class: TargetClass| -> Result<ClassRates, String> {
            let key = class.price_key();
            let storage = if class == TargetClass::IntelligentTiering { "intelligent_tiering_frequent" } else { key };
            let retrieval = match class {
                TargetClass::IntelligentTiering => None,
                TargetClass::GlacierFlexibleRetrieval | TargetClass::DeepArchive => {
                    Some(format!("s3.other.retrieval_{key}_standard_gb"))
                }
                _ => Some(format!("s3.other.retrieval_{key}_gb")),
            };
            let get = match class {
                // Restored archive objects are read at the Standard GET price.
                TargetClass::GlacierFlexibleRetrieval | TargetClass::DeepArchive => {
                    "s3.requests_per_1000.standard_get".to_owned()
                }
                _ => format!("s3.requests_per_1000.{key}_get"),
            };
            Ok(ClassRates {
                storage_gib_month: price(&format!("s3.storage_gb_month.{storage}"))?,
                get_per_1000: price(&get)?,
                retrieval_gib: retrieval.map(|k| price(&k)).transpose()?.unwrap_or(0.0),
                restore_per_1000: if class.is_archive() {
                    price(&format!("s3.other.restore_requests_{key}_standard_per_1000"))?
                } else {
                    0.0
                },
                transition_per_1000: price(&format!("s3.requests_per_1000.transition_to_{key}"))?,
                min_storage_days: rule(&format!("min_storage_days.{key}")).unwrap_or(0.0),
                min_billable_kib: rule(&format!("min_billable_object_kb.{key}")).unwrap_or(0.0),
            })
        };
        let standard_ia = class(TargetClass::StandardIa)?;
        let glacier_ir = class(TargetClass::GlacierInstantRetrieval)?;
        let glacier_flexible = class(TargetClass::GlacierFlexibleRetrieval)?;
        let deep_archive = class(TargetClass::DeepArchive)?;
        let intelligent_tiering = class(TargetClass::IntelligentTiering)?;
        let rates = Self {
            days_per_month: prices.hours_per_month() / 24.0,
            standard_gib_month: price("s3.storage_gb_month.standard_first_50tb")?,
            standard_get_per_1000: price("s3.requests_per_1000.standard_get")?,
            standard_ia,
            glacier_ir,
            glacier_flexible,
            deep_archive,
            intelligent_tiering,
            it_infrequent_gib_month: price("s3.storage_gb_month.intelligent_tiering_infrequent")?,
            it_archive_instant_gib_month: price("s3.storage_gb_month.intelligent_tiering_archive_instant")?,
            it_monitoring_per_1000: price("s3.other.intelligent_tiering_monitoring_per_1000_objects_month")?,
            it_infrequent_after_days: rule("intelligent_tiering_days.infrequent").unwrap_or(30.0),
            it_archive_instant_after_days: rule("intelligent_tiering_days.archive_instant").unwrap_or(90.0),
            small_object_kib: 128.0,
            archive_overhead_standard_kib: rule("archive_overhead_kb_per_object.standard_billed").unwrap_or(8.0),
            archive_overhead_archive_kib: rule("archive_overhead_kb_per_object.archive_billed").unwrap_or(32.0),
            source: source.unwrap_or_else(|| PriceSource::billed("no prices")),
        };
        Ok(rates)
    }

    /// The rates of a transition target.
    pub fn class(&self, class: TargetClass) -> &ClassRates {
        match class {
            TargetClass::IntelligentTiering => &self.intelligent_tiering,
            TargetClass::StandardIa => &self.standard_ia,
            TargetClass::GlacierInstantRetrieval => &self.glacier_ir,
            TargetClass::GlacierFlexibleRetrieval => &self.glacier_flexible,
            TargetClass::DeepArchive => &self.deep_archive,
        }
    }
}

/// A month's cost, itemized (USD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MonthlyCost {
    /// Storage, including minimum billable sizes and archive metadata.
    pub storage: f64,
    /// GET (and restore) requests.
    pub requests: f64,
    /// Retrieval (or restore) per GiB read.
    pub retrieval: f64,
    /// Lifecycle transitions of newly written objects as they age into the class.
    pub transitions: f64,
    /// Intelligent-Tiering monitoring.
    pub monitoring: f64,
    /// Minimum storage duration charges for objects deleted early (part of what
    /// storage would otherwise be).
    pub early_delete: f64,
}

impl MonthlyCost {
    /// The month's total.
    pub fn total(&self) -> f64 {
        self.storage + self.requests + self.retrieval + self.transitions + self.monitoring + self.early_delete
    }
}

/// One policy, priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The policy.
    pub policy: Policy,
    /// Steady-state monthly cost under the policy.
    pub monthly: MonthlyCost,
    /// Monthly savings against staying put (negative when the policy costs more).
    pub monthly_savings: f64,
    /// Transitioning today's objects older than the delay, once (USD).
    pub one_time_cost: f64,
    /// Months until the savings repay the one-time cost; `None` when they never do.
    pub payback_months: Option<f64>,
    /// GiB in the target class at steady state.
    pub transitioned_gib: f64,
    /// Objects in the target class at steady state.
    pub transitioned_objects: f64,
    /// Why the policy moves nothing or cannot work, when that is the case.
    pub blocked: Option<String>,
}

/// What the Standard data costs a month if nothing changes.
pub fn stay(workload: &Workload, rates: &S3Rates) -> MonthlyCost {
    MonthlyCost {
        storage: workload.standard_gib * rates.standard_gib_month,
        requests: workload.gets_per_month * rates.standard_get_per_1000 / 1000.0,
        ..MonthlyCost::default()
    }
}

/// Prices `policy` for `workload`.
pub fn evaluate(workload: &Workload, rates: &S3Rates, policy: Policy) -> Outcome {
    let now = stay(workload, rates);
    let unchanged = |reason: String| Outcome {
        policy,
        monthly: now,
        monthly_savings: 0.0,
        one_time_cost: 0.0,
        payback_months: None,
        transitioned_gib: 0.0,
        transitioned_objects: 0.0,
        blocked: Some(reason),
    };
    if workload.standard_objects <= 0.0 || workload.standard_gib <= 0.0 {
        return unchanged("the bucket keeps nothing in S3 Standard".into());
    }
    let after = f64::from(policy.after_days);
    if let Some(lifetime) = workload.lifetime_days
        && lifetime <= after
    {
        return unchanged(format!(
            "objects are deleted after about {lifetime:.0} days, before they are {after:.0} days old"
        ));
    }
    let movement = movement(workload, rates, policy);
    if movement.objects <= 0.0 {
        let object_kib = workload.average_object_kib();
        let reason = if movement.all_small {
            format!(
                "objects average {object_kib:.0} KiB: S3 does not move objects under {:.0} KiB to this class by default, and Intelligent-Tiering does not monitor them",
                rates.small_object_kib
            )
        } else {
            format!("no object in S3 Standard is {after:.0} days old or older")
        };
        return unchanged(reason);
    }
    let monthly = if policy.class == TargetClass::IntelligentTiering {
        intelligent_tiering(workload, rates, &movement)
    } else {
        colder_class(workload, rates, policy, &movement)
    };
    let one_time_cost = movement.objects * rates.class(policy.class).transition_per_1000 / 1000.0;
    let monthly_savings = now.total() - monthly.total();
    Outcome {
        policy,
        monthly,
        monthly_savings,
        one_time_cost,
        payback_months: (monthly_savings > 0.0).then(|| one_time_cost / monthly_savings),
        transitioned_gib: movement.gib,
        transitioned_objects: movement.objects,
        blocked: None,
    }
}

/// What a policy moves out of S3 Standard today, and how many new objects follow each month.
#[derive(Debug, Clone, Copy, Default)]
struct Movement {
    /// GiB moved.
    gib: f64,
    /// Objects moved.
    objects: f64,
    /// GiB the class bills for them (minimum object sizes applied; archive metadata not included).
    billable_gib: f64,
    /// Objects that age into the class each month.
    new_objects_per_month: f64,
    /// Nothing moves because every object is under the 128 KiB lifecycle / monitoring floor.
    all_small: bool,
}

/// The objects `policy` moves: exact from an inventory census, else from the
/// averages (every object of the average size, data younger than the delay in Standard).
fn movement(workload: &Workload, rates: &S3Rates, policy: Policy) -> Movement {
    let class = rates.class(policy.class);
    let small_floor = rates.small_object_kib * GIB_PER_KIB;
    // Standard-IA, Glacier IR and Intelligent-Tiering never take objects under 128 KiB
    // (S3's default lifecycle size filter; Intelligent-Tiering does not monitor them);
    // the archive classes take them with `TransitionDefaultMinimumObjectSize` set.
    let skips_small = !policy.class.is_archive();
    let per_month = rates.days_per_month;
    if let Some(census) = &workload.census {
        let (Some(older), Some(all), Some(month)) =
            (census.cut(policy.after_days), census.cut(0), census.cut(CENSUS_NEW_OBJECT_DAYS))
        else {
            return Movement::default();
        };
        let (gib, objects) = if skips_small {
            (older.gib - older.small_gib, older.objects - older.small_objects)
        } else {
            (older.gib, older.objects)
        };
        let new_objects = if skips_small {
            (all.objects - all.small_objects) - (month.objects - month.small_objects)
        } else {
            all.objects - month.objects
        };
        return Movement {
            gib,
            objects,
            billable_gib: gib,
            new_objects_per_month: new_objects * per_month / f64::from(CENSUS_NEW_OBJECT_DAYS),
            all_small: skips_small && all.objects > 0.0 && all.objects == all.small_objects,
        };
    }
    let object_gib = workload.average_object_gib();
    let small = object_gib < small_floor;
    if policy.class == TargetClass::IntelligentTiering && small {
        return Movement { all_small: true, ..Movement::default() };
    }
    let gib = workload.standard_gib - workload.younger_than(f64::from(policy.after_days));
    let objects = gib / object_gib;
    Movement {
        gib,
        objects,
        billable_gib: objects * object_gib.max(class.min_billable_kib * GIB_PER_KIB),
        new_objects_per_month: if gib > 0.0 { workload.objects_written_per_month(per_month) } else { 0.0 },
        all_small: false,
    }
}

/// Standard-IA, Glacier Instant Retrieval, Glacier Flexible Retrieval or Deep Archive after N days.
fn colder_class(workload: &Workload, rates: &S3Rates, policy: Policy, moved: &Movement) -> MonthlyCost {
    let class = rates.class(policy.class);
    let after = f64::from(policy.after_days);
    let stays = workload.standard_gib - moved.gib;
    // What the class bills: the minimum object size, or the archive metadata.
    let (cold_gib, standard_gib) = if policy.class.is_archive() {
        (
            moved.gib + moved.objects * rates.archive_overhead_archive_kib * GIB_PER_KIB,
            stays + moved.objects * rates.archive_overhead_standard_kib * GIB_PER_KIB,
        )
    } else {
        (moved.billable_gib, stays)
    };
    // Objects deleted before the minimum duration are billed for the rest of it.
    let early_factor = match workload.lifetime_days {
        Some(lifetime) if lifetime - after < class.min_storage_days => class.min_storage_days / (lifetime - after),
        _ => 1.0,
    };
    let cold_storage = cold_gib * class.storage_gib_month;
    let reads = workload.gets_per_month;
    MonthlyCost {
        storage: standard_gib * rates.standard_gib_month + cold_storage,
        // Every read is assumed to hit moved data.
        requests: reads * (class.get_per_1000 + class.restore_per_1000) / 1000.0,
        retrieval: workload.read_gib_per_month * class.retrieval_gib,
        transitions: moved.new_objects_per_month * class.transition_per_1000 / 1000.0,
        monitoring: 0.0,
        early_delete: cold_storage * (early_factor - 1.0),
    }
}

/// Intelligent-Tiering from day 0 (objects ≥ 128 KiB): data read in the last
/// month and data younger than 30 days sits in Frequent Access, 30–90 days
/// in Infrequent Access, older in Archive Instant Access; objects under
/// 128 KiB stay in Frequent Access unmonitored.
fn intelligent_tiering(workload: &Workload, rates: &S3Rates, moved: &Movement) -> MonthlyCost {
    let infrequent_after = rates.it_infrequent_after_days;
    let archive_after = rates.it_archive_instant_after_days;
    // GiB of monitored objects at least `days` old.
    let aged = |days: f64| -> f64 {
        match &workload.census {
            Some(census) => {
                // Census cuts exist for the tier boundaries (30 and 90 days).
                census.cut(days as u32).map_or(0.0, |c| c.gib - c.small_gib)
            }
            None => moved.gib - workload.younger_than(days).min(moved.gib),
        }
    };
    let monitored = moved.gib;
    let unmonitored = workload.standard_gib - monitored;
    let read = workload.read_gib_per_month;
    // Reads are assumed to hit the oldest data (pessimistic): it stays in Frequent Access.
    let infrequent_or_colder = (aged(infrequent_after) - read).max(0.0);
    let archive_instant = (aged(archive_after) - read).max(0.0);
    let infrequent = infrequent_or_colder - archive_instant;
    let frequent = monitored - infrequent - archive_instant + unmonitored;
    let class = &rates.intelligent_tiering;
    MonthlyCost {
        storage: frequent * class.storage_gib_month
            + infrequent * rates.it_infrequent_gib_month
            + archive_instant * rates.it_archive_instant_gib_month,
        requests: workload.gets_per_month * class.get_per_1000 / 1000.0,
        retrieval: 0.0,
        transitions: moved.new_objects_per_month * class.transition_per_1000 / 1000.0,
        monitoring: moved.objects * rates.it_monitoring_per_1000 / 1000.0,
        early_delete: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> S3Rates {
        S3Rates::for_region(&PriceBook::catalog_only(), "us-east-1").expect("catalog has every S3 price")
    }

    fn cold(gib: f64, objects: f64) -> Workload {
        Workload {
            standard_gib: gib,
            standard_objects: objects,
            written_gib_per_day: 0.0,
            lifetime_days: None,
            gets_per_month: 0.0,
            read_gib_per_month: 0.0,
            census: None,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn catalog_rates_are_the_price_list() {
        let r = rates();
        close(r.standard_gib_month, 0.023);
        close(r.standard_ia.storage_gib_month, 0.0125);
        close(r.standard_ia.min_billable_kib, 128.0);
        close(r.glacier_ir.min_storage_days, 90.0);
        close(r.glacier_flexible.transition_per_1000, 0.03);
        close(r.deep_archive.restore_per_1000, 0.10);
        close(r.deep_archive.retrieval_gib, 0.02);
        close(r.deep_archive.min_storage_days, 180.0);
        close(r.it_monitoring_per_1000, 0.0025);
        close(r.archive_overhead_archive_kib, 32.0);
        close(r.days_per_month, 730.0 / 24.0);
    }

    #[test]
    fn standard_ia_on_idle_one_mib_objects() {
        // 1,000 GiB in 1,024,000 objects of 1 MiB, nothing read or written.
        let w = cold(1000.0, 1_024_000.0);
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::StandardIa, after_days: 30 });
        close(o.monthly.storage, 1000.0 * 0.0125);
        close(o.monthly_savings, 1000.0 * (0.023 - 0.0125));
        close(o.one_time_cost, 1_024_000.0 * 0.01 / 1000.0);
        close(o.payback_months.unwrap(), 10.24 / 10.5);
    }

    #[test]
    fn small_objects_pay_the_128_kib_minimum_and_ia_loses() {
        // 64 KiB objects: Standard-IA bills 128 KiB each, 2 × 0.0125 > 0.023.
        let objects = 1000.0 / (64.0 * GIB_PER_KIB);
        let o = evaluate(&cold(1000.0, objects), &rates(), Policy { class: TargetClass::StandardIa, after_days: 30 });
        close(o.monthly.storage, 2000.0 * 0.0125);
        assert!(o.monthly_savings < 0.0);
    }

    #[test]
    fn archive_metadata_overhead_is_billed() {
        // 40 KiB objects to Deep Archive: 32 KiB at the archive rate, 8 KiB at Standard.
        let objects = 100.0 / (40.0 * GIB_PER_KIB);
        let o = evaluate(&cold(100.0, objects), &rates(), Policy { class: TargetClass::DeepArchive, after_days: 180 });
        let archive = (100.0 + 80.0) * 0.00099;
        let standard = 20.0 * 0.023;
        close(o.monthly.storage, archive + standard);
    }

    #[test]
    fn reads_pay_retrieval_and_restores() {
        let mut w = cold(1000.0, 1_024_000.0);
        w.gets_per_month = 10_000.0;
        w.read_gib_per_month = 50.0;
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::GlacierInstantRetrieval, after_days: 90 });
        close(o.monthly.requests, 10.0 * 0.01);
        close(o.monthly.retrieval, 50.0 * 0.03);
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::DeepArchive, after_days: 180 });
        close(o.monthly.requests, 10.0 * (0.0004 + 0.10));
        close(o.monthly.retrieval, 50.0 * 0.02);
    }

    #[test]
    fn deleted_before_the_minimum_duration_pays_the_rest() {
        // Objects expire at 100 days: Glacier IR after 30 keeps each for 70 of its 90 minimum days.
        let mut w = cold(1000.0, 1_024_000.0);
        w.lifetime_days = Some(100.0);
        w.written_gib_per_day = 10.0;
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::GlacierInstantRetrieval, after_days: 30 });
        let moved = 1000.0 - 300.0;
        close(o.transitioned_gib, moved);
        close(o.monthly.early_delete, moved * 0.004 * (90.0 / 70.0 - 1.0));
        // Expiring before the delay: nothing moves.
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::DeepArchive, after_days: 180 });
        assert!(o.blocked.is_some());
        close(o.monthly_savings, 0.0);
    }

    #[test]
    fn intelligent_tiering_monitoring_can_exceed_the_saving() {
        // 10 TiB of 128 KiB objects read fully every month: all Frequent, monitoring only adds cost.
        let objects = 10_240.0 / (128.0 * GIB_PER_KIB);
        let mut w = cold(10_240.0, objects);
        w.read_gib_per_month = 10_240.0;
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::IntelligentTiering, after_days: 0 });
        close(o.monthly.storage, 10_240.0 * 0.023);
        close(o.monthly.monitoring, objects * 0.0025 / 1000.0);
        assert!(o.monthly_savings < 0.0);
        // Small objects are never monitored or moved.
        let tiny = cold(100.0, 100.0 / (16.0 * GIB_PER_KIB));
        assert!(
            evaluate(&tiny, &rates(), Policy { class: TargetClass::IntelligentTiering, after_days: 0 })
                .blocked
                .is_some()
        );
    }

    #[test]
    fn intelligent_tiering_tiers_by_age() {
        // 1 GiB/day written, kept: 30 GiB Frequent, 60 GiB Infrequent, the rest Archive Instant.
        let mut w = cold(1000.0, 1_024_000.0);
        w.written_gib_per_day = 1.0;
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::IntelligentTiering, after_days: 0 });
        close(o.monthly.storage, 30.0 * 0.023 + 60.0 * 0.0125 + 910.0 * 0.004);
        close(o.monthly.transitions, 1024.0 * 730.0 / 24.0 * 0.01 / 1000.0);
        close(o.one_time_cost, 1_024_000.0 * 0.01 / 1000.0);
    }

    #[test]
    fn written_data_stays_in_standard_until_it_ages() {
        let mut w = cold(1000.0, 1_024_000.0);
        w.written_gib_per_day = 5.0;
        let o = evaluate(&w, &rates(), Policy { class: TargetClass::StandardIa, after_days: 60 });
        close(o.transitioned_gib, 700.0);
        close(o.monthly.storage, 300.0 * 0.023 + 700.0 * 0.0125);
        // Each object written ages into Standard-IA once: 5 GiB/day of 1 MiB objects.
        close(o.monthly.transitions, 5.0 * 1024.0 * 730.0 / 24.0 * 0.01 / 1000.0);
    }
}
