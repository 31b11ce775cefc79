//! The demo account's hourly CUR 2.0 line items.
//!
//! Every line is hourly — instance hours, EBS and snapshot GB-months, S3
//! storage and requests, data transfer, NAT, load balancers, public IPv4,
//! RDS and CloudWatch — except the monthly `RIFee` lines, which AWS writes
//! once per reservation and month. GB-month usage is billed as
//! `size / 730` per hour, so a full month of hours is exactly `size × rate`.
//!
//! Alongside the raw frame the generator records, per line, the amortized
//! cost it *intends* (AWS's per-line-item-type rule applied by the generator
//! itself), so the oracle's spend totals check `normalize_cur` rather than
//! repeat it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::plan::{
    ACCOUNTS, CW_LOGS_INGEST_GB, CW_METRIC_MONTH, HOURS, HOURS_PER_MONTH, Instance, Plan, Pricing, RDS_GP2_GB_MONTH,
    Rates, Region, SURGE_START, hour, round6,
};
use super::shape;
use crate::cur2::{
    CurBuilder, LineItem, MapId, ReservationFields, SavingsPlanFields, Sym, iso, micros, normalization_factor,
};
use crate::rng::Rng;

const HOUR_US: i64 = 3_600_000_000;

/// The generated CUR and the spend the generator intended.
pub struct Billing {
    /// Raw CUR 2.0 frame builder, full of line items.
    pub cur: CurBuilder,
    /// Intended amortized cost over the last 30 days, by spend category.
    pub last_30_days: BTreeMap<String, f64>,
    /// Internet egress and S3 GET requests written over the last 30 days.
    pub traffic: Traffic,
}

/// Internet egress and S3 GET requests the generator wrote over the last 30 days.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Internet egress (`DataTransfer-Out-Bytes`) written over the last 30 days, unscaled, per
    /// (account index, CUR resource id): (GB, billed cost).
    pub egress_30_days: BTreeMap<(usize, String), (f64, f64)>,
    /// S3 GET requests (`Requests-Tier2`) written over the last 30 days, unscaled, per (account index, bucket).
    pub gets_30_days: BTreeMap<(usize, String), f64>,
    /// Every bucket's `AmazonS3` lines over the whole window, per (account index, bucket).
    pub s3: BTreeMap<(usize, String), S3Lines>,
}

/// What the generator wrote for one bucket under `AmazonS3` over the whole window: the request
/// and storage totals the storage rules read from a CUR, unscaled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct S3Lines {
    /// GET requests (`Requests-Tier2`).
    pub gets: f64,
    /// Object-creating requests (`Requests-Tier1`, operation `PutObject`).
    pub object_writes: f64,
    /// S3 Standard storage (`TimedStorage-ByteHrs`), GB-months.
    pub standard_gb_months: f64,
    /// Its billed cost.
    pub standard_cost: f64,
    /// First window hour with a line.
    pub first_hour: usize,
    /// Window hour after the last line.
    pub end_hour: usize,
}

impl S3Lines {
    /// Hours the bucket's lines span.
    pub fn hours(&self) -> f64 {
        (self.end_hour - self.first_hour) as f64
    }

    /// The billed S3 Standard rate, $/GB-month (cost ÷ GB-months), when Standard is billed.
    pub fn standard_rate(&self) -> Option<f64> {
        (self.standard_gb_months > 0.0).then(|| self.standard_cost / self.standard_gb_months)
    }
}

struct Ctx<'a> {
    b: CurBuilder,
    rates: &'a Rates,
    spend: BTreeMap<String, f64>,
    window_30: usize,
    egress_30: BTreeMap<(usize, String), (f64, f64)>,
    gets_30: BTreeMap<(usize, String), f64>,
    s3: BTreeMap<(usize, String), S3Lines>,
}

/// Fields of one usage line that vary; the rest come from defaults.
#[allow(clippy::struct_field_names)] // `usage_type` is the CUR's name
struct Usage<'a> {
    account: usize,
    region: Region,
    h: usize,
    product_code: &'a str,
    usage_type: &'a str,
    operation: &'a str,
    az: &'a str,
    resource: &'a str,
    amount: f64,
    rate: f64,
    unit: &'a str,
    family: &'a str,
    instance_type: &'a str,
    product: MapId,
    tags: MapId,
    category: &'a str,
}

