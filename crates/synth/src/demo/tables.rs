//! The demo account's inventory tables and CloudWatch metrics, built directly
//! in the snapshot schema (`costwise_analyzer::schema`).
//!
//! Metrics are hourly (`period_seconds` 3600) except S3 storage metrics,
//! which CloudWatch publishes daily. Which metrics each resource gets:
//!
//! | resource | namespace | metrics (statistic) |
//! |---|---|---|
//! | running instance (except `search-canary`, whose metrics were never collected) | `AWS/EC2` | `CPUUtilization` (Average, Maximum), `NetworkIn`, `NetworkOut`, `EBSReadOps`, `EBSWriteOps`, `EBSReadBytes`, `EBSWriteBytes` (Sum) |
//! | instance with the CloudWatch agent ([`super::plan::Peaks::memory`]) | `CWAgent` | `mem_used_percent` (Maximum) |
//! | volume attached to a running instance | `AWS/EBS` | `VolumeReadOps`, `VolumeWriteOps` (Sum), only while attached and running |
//! | NAT gateway | `AWS/NATGateway` | `BytesOutToDestination` (Sum; 0 when idle) |
//! | application LB | `AWS/ApplicationELB` | `RequestCount` (Sum; no datapoints without requests, as CloudWatch does) |
//! | network LB | `AWS/NetworkELB` | `ProcessedBytes` (Sum; 0 when idle) |
//! | bucket | `AWS/S3` | `BucketSizeBytes/<StorageType>`, `NumberOfObjects/AllStorageTypes` (Average, daily; bytes = GB × 2³⁰, as S3 bills) |
//! | bucket with noncurrent versions or incomplete multipart uploads | `AWS/S3/Storage-Lens` | `NonCurrentVersionStorageBytes`, `IncompleteMultipartUploadStorageBytes`, `IncompleteMPUStorageBytesOlderThan7Days` (Average, daily) |
//!
//! The instance and volume series come from [`super::series`].
//!
//! Resource ids are the CloudWatch dimension values: instance, volume and NAT
//! gateway ids, the load balancer's ARN suffix (`app/name/id`), bucket names.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use polars::prelude::*;

use super::plan::{ACCOUNTS, Bucket, HOURS, Instance, LaunchTemplate, Plan, StorageClass, hour, window_start};
use super::{series, shape};
use crate::cur2::micros;
use crate::rng::Rng;

/// Bytes in the GB that S3 bills (GiB).
pub const BYTES_PER_GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Days with daily S3 storage metrics (every day of the window).
pub const STORAGE_DAYS: usize = HOURS / 24;

/// `BucketSizeBytes` of one storage class on window day `day`.
pub fn class_bytes(class: &StorageClass, day: usize) -> f64 {
    ((class.gb + class.growth_gb_day * day as f64) * BYTES_PER_GIB).round()
}

/// `NumberOfObjects` (every class) on window day `day`: the objects grow with the bytes.
pub fn object_count(b: &Bucket, day: usize) -> f64 {
    let total_gb: f64 = b.classes.iter().map(|c| c.gb).sum();
    let growth: f64 = b.classes.iter().map(|c| c.growth_gb_day).sum();
    (b.objects * (1.0 + growth / total_gb.max(1.0) * day as f64)).round()
}

/// The bucket's Storage Lens metrics and their (constant) GiB: noncurrent versions, incomplete
/// multipart uploads, and those started more than 7 days ago. Zero: no datapoints.
pub fn storage_lens_gb(b: &Bucket) -> [(&'static str, f64); 3] {
    [
        ("NonCurrentVersionStorageBytes", b.noncurrent_gb),
        ("IncompleteMultipartUploadStorageBytes", b.incomplete_mpu_gb.0),
        ("IncompleteMPUStorageBytesOlderThan7Days", b.incomplete_mpu_gb.1),
    ]
}

fn text(name: &str, values: Vec<Option<String>>) -> Column {
    Series::new(name.into(), values).into_column()
}

fn text_req(name: &str, values: Vec<String>) -> Column {
    Series::new(name.into(), values).into_column()
}

fn int(name: &str, values: Vec<Option<i64>>) -> Column {
    Series::new(name.into(), values).into_column()
}

fn float(name: &str, values: Vec<Option<f64>>) -> Column {
    Series::new(name.into(), values).into_column()
}

fn time(name: &str, values: Vec<Option<NaiveDateTime>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), values.into_iter().map(|t| t.map(micros)))
        .into_datetime(TimeUnit::Microseconds, None)
        .into_column()
}

