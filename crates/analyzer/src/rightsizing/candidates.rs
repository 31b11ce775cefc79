//! Candidate search: every instance type that meets a requirement, cheapest
//! first, with its performance risk and migration effort; then the best and
//! up to two alternatives.

use std::fmt;

use serde::Serialize;

use super::requirement::{PerformanceRisk, Requirement};
use crate::prices::{InstanceSpec, Price, PriceBook, catalog, family_of};

/// Families never recommended by default: previous generations (the same
/// list `previous-generation-instance` flags, plus first-generation Graviton
/// `a1`). The catalog's own `current_generation` flag is not used: the bundled
/// `DescribeInstanceTypes` data marks t2 as current and m5, c5, r5, m6i, r6i
/// and r7g as previous, which is not what AWS's documentation says.
pub const PREVIOUS_GENERATION: [&str; 14] =
    ["a1", "c1", "c3", "c4", "d2", "i2", "m1", "m2", "m3", "m4", "r3", "r4", "t1", "t2"];

/// Which families candidates may come from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Families {
    /// The user's list (exact family names, or prefixes ending in `*`);
    /// `None` for the default: every family but [`PREVIOUS_GENERATION`].
    pub only: Option<Vec<String>>,
}

impl Families {
    /// Candidates from the listed families only (`m7g`, or `m7*` for a prefix).
    pub fn only(patterns: Vec<String>) -> Self {
        Self { only: Some(patterns) }
    }

    /// Whether candidates may come from `family`.
    pub fn allows(&self, family: &str) -> bool {
        match &self.only {
            None => !PREVIOUS_GENERATION.contains(&family),
            Some(patterns) => patterns.iter().any(|p| matches_pattern(p, family)),
        }
    }

    /// Patterns that match no family in the catalog (typos), for validation.
    pub fn unknown_patterns(&self) -> Vec<String> {
        let Some(patterns) = &self.only else { return Vec::new() };
        patterns
            .iter()
            .filter(|p| !catalog().instances.values().any(|s| matches_pattern(p, s.family())))
            .cloned()
            .collect()
    }
}

fn matches_pattern(pattern: &str, family: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => family.starts_with(prefix),
        None => pattern == family,
    }
}

/// Whether a type may be a candidate at all: not bare metal, no GPUs or
/// other accelerators, and an x86_64 or arm64 processor (not Mac).
pub fn is_general_purpose(spec: &InstanceSpec) -> bool {
    !spec.bare_metal && !spec.accelerated && spec.architectures.iter().any(|a| a == "x86_64" || a == "arm64")
}

/// How much work moving to a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationEffort {
    /// Same family, another size: only the type changes.
    VeryLow,
    /// Another family, same architecture: the type changes; drivers and
    /// processor vendor may too.
    Low,
    /// x86_64 to arm64 (Graviton): a new arm64 AMI and arm64 builds of
    /// everything the instance runs.
    Medium,
}

impl fmt::Display for MigrationEffort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MigrationEffort::VeryLow => "very low",
            MigrationEffort::Low => "low",
            MigrationEffort::Medium => "medium",
        })
    }
}

/// A type that meets the requirement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Its spec.
    pub spec: &'static InstanceSpec,
    /// Its on-demand rate in the region.
    pub hourly: Price,
    /// The architecture the workload would run on it.
    pub architecture: String,
    /// The utilization it would run at.
    pub risk: PerformanceRisk,
    /// What moving to it takes.
    pub effort: MigrationEffort,
}

impl Candidate {
    /// Its type name.
    pub fn instance_type(&self) -> &str {
        &self.spec.instance_type
    }
}

/// Every type that meets `requirement`, is general purpose, comes from an
/// allowed family and has an on-demand rate in `region`: cheapest first
/// (ties: fewer vCPUs, then name).
pub fn search(prices: &PriceBook, region: &str, requirement: &Requirement, families: &Families) -> Vec<Candidate> {
    let current_family = requirement.current.family();
    let mut out: Vec<Candidate> = catalog()
        .instances
        .values()
        .filter(|spec| is_general_purpose(spec) && families.allows(spec.family()))
        .filter(|spec| requirement.misfit(spec).is_none())
        .filter_map(|spec| {
            let hourly = prices.ec2_on_demand_hourly(region, &spec.instance_type)?;
            let architecture = requirement.architecture_on(spec)?.to_owned();
            let effort = if architecture != requirement.architecture {
                MigrationEffort::Medium
            } else if spec.family() == current_family {
                MigrationEffort::VeryLow
            } else {
                MigrationEffort::Low
            };
            Some(Candidate { spec, hourly, architecture, risk: requirement.performance_risk(spec), effort })
        })
        .collect();
    out.sort_by(|a, b| {
        a.hourly
            .value
            .total_cmp(&b.hourly.value)
            .then(a.spec.vcpus.cmp(&b.spec.vcpus))
            .then_with(|| a.spec.instance_type.cmp(&b.spec.instance_type))
    });
    out
}

/// Why an alternative is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlternativeKind {
    /// The cheapest fitting size of the current family: the smallest change.
    SameFamily,
    /// The cheapest fitting Graviton (arm64) type.
    Graviton,
}

impl fmt::Display for AlternativeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlternativeKind::SameFamily => "same family",
            AlternativeKind::Graviton => "Graviton",
        })
    }
}

/// An alternative to the best candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    /// Why it is offered.
    pub kind: AlternativeKind,
    /// The candidate.
    pub candidate: Candidate,
}