impl Ctx<'_> {
    fn s(&mut self, s: &str) -> Sym {
        self.b.sym(s)
    }

    fn record(&mut self, category: &str, h: usize, amortized: f64) {
        if h >= self.window_30 {
            *self.spend.entry(category.to_owned()).or_default() += amortized;
        }
    }

    fn base(&mut self, u: &Usage<'_>, line_item_type: &str) -> LineItem {
        let usage_type = format!("{}{}", u.region.prefix, u.usage_type);
        let start = micros(hour(u.h));
        LineItem {
            account_id: self.s(ACCOUNTS[u.account].id),
            account_name: self.s(ACCOUNTS[u.account].name),
            line_item_type: self.s(line_item_type),
            start_us: start,
            end_us: start + HOUR_US,
            product_code: self.s(u.product_code),
            usage_type: self.s(&usage_type),
            operation: self.s(u.operation),
            availability_zone: self.s(u.az),
            resource_id: self.s(u.resource),
            usage_amount: u.amount,
            unblended_rate: u.rate,
            unblended_cost: u.amount * u.rate,
            normalization_factor: if u.instance_type.is_empty() || u.instance_type.starts_with("db.") {
                0.0
            } else {
                normalization_factor(u.instance_type)
            },
            public_on_demand_rate: u.rate,
            public_on_demand_cost: u.amount * u.rate,
            pricing_term: self.s("OnDemand"),
            pricing_unit: self.s(u.unit),
            instance_type: self.s(u.instance_type),
            region: self.s(u.region.code),
            product_family: self.s(u.family),
            description: EMPTY_SYM,
            product: u.product,
            tags: u.tags,
            reservation: None,
            savings_plan: None,
        }
    }

    /// A plain on-demand `Usage` line.
    fn usage(&mut self, u: &Usage<'_>) {
        if u.amount <= 0.0 {
            return;
        }
        let item = self.base(u, "Usage");
        self.record(u.category, u.h, item.unblended_cost);
        if u.product_code == "AmazonS3" {
            let lines = self.s3.entry((u.account, u.resource.to_owned())).or_insert(S3Lines {
                first_hour: u.h,
                end_hour: u.h + 1,
                ..S3Lines::default()
            });
            lines.first_hour = lines.first_hour.min(u.h);
            lines.end_hour = lines.end_hour.max(u.h + 1);
            match (u.usage_type, u.operation) {
                ("Requests-Tier2", _) => lines.gets += u.amount,
                ("Requests-Tier1", "PutObject") => lines.object_writes += u.amount,
                ("TimedStorage-ByteHrs", _) => {
                    lines.standard_gb_months += u.amount;
                    lines.standard_cost += item.unblended_cost;
                }
                _ => {}
            }
        }
        if u.h >= self.window_30 {
            let key = (u.account, u.resource.to_owned());
            if u.usage_type == "DataTransfer-Out-Bytes" {
                let (gb, cost) = self.egress_30.entry(key).or_default();
                *gb += u.amount;
                *cost += item.unblended_cost;
            } else if u.product_code == "AmazonS3" && u.usage_type == "Requests-Tier2" {
                *self.gets_30.entry(key).or_default() += u.amount;
            }
        }
        self.b.push(item);
    }
}

const EMPTY_SYM: Sym = crate::cur2::EMPTY;

fn tags(b: &mut CurBuilder, account: usize, team: &str, app: &str, name: &str) -> MapId {
    b.map(&[("user_app", app), ("user_env", ACCOUNTS[account].env), ("user_name", name), ("user_team", team)])
}

fn instance_tags(b: &mut CurBuilder, i: &Instance) -> MapId {
    if i.untagged { 0 } else { tags(b, i.account, i.team, i.app, &i.name) }
}

/// Generates every line item of the plan.
pub fn generate(plan: &Plan, rates: &Rates, seed: u64) -> Billing {
    let mut ctx = Ctx {
        b: CurBuilder::new(ACCOUNTS[0].id, ACCOUNTS[0].name, seed),
        rates,
        spend: BTreeMap::new(),
        window_30: HOURS - 30 * 24,
        egress_30: BTreeMap::new(),
        gets_30: BTreeMap::new(),
        s3: BTreeMap::new(),
    };
    let mut rng = Rng::fork(seed, "billing");
    instances(&mut ctx, plan, &mut rng);
    commitments(&mut ctx, plan);
    volumes(&mut ctx, plan);
    snapshots(&mut ctx, plan);
    network(&mut ctx, plan, &mut rng);
    buckets(&mut ctx, plan, &mut rng);
    databases(&mut ctx, plan);
    cloudwatch(&mut ctx, plan);
    let scale = HOURS_PER_MONTH / (30.0 * 24.0);
    let last_30_days = ctx.spend.into_iter().map(|(k, v)| (k, round6(v * scale))).collect();
    Billing {
        cur: ctx.b,
        last_30_days,
        traffic: Traffic { egress_30_days: ctx.egress_30, gets_30_days: ctx.gets_30, s3: ctx.s3 },
    }
}