fn frame(columns: Vec<Column>) -> PolarsResult<DataFrame> {
    let height = columns.first().map_or(0, Column::len);
    DataFrame::new(height, columns)
}

/// Inventory tags as the snapshot stores them: a JSON object, keys sorted.
pub fn tags_json(pairs: &[(&str, &str)]) -> String {
    let map: BTreeMap<&str, &str> = pairs.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
    serde_json::to_string(&map).expect("tags serialize")
}

fn account_ids(accounts: impl Iterator<Item = usize>) -> Vec<String> {
    accounts.map(|a| ACCOUNTS[a].id.to_owned()).collect()
}

/// Builds every inventory table.
#[allow(clippy::many_single_char_names)] // one short name per table keeps the column lists readable
pub fn inventory(plan: &Plan) -> PolarsResult<Vec<(costwise_analyzer::Table, DataFrame)>> {
    use costwise_analyzer::Table;
    let live: Vec<_> = plan.instances.iter().filter(|i| i.state.is_some()).collect();
    let instances = frame(vec![
        text_req("account_id", account_ids(live.iter().map(|i| i.account))),
        text_req("region", live.iter().map(|i| i.region.code.to_owned()).collect()),
        text("availability_zone", live.iter().map(|i| Some(i.az.clone())).collect()),
        text_req("instance_id", live.iter().map(|i| i.id.clone()).collect()),
        text("name", live.iter().map(|i| Some(i.name.clone())).collect()),
        text_req("instance_type", live.iter().map(|i| i.instance_type.clone()).collect()),
        text("image_id", live.iter().map(|i| Some(i.image_id.clone())).collect()),
        text_req("state", live.iter().map(|i| i.state.unwrap_or("running").to_owned()).collect()),
        time("state_changed_at", live.iter().map(|i| i.state_changed_at).collect()),
        time("launch_time", live.iter().map(|i| Some(i.launch)).collect()),
        text("platform", live.iter().map(|_| Some("Linux/UNIX".to_owned())).collect()),
        text("architecture", live.iter().map(|i| Some(i.architecture().to_owned())).collect()),
        text("tenancy", live.iter().map(|_| Some("default".to_owned())).collect()),
        text("lifecycle", live.iter().map(|_| Some("on-demand".to_owned())).collect()),
        text("auto_scaling_group", live.iter().map(|i| i.asg.clone()).collect()),
        text("root_volume_id", live.iter().map(|i| Some(i.root_volume.clone())).collect()),
        text_req(
            "tags",
            live.iter()
                .map(|i| {
                    if i.untagged {
                        tags_json(&[("Name", &i.name)])
                    } else {
                        let asg = i.asg.clone().unwrap_or_default();
                        tags_json(&[
                            ("Name", &i.name),
                            ("app", i.app),
                            ("aws:autoscaling:groupName", &asg),
                            ("env", ACCOUNTS[i.account].env),
                            ("team", i.team),
                        ])
                    }
                })
                .collect(),
        ),
    ])?;

    let v = &plan.volumes;
    let volumes = frame(vec![
        text_req("account_id", account_ids(v.iter().map(|x| x.account))),
        text_req("region", v.iter().map(|x| x.region.code.to_owned()).collect()),
        text("availability_zone", v.iter().map(|x| Some(x.az.clone())).collect()),
        text_req("volume_id", v.iter().map(|x| x.id.clone()).collect()),
        text("name", v.iter().map(|x| Some(x.name.clone())).collect()),
        text_req("volume_type", v.iter().map(|x| x.volume_type.to_owned()).collect()),
        Series::new("size_gib".into(), v.iter().map(|x| x.size_gib).collect::<Vec<_>>()).into_column(),
        int("iops", v.iter().map(|x| x.iops).collect()),
        int("throughput_mibps", v.iter().map(|x| x.throughput).collect()),
        text_req("state", v.iter().map(|x| x.state.to_owned()).collect()),
        time("create_time", v.iter().map(|x| Some(x.create_time)).collect()),
        text("attached_instance_id", v.iter().map(|x| x.attached_to.clone()).collect()),
        time("attach_time", v.iter().map(|x| x.attach_time).collect()),
        time("detached_at", v.iter().map(|x| x.detached_at).collect()),
        Series::new("encrypted".into(), v.iter().map(|x| Some(x.account != 1)).collect::<Vec<_>>()).into_column(),
        text("snapshot_id", v.iter().map(|x| x.snapshot_id.clone()).collect()),
        text_req(
            "tags",
            v.iter()
                .map(|x| tags_json(&[("Name", &x.name), ("env", ACCOUNTS[x.account].env), ("team", x.team)]))
                .collect(),
        ),
    ])?;

    let s = &plan.snapshots;
    let snapshots = frame(vec![
        text_req("account_id", account_ids(s.iter().map(|x| x.account))),
        text_req("region", s.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("snapshot_id", s.iter().map(|x| x.id.clone()).collect()),
        text("name", s.iter().map(|x| x.name.clone()).collect()),
        text("volume_id", s.iter().map(|x| Some(x.volume_id.clone())).collect()),
        int("volume_size_gib", s.iter().map(|x| Some(x.volume_size_gib)).collect()),
        int("full_snapshot_size_bytes", s.iter().map(|x| Some((x.billed_gb * 1e9) as i64)).collect()),
        time("start_time", s.iter().map(|x| Some(x.start_time)).collect()),
        text("state", s.iter().map(|_| Some("completed".to_owned())).collect()),
        text("storage_tier", s.iter().map(|_| Some("standard".to_owned())).collect()),
        text("description", s.iter().map(|x| Some(x.description.clone())).collect()),
        text_req(
            "tags",
            s.iter()
                .map(|x| match &x.name {
                    Some(n) => tags_json(&[("Name", n), ("env", ACCOUNTS[x.account].env), ("team", x.team)]),
                    None => "{}".to_owned(),
                })
                .collect(),
        ),
    ])?;

    let im = &plan.images;
    let images = frame(vec![
        text_req("account_id", account_ids(im.iter().map(|x| x.account))),
        text_req("region", im.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("image_id", im.iter().map(|x| x.id.clone()).collect()),
        text("name", im.iter().map(|x| Some(x.name.clone())).collect()),
        text("state", im.iter().map(|_| Some("available".to_owned())).collect()),
        time("creation_date", im.iter().map(|x| Some(x.created)).collect()),
        time("last_launched_time", im.iter().map(|x| x.last_launched).collect()),
        text_req(
            "snapshot_ids",
            im.iter().map(|x| serde_json::to_string(&x.snapshot_ids).expect("ids serialize")).collect(),
        ),
        text_req("tags", im.iter().map(|_| tags_json(&[("team", "platform")])).collect()),
    ])?;

    let versions: Vec<_> = plan.launch_templates.iter().flat_map(|t| t.versions.iter().map(move |v| (t, v))).collect();
    let latest = |t: &super::plan::LaunchTemplate| t.versions.iter().map(|v| v.number).max().unwrap_or(0);
    let launch_templates = frame(vec![
        text_req("account_id", account_ids(versions.iter().map(|(t, _)| t.account))),
        text_req("region", versions.iter().map(|(t, _)| t.region.code.to_owned()).collect()),
        text_req("launch_template_id", versions.iter().map(|(t, _)| t.id.clone()).collect()),
        text("launch_template_name", versions.iter().map(|(t, _)| Some(t.name.clone())).collect()),
        Series::new("version_number".into(), versions.iter().map(|(_, v)| v.number).collect::<Vec<_>>()).into_column(),
        Series::new(
            "default_version".into(),
            versions.iter().map(|(t, v)| v.number == t.default_version).collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new("latest_version".into(), versions.iter().map(|(t, v)| v.number == latest(t)).collect::<Vec<_>>())
            .into_column(),
        text("image_id", versions.iter().map(|(_, v)| v.image_id.clone()).collect()),
        time("create_time", versions.iter().map(|(_, v)| Some(v.created)).collect()),
    ])?;

    let auto_scaling_groups = auto_scaling_groups(plan, &live)?;

    let a = &plan.addresses;
    let addresses = frame(vec![
        text_req("account_id", account_ids(a.iter().map(|x| x.account))),
        text_req("region", a.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("allocation_id", a.iter().map(|x| x.allocation_id.clone()).collect()),
        text("name", a.iter().map(|x| Some(x.name.clone())).collect()),
        text_req("public_ip", a.iter().map(|x| x.public_ip.clone()).collect()),
        text("association_id", a.iter().map(|x| x.association.as_ref().map(|(id, _, _)| id.clone())).collect()),
        text("instance_id", a.iter().map(|x| x.association.as_ref().and_then(|(_, i, _)| i.clone())).collect()),
        text("network_interface_id", a.iter().map(|x| x.association.as_ref().map(|(_, _, e)| e.clone())).collect()),
        text("domain", a.iter().map(|_| Some("vpc".to_owned())).collect()),
        text_req("tags", a.iter().map(|x| tags_json(&[("Name", &x.name), ("env", ACCOUNTS[x.account].env)])).collect()),
    ])?;

    let l = &plan.load_balancers;
    let vpc = |account: usize, region: &str| format!("vpc-0{}a{}", account + 1, region.replace('-', ""));
    let load_balancers = frame(vec![
        text_req("account_id", account_ids(l.iter().map(|x| x.account))),
        text_req("region", l.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("load_balancer_arn", l.iter().map(|x| x.arn.clone()).collect()),
        text_req("name", l.iter().map(|x| x.name.clone()).collect()),
        text_req("lb_type", l.iter().map(|x| x.lb_type.to_owned()).collect()),
        text("scheme", l.iter().map(|x| Some(x.scheme.to_owned())).collect()),
        text("state", l.iter().map(|_| Some("active".to_owned())).collect()),
        time("created_time", l.iter().map(|x| Some(x.created)).collect()),
        text("vpc_id", l.iter().map(|x| Some(vpc(x.account, x.region.code))).collect()),
        text_req("tags", l.iter().map(|x| tags_json(&[("env", ACCOUNTS[x.account].env), ("team", x.team)])).collect()),
    ])?;

    let n = &plan.nat_gateways;
    let nat_gateways = frame(vec![
        text_req("account_id", account_ids(n.iter().map(|x| x.account))),
        text_req("region", n.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("nat_gateway_id", n.iter().map(|x| x.id.clone()).collect()),
        text("name", n.iter().map(|x| Some(x.name.clone())).collect()),
        text_req("state", n.iter().map(|_| "available".to_owned()).collect()),
        text("connectivity_type", n.iter().map(|_| Some("public".to_owned())).collect()),
        text("vpc_id", n.iter().map(|x| Some(vpc(x.account, x.region.code))).collect()),
        text("subnet_id", n.iter().map(|x| Some(format!("subnet-0{}", &x.id[5..17]))).collect()),
        time("create_time", n.iter().map(|x| Some(x.created)).collect()),
        text_req("tags", n.iter().map(|x| tags_json(&[("Name", &x.name), ("env", ACCOUNTS[x.account].env)])).collect()),
    ])?;

    let b = &plan.buckets;
    let buckets = frame(vec![
        text_req("account_id", account_ids(b.iter().map(|x| x.account))),
        text_req("region", b.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("bucket", b.iter().map(|x| x.name.clone()).collect()),
        time("creation_date", b.iter().map(|x| Some(x.created)).collect()),
        int("lifecycle_rule_count", b.iter().map(|x| Some(x.lifecycle_rules)).collect()),
        int("intelligent_tiering_configs", b.iter().map(|x| Some(x.it_configs)).collect()),
        text("versioning", b.iter().map(|x| x.versioning.map(str::to_owned)).collect()),
        text("lifecycle_rules", b.iter().map(|x| Some(x.lifecycle_json.clone())).collect()),
        text_req("tags", b.iter().map(|x| tags_json(&[("env", ACCOUNTS[x.account].env), ("team", x.team)])).collect()),
    ])?;

    let r = &plan.reservations;
    let reservations = frame(vec![
        text_req("account_id", account_ids(r.iter().map(|x| x.account))),
        text_req("region", r.iter().map(|x| x.region.code.to_owned()).collect()),
        text_req("reservation_id", r.iter().map(|x| x.id.clone()).collect()),
        text_req("instance_type", r.iter().map(|x| x.instance_type.to_owned()).collect()),
        Series::new("instance_count".into(), r.iter().map(|x| x.count).collect::<Vec<_>>()).into_column(),
        text("product_description", r.iter().map(|_| Some("Linux/UNIX".to_owned())).collect()),
        text("scope", r.iter().map(|_| Some("Region".to_owned())).collect()),
        text("availability_zone", r.iter().map(|_| None).collect()),
        text("offering_class", r.iter().map(|_| Some("standard".to_owned())).collect()),
        text("offering_type", r.iter().map(|x| Some(x.offering_type.to_owned())).collect()),
        text("tenancy", r.iter().map(|_| Some("default".to_owned())).collect()),
        time("start", r.iter().map(|x| Some(x.start)).collect()),
        time("end", r.iter().map(|x| Some(x.end)).collect()),
        float("fixed_price", r.iter().map(|x| Some(x.fixed_price)).collect()),
        float("usage_price", r.iter().map(|_| Some(0.0)).collect()),
        float("recurring_hourly", r.iter().map(|x| Some(x.recurring_hourly)).collect()),
        text_req("state", r.iter().map(|_| "active".to_owned()).collect()),
        text("currency", r.iter().map(|_| Some("USD".to_owned())).collect()),
    ])?;

    let p = &plan.savings_plans;
    let savings_plans = frame(vec![
        text_req("account_id", account_ids(p.iter().map(|x| x.account))),
        text_req("savings_plan_id", p.iter().map(|x| x.id.clone()).collect()),
        text("savings_plan_arn", p.iter().map(|x| Some(x.arn())).collect()),
        text_req("plan_type", p.iter().map(|_| "Compute".to_owned()).collect()),
        text("payment_option", p.iter().map(|_| Some("No Upfront".to_owned())).collect()),
        text("region", p.iter().map(|_| None).collect()),
        text("instance_family", p.iter().map(|_| None).collect()),
        Series::new("commitment_per_hour".into(), p.iter().map(|x| x.commitment).collect::<Vec<_>>()).into_column(),
        float("upfront_payment", p.iter().map(|_| Some(0.0)).collect()),
        float("recurring_payment", p.iter().map(|x| Some(x.commitment)).collect()),
        int("term_seconds", p.iter().map(|_| Some(31_536_000)).collect()),
        time("start", p.iter().map(|x| Some(x.start)).collect()),
        time("end", p.iter().map(|x| Some(x.end)).collect()),
        text_req("state", p.iter().map(|_| "active".to_owned()).collect()),
        text("currency", p.iter().map(|_| Some("USD".to_owned())).collect()),
    ])?;

    Ok(vec![
        (Table::Instances, instances),
        (Table::Volumes, volumes),
        (Table::Snapshots, snapshots),
        (Table::Images, images),
        (Table::LaunchTemplates, launch_templates),
        (Table::AutoScalingGroups, auto_scaling_groups),
        (Table::Addresses, addresses),
        (Table::LoadBalancers, load_balancers),
        (Table::NatGateways, nat_gateways),
        (Table::Buckets, buckets),
        (Table::Reservations, reservations),
        (Table::SavingsPlans, savings_plans),
    ])
}

/// One Auto Scaling group per group name the live instances carry, sized to
/// its members (min = desired = members, max twice that), launching the
/// `$Latest` version of the launch template of its account and region whose
/// name starts its own (`acme-web` for `acme-web-asg`).
fn auto_scaling_groups(plan: &Plan, live: &[&Instance]) -> PolarsResult<DataFrame> {
    struct Group<'p> {
        account: usize,
        region: &'static str,
        name: &'p str,
        members: i64,
        template: &'p LaunchTemplate,
        created: Option<NaiveDateTime>,
        tags: String,
    }
    let mut members: BTreeMap<(usize, &str, &str), Vec<&Instance>> = BTreeMap::new();
    for instance in live {
        if let Some(group) = &instance.asg {
            members.entry((instance.account, instance.region.code, group.as_str())).or_default().push(instance);
        }
    }
    let groups: Vec<Group<'_>> = members
        .into_iter()
        .map(|((account, region, name), members)| Group {
            account,
            region,
            name,
            members: members.len() as i64,
            template: plan
                .launch_templates
                .iter()
                .find(|t| t.account == account && t.region.code == region && name.starts_with(t.name.as_str()))
                .unwrap_or_else(|| panic!("Auto Scaling group {name} has no launch template in the plan")),
            created: members.iter().map(|i| i.launch).min().map(|t| t - chrono::Duration::hours(1)),
            tags: tags_json(&[("app", members[0].app), ("team", members[0].team)]),
        })
        .collect();
    let arn = |(index, g): (usize, &Group<'_>)| {
        Some(format!(
            "arn:aws:autoscaling:{}:{}:autoScalingGroup:6d3c2a10-0000-4000-8000-{index:012}:autoScalingGroupName/{}",
            g.region, ACCOUNTS[g.account].id, g.name
        ))
    };
    let sizes = |name: &str, size: fn(&Group<'_>) -> i64| {
        Series::new(name.into(), groups.iter().map(size).collect::<Vec<_>>()).into_column()
    };
    frame(vec![
        text_req("account_id", account_ids(groups.iter().map(|g| g.account))),
        text_req("region", groups.iter().map(|g| g.region.to_owned()).collect()),
        text_req("auto_scaling_group_name", groups.iter().map(|g| g.name.to_owned()).collect()),
        text("auto_scaling_group_arn", groups.iter().enumerate().map(arn).collect()),
        sizes("min_size", |g| g.members),
        sizes("max_size", |g| 2 * g.members),
        sizes("desired_capacity", |g| g.members),
        sizes("instance_count", |g| g.members),
        text("launch_template_id", groups.iter().map(|g| Some(g.template.id.clone())).collect()),
        text("launch_template_name", groups.iter().map(|g| Some(g.template.name.clone())).collect()),
        text("launch_template_version", groups.iter().map(|_| Some("$Latest".to_owned())).collect()),
        text("launch_configuration_name", groups.iter().map(|_| None).collect()),
        Series::new("mixed_instances_policy".into(), groups.iter().map(|_| false).collect::<Vec<_>>()).into_column(),
        text("instance_types", groups.iter().map(|_| None).collect()),
        time("created_time", groups.iter().map(|g| g.created).collect()),
        text_req("tags", groups.iter().map(|g| g.tags.clone()).collect()),
    ])
}

/// Long-format metrics, accumulated column by column.
#[derive(Default)]
struct Metrics {
    names: Vec<String>,
    index: BTreeMap<String, u32>,
    resource: Vec<u32>,
    namespace: Vec<u32>,
    metric: Vec<u32>,
    statistic: Vec<u32>,
    start: Vec<i64>,
    seconds: Vec<i64>,
    value: Vec<f64>,
}

impl Metrics {
    fn sym(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }

    #[allow(clippy::too_many_arguments)] // one argument per column
    fn push(
        &mut self,
        resource: u32,
        namespace: u32,
        metric: u32,
        statistic: u32,
        start: NaiveDateTime,
        seconds: i64,
        value: f64,
    ) {
        self.resource.push(resource);
        self.namespace.push(namespace);
        self.metric.push(metric);
        self.statistic.push(statistic);
        self.start.push(micros(start));
        self.seconds.push(seconds);
        self.value.push(value);
    }

    fn finish(self) -> PolarsResult<DataFrame> {
        let names = &self.names;
        let strings = |name: &str, ids: &[u32]| -> Column {
            StringChunked::from_iter_values(name.into(), ids.iter().map(|&i| names[i as usize].as_str())).into_column()
        };
        frame(vec![
            strings("resource_id", &self.resource),
            strings("namespace", &self.namespace),
            strings("metric", &self.metric),
            strings("statistic", &self.statistic),
            Int64Chunked::from_vec("period_start".into(), self.start)
                .into_datetime(TimeUnit::Microseconds, None)
                .into_column(),
            Int64Chunked::from_vec("period_seconds".into(), self.seconds).into_column(),
            Float64Chunked::from_vec("value".into(), self.value).into_column(),
        ])
    }
}

/// One metric of an instance hour, given the hour and its EBS (read, write) operations.
type HourValue = fn(&series::InstanceHour, (f64, f64)) -> Option<f64>;

/// Builds the metrics table.
pub fn metrics(plan: &Plan, seed: u64) -> PolarsResult<DataFrame> {
    let mut m = Metrics::default();
    let mut rng = Rng::fork(seed, "metrics");
    let (ec2, ebs, nat, alb, nlb, s3, agent) = (
        m.sym("AWS/EC2"),
        m.sym("AWS/EBS"),
        m.sym("AWS/NATGateway"),
        m.sym("AWS/ApplicationELB"),
        m.sym("AWS/NetworkELB"),
        m.sym("AWS/S3"),
        m.sym("CWAgent"),
    );
    let (avg, max, sum) = (m.sym("Average"), m.sym("Maximum"), m.sym("Sum"));
    let storage_lens = m.sym("AWS/S3/Storage-Lens");
    let (cpu, net_in, net_out) = (m.sym("CPUUtilization"), m.sym("NetworkIn"), m.sym("NetworkOut"));
    let (ebs_read_ops, ebs_write_ops, ebs_read_bytes, ebs_write_bytes) =
        (m.sym("EBSReadOps"), m.sym("EBSWriteOps"), m.sym("EBSReadBytes"), m.sym("EBSWriteBytes"));
    let memory = m.sym("mem_used_percent");
    let (reads, writes) = (m.sym("VolumeReadOps"), m.sym("VolumeWriteOps"));
    let (bytes_out, requests, processed) =
        (m.sym("BytesOutToDestination"), m.sym("RequestCount"), m.sym("ProcessedBytes"));

    let volumes: Vec<(&super::plan::Volume, Vec<series::VolumeHour>)> =
        plan.volumes.iter().map(|v| (v, series::volume_hours(v, seed))).collect();
    for inst in &plan.instances {
        let hours = series::instance_hours(inst, seed);
        if hours.is_empty() {
            continue;
        }
        let id = m.sym(&inst.id);
        // EBS operations of the volumes attached to it, per window hour.
        let mut io: BTreeMap<usize, (f64, f64)> = hours.iter().map(|x| (x.h, (0.0, 0.0))).collect();
        for (_, vh) in volumes.iter().filter(|(v, _)| v.attached_to.as_deref() == Some(inst.id.as_str())) {
            for x in vh {
                if let Some(entry) = io.get_mut(&x.h) {
                    entry.0 += x.read_ops;
                    entry.1 += x.write_ops;
                }
            }
        }
        let columns: [(u32, u32, u32, HourValue); 9] = [
            (ec2, cpu, avg, |x, _| Some(x.cpu_average)),
            (ec2, cpu, max, |x, _| Some(x.cpu_maximum)),
            (ec2, net_in, sum, |x, _| Some(x.network_in)),
            (ec2, net_out, sum, |x, _| Some(x.network_out)),
            (ec2, ebs_read_ops, sum, |_, (reads, _)| Some(reads)),
            (ec2, ebs_write_ops, sum, |_, (_, writes)| Some(writes)),
            (ec2, ebs_read_bytes, sum, |_, (reads, _)| Some(reads * series::READ_IO_BYTES)),
            (ec2, ebs_write_bytes, sum, |_, (_, writes)| Some(writes * series::WRITE_IO_BYTES)),
            (agent, memory, max, |x, _| x.memory),
        ];
        for (namespace, metric, statistic, value) in columns {
            for x in &hours {
                if let Some(v) = value(x, io[&x.h]) {
                    m.push(id, namespace, metric, statistic, hour(x.h), 3600, v);
                }
            }
        }
    }

    for (v, values) in &volumes {
        let id = m.sym(&v.id);
        for x in values {
            m.push(id, ebs, reads, sum, hour(x.h), 3600, x.read_ops);
        }
        for x in values {
            m.push(id, ebs, writes, sum, hour(x.h), 3600, x.write_ops);
        }
    }

    for n in &plan.nat_gateways {
        let id = m.sym(&n.id);
        for h in 0..HOURS {
            let value =
                if n.gb_hour > 0.0 { (n.gb_hour * shape::diurnal(n.region, h, &mut rng) * 1.0e9).round() } else { 0.0 };
            m.push(id, nat, bytes_out, sum, hour(h), 3600, value);
        }
    }

    for lb in &plan.load_balancers {
        let id = m.sym(&lb.arn_suffix);
        let application = lb.lb_type == "application";
        if application && lb.load == 0.0 {
            continue;
        }
        for h in 0..HOURS {
            let load = shape::diurnal(lb.region, h, &mut rng);
            if application {
                m.push(id, alb, requests, sum, hour(h), 3600, (lb.load * load).round());
            } else {
                m.push(id, nlb, processed, sum, hour(h), 3600, (lb.load * load * 1.0e6).round());
            }
        }
    }

    let objects_metric = m.sym("NumberOfObjects/AllStorageTypes");
    for b in &plan.buckets {
        let id = m.sym(&b.name);
        for class in &b.classes {
            let metric = m.sym(&format!("BucketSizeBytes/{}", class.storage_type));
            for day in 0..STORAGE_DAYS {
                m.push(
                    id,
                    s3,
                    metric,
                    avg,
                    window_start() + chrono::Duration::days(day as i64),
                    86_400,
                    class_bytes(class, day),
                );
            }
        }
        for day in 0..STORAGE_DAYS {
            m.push(
                id,
                s3,
                objects_metric,
                avg,
                window_start() + chrono::Duration::days(day as i64),
                86_400,
                object_count(b, day),
            );
        }
        for (name, gb) in storage_lens_gb(b).into_iter().filter(|(_, gb)| *gb > 0.0) {
            let metric = m.sym(name);
            for day in 0..STORAGE_DAYS {
                m.push(
                    id,
                    storage_lens,
                    metric,
                    avg,
                    window_start() + chrono::Duration::days(day as i64),
                    86_400,
                    (gb * BYTES_PER_GIB).round(),
                );
            }
        }
    }
    m.finish()
}
