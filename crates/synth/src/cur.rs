//! Large CUR 2.0 exports for the ingest benchmarks.
//!
//! [`write_cur2`] writes `rows` line items of one month (October 2026, 720
//! hours) as a directory of Snappy Parquet parts, the way AWS Data Exports
//! delivers them. Cardinalities follow a real mid-to-large estate: about
//! `rows / 720` resources (thousands), each billed every hour; 3 accounts;
//! 5 regions; ~60 instance types and a few hundred distinct usage types;
//! five line item types (on-demand, reserved, savings plan covered and
//! negation, and hourly savings plan fees); tag maps drawn from small
//! vocabularies.
//!
//! Parts are generated and written one at a time ([`ROWS_PER_PART`] rows
//! each), so memory stays bounded by one part whatever `rows` is.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::{ParquetCompression, ParquetWriter};

use crate::cur2::{CurBuilder, LineItem, MapId, SavingsPlanFields, Sym, micros, region_prefix};
use crate::rng::Rng;

/// Line items per Parquet part.
pub const ROWS_PER_PART: usize = 1_000_000;

/// Hours in the generated month.
pub const HOURS: usize = 720;

const ACCOUNTS: [(&str, &str); 3] =
    [("111111111111", "acme-prod"), ("222222222222", "acme-staging"), ("333333333333", "acme-data")];
const REGIONS: [(&str, f64); 5] =
    [("us-east-1", 1.0), ("us-west-2", 1.0), ("eu-west-1", 1.1), ("eu-central-1", 1.15), ("ap-southeast-2", 1.25)];
const FAMILIES: [(&str, f64); 12] = [
    ("t3", 0.0104),
    ("t3a", 0.0094),
    ("m5", 0.024),
    ("m6i", 0.024),
    ("m6g", 0.01925),
    ("m7g", 0.0204),
    ("c5", 0.02125),
    ("c6g", 0.017),
    ("c7g", 0.0181),
    ("r5", 0.0315),
    ("r6g", 0.0252),
    ("m4", 0.025),
];
const SIZES: [(&str, f64); 5] = [("micro", 0.5), ("small", 1.0), ("medium", 2.0), ("large", 4.0), ("xlarge", 8.0)];
const TEAMS: [&str; 8] = ["platform", "data", "growth", "search", "payments", "ml", "mobile", "infra"];
const APPS: [&str; 12] =
    ["web", "api", "worker", "etl", "search", "cache", "ingest", "billing", "auth", "notifications", "ml", "tools"];

/// What [`write_cur2`] wrote.
#[derive(Debug, Clone)]
pub struct CurExport {
    /// Line items written.
    pub rows: usize,
    /// Distinct resources billed.
    pub resources: usize,
    /// The Parquet parts, in order.
    pub parts: Vec<PathBuf>,
}

/// One billed thing: a resource and the line it produces every hour.
struct Resource {
    account: usize,
    region: usize,
    kind: Kind,
    product_code: &'static str,
    usage_type: String,
    operation: &'static str,
    az: String,
    id: String,
    instance_type: String,
    unit: &'static str,
    family: &'static str,
    amount: f64,
    rate: f64,
    nf: f64,
    team: usize,
    app: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    OnDemand,
    Reserved,
    SavingsPlan,
    Negation,
    SavingsPlanFee,
}