fn instances(ctx: &mut Ctx<'_>, plan: &Plan, rng: &mut Rng) {
    let sp = plan.savings_plans.first();
    for inst in &plan.instances {
        let r = inst.region;
        let od = ctx.rates.ec2(r, &inst.instance_type);
        let family = inst.instance_type.split('.').next().unwrap_or("");
        let product = ctx.b.map(&[
            ("instance_type_family", family),
            ("operating_system", "Linux"),
            ("pre_installed_sw", "NA"),
            ("processor_architecture", "64-bit"),
            ("tenancy", "Shared"),
        ]);
        let tag_map = instance_tags(&mut ctx.b, inst);
        let box_usage = format!("BoxUsage:{}", inst.instance_type);
        for h in inst.run_from..inst.run_to {
            let u = Usage {
                account: inst.account,
                region: r,
                h,
                product_code: "AmazonEC2",
                usage_type: &box_usage,
                operation: "RunInstances",
                az: &inst.az,
                resource: &inst.id,
                amount: 1.0,
                rate: od,
                unit: "Hrs",
                family: "Compute Instance",
                instance_type: &inst.instance_type,
                product,
                tags: tag_map,
                category: "ec2-instances",
            };
            match inst.pricing {
                Pricing::OnDemand => ctx.usage(&u),
                Pricing::Reserved(k) => {
                    let ri = &plan.reservations[k];
                    let mut item = ctx.base(&u, "DiscountedUsage");
                    item.unblended_cost = 0.0;
                    item.unblended_rate = 0.0;
                    item.pricing_term = ctx.s("Reserved");
                    let upfront = round6(ri.amortized_upfront_hourly());
                    item.reservation = Some(ReservationFields {
                        arn: ctx.s(&ri.arn()),
                        effective_cost: upfront + ri.recurring_hourly,
                        amortized_upfront_cost_for_usage: upfront,
                        recurring_fee_for_usage: ri.recurring_hourly,
                        number_of_reservations: ri.count as f64,
                        start_time: ctx.s(&iso(micros(ri.start))),
                        end_time: ctx.s(&iso(micros(ri.end))),
                        ..ReservationFields::default()
                    });
                    ctx.record("ec2-instances", h, upfront + ri.recurring_hourly);
                    ctx.b.push(item);
                }
                Pricing::SavingsPlan => {
                    let sp = sp.expect("a savings plan exists");
                    let sp_rate = round6(od * (1.0 - sp.discount));
                    let fields = SavingsPlanFields {
                        arn: ctx.s(&sp.arn()),
                        rate: sp_rate,
                        effective_cost: sp_rate,
                        offering_type: ctx.s("ComputeSavingsPlan"),
                        payment_option: ctx.s("No Upfront"),
                        purchase_term: ctx.s("1yr"),
                        start_time: ctx.s(&iso(micros(sp.start))),
                        end_time: ctx.s(&iso(micros(sp.end))),
                        ..SavingsPlanFields::default()
                    };
                    let mut covered = ctx.base(&u, "SavingsPlanCoveredUsage");
                    covered.savings_plan = Some(fields);
                    ctx.record("ec2-instances", h, sp_rate);
                    ctx.b.push(covered);
                    let mut negation = ctx.base(&u, "SavingsPlanNegation");
                    negation.unblended_cost = -od;
                    negation.unblended_rate = -od;
                    negation.resource_id = EMPTY_SYM;
                    negation.public_on_demand_cost = 0.0;
                    negation.public_on_demand_rate = 0.0;
                    negation.tags = 0;
                    negation.savings_plan = Some(SavingsPlanFields { rate: 0.0, effective_cost: 0.0, ..fields });
                    ctx.b.push(negation);
                }
            }
            // Internet egress and cross-AZ traffic, diurnal.
            let load = shape::diurnal(r, h, rng);
            if inst.egress_gb_hour > 0.0 {
                let gb = round6(inst.egress_gb_hour * load);
                let rate = ctx.rates.list(r, "ec2_network.data_transfer_out_gb_first_10tb");
                ctx.usage(&Usage {
                    product_code: "AWSDataTransfer",
                    usage_type: "DataTransfer-Out-Bytes",
                    amount: gb,
                    rate,
                    unit: "GB",
                    family: "Data Transfer",
                    instance_type: "",
                    product: 0,
                    az: "",
                    category: "data-transfer",
                    ..u
                });
            }
            if inst.inter_az_gb_hour > 0.0 {
                let gb = round6(inst.inter_az_gb_hour * load);
                let rate = ctx.rates.list(r, "ec2_network.inter_az_gb_each_direction");
                for op in ["InterZone-Out", "InterZone-In"] {
                    ctx.usage(&Usage {
                        product_code: "AWSDataTransfer",
                        usage_type: "DataTransfer-Regional-Bytes",
                        operation: op,
                        amount: gb,
                        rate,
                        unit: "GB",
                        family: "Data Transfer",
                        instance_type: "",
                        product: 0,
                        category: "data-transfer",
                        ..u
                    });
                }
            }
        }
    }
}

