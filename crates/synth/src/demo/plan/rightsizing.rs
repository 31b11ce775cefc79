//! The rightsizing family (issue 4): the hourly CPU and memory peaks of every
//! instance, an Auto Scaling group over-provisioned as a group (on the
//! savings plan), an under-provisioned instance, a running instance too new
//! to judge, and the oracle of what the `ec2-rightsizing` rule must conclude
//! for every running instance.
//!
//! The method is `docs/rightsizing.md` (the binding spec of issue 4):
//! required vCPU = current vCPU × p99.5 of the hourly CPU `Maximum` / 0.8;
//! required memory = current GiB × p99.5 of the agent's `mem_used_percent` /
//! 0.8, or all of the current memory without the agent. An instance is
//! over-provisioned when a *smaller* type (less memory, or less sustained CPU:
//! vCPU × burstable baseline, 1 for fixed-performance types) meets both — a burstable
//! one only when the mean hourly CPU `Average`, converted to its vCPUs, stays
//! under its baseline — and the cheapest such type (Graviton allowed) saves at
//! least $1 a month: the on-demand rate difference × 730 hours, times what
//! the CUR bills of on-demand when a reservation or the savings plan covers
//! the instance. Under-provisioned: the current type does not meet its own
//! requirement (reported with the cheapest type that fits, $0 savings).
//!
//! Each app's [`Profile`] fixes its peaks (see [`super::Peaks`]: the p99.5
//! of any lookback is exactly the peak) and states the outcome; the oracle
//! entries are built from the outcome, the rates and the generated series.
//! `crates/synth/tests/rightsizing.rs` re-derives every outcome from the
//! snapshot and the raw catalog files with its own implementation of the
//! method, under several per-vCPU performance tables: the profiles keep every
//! conclusion clear of the table's exact values.

use std::fmt::Write as _;

use chrono::Duration;

use super::unused::{NewInstance, public_amis, push_instance};
use super::{
    BUSY_NETWORK, Cpu, HOURS, HOURS_PER_MONTH, Ids, Instance, LaunchTemplate, MemoryUse, Peaks, Plan, Pricing, Rates,
    TemplateVersion, US_EAST_1, at, hour, push_oracle,
};
use crate::demo::series;
use crate::rng::Rng;

/// The Auto Scaling group that is over-provisioned as a group.
pub const EXPORT_ASG: &str = "acme-export-asg";

/// Hours in the default 14-day lookback.
pub const LOOKBACK_HOURS: usize = 14 * 24;

/// Headroom kept above the observed percentile (20%).
pub const HEADROOM: f64 = 0.20;

/// Fewest hourly CPU datapoints the method judges an instance on.
pub const MIN_HOURS: usize = 30;

/// Smallest monthly saving reported.
pub const MIN_MONTHLY_SAVINGS: f64 = 1.0;

/// What the method must conclude for an app's instances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Over-provisioned: this is the cheapest type that fits.
    Over(&'static str),
    /// Under-provisioned (the current type does not meet its own needs):
    /// this is the cheapest type that fits.
    Under(&'static str),
    /// Optimized: no type cheaper by at least $1/month fits; why, in words.
    Optimized(&'static str),
    /// Not judged: stopped, terminated, or too few datapoints (see the notes).
    Skip,
}

/// An app's metric peaks and the outcome they must lead to.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The app (`app` tag; every instance of the app shares the profile).
    pub app: &'static str,
    /// Highest hourly CPU `Maximum`, percent.
    pub cpu_peak: f64,
    /// `(typical, peak)` `mem_used_percent` when the CloudWatch agent is installed.
    pub memory: Option<(f64, f64)>,
    /// What the method must conclude.
    pub outcome: Outcome,
    /// For the planted findings: why the recommendation is the cheapest type that fits.
    pub why: Option<&'static str>,
    /// For the planted findings: the alternatives the finding must list.
    pub alternatives: Option<&'static [&'static str]>,
}

const fn p(app: &'static str, cpu_peak: f64, memory: Option<(f64, f64)>, outcome: Outcome) -> Profile {
    Profile { app, cpu_peak, memory, outcome, why: None, alternatives: None }
}

const fn over(
    app: &'static str,
    cpu_peak: f64,
    memory: Option<(f64, f64)>,
    best: &'static str,
    why: &'static str,
) -> Profile {
    Profile { app, cpu_peak, memory, outcome: Over(best), why: Some(why), alternatives: None }
}