fn resources(count: usize, seed: u64) -> Vec<Resource> {
    let mut rng = Rng::fork(seed, "cur-resources");
    (0..count)
        .map(|i| {
            let account = rng.below(3) as usize;
            let region = [0, 0, 0, 1, 1, 2, 2, 3, 4][rng.below(9) as usize];
            let (code, mult) = REGIONS[region];
            let prefix = region_prefix(code);
            let az = format!("{code}{}", ["a", "b", "c"][rng.below(3) as usize]);
            let team = rng.below(TEAMS.len() as u64) as usize;
            let app = rng.below(APPS.len() as u64) as usize;
            let pick = rng.below(100);
            let instance = |rng: &mut Rng| {
                let (family, per_unit) = FAMILIES[rng.below(FAMILIES.len() as u64) as usize];
                let (size, nf) = SIZES[rng.below(SIZES.len() as u64) as usize];
                (format!("{family}.{size}"), per_unit * nf * mult, nf)
            };
            let base = |kind, product_code, usage_type: String, operation, id, unit, family, amount, rate| Resource {
                account,
                region,
                kind,
                product_code,
                usage_type,
                operation,
                az: az.clone(),
                id,
                instance_type: String::new(),
                unit,
                family,
                amount,
                rate,
                nf: 0.0,
                team,
                app,
            };
            match pick {
                0..=44 => {
                    let (itype, rate, nf) = instance(&mut rng);
                    let kind = match rng.below(20) {
                        0 | 1 => Kind::Reserved,
                        2..=4 => Kind::SavingsPlan,
                        _ => Kind::OnDemand,
                    };
                    let mut r = base(
                        kind,
                        "AmazonEC2",
                        format!("{prefix}BoxUsage:{itype}"),
                        "RunInstances",
                        format!("i-0{}", rng.hex(16)),
                        "Hrs",
                        "Compute Instance",
                        1.0,
                        rate,
                    );
                    r.nf = nf;
                    r.instance_type = itype;
                    r
                }
                45..=46 => {
                    let (itype, rate, nf) = instance(&mut rng);
                    let mut r = base(
                        Kind::Negation,
                        "AmazonEC2",
                        format!("{prefix}BoxUsage:{itype}"),
                        "RunInstances",
                        String::new(),
                        "Hrs",
                        "Compute Instance",
                        1.0,
                        -rate,
                    );
                    r.nf = nf;
                    r.instance_type = itype;
                    r
                }
                47..=71 => {
                    let (vtype, price) = [("gp3", 0.08), ("gp2", 0.10), ("io1", 0.125), ("st1", 0.045), ("sc1", 0.015)]
                        [rng.below(5) as usize];
                    let suffix = if vtype == "io1" { "piops" } else { vtype };
                    let size = [8.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0][rng.below(7) as usize];
                    base(
                        Kind::OnDemand,
                        "AmazonEC2",
                        format!("{prefix}EBS:VolumeUsage.{suffix}"),
                        "CreateVolume",
                        format!("vol-0{}", rng.hex(16)),
                        "GB-Mo",
                        "Storage",
                        size / 730.0,
                        price * mult,
                    )
                }
                72..=79 => base(
                    Kind::OnDemand,
                    "AmazonEC2",
                    format!("{prefix}EBS:SnapshotUsage"),
                    "CreateSnapshot",
                    format!("arn:aws:ec2:{code}:{}:snapshot/snap-0{}", ACCOUNTS[account].0, rng.hex(16)),
                    "GB-Mo",
                    "Storage Snapshot",
                    rng.range(1.0, 400.0) / 730.0,
                    0.05 * mult,
                ),
                80..=85 => {
                    let (class, price) = [
                        ("TimedStorage-ByteHrs", 0.023),
                        ("TimedStorage-SIA-ByteHrs", 0.0125),
                        ("TimedStorage-GlacierByteHrs", 0.0036),
                    ][rng.below(3) as usize];
                    let mut r = base(
                        Kind::OnDemand,
                        "AmazonS3",
                        format!("{prefix}{class}"),
                        "StandardStorage",
                        format!("acme-bucket-{i:06}"),
                        "GB-Mo",
                        "Storage",
                        rng.range(1.0, 5000.0) / 730.0,
                        price * mult,
                    );
                    r.az = String::new();
                    r
                }
                86..=91 => {
                    let mut r = base(
                        Kind::OnDemand,
                        "AWSDataTransfer",
                        format!("{prefix}DataTransfer-Out-Bytes"),
                        "RunInstances",
                        format!("i-0{}", rng.hex(16)),
                        "GB",
                        "Data Transfer",
                        rng.range(0.01, 3.0),
                        0.09 * mult,
                    );
                    r.az = String::new();
                    r
                }
                92..=93 => {
                    let class =
                        ["db.t3.medium", "db.m6g.large", "db.r6g.large", "db.r6g.xlarge"][rng.below(4) as usize];
                    let mut r = base(
                        Kind::OnDemand,
                        "AmazonRDS",
                        format!("{prefix}InstanceUsage:{class}"),
                        "CreateDBInstance:0014",
                        format!("arn:aws:rds:{code}:{}:db:db-{i}", ACCOUNTS[account].0),
                        "Hrs",
                        "Database Instance",
                        1.0,
                        rng.range(0.07, 0.5) * mult,
                    );
                    class.clone_into(&mut r.instance_type);
                    r
                }
                94..=95 => base(
                    Kind::OnDemand,
                    "AmazonEC2",
                    format!("{prefix}NatGateway-Hours"),
                    "NatGateway",
                    format!("arn:aws:ec2:{code}:{}:natgateway/nat-0{}", ACCOUNTS[account].0, rng.hex(16)),
                    "Hrs",
                    "NAT Gateway",
                    1.0,
                    0.045 * mult,
                ),
                96..=97 => {
                    let mut r = base(
                        Kind::OnDemand,
                        "AWSELB",
                        format!("{prefix}LoadBalancerUsage"),
                        "LoadBalancing:Application",
                        format!(
                            "arn:aws:elasticloadbalancing:{code}:{}:loadbalancer/app/lb-{i}/{}",
                            ACCOUNTS[account].0,
                            rng.hex(16)
                        ),
                        "Hrs",
                        "Load Balancer-Application",
                        1.0,
                        0.0225 * mult,
                    );
                    r.az = String::new();
                    r
                }
                98 => {
                    let mut r = base(
                        Kind::OnDemand,
                        "AmazonCloudWatch",
                        format!("{prefix}CW:MetricMonitorUsage"),
                        "MetricStorage",
                        String::new(),
                        "Metrics",
                        "Metric",
                        rng.range(10.0, 500.0) / 730.0,
                        0.30 * mult,
                    );
                    r.az = String::new();
                    r
                }
                _ => {
                    let mut r = base(
                        Kind::SavingsPlanFee,
                        "ComputeSavingsPlans",
                        "ComputeSP:1yrNoUpfront".into(),
                        "",
                        format!("arn:aws:savingsplans::{}:savingsplan/{}", ACCOUNTS[account].0, rng.hex(32)),
                        "Hrs",
                        "Savings Plan",
                        1.0,
                        rng.range(0.5, 5.0),
                    );
                    r.az = String::new();
                    r
                }
            }
        })
        .collect()
}