fn commitments(ctx: &mut Ctx<'_>, plan: &Plan) {
    // RIFee: one line per reservation and month, at the first hour of the month.
    for ri in &plan.reservations {
        let product = ctx.b.map(&[("operating_system", "Linux"), ("tenancy", "Shared")]);
        for month_start in [NaiveDate::from_ymd_opt(2026, 10, 1), NaiveDate::from_ymd_opt(2026, 11, 1)] {
            let start = month_start.expect("valid date").and_hms_opt(0, 0, 0).expect("valid time");
            let next = if start.month() == 12 {
                start.with_year(start.year() + 1).and_then(|d| d.with_month(1))
            } else {
                start.with_month(start.month() + 1)
            }
            .expect("valid month");
            let hours = (next - start).num_hours() as f64 * ri.count as f64;
            let usage_type = format!("{}HeavyUsage:{}", ri.region.prefix, ri.instance_type);
            let item = LineItem {
                account_id: ctx.s(ACCOUNTS[ri.account].id),
                account_name: ctx.s(ACCOUNTS[ri.account].name),
                line_item_type: ctx.s("RIFee"),
                start_us: micros(start),
                end_us: micros(next),
                product_code: ctx.s("AmazonEC2"),
                usage_type: ctx.s(&usage_type),
                operation: ctx.s("RunInstances"),
                usage_amount: hours,
                unblended_rate: ri.recurring_hourly,
                unblended_cost: hours * ri.recurring_hourly,
                normalization_factor: normalization_factor(ri.instance_type),
                pricing_term: ctx.s("Reserved"),
                pricing_unit: ctx.s("Hrs"),
                instance_type: ctx.s(ri.instance_type),
                region: ctx.s(ri.region.code),
                product_family: ctx.s("Compute Instance"),
                description: ctx.s(&format!(
                    "USD {} hourly fee per Linux/UNIX (Amazon VPC), {} instance",
                    ri.recurring_hourly, ri.instance_type
                )),
                product,
                reservation: Some(ReservationFields {
                    arn: ctx.s(&ri.arn()),
                    amortized_upfront_fee_for_billing_period: ri.fixed_price / 8760.0 * hours,
                    number_of_reservations: ri.count as f64,
                    start_time: ctx.s(&iso(micros(ri.start))),
                    end_time: ctx.s(&iso(micros(ri.end))),
                    ..ReservationFields::default()
                }),
                ..LineItem::default()
            };
            // Fully used: nothing unused to amortize.
            ctx.b.push(item);
        }
    }
    // Savings plan recurring fee, hourly: the commitment, all of it used.
    for sp in &plan.savings_plans {
        let used: f64 = plan
            .instances
            .iter()
            .filter(|i| i.pricing == Pricing::SavingsPlan)
            .map(|i| round6(ctx.rates.ec2(i.region, &i.instance_type) * (1.0 - sp.discount)))
            .sum();
        for h in 0..HOURS {
            let start = micros(hour(h));
            let item = LineItem {
                account_id: ctx.s(ACCOUNTS[sp.account].id),
                account_name: ctx.s(ACCOUNTS[sp.account].name),
                line_item_type: ctx.s("SavingsPlanRecurringFee"),
                start_us: start,
                end_us: start + HOUR_US,
                product_code: ctx.s("ComputeSavingsPlans"),
                usage_type: ctx.s("ComputeSP:1yrNoUpfront"),
                resource_id: ctx.s(&sp.arn()),
                usage_amount: 1.0,
                unblended_rate: sp.commitment,
                unblended_cost: sp.commitment,
                pricing_unit: ctx.s("Hrs"),
                product_family: ctx.s("Savings Plan"),
                savings_plan: Some(SavingsPlanFields {
                    arn: ctx.s(&sp.arn()),
                    total_commitment_to_date: sp.commitment,
                    used_commitment: used.min(sp.commitment),
                    recurring_commitment_for_billing_period: sp.commitment,
                    offering_type: ctx.s("ComputeSavingsPlan"),
                    payment_option: ctx.s("No Upfront"),
                    purchase_term: ctx.s("1yr"),
                    start_time: ctx.s(&iso(micros(sp.start))),
                    end_time: ctx.s(&iso(micros(sp.end))),
                    ..SavingsPlanFields::default()
                }),
                ..LineItem::default()
            };
            ctx.record("savings-plan-unused", h, (sp.commitment - used).max(0.0));
            ctx.b.push(item);
        }
    }
}