const fn planted(
    app: &'static str,
    cpu_peak: f64,
    memory: Option<(f64, f64)>,
    outcome: Outcome,
    why: &'static str,
    alternatives: &'static [&'static str],
) -> Profile {
    Profile { app, cpu_peak, memory, outcome, why: Some(why), alternatives: Some(alternatives) }
}

use Outcome::{Optimized, Over, Skip, Under};

/// Every app of the estate. Rightsizing gives capacity back: an instance is
/// over-provisioned only when a smaller type (less memory, or less sustained
/// CPU = vCPU × burstable baseline, 1 for fixed-performance types) fits and saves at
/// least $1 a month; a same-size move to Graviton or a newer generation is a
/// migration, not a finding. Busy apps keep their hourly maxima under 80%
/// (else they are under-provisioned) and high enough that no smaller type fits.
pub const PROFILES: &[Profile] = &[
    // acme-prod, us-east-1.
    planted(
        "web",
        68.0,
        Some((28.0, 35.0)),
        Over("c6g.large"),
        "the agent shows at most 35% of 8 GiB in use, so 4-GiB types are downsizes; c6g.large (2 Graviton2 vCPU, 4 GiB) is the cheapest that carries 1.7 vCPU: the 1-vCPU m7g.medium/m8g.medium/m9g.medium and m8a.medium reach at most 1.6, and t4g.medium/t3a.medium allow 20% per vCPU on average, under the group's ~39%; c5a.large ($0.077) and c6a.large ($0.0765) fit too but cost more",
        &[],
    ),
    p(
        "api",
        66.0,
        Some((48.0, 60.0)),
        Optimized(
            "no smaller type fits: r6g.medium's one vCPU cannot carry 2 × 66%/0.8 = 1.65 vCPU, 6 GiB rules out the 4-GiB types, and t4g.large allows 30% per vCPU on average, under the group's ~39%",
        ),
    ),
    p(
        "worker",
        75.0,
        Some((40.0, 50.0)),
        Optimized(
            "no smaller type fits: 2 × 75%/0.8 = 1.875 vCPU is more than c5a.large (2 × 0.85) or any 1-vCPU type (at most 1.6) delivers, 2.5 GiB rules out 2-GiB types, and the burstables allow 20–30% per vCPU on average, under its ~42%",
        ),
    ),
    planted(
        "search",
        55.0,
        Some((88.0, 95.0)),
        Under("x2gd.large"),
        "x2gd.large is the cheapest current-generation type with at least 19 GiB (32 GiB; then x8g.large $0.1954, r6g.xlarge $0.2016; x86_64: x8i.large $0.21883), and its 2 Graviton2 vCPU carry the 1.375 required",
        &[],
    ),
    over(
        "notifications",
        45.0,
        Some((45.0, 55.0)),
        "t4g.medium",
        "t4g.medium (2 vCPU at a 20% baseline: less sustained CPU than a Graviton3 core) lives on its credits: the mean hourly Average, converted to it, stays under 20% per vCPU",
    ),
    p(
        "tools",
        30.0,
        Some((50.0, 60.0)),
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    p(
        "bastion",
        10.0,
        None,
        Optimized("no smaller type fits: t3a.micro and t4g.micro are the same size (a migration, not a downsize)"),
    ),
    p(
        "jenkins",
        70.0,
        Some((55.0, 65.0)),
        Optimized(
            "no smaller type fits: t3a.medium allows 20% per vCPU on average, under its ~34% / 0.85, and the 1-vCPU m6g.medium/m7g.medium cannot carry 2 × 70%/0.8 = 1.75 vCPU",
        ),
    ),
    planted(
        "reporting",
        14.5,
        None,
        Over("r6g.medium"),
        "r6g.medium is the cheapest current-generation type with at least 8 GiB (then r6gd.medium $0.0576, r7g.medium $0.0536 where allowed, r8g.medium $0.05891, t4g.large $0.0672; the cheapest x86_64 one is t3a.large at $0.0752), and its one vCPU (less sustained CPU than 2 Skylake vCPU: a downsize) covers the 0.3625 required",
        &[],
    ),
    planted(
        "legacy-cache",
        14.5,
        Some((30.0, 38.0)),
        Over("r6g.medium"),
        "r6g.medium is the cheapest current-generation type with at least 7.6 GiB (8 GiB, half the current 16: a downsize; then r6gd.medium $0.0576, r8g.medium $0.05891, t4g.large $0.0672; x86_64: t3a.large $0.0752), and its one vCPU covers the 0.3625 required",
        &[],
    ),
    over(
        "legacy-reports",
        32.0,
        None,
        "r6g.medium",
        "r6g.medium (one Graviton2 vCPU: less sustained CPU than 2 Haswell vCPU at 0.8 each) is the cheapest type with 8 GiB and carries the 0.8 m4 vCPU required (0.64 Skylake vCPU)",
    ),
    over(
        "image-resizer",
        45.0,
        None,
        "t4g.medium",
        "t4g.medium is the cheapest type with at least 3.75 GiB, and a downsize (2 vCPU at a 20% baseline); the mean hourly Average converted to it stays under that baseline",
    ),
    p("old-poc", 1.0, None, Skip),
    p("ml-experiment", 95.0, None, Skip),
    p(
        "feature-flags",
        35.0,
        Some((45.0, 55.0)),
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    p(
        "jenkins-agent",
        4.0,
        None,
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    p("search-canary", 60.0, None, Skip),
    p("payments-canary", 60.0, None, Skip),
    planted(
        "export",
        30.0,
        Some((28.0, 36.0)),
        Over("t4g.small"),
        "t4g.small is the cheapest current-generation type with at least 1.8 GiB (2 GiB; then t3a.small $0.0188, t3.small $0.0208, t4g.medium $0.0336, c6g.medium $0.034); it is burstable, and the group's mean hourly Average CPU converted to its 2 vCPUs stays under its 20% baseline per vCPU; same architecture (arm64), another family: migration effort low. Alternative: c6g.medium ($0.034/h), the cheapest size of the current family that fits",
        &["c6g.medium"],
    ),
    // acme-prod, us-west-2.
    p(
        "web-dr",
        15.0,
        None,
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    p(
        "tools-dr",
        8.0,
        None,
        Optimized("no smaller type fits: t3a.micro and t4g.micro are the same size (a migration, not a downsize)"),
    ),
    p(
        "dr-bastion",
        30.0,
        None,
        Optimized(
            "the types that fit and cost less (t4g.medium, t3a.medium) have the same 2 vCPU at a 20% baseline and 4 GiB as a t2.medium: a migration, not a downsize",
        ),
    ),
    over(
        "queue-dr",
        40.0,
        None,
        "t4g.medium",
        "t4g.medium (2 vCPU at a 20% baseline: less sustained CPU than one Graviton2 core) lives on its credits: the mean hourly Average, converted to it, stays under 20% per vCPU",
    ),
    p("dr-test", 1.0, None, Skip),
    p("etl-old", 95.0, None, Skip),
    // acme-prod, eu-west-1.
    p(
        "web-eu",
        78.0,
        Some((55.0, 65.0)),
        Optimized(
            "no smaller type fits: it needs 3.25 GiB, and t4g.medium allows 20% per vCPU on average, under its ~50% / 2 = ~25%",
        ),
    ),
    p(
        "tools-eu",
        15.0,
        None,
        Optimized("no smaller type fits: t3a.micro and t4g.micro are the same size (a migration, not a downsize)"),
    ),
    planted(
        "eu-cache",
        14.5,
        None,
        Over("x2gd.medium"),
        "x2gd.medium (1 vCPU, 16 GiB, Graviton2, with a 59 GB NVMe instance store it does not need) is the cheapest current-generation type with at least 16 GiB (then x8g.medium, r6g.large; x86_64: r5a.large), and its one vCPU (less sustained CPU: a downsize) covers the 0.3625 required",
        &[],
    ),
    // acme-staging, us-east-1.
    p(
        "staging-app",
        25.0,
        None,
        Optimized("no smaller type fits: t3a.micro and t4g.micro are the same size (a migration, not a downsize)"),
    ),
    p(
        "staging-svc",
        20.0,
        None,
        Optimized("no smaller type fits: t3a.micro and t4g.micro are the same size (a migration, not a downsize)"),
    ),
    p(
        "staging-web",
        40.0,
        None,
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    p(
        "staging-bastion",
        8.0,
        None,
        Optimized("the cheaper types that fit (t4g.micro, t3a.micro) are the same size as a t2.micro: not downsizes"),
    ),
    planted(
        "staging-loadtest",
        14.5,
        Some((22.0, 30.0)),
        Over("t4g.small"),
        "the agent shows at most 30% of 4 GiB in use, so 1.5 GiB is required; t4g.small is the cheapest current-generation type with at least 1.5 GiB (2 GiB, half the current 4: a downsize; then t3a.small $0.0188, t3.small $0.0208), its mean hourly Average CPU converted to t4g.small's 2 vCPUs stays far under the 20% baseline per vCPU, and 2 vCPU cover the 0.3625 required",
        &[],
    ),
    p("staging-perf", 1.0, None, Skip),
    p("demo-env", 45.0, None, Skip),
    p(
        "queue-consumer",
        3.0,
        None,
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    // acme-data, us-west-2.
    p(
        "spark",
        75.0,
        Some((60.0, 70.0)),
        Optimized(
            "no smaller type fits: 2 × 75%/0.8 = 1.875 vCPU is more than r5a.large (2 × 0.85) or a 1-vCPU x2gd/x8g delivers, and it needs 14 GiB",
        ),
    ),
    p(
        "etl",
        72.0,
        Some((50.0, 60.0)),
        Optimized(
            "no smaller type fits: m6g.medium's Graviton2 core (0.8 of a Graviton3 one) cannot carry 72%/0.8 = 0.9 Graviton3 vCPU, and t4g.medium allows 20% per vCPU on average, under its ~38% × 1.25 / 2 ≈ 24%",
        ),
    ),
    p(
        "airflow",
        65.0,
        Some((50.0, 60.0)),
        Optimized("no smaller type fits: t3a.small allows 20% per vCPU on average, under its ~30% / 0.85"),
    ),
    p(
        "ingest",
        75.0,
        Some((45.0, 55.0)),
        Optimized(
            "no smaller type fits: 2 × 75%/0.8 = 1.875 vCPU is more than c5a.large (2 × 0.85) or any 1-vCPU type delivers, and the burstables allow 20–30% per vCPU on average, under its ~44%",
        ),
    ),
    p(
        "legacy-etl",
        30.0,
        None,
        Optimized(
            "the cheaper types that fit (r6g.medium, t4g.large) deliver more sustained CPU than a t2.large's 30% of two 0.8 Haswell vCPU: a migration, not a downsize",
        ),
    ),
    p("notebook", 1.0, None, Skip),
    p("spark-old", 95.0, None, Skip),
    // acme-data, us-east-1.
    p(
        "data-api",
        35.0,
        Some((45.0, 55.0)),
        Optimized("only same-size types fit and cost less (t3a, t4g): a migration to cheaper cores, not a downsize"),
    ),
    p(
        "data-jobs",
        25.0,
        None,
        Optimized("no smaller type fits: t3a.micro and t4g.micro are the same size (a migration, not a downsize)"),
    ),
    p(
        "data-probes",
        8.0,
        None,
        Optimized("no smaller type fits: t3a.nano and t4g.nano are the same size (a migration, not a downsize)"),
    ),
    planted(
        "events-enricher",
        97.0,
        None,
        Under("c6g.large"),
        "no single-vCPU type fits (even c9g.medium's Graviton5 core would have to be 21% faster than a Graviton4 core); the burstable t4g.medium and t4g.large allow 20% and 30% per vCPU on average, under its ~69% spread over 2 vCPU; c6g.large is the cheapest 2-vCPU arm64 type left, and its 2 Graviton2 vCPU carry the 1.2125 Graviton4 vCPU required unless a Graviton2 core were under 61% of a Graviton4 core",
        &[],
    ),
];

/// The profile of an app.
pub fn profile(app: &str) -> &'static Profile {
    PROFILES.iter().find(|p| p.app == app).unwrap_or_else(|| panic!("no rightsizing profile for app {app}"))
}

/// Adds the group, the under-provisioned instance and the short-lived one.
/// Runs before the commitments: the savings plan covers the group.
pub(super) fn add_instances(plan: &mut Plan, seed: u64) {
    let mut ids = Ids { rng: Rng::fork(seed, "ids-rightsizing") };
    let arm = public_amis(US_EAST_1).al2023_arm64;
    // The export workers render customer PDF exports: a Graviton group sized for a
    // launch-day peak that never came, on the compute savings plan.
    for (n, name) in ["export-1", "export-2", "export-3"].into_iter().enumerate() {
        push_instance(
            plan,
            &mut ids,
            NewInstance {
                account: 0,
                region: US_EAST_1,
                az_index: n,
                name,
                app: "export",
                team: "growth",
                instance_type: "c6g.large",
                launch: at(2026, 7, 8, 10) + Duration::minutes(2 * n as i64),
                cpu: Cpu { low: 9.0, high: 20.0 },
                network: BUSY_NETWORK,
                metrics: true,
                asg: Some(EXPORT_ASG),
                image_id: arm.into(),
                pricing: Pricing::SavingsPlan,
            },
        );
    }
    plan.launch_templates.push(LaunchTemplate {
        id: ids.id("lt"),
        name: "acme-export".into(),
        account: 0,
        region: US_EAST_1,
        versions: vec![TemplateVersion { number: 1, image_id: Some(arm.into()), created: at(2026, 7, 8, 9) }],
        default_version: 1,
    });
    // A single-vCPU Graviton4 instance that runs hot all day.
    push_instance(
        plan,
        &mut ids,
        NewInstance {
            account: 2,
            region: US_EAST_1,
            az_index: 1,
            name: "events-enricher",
            app: "events-enricher",
            team: "data",
            instance_type: "c8g.medium",
            launch: at(2026, 6, 2, 15),
            cpu: Cpu { low: 62.0, high: 88.0 },
            network: BUSY_NETWORK,
            metrics: true,
            asg: None,
            image_id: arm.into(),
            pricing: Pricing::OnDemand,
        },
    );
    // Launched 20 hours before the snapshot: metrics, but too few to judge.
    push_instance(
        plan,
        &mut ids,
        NewInstance {
            account: 0,
            region: US_EAST_1,
            az_index: 0,
            name: "payments-canary",
            app: "payments-canary",
            team: "platform",
            instance_type: "m7g.medium",
            launch: hour(HOURS - 20),
            cpu: Cpu { low: 15.0, high: 40.0 },
            network: BUSY_NETWORK,
            metrics: true,
            asg: None,
            image_id: arm.into(),
            pricing: Pricing::OnDemand,
        },
    );
}

/// Gives every instance its peaks, from its app's profile.
pub(super) fn assign_peaks(plan: &mut Plan) {
    for inst in &mut plan.instances {
        let profile = profile(inst.app);
        inst.peaks =
            Peaks { cpu: profile.cpu_peak, memory: profile.memory.map(|(typical, peak)| MemoryUse { typical, peak }) };
    }
}

/// What the method reads of an instance (or a group's aggregated series) over the lookback.
#[derive(Debug, Clone, Copy)]
struct Observed {
    /// Hours with a CPU datapoint.
    samples: usize,
    /// p99.5 (nearest rank) of the hourly CPU `Maximum`.
    cpu: f64,
    /// Mean of the hourly CPU `Average`.
    mean: f64,
    /// p99.5 of the hourly memory `Maximum`, with the agent.
    memory: Option<f64>,
}

fn p995(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let index = ((0.995 * n as f64).ceil() as usize).clamp(1, n) - 1;
    values[index]
}

/// The group's hourly series, aggregated as the method does: per hour, the mean over members.
fn observe(members: &[&Instance], seed: u64) -> Observed {
    let from = HOURS - LOOKBACK_HOURS;
    let series: Vec<Vec<series::InstanceHour>> =
        members.iter().map(|i| series::instance_hours(i, seed).into_iter().filter(|x| x.h >= from).collect()).collect();
    let mut cpu = Vec::new();
    let mut mean = Vec::new();
    let mut memory = Vec::new();
    for h in from..HOURS {
        let at_h: Vec<&series::InstanceHour> = series.iter().filter_map(|s| s.iter().find(|x| x.h == h)).collect();
        if at_h.is_empty() {
            continue;
        }
        let n = at_h.len() as f64;
        cpu.push(at_h.iter().map(|x| x.cpu_maximum).sum::<f64>() / n);
        mean.push(at_h.iter().map(|x| x.cpu_average).sum::<f64>() / n);
        let mem: Vec<f64> = at_h.iter().filter_map(|x| x.memory).collect();
        if mem.len() == at_h.len() {
            memory.push(mem.iter().sum::<f64>() / n);
        }
    }
    let samples = cpu.len();
    Observed {
        samples,
        cpu: if samples == 0 { 0.0 } else { p995(cpu) },
        mean: if samples == 0 { 0.0 } else { mean.iter().sum::<f64>() / samples as f64 },
        memory: (!memory.is_empty()).then(|| p995(memory)),
    }
}

/// Burstable baseline CPU per vCPU, percent, by size (t2 differs from xlarge up).
fn burst_baseline(instance_type: &str) -> Option<f64> {
    let (family, size) = instance_type.split_once('.')?;
    let t2 = family == "t2";
    Some(match size {
        "nano" => 5.0,
        "micro" => 10.0,
        "small" | "medium" => 20.0,
        "large" => 30.0,
        "xlarge" if t2 => 22.5,
        "2xlarge" if t2 => 33.75,
        "xlarge" | "2xlarge" => 40.0,
        _ => return None,
    })
}

fn gib(spec: &costwise_analyzer::prices::InstanceSpec) -> f64 {
    spec.memory_mib as f64 / 1024.0
}

fn arch(spec: &costwise_analyzer::prices::InstanceSpec) -> &'static str {
    if spec.architectures.iter().any(|a| a == "x86_64") { "x86_64" } else { "arm64" }
}

/// The oracle entries and notes of the family. Runs after every other family has planted.
#[allow(clippy::too_many_lines)] // one pass over the fleet, one oracle entry per finding
pub(super) fn plant(plan: &mut Plan, rates: &Rates, seed: u64) {
    let hpm = HOURS_PER_MONTH;
    let running: Vec<Instance> = plan.instances.iter().filter(|i| i.state == Some("running")).cloned().collect();
    // Groups first-seen order: an Auto Scaling group once, other instances one by one.
    let mut units: Vec<Vec<&Instance>> = Vec::new();
    for inst in &running {
        match &inst.asg {
            Some(group) => {
                if let Some(unit) = units.iter_mut().find(|u| u[0].asg.as_ref() == Some(group)) {
                    unit.push(inst);
                } else {
                    units.push(vec![inst]);
                }
            }
            None => units.push(vec![inst]),
        }
    }
    // Optimized apps: (app, instances or groups, their mean CPU).
    let mut optimized: Vec<(&'static str, Vec<String>, Vec<f64>)> = Vec::new();
    for members in &units {
        let first = members[0];
        let profile = profile(first.app);
        let r = first.region;
        let observed = observe(members, seed);
        if matches!(profile.outcome, Skip) {
            continue;
        }
        assert!(observed.samples >= MIN_HOURS, "{} has {} samples", first.name, observed.samples);
        assert_eq!(observed.cpu, profile.cpu_peak, "{}: p99.5 of the hourly CPU maxima", first.name);
        if let Some((_, peak)) = profile.memory {
            assert_eq!(observed.memory, Some(peak), "{}: p99.5 of the hourly memory maxima", first.name);
        }
        let current = rates.spec(&first.instance_type);
        let (vcpu, mem) = (f64::from(current.vcpus), gib(current));
        let required_vcpu = vcpu * observed.cpu / 100.0 / (1.0 - HEADROOM);
        let required_gib = observed.memory.map_or(mem, |m| mem * m / 100.0 / (1.0 - HEADROOM));
        let (resource, who) = match &first.asg {
            Some(group) => (
                group.clone(),
                format!(
                    "Auto Scaling group {group} ({} × {}: {}; aggregated per hour as the mean over members)",
                    members.len(),
                    first.instance_type,
                    members.iter().map(|i| format!("{} {}", i.name, i.id)).collect::<Vec<_>>().join(", ")
                ),
            ),
            None => (first.id.clone(), format!("{} ({}, {})", first.name, first.instance_type, r.code)),
        };
        let memory_clause = match observed.memory {
            Some(m) => format!(
                "p99.5 of the hourly CloudWatch-agent mem_used_percent Maximum = {m}% of {mem} GiB → required {mem} × {m}/100 / 0.8 = {required_gib:.4} GiB"
            ),
            None => format!("no CloudWatch agent, so memory is kept: required {mem} GiB"),
        };
        let basis = format!(
            "{who}: {} hourly CPU datapoints in the last 14 days; p99.5 (nearest rank) of the hourly CPU Maximum = {}% (the nightly job's peak), mean hourly Average {:.2}%; required vCPU = {vcpu} × {}/100 / 0.8 = {required_vcpu:.4}; {memory_clause}",
            observed.samples, observed.cpu, observed.mean, observed.cpu
        );
        let cur_rate = rates.ec2(r, &first.instance_type);
        let n = members.len() as f64;
        match profile.outcome {
            Over(best) => {
                let spec = rates.spec(best);
                let best_rate = rates.ec2(r, best);
                assert!(best_rate < cur_rate, "{best} is not cheaper than {}", first.instance_type);
                let billed: f64 = members.iter().map(|i| rates.billed_fraction(plan, i)).sum::<f64>() / n;
                let on_demand = (cur_rate - best_rate) * hpm * n;
                let covered = billed < 0.9;
                let savings = if covered { on_demand * billed } else { on_demand };
                let mut note = format!(
                    "{basis}; recommended {best} ({} vCPU, {} GiB, {}, ${best_rate:.6}/h in {})",
                    spec.vcpus,
                    gib(spec),
                    arch(spec),
                    r.code
                );
                if spec.burstable {
                    let baseline = burst_baseline(best).expect("a burstable size");
                    let converted = observed.mean * vcpu / f64::from(spec.vcpus);
                    let _ = write!(
                        note,
                        ", burstable: mean Average {:.2}% × {vcpu}/{} vCPU = {converted:.2}% ≤ its {baseline}% baseline per vCPU",
                        observed.mean, spec.vcpus
                    );
                }
                if arch(current) == "x86_64" && arch(spec) == "arm64" {
                    note.push_str(", arm64 (Graviton): migration effort medium, everything needs arm64 builds");
                }
                if let Some(why) = profile.why {
                    let _ = write!(note, "; {why}");
                }
                let each = (cur_rate - best_rate) * hpm;
                let count = if members.len() > 1 { format!(" × {} members", members.len()) } else { String::new() };
                let _ = write!(
                    note,
                    "; savings = (${cur_rate:.6} − ${best_rate:.6}) × 730 h{count} = ${on_demand:.4}/month on demand"
                );
                if covered {
                    let reserved = members.iter().filter(|i| matches!(i.pricing, Pricing::Reserved(_))).count();
                    let plan_covered = members.iter().filter(|i| i.pricing == Pricing::SavingsPlan).count();
                    let how = match (reserved, plan_covered) {
                        (0, k) => format!("{k} of {} covered by the compute savings plan", members.len()),
                        (k, 0) => format!("{k} of {} covered by reserved instances", members.len()),
                        (a, b) => format!("{a} of {} on reserved instances, {b} on the savings plan", members.len()),
                    };
                    let _ = write!(
                        note,
                        "; {how}: the CUR bills {:.4}% of on-demand for these hours (amortized), so the after-discount saving is ${on_demand:.4} × {billed:.6} = ${savings:.4}/month (the expected figure; the commitment may need exchanging)",
                        billed * 100.0
                    );
                }
                if members.len() > 1 && !covered {
                    let _ = write!(note, " (${each:.4} per member)");
                }
                push_oracle(plan, "overprovisioned-instance", first.account, r, Some(&resource), Some(savings), note);
                let entry = plan.oracle.last_mut().expect("just pushed");
                entry.expected_recommendation = Some(best.to_owned());
                entry.expected_alternatives = profile.alternatives.map(|a| a.iter().map(|s| (*s).to_owned()).collect());
            }
            Under(best) => {
                let spec = rates.spec(best);
                let best_rate = rates.ec2(r, best);
                let increase = (best_rate - cur_rate) * hpm * n;
                let why = if observed.cpu / (1.0 - HEADROOM) > 100.0 {
                    format!("the CPU requirement {required_vcpu:.4} exceeds its {vcpu} vCPU")
                } else {
                    format!("the memory requirement {required_gib:.4} GiB exceeds its {mem} GiB")
                };
                let mut note = format!(
                    "{basis}; under-provisioned: {why}; the cheapest type that fits is {best} ({} vCPU, {} GiB, {}, ${best_rate:.6}/h), a cost increase of (${best_rate:.6} − ${cur_rate:.6}) × 730 h = ${increase:.4}/month: reported as a risk with $0 savings",
                    spec.vcpus,
                    gib(spec),
                    arch(spec)
                );
                if let Some(why) = profile.why {
                    let _ = write!(note, "; {why}");
                }
                push_oracle(plan, "underprovisioned-instance", first.account, r, Some(&resource), Some(0.0), note);
                plan.oracle.last_mut().expect("just pushed").expected_recommendation = Some(best.to_owned());
            }
            Optimized(_) => {
                let who = match &first.asg {
                    Some(group) => format!("{group} ({} × {})", members.len(), first.instance_type),
                    None => format!("{} {}", first.name, first.id),
                };
                match optimized.iter_mut().find(|(app, ..)| *app == first.app) {
                    Some((_, whos, means)) => {
                        whos.push(who);
                        means.push(observed.mean);
                    }
                    None => optimized.push((first.app, vec![who], vec![observed.mean])),
                }
            }
            Skip => {}
        }
    }
    add_notes(plan, &running, &optimized, seed);
}

#[allow(clippy::type_complexity)] // (app, instances, means) as collected by `plant`
fn add_notes(plan: &mut Plan, running: &[Instance], optimized: &[(&'static str, Vec<String>, Vec<f64>)], seed: u64) {
    let by_app = |app: &str| -> Vec<&Instance> { running.iter().filter(|i| i.app == app).collect() };
    let canary = by_app("payments-canary")[0];
    let samples = observe(&[canary], seed).samples;
    let no_metrics = by_app("search-canary")[0];
    let overlap = |apps: &[&str]| -> String {
        apps.iter()
            .map(|app| {
                let members = by_app(app);
                let first = members[0];
                let Outcome::Over(best) = profile(app).outcome else { panic!("{app} is not over-provisioned") };
                let what = first.asg.clone().unwrap_or_else(|| format!("{} ({})", first.name, first.id));
                format!("{what} ({} → {best})", first.instance_type)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    plan.notes.extend([
        format!(
            "Instances ec2-rightsizing leaves alone (optimized: no smaller type that fits saves $1/month or more; a same-size move to Graviton or a newer generation is a migration, not a finding): {}.",
            optimized
                .iter()
                .map(|(app, whos, means)| {
                    let profile = profile(app);
                    let Outcome::Optimized(why) = profile.outcome else { unreachable!("collected as optimized") };
                    let (lo, hi) = means.iter().fold((f64::MAX, f64::MIN), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
                    let mean = if hi - lo < 0.05 { format!("{lo:.1}%") } else { format!("{lo:.1}–{hi:.1}%") };
                    let memory = profile.memory.map_or_else(String::new, |(_, peak)| format!(", memory p99.5 {peak}%"));
                    let inst = &running.iter().find(|i| i.app == *app).expect("a running instance").instance_type;
                    format!(
                        "{app} ({inst}: {}; CPU p99.5 {}%, mean {mean}{memory}): {why}",
                        whos.join(", "),
                        profile.cpu_peak
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
        format!(
            "payments-canary ({}) was launched {} and has only {samples} hourly CPU datapoints (fewer than the 30 the method needs): not-enough-data for ec2-rightsizing, never a finding. search-canary ({}) has no metrics at all: not-enough-data too.",
            canary.id,
            canary.launch.format("%Y-%m-%d %H:%M"),
            no_metrics.id
        ),
        "The idle instances (forgotten-jenkins-agent, staging-queue-consumers) are not ec2-rightsizing findings: the only cheaper types that fit them are the same size (t3a, t4g), a migration, not a downsize.".into(),
        format!(
            "Previous-generation instances that are also ec2-rightsizing findings, with larger savings the de-duplication counts instead: {}. The other previous-generation ones (dr-bastion, staging-bastion-1/2, legacy-etl) are not: every cheaper type that fits them is the same size or larger (a migration, not a downsize).",
            overlap(&["legacy-reports", "image-resizer"])
        ),
        "ec2-rightsizing judges running instances only: stopped ones are stopped-instance findings, terminated ones are not in the inventory. Members of an Auto Scaling group (acme-web-asg, acme-api-asg, acme-worker-asg, acme-export-asg, staging-queue-consumers) are judged once per group, never one by one.".into(),
        format!(
            "Every instance's hourly CPU Maximum reaches its peak exactly once a day (a nightly job at {:02}:00 local time) and stays below it otherwise, so the p99.5 of the last 14 days is that peak whatever the lookback's exact edges; CWAgent mem_used_percent likewise. The conclusions use the per-vCPU performance table of docs/rightsizing.md; the planted findings (reporting, legacy-cache, eu-cache, staging-loadtest, acme-web-asg, acme-export-asg, search, events-enricher) hold under any plausible table (checked by crates/synth/tests/rightsizing.rs).",
            series::NIGHTLY_HOUR
        ),
    ]);
}
