//! The action plan: the order in which a careful operator works through the
//! findings.
//!
//! The headline says how much could be saved; the plan says what to do on
//! Monday. It has four steps, always in this order:
//!
//! 1. **Week 1: non-disruptive changes** — nothing running notices them
//!    (gp2 → gp3, lifecycle rules, releasing idle Elastic IPs).
//! 2. **Cleanups to confirm with the owner** — findings of rules whose
//!    remediation deletes or terminates something that cannot be brought back
//!    ([`Rule::REMOVES_RESOURCES`](crate::rules::Rule::REMOVES_RESOURCES)),
//!    whatever their risk: the check before deleting is a conversation.
//! 3. **Changes needing a maintenance window** — the remaining findings whose
//!    risk is `change-window` or `needs-testing` (resizes, generation changes,
//!    storage-class moves that add retrieval latency).
//! 4. **Commitment purchases** — reserved instances and savings plans, last
//!    even when buying them is harmless, because they are sized on usage that
//!    steps 1–3 are about to change: buy after a few weeks of settled usage.
//!
//! Only findings whose saving counts toward the headline and is positive are
//! in the plan: spend alerts have nothing to apply, and a finding left out as
//! an overlap would otherwise be done twice.

use serde::Serialize;

use crate::analysis::Analysis;
use crate::finding::{Category, Finding, Risk};
use crate::rules::registry;

/// One step of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Week 1: non-disruptive changes.
    NonDisruptive,
    /// Cleanups to confirm with the owner.
    OwnerCleanup,
    /// Changes needing a maintenance window.
    MaintenanceWindow,
    /// Commitment purchases, once usage has settled.
    Commitments,
}

impl Step {
    /// Every step, in plan order.
    pub const ALL: [Step; 4] = [Step::NonDisruptive, Step::OwnerCleanup, Step::MaintenanceWindow, Step::Commitments];

    /// 1-based position in the plan.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// Kebab-case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Step::NonDisruptive => "non-disruptive",
            Step::OwnerCleanup => "owner-cleanup",
            Step::MaintenanceWindow => "maintenance-window",
            Step::Commitments => "commitments",
        }
    }

    /// The step's heading (`Week 1: non-disruptive changes`).
    pub fn title(self) -> &'static str {
        match self {
            Step::NonDisruptive => "Week 1: non-disruptive changes",
            Step::OwnerCleanup => "Cleanups to confirm with the owner",
            Step::MaintenanceWindow => "Changes for a maintenance window",
            Step::Commitments => "Commitment purchases, once usage has settled",
        }
    }

    /// The step in a few lowercase words, for a sentence (`in week-1 changes`).
    pub fn short_name(self) -> &'static str {
        match self {
            Step::NonDisruptive => "in week-1 changes",
            Step::OwnerCleanup => "in cleanups to confirm with the owner",
            Step::MaintenanceWindow => "in maintenance-window changes",
            Step::Commitments => "in commitment purchases",
        }
    }

    /// What the step covers and how to go about it, one or two sentences.
    pub fn explanation(self) -> &'static str {
        match self {
            Step::NonDisruptive => {
                "Nothing running notices these: volume type changes, lifecycle rules, releasing idle addresses. \
                 Apply them this week."
            }
            Step::OwnerCleanup => {
                "These delete or terminate something that cannot be brought back. Ask the owner (the tags \
                 name them), take the snapshot the remediation suggests, then delete."
            }
            Step::MaintenanceWindow => {
                "Resizes, generation changes and moves that change behaviour or capacity: schedule them in a \
                 change window and test before production."
            }
            Step::Commitments => {
                "Reserved instances and savings plans are sized on current usage, which the steps above change. \
                 Buy after a few weeks of settled usage, and re-run costwise first."
            }
        }
    }

    /// The step a finding belongs to (see the module docs); `removes_resources` is its rule's
    /// [`RuleSpec::removes_resources`](crate::rules::RuleSpec::removes_resources).
    pub fn of(finding: &Finding, removes_resources: bool) -> Step {
        if finding.category == Category::Commitments {
            Step::Commitments
        } else if removes_resources {
            Step::OwnerCleanup
        } else if finding.risk == Risk::NonDisruptive {
            Step::NonDisruptive
        } else {
            Step::MaintenanceWindow
        }
    }
}

/// The findings of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    /// Which step.
    pub step: Step,
    /// Indices into [`Analysis::findings`], biggest savings first.
    pub findings: Vec<usize>,
    /// Their summed monthly savings.
    pub monthly_savings: f64,
}

impl PlanStep {
    /// The step's findings per rule: rule id, count, monthly savings; biggest savings first.
    pub fn by_rule(&self, analysis: &Analysis) -> Vec<(String, usize, f64)> {
        let mut per_rule: std::collections::BTreeMap<&str, (usize, f64)> = std::collections::BTreeMap::new();
        for &i in &self.findings {
            let entry = per_rule.entry(analysis.findings[i].rule.as_str()).or_default();
            entry.0 += 1;
            entry.1 += analysis.findings[i].monthly_savings;
        }
        let mut by_rule: Vec<(String, usize, f64)> =
            per_rule.into_iter().map(|(rule, (n, savings))| (rule.to_owned(), n, savings)).collect();
        by_rule.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        by_rule
    }
}

/// The whole plan: the four steps in order (a step without findings is present and empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionPlan {
    /// [`Step::ALL`], in order.
    pub steps: Vec<PlanStep>,
}

impl ActionPlan {
    /// Sorts the counted, positive-saving findings of `analysis` into the steps.
    pub fn of(analysis: &Analysis) -> Self {
        let counted = analysis.counted();
        let mut steps: Vec<PlanStep> =
            Step::ALL.iter().map(|&step| PlanStep { step, findings: Vec::new(), monthly_savings: 0.0 }).collect();
        for (i, finding) in analysis.findings.iter().enumerate() {
            if !counted[i] || finding.monthly_savings <= 0.0 {
                continue;
            }
            let removes = registry().iter().any(|spec| spec.id == finding.rule && spec.removes_resources);
            let step = &mut steps[Step::of(finding, removes) as usize];
            step.findings.push(i);
            step.monthly_savings += finding.monthly_savings;
        }
        // `analysis.findings` is sorted biggest savings first, so each step's list already is.
        Self { steps }
    }

    /// One step.
    pub fn step(&self, step: Step) -> &PlanStep {
        &self.steps[step as usize]
    }

    /// The first step with findings: what to do first.
    pub fn first(&self) -> Option<&PlanStep> {
        self.steps.iter().find(|s| !s.findings.is_empty())
    }

    /// The summed savings of every step (the counted headline minus nothing: every counted positive saving is in
    /// exactly one step).
    pub fn monthly_savings(&self) -> f64 {
        self.steps.iter().map(|s| s.monthly_savings).sum()
    }
}