fn volumes(ctx: &mut Ctx<'_>, plan: &Plan) {
    for v in &plan.volumes {
        let r = v.region;
        let (suffix, operation, api) = match v.volume_type {
            "gp3" => ("gp3", "CreateVolume-Gp3", "gp3"),
            "gp2" => ("gp2", "CreateVolume-Gp2", "gp2"),
            "io1" => ("piops", "CreateVolume-P-IOPS", "io1"),
            "io2" => ("io2", "CreateVolume-Io2", "io2"),
            "st1" => ("st1", "CreateVolume-Throughput", "st1"),
            _ => ("sc1", "CreateVolume-Cold", "sc1"),
        };
        let product = ctx.b.map(&[("volume_api_name", api)]);
        let app = v.name.split("-data").next().unwrap_or(&v.name).to_owned();
        let tag_map = tags(&mut ctx.b, v.account, v.team, &app, &v.name);
        let storage = format!("EBS:VolumeUsage.{suffix}");
        let gb_rate = ctx.rates.list(r, &format!("ebs.{}_gb_month", v.volume_type));
        let iops = v.iops.unwrap_or(0) as f64;
        let billable_iops = match v.volume_type {
            "gp3" => (iops - 3000.0).max(0.0),
            "io1" | "io2" => iops,
            _ => 0.0,
        };
        let iops_key = if v.volume_type == "gp3" { "ebs.gp3_iops_month_above_3000" } else { "ebs.io1_iops_month" };
        let iops_usage = format!("EBS:VolumeP-IOPS.{suffix}");
        let throughput =
            if v.volume_type == "gp3" { (v.throughput.unwrap_or(125) as f64 - 125.0).max(0.0) } else { 0.0 };
        for h in v.billed_from()..HOURS {
            let u = Usage {
                account: v.account,
                region: r,
                h,
                product_code: "AmazonEC2",
                usage_type: &storage,
                operation,
                az: &v.az,
                resource: &v.id,
                amount: v.size_gib as f64 / HOURS_PER_MONTH,
                rate: gb_rate,
                unit: "GB-Mo",
                family: "Storage",
                instance_type: "",
                product,
                tags: tag_map,
                category: "ebs",
            };
            ctx.usage(&u);
            if billable_iops > 0.0 {
                let rate = ctx.rates.list(r, iops_key);
                ctx.usage(&Usage {
                    usage_type: &iops_usage,
                    amount: billable_iops / HOURS_PER_MONTH,
                    rate,
                    unit: "IOPS-Mo",
                    family: "System Operation",
                    ..u
                });
            }
            if throughput > 0.0 {
                let rate = ctx.rates.list(r, "ebs.gp3_mbps_month_above_125");
                ctx.usage(&Usage {
                    usage_type: "EBS:VolumeP-Throughput.gp3",
                    amount: throughput / HOURS_PER_MONTH,
                    rate,
                    unit: "MiBps-Mo",
                    family: "Provisioned Throughput",
                    ..u
                });
            }
        }
    }
}

fn snapshots(ctx: &mut Ctx<'_>, plan: &Plan) {
    for s in &plan.snapshots {
        let r = s.region;
        let arn = format!("arn:aws:ec2:{}:{}:snapshot/{}", r.code, ACCOUNTS[s.account].id, s.id);
        let name = s.name.clone().unwrap_or_default();
        let tag_map = if s.name.is_some() { tags(&mut ctx.b, s.account, s.team, "backup", &name) } else { 0 };
        let rate = ctx.rates.list(r, "ebs.snapshot_standard_gb_month");
        for h in super::plan::hour_of(s.start_time)..HOURS {
            ctx.usage(&Usage {
                account: s.account,
                region: r,
                h,
                product_code: "AmazonEC2",
                usage_type: "EBS:SnapshotUsage",
                operation: "CreateSnapshot",
                az: "",
                resource: &arn,
                amount: s.billed_gb / HOURS_PER_MONTH,
                rate,
                unit: "GB-Mo",
                family: "Storage Snapshot",
                instance_type: "",
                product: 0,
                tags: tag_map,
                category: "ebs-snapshots",
            });
        }
    }
}

