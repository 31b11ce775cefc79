//! Running every rule over a dataset and totalling the result honestly.
//!
//! Three promises live here rather than in each rule: a failing rule is
//! reported and the rest still run; exclusions apply to every rule alike and
//! an exclusion that matches nothing is reported (it is probably a typo); and
//! the headline total never counts two savings on the same resource.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::billed::BilledCosts;
use crate::config::{Config, Exclusions};
use crate::error::Result;
use crate::finding::{Category, Finding};
use crate::ingest::cost_explorer::COST_AND_USAGE_COMMAND;
use crate::manifest::{Account, DataGap, Manifest, Period, TableStatus};
use crate::prices::{CATALOG_AS_OF, CATALOG_REGION, PriceBook, PriceListCache};
use crate::rules::{Context, NotEnoughData, RuleError, RuleSpec, registry};
use crate::spend::SpendOverview;
use crate::{Dataset, Table};

/// Everything a report needs.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The moment the data describes (end of the snapshot period).
    pub as_of: NaiveDateTime,
    /// What the data covers.
    pub coverage: Coverage,
    /// Headline numbers.
    pub totals: Totals,
    /// Spend overview, when billing data is present and the rule ran.
    pub spend: Option<SpendOverview>,
    /// Findings, biggest savings first.
    pub findings: Vec<Finding>,
    /// Findings left out of the total because another finding on the same resource saves more.
    pub overlaps: Vec<Overlap>,
    /// One entry per registered rule.
    pub rules: Vec<RuleRun>,
    /// What each exclusion matched.
    pub exclusions: Vec<ExclusionReport>,
    /// Rule failures (also in `rules`).
    pub errors: Vec<RuleError>,
    /// Resources rules could not judge for lack of data, by rule.
    pub not_enough_data: Vec<SkippedResource>,
}

/// A resource one rule skipped for lack of data.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedResource {
    /// The rule.
    pub rule: String,
    /// The resource and what was missing.
    #[serde(flatten)]
    pub skipped: NotEnoughData,
}

/// What the snapshot covers.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Regions.
    pub regions: Vec<String>,
    /// Billing/metrics period.
    pub period: Period,
    /// Currency.
    pub currency: String,
    /// Tables present, with row counts.
    pub tables: BTreeMap<Table, u64>,
    /// Tables absent, with reasons.
    pub missing_tables: BTreeMap<Table, String>,
    /// Known holes.
    pub data_gaps: Vec<DataGap>,
    /// What the kind of data read cannot support, so what the findings leave out (billing from Cost Explorer
    /// has no line items); empty when nothing limits them.
    pub limitations: Vec<String>,
    /// Where default prices come from.
    pub price_catalog: String,
}

/// The headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Monthly savings of all counted findings (no resource counted twice).
    pub monthly_savings: f64,
    /// Monthly spend run rate (0 without billing data).
    pub monthly_spend: f64,
    /// Savings as a share of spend, percent; null without billing data.
    pub savings_pct: Option<f64>,
    /// Counted savings by category.
    pub by_category: BTreeMap<Category, f64>,
    /// Number of findings.
    pub findings: usize,
}

/// A finding left out of the total.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    /// Account of the shared resource.
    pub account_id: String,
    /// Resource of the finding not counted.
    pub resource_id: String,
    /// Rule whose finding is counted.
    pub counted_rule: String,
    /// Resource of the counted finding (differs when the counted finding covers this one's resource).
    pub counted_resource_id: String,
    /// Rule whose finding is not counted.
    pub skipped_rule: String,
    /// The savings not counted.
    pub skipped_savings: f64,
}