/// Writes `rows` CUR 2.0 line items into `dir` (created if needed) as Parquet parts.
pub fn write_cur2(dir: &Path, rows: usize, seed: u64) -> anyhow::Result<CurExport> {
    write_cur2_parts(dir, rows, seed, ROWS_PER_PART)
}

/// [`write_cur2`] with a chosen part size.
#[allow(clippy::many_single_char_names)]
pub fn write_cur2_parts(dir: &Path, rows: usize, seed: u64, rows_per_part: usize) -> anyhow::Result<CurExport> {
    anyhow::ensure!(rows > 0, "--rows must be at least 1");
    anyhow::ensure!(rows_per_part > 0, "rows per part must be at least 1");
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let count = rows.div_ceil(HOURS).max(1);
    let pool = resources(count, seed);
    let month = NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date").and_hms_opt(0, 0, 0).expect("valid time");
    let month_us = micros(month);
    let mut parts = Vec::new();
    let mut written = 0;
    let mut part_index = 0;
    let mut amount_rng = Rng::fork(seed, "cur-amounts");
    while written < rows {
        let n = rows_per_part.min(rows - written);
        let mut b = CurBuilder::new(ACCOUNTS[0].0, ACCOUNTS[0].1, seed ^ (part_index as u64).wrapping_mul(0x9E37_79B9));
        let syms = Syms::new(&mut b, &pool);
        for i in written..written + n {
            let h = i / count;
            let r = &pool[i % count];
            let s = &syms.per_resource[i % count];
            let start = month_us + (h as i64) * 3_600_000_000;
            let jitter = if matches!(r.unit, "GB") { amount_rng.range(0.5, 1.5) } else { 1.0 };
            let amount = r.amount * jitter;
            let mut item = LineItem {
                account_id: syms.accounts[r.account].0,
                account_name: syms.accounts[r.account].1,
                line_item_type: syms.usage,
                start_us: start,
                end_us: start + 3_600_000_000,
                product_code: s.product_code,
                usage_type: s.usage_type,
                operation: s.operation,
                availability_zone: s.az,
                resource_id: s.id,
                usage_amount: amount,
                unblended_rate: r.rate,
                unblended_cost: amount * r.rate,
                normalization_factor: r.nf,
                public_on_demand_rate: r.rate.max(0.0),
                public_on_demand_cost: (amount * r.rate).max(0.0),
                pricing_term: syms.on_demand,
                pricing_unit: s.unit,
                instance_type: s.instance_type,
                region: syms.regions[r.region],
                product_family: s.family,
                description: 0,
                product: s.product,
                tags: s.tags,
                reservation: None,
                savings_plan: None,
            };
            match r.kind {
                Kind::OnDemand => {}
                Kind::Reserved => {
                    item.line_item_type = syms.discounted;
                    item.pricing_term = syms.reserved;
                    item.unblended_cost = 0.0;
                    item.reservation = Some(crate::cur2::ReservationFields {
                        arn: syms.ri_arn,
                        effective_cost: r.rate * 0.6,
                        recurring_fee_for_usage: r.rate * 0.6,
                        number_of_reservations: 1.0,
                        ..Default::default()
                    });
                }
                Kind::SavingsPlan | Kind::Negation => {
                    let negation = r.kind == Kind::Negation;
                    item.line_item_type = if negation { syms.negation } else { syms.covered };
                    if negation {
                        item.public_on_demand_cost = 0.0;
                    }
                    item.savings_plan = Some(SavingsPlanFields {
                        arn: syms.sp_arn,
                        rate: if negation { 0.0 } else { r.rate * 0.72 },
                        effective_cost: if negation { 0.0 } else { r.rate * 0.72 },
                        offering_type: syms.compute_sp,
                        ..Default::default()
                    });
                }
                Kind::SavingsPlanFee => {
                    item.line_item_type = syms.sp_fee;
                    item.savings_plan = Some(SavingsPlanFields {
                        arn: s.id,
                        total_commitment_to_date: r.rate,
                        used_commitment: r.rate * 0.93,
                        offering_type: syms.compute_sp,
                        ..Default::default()
                    });
                }
            }
            b.push(item);
        }
        let mut df = b.finish().context("building a CUR part")?;
        let path = dir.join(format!("costwise-bench-{:05}.snappy.parquet", part_index + 1));
        let file = fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Snappy)
            .with_row_group_size(Some(128 * 1024))
            .finish(&mut df)
            .with_context(|| format!("writing {}", path.display()))?;
        parts.push(path);
        written += n;
        part_index += 1;
    }
    Ok(CurExport { rows, resources: count, parts })
}