fn network(ctx: &mut Ctx<'_>, plan: &Plan, rng: &mut Rng) {
    for nat in &plan.nat_gateways {
        let r = nat.region;
        let arn = format!("arn:aws:ec2:{}:{}:natgateway/{}", r.code, ACCOUNTS[nat.account].id, nat.id);
        let tag_map = tags(&mut ctx.b, nat.account, "platform", "network", &nat.name);
        let hour_rate = ctx.rates.list(r, "ec2_network.nat_gateway_hour");
        let gb_rate = ctx.rates.list(r, "ec2_network.nat_gateway_gb_processed");
        for h in 0..HOURS {
            let u = Usage {
                account: nat.account,
                region: r,
                h,
                product_code: "AmazonEC2",
                usage_type: "NatGateway-Hours",
                operation: "NatGateway",
                az: &nat.az,
                resource: &arn,
                amount: 1.0,
                rate: hour_rate,
                unit: "Hrs",
                family: "NAT Gateway",
                instance_type: "",
                product: 0,
                tags: tag_map,
                category: "nat-gateways",
            };
            ctx.usage(&u);
            if nat.gb_hour > 0.0 {
                let gb = round6(nat.gb_hour * shape::diurnal(r, h, rng));
                ctx.usage(&Usage { usage_type: "NatGateway-Bytes", amount: gb, rate: gb_rate, unit: "GB", ..u });
            }
        }
    }
    for lb in &plan.load_balancers {
        let r = lb.region;
        let app = lb.lb_type == "application";
        let (operation, family, hour_key, lcu_key) = if app {
            (
                "LoadBalancing:Application",
                "Load Balancer-Application",
                "ec2_network.alb_hour",
                "ec2_network.alb_lcu_hour",
            )
        } else {
            ("LoadBalancing:Network", "Load Balancer-Network", "ec2_network.nlb_hour", "ec2_network.nlb_nlcu_hour")
        };
        let tag_map = tags(&mut ctx.b, lb.account, lb.team, "edge", &lb.name);
        let hour_rate = ctx.rates.list(r, hour_key);
        let lcu_rate = ctx.rates.list(r, lcu_key);
        for h in 0..HOURS {
            let u = Usage {
                account: lb.account,
                region: r,
                h,
                product_code: "AWSELB",
                usage_type: "LoadBalancerUsage",
                operation,
                az: "",
                resource: &lb.arn,
                amount: 1.0,
                rate: hour_rate,
                unit: "Hrs",
                family,
                instance_type: "",
                product: 0,
                tags: tag_map,
                category: "load-balancers",
            };
            ctx.usage(&u);
            if lb.load > 0.0 {
                let lcu =
                    round6((lb.load * shape::diurnal(r, h, rng) / 25_000.0).max(0.05) * if app { 1.0 } else { 2.0 });
                ctx.usage(&Usage { usage_type: "LCUUsage", amount: lcu, rate: lcu_rate, unit: "LCU-Hrs", ..u });
            }
        }
    }
    for addr in &plan.addresses {
        let r = addr.region;
        // An address on a stopped instance bills as idle from the stop on.
        let instance = addr
            .association
            .as_ref()
            .and_then(|(_, i, _)| i.as_ref())
            .and_then(|id| plan.instances.iter().find(|i| &i.id == id));
        let tag_map = tags(&mut ctx.b, addr.account, "platform", "network", &addr.name);
        let rate = ctx.rates.list(r, "ec2_network.public_ipv4_hour");
        for h in 0..HOURS {
            let in_use = addr.association.is_some() && instance.is_none_or(|i| i.runs_at(h));
            let (usage_type, operation) = if in_use {
                ("PublicIPv4:InUseAddress", "AssociateAddressVPC")
            } else {
                ("PublicIPv4:IdleAddress", "AllocateAddressVPC")
            };
            ctx.usage(&Usage {
                account: addr.account,
                region: r,
                h,
                product_code: "AmazonVPC",
                usage_type,
                operation,
                az: "",
                resource: &addr.public_ip,
                amount: 1.0,
                rate,
                unit: "Hrs",
                family: "VPC Public IPv4 Address",
                instance_type: "",
                product: 0,
                tags: tag_map,
                category: "public-ipv4",
            });
        }
    }
}