/// How one rule's run went.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRun {
    /// Rule id.
    pub id: String,
    /// Category.
    pub category: Category,
    /// One-line summary.
    pub summary: String,
    /// Outcome.
    pub status: RuleStatus,
    /// Findings after exclusions.
    pub findings: usize,
    /// Their savings (before de-duplication).
    pub monthly_savings: f64,
    /// The part of those savings counted in the headline (after de-duplication).
    pub counted_monthly_savings: f64,
    /// Resources it could not judge for lack of data.
    pub not_enough_data: usize,
    /// The settings it ran with.
    pub settings: serde_json::Value,
}

/// Outcome of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "message")]
pub enum RuleStatus {
    /// Ran.
    Ok,
    /// Switched off in the config.
    Disabled,
    /// Failed; see the message.
    Failed(String),
}

/// What one exclusion matched.
#[derive(Debug, Clone, Serialize)]
pub struct ExclusionReport {
    /// `tag`, `resource` or `account`.
    pub kind: String,
    /// The exclusion as written.
    pub value: String,
    /// Findings it removed.
    pub matched_findings: usize,
    /// Whether anything in the snapshot matches it at all; false usually means a typo.
    pub matches_snapshot: bool,
}

impl Analysis {
    /// Whether each finding counts toward the headline: false for the findings left out as overlaps.
    pub fn counted(&self) -> Vec<bool> {
        let skipped: std::collections::HashSet<(&str, &str, &str)> = self
            .overlaps
            .iter()
            .map(|o| (o.account_id.as_str(), o.resource_id.as_str(), o.skipped_rule.as_str()))
            .collect();
        self.findings
            .iter()
            .map(|f| !skipped.contains(&(f.account_id.as_str(), f.resource_id.as_str(), f.rule.as_str())))
            .collect()
    }
}

/// Runs every enabled rule over `dataset` with `config`.
///
/// Fails only when the price book cannot be built; a rule's failure is
/// recorded in [`Analysis::errors`] and the others still run.
pub fn analyze(dataset: &Dataset, config: &Config) -> Result<Analysis> {
    analyze_with(dataset, config, registry())
}