/// Interned strings of one part.
struct Syms {
    accounts: Vec<(Sym, Sym)>,
    regions: Vec<Sym>,
    usage: Sym,
    discounted: Sym,
    covered: Sym,
    negation: Sym,
    sp_fee: Sym,
    on_demand: Sym,
    reserved: Sym,
    compute_sp: Sym,
    ri_arn: Sym,
    sp_arn: Sym,
    per_resource: Vec<ResourceSyms>,
}

struct ResourceSyms {
    product_code: Sym,
    usage_type: Sym,
    operation: Sym,
    az: Sym,
    id: Sym,
    unit: Sym,
    family: Sym,
    instance_type: Sym,
    product: MapId,
    tags: MapId,
}

impl Syms {
    fn new(b: &mut CurBuilder, pool: &[Resource]) -> Self {
        let accounts = ACCOUNTS.iter().map(|(id, name)| (b.sym(id), b.sym(name))).collect();
        let regions = REGIONS.iter().map(|(code, _)| b.sym(code)).collect();
        let per_resource = pool
            .iter()
            .map(|r| {
                let env = ["prod", "staging", "data"][r.account];
                let tags = if r.app % 5 == 4 {
                    0
                } else {
                    b.map(&[("user_app", APPS[r.app]), ("user_env", env), ("user_team", TEAMS[r.team])])
                };
                let product = if r.instance_type.is_empty() {
                    0
                } else {
                    b.map(&[("operating_system", "Linux"), ("tenancy", "Shared"), ("instance_type", &r.instance_type)])
                };
                ResourceSyms {
                    product_code: b.sym(r.product_code),
                    usage_type: b.sym(&r.usage_type),
                    operation: b.sym(r.operation),
                    az: b.sym(&r.az),
                    id: b.sym(&r.id),
                    unit: b.sym(r.unit),
                    family: b.sym(r.family),
                    instance_type: b.sym(&r.instance_type),
                    product,
                    tags,
                }
            })
            .collect();
        Self {
            accounts,
            regions,
            usage: b.sym("Usage"),
            discounted: b.sym("DiscountedUsage"),
            covered: b.sym("SavingsPlanCoveredUsage"),
            negation: b.sym("SavingsPlanNegation"),
            sp_fee: b.sym("SavingsPlanRecurringFee"),
            on_demand: b.sym("OnDemand"),
            reserved: b.sym("Reserved"),
            compute_sp: b.sym("ComputeSavingsPlan"),
            ri_arn: b.sym("arn:aws:ec2:us-east-1:111111111111:reserved-instances/7a1c9e0b-bench"),
            sp_arn: b.sym("arn:aws:savingsplans::111111111111:savingsplan/5f2d8c41-bench"),
            per_resource,
        }
    }
}