fn buckets(ctx: &mut Ctx<'_>, plan: &Plan, rng: &mut Rng) {
    for bucket in &plan.buckets {
        let r = bucket.region;
        let tag_map = tags(&mut ctx.b, bucket.account, bucket.team, "storage", &bucket.name);
        for class in &bucket.classes {
            let product = ctx.b.map(&[("storage_class", class.storage_type)]);
            let rate = ctx.rates.list(r, class.price_key);
            for h in 0..HOURS {
                let gb = class.gb + class.growth_gb_day * h as f64 / 24.0;
                ctx.usage(&Usage {
                    account: bucket.account,
                    region: r,
                    h,
                    product_code: "AmazonS3",
                    usage_type: class.usage_type,
                    operation: class.storage_type,
                    az: "",
                    resource: &bucket.name,
                    amount: round6(gb / HOURS_PER_MONTH),
                    rate,
                    unit: "GB-Mo",
                    family: "Storage",
                    instance_type: "",
                    product,
                    tags: tag_map,
                    category: "s3",
                });
            }
        }
        let put_rate = ctx.rates.list(r, "s3.requests_per_1000.standard_put") / 1000.0;
        let get_rate = ctx.rates.list(r, "s3.requests_per_1000.standard_get") / 1000.0;
        let egress_rate = ctx.rates.list(r, "ec2_network.data_transfer_out_gb_first_10tb");
        for h in 0..HOURS {
            let load = shape::diurnal(r, h, rng);
            let u = Usage {
                account: bucket.account,
                region: r,
                h,
                product_code: "AmazonS3",
                usage_type: "Requests-Tier1",
                operation: "PutObject",
                az: "",
                resource: &bucket.name,
                amount: (bucket.puts_hour * load).round(),
                rate: put_rate,
                unit: "Requests",
                family: "API Request",
                instance_type: "",
                product: 0,
                tags: tag_map,
                category: "s3",
            };
            ctx.usage(&u);
            ctx.usage(&Usage {
                usage_type: "Requests-Tier2",
                operation: "GetObject",
                amount: (bucket.gets_hour * load).round(),
                rate: get_rate,
                ..u
            });
            if bucket.egress_gb_hour > 0.0 {
                let surge = if h >= SURGE_START { bucket.egress_surge } else { 1.0 };
                ctx.usage(&Usage {
                    product_code: "AWSDataTransfer",
                    usage_type: "DataTransfer-Out-Bytes",
                    operation: "GetObject",
                    amount: round6(bucket.egress_gb_hour * surge * load),
                    rate: egress_rate,
                    unit: "GB",
                    family: "Data Transfer",
                    category: "data-transfer",
                    ..u
                });
            }
            if bucket.replication_gb_hour > 0.0 {
                ctx.usage(&Usage {
                    product_code: "AWSDataTransfer",
                    usage_type: "USE1-USW2-AWS-Out-Bytes",
                    operation: "S3-Replication",
                    amount: round6(bucket.replication_gb_hour * load),
                    rate: 0.02 * r.multiplier,
                    unit: "GB",
                    family: "Data Transfer",
                    category: "data-transfer",
                    region: super::plan::US_EAST_1,
                    ..u
                });
            }
        }
    }
}

fn databases(ctx: &mut Ctx<'_>, plan: &Plan) {
    for db in &plan.databases {
        let r = db.region;
        let arn = format!("arn:aws:rds:{}:{}:db:{}", r.code, ACCOUNTS[db.account].id, db.name);
        let deployment = if db.multi_az { "Multi-AZ" } else { "Single-AZ" };
        let product = ctx.b.map(&[("database_engine", db.engine), ("deployment_option", deployment)]);
        let tag_map = tags(&mut ctx.b, db.account, db.team, "database", &db.name);
        let usage_type = format!("{}:{}", if db.multi_az { "Multi-AZUsage" } else { "InstanceUsage" }, db.class);
        let operation = if db.engine == "MySQL" { "CreateDBInstance:0002" } else { "CreateDBInstance:0014" };
        let storage_type = if db.multi_az { "RDS:Multi-AZ-GP2-Storage" } else { "RDS:GP2-Storage" };
        let rate = ctx.rates.rds(r, db.class, db.multi_az);
        let storage_rate = RDS_GP2_GB_MONTH * if db.multi_az { 2.0 } else { 1.0 } * r.multiplier;
        let az = format!("{}a", r.code);
        for h in 0..HOURS {
            let u = Usage {
                account: db.account,
                region: r,
                h,
                product_code: "AmazonRDS",
                usage_type: &usage_type,
                operation,
                az: &az,
                resource: &arn,
                amount: 1.0,
                rate,
                unit: "Hrs",
                family: "Database Instance",
                instance_type: db.class,
                product,
                tags: tag_map,
                category: "rds",
            };
            ctx.usage(&u);
            ctx.usage(&Usage {
                usage_type: storage_type,
                amount: db.storage_gb / HOURS_PER_MONTH,
                rate: storage_rate,
                unit: "GB-Mo",
                family: "Database Storage",
                instance_type: "",
                ..u
            });
        }
    }
}

fn cloudwatch(ctx: &mut Ctx<'_>, plan: &Plan) {
    // Custom metrics and log ingestion per account and region that runs instances.
    let mut pools: BTreeMap<(usize, &str), (super::plan::Region, f64)> = BTreeMap::new();
    for inst in plan.instances.iter().filter(|i| i.state == Some("running")) {
        let entry = pools.entry((inst.account, inst.region.code)).or_insert((inst.region, 0.0));
        entry.1 += 1.0;
    }
    for ((account, _), (region, count)) in pools {
        let metrics = 5.0 + count;
        let logs_gb_hour = 0.001 * count + 0.005;
        for h in 0..HOURS {
            let u = Usage {
                account,
                region,
                h,
                product_code: "AmazonCloudWatch",
                usage_type: "CW:MetricMonitorUsage",
                operation: "MetricStorage",
                az: "",
                resource: "",
                amount: round6(metrics / HOURS_PER_MONTH),
                rate: CW_METRIC_MONTH * region.multiplier,
                unit: "Metrics",
                family: "Metric",
                instance_type: "",
                product: 0,
                tags: 0,
                category: "cloudwatch",
            };
            ctx.usage(&u);
            ctx.usage(&Usage {
                usage_type: "DataProcessing-Bytes",
                operation: "PutLogEvents",
                amount: round6(logs_gb_hour),
                rate: CW_LOGS_INGEST_GB * region.multiplier,
                unit: "GB",
                family: "Data Payload",
                ..u
            });
        }
    }
}