/// The best candidate and up to two alternatives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The cheapest candidate.
    pub best: Candidate,
    /// The cheapest fitting size of the current family and the cheapest
    /// fitting Graviton type, when they differ from the best and from the
    /// current type (and, for an over-provisioned instance, cost less than
    /// the current type).
    pub alternatives: Vec<Alternative>,
}

/// The best of `candidates` (sorted as [`search`] sorts them) and its
/// alternatives; `None` when nothing fits.
pub fn recommend(candidates: &[Candidate], current: &InstanceSpec) -> Option<Recommendation> {
    let best = candidates.first()?.clone();
    let is_new = |c: &&Candidate| {
        c.spec.instance_type != best.spec.instance_type && c.spec.instance_type != current.instance_type
    };
    let mut alternatives = Vec::new();
    if let Some(same) = candidates.iter().filter(is_new).find(|c| family_of(&c.spec.instance_type) == current.family())
    {
        alternatives.push(Alternative { kind: AlternativeKind::SameFamily, candidate: same.clone() });
    }
    if best.architecture != "arm64"
        && let Some(graviton) = candidates.iter().filter(is_new).find(|c| c.architecture == "arm64")
    {
        alternatives.push(Alternative { kind: AlternativeKind::Graviton, candidate: graviton.clone() });
    }
    Some(Recommendation { best, alternatives })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_families_exclude_previous_generations_only() {
        let all = Families::default();
        for family in ["m5", "c5", "r5", "m6i", "r7g", "t3", "t4g", "m7i-flex"] {
            assert!(all.allows(family), "{family}");
        }
        for family in ["t2", "m4", "a1", "c4"] {
            assert!(!all.allows(family), "{family}");
        }
        let some = Families::only(vec!["m7*".into(), "c6g".into()]);
        assert!(some.allows("m7g") && some.allows("m7i-flex") && some.allows("c6g") && !some.allows("c6gd"));
        assert_eq!(Families::only(vec!["m7g".into(), "zz9".into()]).unknown_patterns(), ["zz9"]);
    }

    #[test]
    fn candidates_exclude_metal_accelerators_and_macs() {
        let c = catalog();
        assert!(is_general_purpose(&c.instances["m5.large"]));
        assert!(!is_general_purpose(&c.instances["m5.metal"]));
        assert!(!is_general_purpose(&c.instances["g5.xlarge"]));
        assert!(!is_general_purpose(&c.instances["mac2.metal"]));
    }
}

#[cfg(test)]
mod recommendation_tests {
    use super::*;
    use crate::rightsizing::requirement::Headroom;
    use crate::rightsizing::usage::{CpuStatistic, Usage};

    #[test]
    fn alternatives_are_the_current_family_and_graviton_when_the_best_is_x86() {
        // m5.xlarge at p99.5 = 20 %, mean 5 %, memory not measured (16 GiB kept), 0.1 Gbps:
        // required 4 × 0.2 / 0.8 = 1 vCPU. Among m5a, m5 and m8g the cheapest with 16 GiB is m5a.xlarge
        // ($0.172); the current family's cheapest fit other than m5.xlarge itself is m5.2xlarge (offered
        // here; `assess` drops alternatives that cost more than the current type from a downsize), and the
        // cheapest Graviton fit is m8g.xlarge.
        let usage = Usage {
            samples: 336,
            cpu_statistic: CpuStatistic::Maximum,
            cpu_p50: 10.0,
            cpu_p95: 20.0,
            cpu_percentile: 20.0,
            cpu_max: 20.0,
            mean_cpu: 5.0,
            memory: None,
            network_peak_gbps: Some(0.1),
            ebs_peak_iops: None,
            ebs_peak_bytes_per_second: None,
            daily_max_cpu: Vec::new(),
        };
        let current = &catalog().instances["m5.xlarge"];
        let requirement = Requirement::new(current, "x86_64", &usage, Headroom { cpu: 0.2, memory: 0.2 }, true);
        let families = Families::only(vec!["m5a".into(), "m5".into(), "m8g".into()]);
        let candidates = search(&PriceBook::catalog_only(), "us-east-1", &requirement, &families);
        let rec = recommend(&candidates, current).unwrap();
        assert_eq!(rec.best.instance_type(), "m5a.xlarge");
        assert_eq!(rec.best.effort, MigrationEffort::Low);
        let alternatives: Vec<(AlternativeKind, &str, MigrationEffort)> =
            rec.alternatives.iter().map(|a| (a.kind, a.candidate.instance_type(), a.candidate.effort)).collect();
        assert_eq!(
            alternatives,
            [
                (AlternativeKind::SameFamily, "m5.2xlarge", MigrationEffort::VeryLow),
                (AlternativeKind::Graviton, "m8g.xlarge", MigrationEffort::Medium)
            ]
        );
        // With a 2xlarge current type, the current family offers m5.xlarge.
        let current = &catalog().instances["m5.2xlarge"];
        let requirement = Requirement { current, memory_gib: 16.0, ..requirement };
        let candidates = search(&PriceBook::catalog_only(), "us-east-1", &requirement, &families);
        let rec = recommend(&candidates, current).unwrap();
        assert_eq!(rec.alternatives[0].candidate.instance_type(), "m5.xlarge");
        assert_eq!(rec.alternatives[0].kind, AlternativeKind::SameFamily);
    }
}