fn analyze_with(dataset: &Dataset, config: &Config, rule_specs: &[RuleSpec]) -> Result<Analysis> {
    let mut prices = PriceBook::for_dataset(dataset, config.prices.clone())?;
    if let Some(price_list) = &config.price_list {
        prices = prices.with_price_list(PriceListCache::load(&price_list.cache)?);
    }
    let billed = BilledCosts::load(dataset, prices.hours_per_month())?;
    let ctx = Context { dataset, prices: &prices, billed: &billed };

    let outcomes: Vec<_> = rule_specs
        .par_iter()
        .map(|spec| {
            if config.disabled_rules.contains(spec.id) {
                return (spec, serde_json::Value::Null, Ok(None));
            }
            match spec.configure(config.rule_options.get(spec.id)) {
                Err(e) => (spec, serde_json::Value::Null, Err(format!("invalid settings: {e}"))),
                Ok(rule) => {
                    let settings = rule.settings_json();
                    let started = std::time::Instant::now();
                    // A panic in one rule is a bug, but it must not take the report down with it.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rule.check(&ctx)));
                    tracing::debug!(rule = spec.id, elapsed_ms = started.elapsed().as_millis(), "rule finished");
                    let result = match result {
                        Ok(Ok(output)) => Ok(Some(output)),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(panic) => Err(format!("panicked: {}", panic_message(&*panic))),
                    };
                    (spec, settings, result)
                }
            }
        })
        .collect();

    let mut findings = Vec::new();
    let mut spend = None;
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut not_enough_data = Vec::new();
    let mut exclusion_hits = vec![0usize; exclusion_count(&config.exclusions)];
    for (spec, settings, result) in outcomes {
        let mut run = RuleRun {
            id: spec.id.to_owned(),
            category: spec.category,
            summary: spec.summary().to_owned(),
            status: RuleStatus::Ok,
            findings: 0,
            monthly_savings: 0.0,
            counted_monthly_savings: 0.0,
            not_enough_data: 0,
            settings,
        };
        match result {
            Ok(None) => run.status = RuleStatus::Disabled,
            Ok(Some(output)) => {
                if output.spend.is_some() {
                    spend = output.spend;
                }
                for finding in output.findings {
                    if let Some(index) = matching_exclusion(&config.exclusions, &finding) {
                        exclusion_hits[index] += 1;
                    } else {
                        run.findings += 1;
                        run.monthly_savings += finding.monthly_savings;
                        findings.push(finding);
                    }
                }
                for skipped in output.not_enough_data {
                    let excluded = config.exclusions.resources.contains(&skipped.resource_id)
                        || config.exclusions.accounts.contains(&skipped.account_id);
                    if !excluded {
                        run.not_enough_data += 1;
                        not_enough_data.push(SkippedResource { rule: spec.id.to_owned(), skipped });
                    }
                }
            }
            Err(message) => {
                tracing::warn!(rule = spec.id, %message, "rule failed");
                errors.push(RuleError { rule: spec.id.to_owned(), message: message.clone() });
                run.status = RuleStatus::Failed(message);
            }
        }
        rules.push(run);
    }

    findings.sort_by(|a, b| {
        b.monthly_savings
            .total_cmp(&a.monthly_savings)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.account_id.cmp(&b.account_id))
            .then_with(|| a.resource_id.cmp(&b.resource_id))
    });
    let (counted, overlaps) = deduplicate(&findings);
    let mut by_category = BTreeMap::new();
    let mut monthly_savings = 0.0;
    for (finding, counted) in findings.iter().zip(&counted) {
        if *counted {
            if let Some(run) = rules.iter_mut().find(|r| r.id == finding.rule) {
                run.counted_monthly_savings += finding.monthly_savings;
            }
            monthly_savings += finding.monthly_savings;
            *by_category.entry(finding.category).or_insert(0.0) += finding.monthly_savings;
        }
    }
    let monthly_spend = spend.as_ref().map_or(0.0, |s: &SpendOverview| s.monthly_run_rate);
    let exclusions = exclusion_reports(dataset, &config.exclusions, &exclusion_hits)?;
    let manifest = dataset.manifest();
    let (tables, missing_tables) = table_coverage(manifest);

    Ok(Analysis {
        as_of: dataset.as_of(),
        coverage: Coverage {
            accounts: manifest.accounts.clone(),
            regions: manifest.regions.clone(),
            period: manifest.period,
            currency: manifest.currency.clone(),
            tables,
            missing_tables,
            data_gaps: manifest.data_gaps.clone(),
            limitations: limitations(manifest),
            price_catalog: match prices.price_list() {
                Some(cache) => format!(
                    "AWS Price List API rates for {} (fetched {}), then {CATALOG_REGION} list prices ({CATALOG_AS_OF}), \
                     bundled",
                    cache.regions.keys().cloned().collect::<Vec<_>>().join(", "),
                    cache.fetched_at.date()
                ),
                None => format!("{CATALOG_REGION} list prices ({CATALOG_AS_OF}), bundled"),
            },
        },
        totals: Totals {
            monthly_savings,
            monthly_spend,
            savings_pct: (monthly_spend > 0.0).then(|| monthly_savings / monthly_spend * 100.0),
            by_category,
            findings: findings.len(),
        },
        spend,
        findings,
        overlaps,
        rules,
        exclusions,
        errors,
        not_enough_data,
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// What the inputs' kinds cannot support. Billing read from Cost Explorer is cost per day, service, account and
/// region: enough for the spend overview, not for a resource's billed cost or commitment usage.
fn limitations(manifest: &Manifest) -> Vec<String> {
    let from_cost_explorer = manifest.source.inputs.iter().any(|i| i.format == COST_AND_USAGE_COMMAND);
    if from_cost_explorer
        && manifest.tables.get(&Table::Costs).is_some_and(|s| matches!(s, TableStatus::Present { .. }))
    {
        vec![
            "Billing comes from Cost Explorer (daily cost by service, account and region), not a Cost and Usage \
             Report: resource-level findings are limited. Findings are priced at list prices, not at what each \
             resource was billed, and reserved-instance and savings-plan usage cannot be measured, so commitment \
             purchases and underused commitments are not assessed. Configure the CUR 2.0 export (`costwise \
             collect --cur s3://bucket/prefix`) for the full analysis."
                .to_owned(),
        ]
    } else {
        Vec::new()
    }
}

fn table_coverage(manifest: &Manifest) -> (BTreeMap<Table, u64>, BTreeMap<Table, String>) {
    let mut present = BTreeMap::new();
    let mut absent = BTreeMap::new();
    for (table, status) in &manifest.tables {
        match status {
            TableStatus::Present { rows } => {
                present.insert(*table, *rows);
            }
            TableStatus::Absent { reason } => {
                absent.insert(*table, reason.clone());
            }
        }
    }
    (present, absent)
}

/// Marks, for each finding (sorted by savings, descending), whether it counts
/// towards the total. The first finding to claim a resource wins — a finding
/// claims its own resource and everything it [`covers`](Finding::covers) —
/// and later ones touching a claimed resource are overlaps. Findings without
/// a concrete resource (spend alerts, account-level commitments) never overlap.
pub fn deduplicate(findings: &[Finding]) -> (Vec<bool>, Vec<Overlap>) {
    let mut claimed: HashMap<(String, String), usize> = HashMap::new();
    let mut counted = Vec::with_capacity(findings.len());
    let mut overlaps = Vec::new();
    for (index, finding) in findings.iter().enumerate() {
        if finding.monthly_savings <= 0.0 || finding.category == Category::Spend {
            counted.push(true);
            continue;
        }
        if let Some(&first) = finding.claimed_keys().find_map(|key| claimed.get(&key)) {
            counted.push(false);
            overlaps.push(Overlap {
                account_id: finding.account_id.clone(),
                resource_id: finding.resource_id.clone(),
                counted_rule: findings[first].rule.clone(),
                counted_resource_id: findings[first].resource_id.clone(),
                skipped_rule: finding.rule.clone(),
                skipped_savings: finding.monthly_savings,
            });
        } else {
            for key in finding.claimed_keys() {
                claimed.insert(key, index);
            }
            counted.push(true);
        }
    }
    (counted, overlaps)
}

fn exclusion_count(exclusions: &Exclusions) -> usize {
    exclusions.tags.len() + exclusions.resources.len() + exclusions.accounts.len()
}

/// Index (into tags ++ resources ++ accounts) of the first exclusion matching `finding`.
fn matching_exclusion(exclusions: &Exclusions, finding: &Finding) -> Option<usize> {
    let tag_match = exclusions.tags.iter().position(|t| tag_matches(t, &finding.tags));
    if tag_match.is_some() {
        return tag_match;
    }
    let offset = exclusions.tags.len();
    if let Some(i) = exclusions.resources.iter().position(|r| *r == finding.resource_id) {
        return Some(offset + i);
    }
    let offset = offset + exclusions.resources.len();
    exclusions.accounts.iter().position(|a| *a == finding.account_id).map(|i| offset + i)
}

fn tag_matches(exclusion: &str, tags: &BTreeMap<String, String>) -> bool {
    match exclusion.split_once('=') {
        Some((key, value)) => tags.get(key.trim()).is_some_and(|v| v == value.trim()),
        None => tags.contains_key(exclusion.trim()),
    }
}

fn exclusion_reports(dataset: &Dataset, exclusions: &Exclusions, hits: &[usize]) -> Result<Vec<ExclusionReport>> {
    let mut reports = Vec::with_capacity(hits.len());
    let mut index = 0;
    let mut push = |kind: &str, value: &String, matches: bool| {
        reports.push(ExclusionReport {
            kind: kind.into(),
            value: value.clone(),
            matched_findings: hits[index],
            matches_snapshot: hits[index] > 0 || matches,
        });
        index += 1;
    };
    for tag in &exclusions.tags {
        push("tag", tag, snapshot_has_tag(dataset, tag)?);
    }
    for resource in &exclusions.resources {
        push("resource", resource, snapshot_has_resource(dataset, resource)?);
    }
    for account in &exclusions.accounts {
        push("account", account, dataset.manifest().accounts.iter().any(|a| a.id == *account));
    }
    Ok(reports)
}

/// Inventory tables and the id column that names their resources.
const RESOURCE_ID_COLUMNS: &[(Table, &str)] = &[
    (Table::Instances, "instance_id"),
    (Table::Volumes, "volume_id"),
    (Table::Snapshots, "snapshot_id"),
    (Table::Images, "image_id"),
    (Table::LaunchTemplates, "launch_template_id"),
    (Table::AutoScalingGroups, "auto_scaling_group_name"),
    (Table::Addresses, "allocation_id"),
    (Table::LoadBalancers, "load_balancer_arn"),
    (Table::NatGateways, "nat_gateway_id"),
    (Table::Buckets, "bucket"),
    (Table::Reservations, "reservation_id"),
    (Table::SavingsPlans, "savings_plan_id"),
    (Table::Costs, "resource_id"),
];

fn snapshot_has_resource(dataset: &Dataset, resource: &str) -> Result<bool> {
    for (table, column) in RESOURCE_ID_COLUMNS {
        if let Some(frame) = dataset.table(*table) {
            let found = frame
                .filter(col(*column).eq(lit(resource)))
                .select([len()])
                .collect()
                .map(|df| {
                    df.column("len").ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0) > 0
                })
                .map_err(|e| crate::Error::query(format!("checking exclusion `{resource}`"), &e))?;
            if found {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn snapshot_has_tag(dataset: &Dataset, exclusion: &str) -> Result<bool> {
    for table in Table::ALL {
        if !table.columns().iter().any(|c| c.name == "tags") {
            continue;
        }
        let Some(frame) = dataset.table(table) else { continue };
        let distinct = frame
            .select([col("tags").unique()])
            .collect()
            .map_err(|e| crate::Error::query(format!("checking exclusion tag `{exclusion}`"), &e))?;
        let Some(tags) = distinct.column("tags").ok().and_then(|c| c.str().ok().cloned()) else { continue };
        if tags.iter().flatten().any(|t| tag_matches(exclusion, &crate::rules::parse_tags(Some(t)))) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Remediation, Risk};
    use crate::prices::PriceSource;

    fn finding(rule: &str, resource: &str, savings: f64) -> Finding {
        Finding {
            rule: rule.into(),
            category: Category::Unused,
            account_id: "111111111111".into(),
            region: Some("us-east-1".into()),
            resource_type: "ebs-volume".into(),
            resource_id: resource.into(),
            resource_name: None,
            title: String::new(),
            evidence: vec![],
            monthly_cost: savings,
            monthly_savings: savings,
            price_source: PriceSource::billed("test"),
            confidence: Confidence::High,
            risk: Risk::NonDisruptive,
            remediation: Remediation::default(),
            tags: BTreeMap::from([("env".to_owned(), "sandbox".to_owned())]),
            covers: vec![],
        }
    }

    /// A rule that always fails, and one that panics.
    struct Failing;
    struct Panicking;

    impl crate::rules::Rule for Failing {
        const ID: &'static str = "always-fails";
        const CATEGORY: Category = Category::Unused;
        type Options = ();
        type Settings = ();
        fn resolve((): ()) -> Result<(), String> {
            Ok(())
        }
        fn check((): &(), _: &Context<'_>) -> Result<crate::rules::RuleOutput, crate::Error> {
            Err(crate::Error::Query { context: "always-fails".into(), detail: "no such column `x`".into() })
        }
    }

    impl crate::rules::Rule for Panicking {
        const ID: &'static str = "always-panics";
        const CATEGORY: Category = Category::Unused;
        type Options = ();
        type Settings = ();
        fn resolve((): ()) -> Result<(), String> {
            Ok(())
        }
        fn check((): &(), _: &Context<'_>) -> Result<crate::rules::RuleOutput, crate::Error> {
            panic!("index out of bounds")
        }
    }

    #[test]
    fn failing_and_panicking_rules_are_reported_while_the_others_run() {
        let period = Period { start: NaiveDateTime::default(), end: NaiveDateTime::default() };
        let manifest = crate::manifest::Manifest::in_memory("failing rules", vec![], period);
        let dataset = Dataset::from_frames(manifest, []).unwrap();
        let specs = [
            RuleSpec::of::<Failing>("//! Fails."),
            RuleSpec::of::<Panicking>("//! Panics."),
            RuleSpec::of::<crate::rules::unattached_ebs_volume::UnattachedEbsVolume>("//! Works."),
        ];
        let analysis = analyze_with(&dataset, &Config::default(), &specs).unwrap();
        let statuses: Vec<(&str, &RuleStatus)> = analysis.rules.iter().map(|r| (r.id.as_str(), &r.status)).collect();
        assert_eq!(
            statuses,
            [
                ("always-fails", &RuleStatus::Failed("always-fails: no such column `x`".into())),
                ("always-panics", &RuleStatus::Failed("panicked: index out of bounds".into())),
                ("unattached-ebs-volume", &RuleStatus::Ok),
            ]
        );
        assert_eq!(analysis.errors.len(), 2);
    }

    #[test]
    fn the_bigger_saving_on_a_resource_is_counted_once() {
        let findings = vec![finding("a", "vol-1", 10.0), finding("b", "vol-1", 4.0), finding("b", "vol-2", 3.0)];
        let (counted, overlaps) = deduplicate(&findings);
        assert_eq!(counted, vec![true, false, true]);
        assert_eq!(overlaps.len(), 1);
        assert_eq!((overlaps[0].counted_rule.as_str(), overlaps[0].skipped_savings), ("a", 4.0));
    }

    #[test]
    fn a_finding_that_covers_a_resource_claims_it() {
        let mut instance = finding("stopped", "i-1", 9.0);
        instance.covers = vec!["vol-1".into(), "eipalloc-1".into()];
        let findings = vec![
            instance,
            finding("gp2", "vol-1", 2.0),
            finding("eip", "eipalloc-1", 3.65),
            finding("gp2", "vol-2", 1.0),
        ];
        let (counted, overlaps) = deduplicate(&findings);
        assert_eq!(counted, vec![true, false, false, true]);
        assert_eq!(overlaps.iter().map(|o| o.counted_rule.as_str()).collect::<Vec<_>>(), ["stopped", "stopped"]);
    }

    #[test]
    fn exclusions_match_tags_resources_and_accounts() {
        let f = finding("a", "vol-1", 1.0);
        let by_tag = Exclusions { tags: vec!["env=sandbox".into()], ..Default::default() };
        assert_eq!(matching_exclusion(&by_tag, &f), Some(0));
        let by_key = Exclusions { tags: vec!["env".into()], ..Default::default() };
        assert_eq!(matching_exclusion(&by_key, &f), Some(0));
        let wrong_value = Exclusions { tags: vec!["env=prod".into()], ..Default::default() };
        assert_eq!(matching_exclusion(&wrong_value, &f), None);
        let by_resource = Exclusions { tags: vec!["x".into()], resources: vec!["vol-1".into()], ..Default::default() };
        assert_eq!(matching_exclusion(&by_resource, &f), Some(1));
        let by_account = Exclusions { accounts: vec!["111111111111".into()], ..Default::default() };
        assert_eq!(matching_exclusion(&by_account, &f), Some(0));
    }
}