/// Internet egress: the first 100 GB a month free across the consolidated bill (us-east-1 list).
const EGRESS_FREE_GB: f64 = 100.0;
/// Internet egress list tiers: (upper bound in GB, $/GB); TB = 1,024 GB.
const EGRESS_TIERS: [(f64, f64); 4] =
    [(10.0 * 1024.0, 0.09), (50.0 * 1024.0, 0.085), (150.0 * 1024.0, 0.07), (f64::INFINITY, 0.05)];
/// CloudFront's always-free tier: 1 TB a month.
const CLOUDFRONT_FREE_GB: f64 = 1024.0;
/// CloudFront United States/Europe tiers: (upper bound in GB, $/GB).
const CLOUDFRONT_TIERS: [(f64, f64); 4] =
    [(10.0 * 1024.0, 0.085), (50.0 * 1024.0, 0.080), (150.0 * 1024.0, 0.060), (f64::INFINITY, 0.040)];
/// CloudFront HTTPS requests: $0.01 per 10,000 …
const CLOUDFRONT_REQUEST_RATE: f64 = 0.01 / 10_000.0;
/// … beyond 10 million free a month.
const CLOUDFRONT_FREE_REQUESTS: f64 = 10_000_000.0;

/// Monthly cost of `gb` GB on a tiered card whose first `free` GB cost nothing.
fn tiered(free: f64, tiers: &[(f64, f64)], gb: f64) -> f64 {
    let mut lower = free;
    let mut cost = 0.0;
    for &(upper, rate) in tiers {
        if gb > lower && upper > lower {
            cost += (gb.min(upper) - lower) * rate;
        }
        lower = lower.max(upper);
    }
    cost
}

/// What moving one bucket's internet egress behind CloudFront saves, from the lines the generator wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudFrontEstimate {
    /// The bucket's internet egress, GB a month (last 30 days scaled to 730 hours).
    pub gb_month: f64,
    /// What the CUR bills for it a month now.
    pub billed_month: f64,
    /// The payer's other internet egress, GB a month.
    pub other_gb_month: f64,
    /// The bucket's egress at list price at the margin of the payer's tiers and free tier.
    pub list_month: f64,
    /// CloudFront data transfer a month (the payer has no CloudFront yet: the 1 TB free tier applies).
    pub transfer_month: f64,
    /// The bucket's GET requests a month, one CloudFront request each.
    pub requests_month: f64,
    /// CloudFront HTTPS request fee a month.
    pub request_fee_month: f64,
    /// Monthly savings: billed now − CloudFront data transfer − request fee.
    pub savings: f64,
}

impl Traffic {
    /// The CloudFront saving of `bucket` (account index `account`), the payer's largest internet egress.
    ///
    /// # Panics
    /// If the bucket has no egress, or another resource of the payer has more (the rule would then
    /// move that one to CloudFront first and this estimate would not apply).
    pub fn cloudfront_estimate(&self, account: usize, bucket: &str) -> CloudFrontEstimate {
        let scale = HOURS_PER_MONTH / (30.0 * 24.0);
        let key = (account, bucket.to_owned());
        let (gb, billed) = self.egress_30_days[&key];
        // One CUR, one payer: every account's egress pools into the same tiers.
        let total: f64 = self.egress_30_days.values().map(|(gb, _)| gb).sum();
        assert!(
            self.egress_30_days.iter().all(|(k, (other, _))| k == &key || other < &gb),
            "{bucket} must be the payer's largest internet egress"
        );
        let (gb_month, total_month) = (gb * scale, total * scale);
        let requests_month = self.gets_30_days.get(&key).copied().unwrap_or(0.0) * scale;
        let transfer_month = tiered(CLOUDFRONT_FREE_GB, &CLOUDFRONT_TIERS, gb_month);
        let request_fee_month = (requests_month - CLOUDFRONT_FREE_REQUESTS).max(0.0) * CLOUDFRONT_REQUEST_RATE;
        let billed_month = billed * scale;
        CloudFrontEstimate {
            gb_month,
            billed_month,
            other_gb_month: total_month - gb_month,
            list_month: tiered(EGRESS_FREE_GB, &EGRESS_TIERS, total_month)
                - tiered(EGRESS_FREE_GB, &EGRESS_TIERS, total_month - gb_month),
            transfer_month,
            requests_month,
            request_fee_month,
            savings: billed_month - transfer_month - request_fee_month,
        }
    }
}
