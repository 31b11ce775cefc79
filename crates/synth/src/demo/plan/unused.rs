//! The unused and idle resources of the `unused` rule family: AMIs nobody
//! launches, idle instances (one standalone, one Auto Scaling group), an io1
//! volume that fits gp3, a gp2 volume large enough that gp3 needs extra IOPS
//! and throughput to match it, and an Elastic IP held by a stopped instance;
//! plus launch templates, the AMI of every instance, and the traps around
//! them (an old AMI still run by an instance, one kept alive only by a launch
//! template's default version, a running instance without any metrics).
//!
//! Everything here draws its ids from its own seeded stream, so adding it did
//! not renumber the resources planted before it.

use chrono::{Duration, NaiveDateTime};

use super::{
    Address, BUSY_NETWORK, Cpu, EU_WEST_1, HOURS, HOURS_PER_MONTH, Ids, Image, Instance, LaunchTemplate, Network,
    Peaks, Plan, Pricing, QUIET_NETWORK, Rates, Region, Snapshot, TemplateVersion, US_EAST_1, US_WEST_2, Volume, at,
    az, hour, instance_by_app, push_oracle, window_end,
};
use crate::rng::Rng;

/// Name prefix of the golden AMIs (one per account and region).
pub(super) const GOLDEN_PREFIX: &str = "acme-base-al2023-";

/// Days without a launch (and since creation) after which an owned AMI counts as unused.
pub const UNUSED_AMI_DAYS: i64 = 90;

/// The Auto Scaling group whose two members are idle.
pub const IDLE_ASG: &str = "staging-queue-consumers";

/// Public Amazon-owned AMIs of a region (not in the images table: the
/// accounts do not own them).
pub(super) struct PublicAmis {
    pub(super) al2023_x86: &'static str,
    pub(super) al2023_arm64: &'static str,
    pub(super) al2_x86: &'static str,
    pub(super) ubuntu_x86: &'static str,
}

pub(super) fn public_amis(region: Region) -> PublicAmis {
    match region.code {
        "us-east-1" => PublicAmis {
            al2023_x86: "ami-0a3c14e1ddbe7f23c",
            al2023_arm64: "ami-07e1aeb90edb268a3",
            al2_x86: "ami-0c02fb55956c7d316",
            ubuntu_x86: "ami-04b70fa74e45c3917",
        },
        "us-west-2" => PublicAmis {
            al2023_x86: "ami-0d3f0b3d2e4a2b61f",
            al2023_arm64: "ami-09ce2fc3b3e2d1f7a",
            al2_x86: "ami-0ceecbb0f30a902a6",
            ubuntu_x86: "ami-0cf2b4e024cdb6960",
        },
        _ => PublicAmis {
            al2023_x86: "ami-0ac8a2e8d7f2a6c4b",
            al2023_arm64: "ami-0b9d3f1e0c6a7e2d5",
            al2_x86: "ami-0d71ea30463e0ff8d",
            ubuntu_x86: "ami-0776c814353b4814d",
        },
    }
}

fn image_named<'a>(plan: &'a Plan, name: &str) -> &'a Image {
    plan.images.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("no image named {name}"))
}

fn golden(plan: &Plan, account: usize, region: Region) -> Option<&Image> {
    plan.images.iter().find(|i| i.account == account && i.region == region && i.name.starts_with(GOLDEN_PREFIX))
}

/// Adds the resources of the unused family to the estate. Runs after the
/// rest of the estate exists and before its waste is planted.
pub(super) fn add_estate(plan: &mut Plan, seed: u64) {
    let mut ids = Ids { rng: Rng::fork(seed, "ids-unused-idle") };
    add_unused_images(plan, &mut ids);
    add_launch_templates(plan, &mut ids);
    add_instances(plan, &mut ids);
    add_volumes(plan, &mut ids);
    add_stopped_instance_address(plan, &mut ids);
    assign_images(plan);
}

/// What a new instance is; everything else follows from it.
pub(super) struct NewInstance {
    pub(super) account: usize,
    pub(super) region: Region,
    pub(super) az_index: usize,
    pub(super) name: &'static str,
    pub(super) app: &'static str,
    pub(super) team: &'static str,
    pub(super) instance_type: &'static str,
    pub(super) launch: NaiveDateTime,
    pub(super) cpu: Cpu,
    pub(super) network: Network,
    pub(super) metrics: bool,
    pub(super) asg: Option<&'static str>,
    pub(super) image_id: String,
    pub(super) pricing: Pricing,
}

/// Adds a running instance and its 20 GiB gp3 root volume.
pub(super) fn push_instance(plan: &mut Plan, ids: &mut Ids, n: NewInstance) {
    let id = ids.id("i");
    let root = ids.id("vol");
    let run_from = super::hour_of(n.launch);
    let az_name = az(n.region, n.az_index);
    plan.volumes.push(Volume {
        id: root.clone(),
        account: n.account,
        region: n.region,
        az: az_name.clone(),
        name: format!("{}-root", n.name),
        volume_type: "gp3",
        size_gib: 20,
        iops: Some(3000),
        throughput: Some(125),
        state: "in-use",
        create_time: n.launch,
        attached_to: Some(id.clone()),
        attach_time: Some(n.launch),
        detached_at: None,
        metrics_hours: n.metrics.then_some((run_from, HOURS)),
        team: n.team,
        snapshot_id: None,
        write_ops_hour: None,
    });
    plan.instances.push(Instance {
        id,
        account: n.account,
        region: n.region,
        az: az_name,
        name: n.name.into(),
        instance_type: n.instance_type.into(),
        team: n.team,
        app: n.app,
        launch: n.launch,
        run_from,
        run_to: HOURS,
        state: Some("running"),
        state_changed_at: None,
        pricing: n.pricing,
        cpu: n.cpu,
        egress_gb_hour: 0.0,
        inter_az_gb_hour: 0.0,
        root_volume: root,
        image_id: n.image_id,
        asg: n.asg.map(str::to_owned),
        untagged: false,
        network: n.network,
        metrics: n.metrics,
        peaks: Peaks::default(),
    });
}

/// A standalone idle instance, an idle Auto Scaling group of two, and a new
/// instance whose metrics were never collected.
fn add_instances(plan: &mut Plan, ids: &mut Ids) {
    let quiet_cpu = Cpu { low: 1.0, high: 2.0 };
    push_instance(
        plan,
        ids,
        NewInstance {
            account: 0,
            region: US_EAST_1,
            az_index: 1,
            name: "forgotten-jenkins-agent",
            app: "jenkins-agent",
            team: "platform",
            instance_type: "t3.small",
            launch: at(2026, 4, 16, 11),
            cpu: quiet_cpu,
            network: QUIET_NETWORK,
            metrics: true,
            asg: None,
            image_id: public_amis(US_EAST_1).ubuntu_x86.into(),
            pricing: Pricing::OnDemand,
        },
    );
    let consumer_image = golden(plan, 1, US_EAST_1).expect("staging golden AMI").id.clone();
    for (n, name) in ["staging-queue-consumer-1", "staging-queue-consumer-2"].into_iter().enumerate() {
        push_instance(
            plan,
            ids,
            NewInstance {
                account: 1,
                region: US_EAST_1,
                az_index: n,
                name,
                app: "queue-consumer",
                team: "platform",
                instance_type: "t3.medium",
                launch: at(2026, 8, 20, 14) + Duration::minutes(3 * n as i64),
                cpu: Cpu { low: 0.8, high: 1.6 },
                network: QUIET_NETWORK,
                metrics: true,
                asg: Some(IDLE_ASG),
                image_id: consumer_image.clone(),
                pricing: Pricing::OnDemand,
            },
        );
    }
    push_instance(
        plan,
        ids,
        NewInstance {
            account: 0,
            region: US_EAST_1,
            az_index: 2,
            name: "search-canary",
            app: "search-canary",
            team: "search",
            instance_type: "m7g.medium",
            launch: hour(HOURS - 40),
            cpu: Cpu { low: 15.0, high: 40.0 },
            network: BUSY_NETWORK,
            metrics: false,
            asg: None,
            image_id: public_amis(US_EAST_1).al2023_arm64.into(),
            pricing: Pricing::OnDemand,
        },
    );
}

/// The io1 volume that fits gp3, and the large gp2 volume.
#[allow(clippy::type_complexity)] // a literal table
fn add_volumes(plan: &mut Plan, ids: &mut Ids) {
    // (app, name, type, size, IOPS, mean write ops per hour)
    let volumes: [(&str, &str, &'static str, i64, i64, Option<f64>); 2] = [
        // ~55 IOPS on average, peaks near 150: far below the 500 provisioned. At 500 IOPS
        // an io1 volume moves at most 125 MiB/s (256 KiB per I/O), which gp3 includes:
        // like-for-like gp3 needs nothing provisioned beyond its included 3,000 IOPS and 125 MiB/s.
        ("search", "search-index", "io1", 100, 500, Some(1.2e5)),
        ("spark", "spark-scratch", "gp2", 1200, 3600, None),
    ];
    for (app, name, volume_type, size, iops, write_ops_hour) in volumes {
        let inst = instance_by_app(plan, app).clone();
        plan.volumes.push(Volume {
            id: ids.id("vol"),
            account: inst.account,
            region: inst.region,
            az: inst.az.clone(),
            name: name.into(),
            volume_type,
            size_gib: size,
            iops: Some(iops),
            throughput: None,
            state: "in-use",
            create_time: inst.launch + Duration::minutes(7),
            attached_to: Some(inst.id.clone()),
            attach_time: Some(inst.launch + Duration::minutes(8)),
            detached_at: None,
            metrics_hours: Some((inst.run_from, inst.run_to)),
            team: inst.team,
            snapshot_id: None,
            write_ops_hour,
        });
    }
}

/// Two owned AMIs nobody launches any more, each backed by billed snapshots.
#[allow(clippy::type_complexity)] // a literal table
fn add_unused_images(plan: &mut Plan, ids: &mut Ids) {
    // (account, region, name, created, last launched, [(volume GiB, billed GB)])
    let unused: [(usize, Region, &str, NaiveDateTime, Option<NaiveDateTime>, &[(i64, f64)]); 2] = [
        (
            0,
            US_EAST_1,
            "acme-jenkins-agent-2025-06",
            at(2025, 6, 18, 10),
            Some(at(2025, 7, 2, 15)),
            &[(30, 9.6), (200, 70.4)],
        ),
        (0, EU_WEST_1, "acme-eu-web-2026-04-rc1", at(2026, 4, 9, 16), None, &[(30, 20.0)]),
    ];
    for (account, region, name, created, last_launched, disks) in unused {
        let image = ids.id("ami");
        let instance = format!("i-0{}", ids.rng.hex(16));
        let mut snapshot_ids = Vec::new();
        for (size, billed) in disks {
            let snap = ids.id("snap");
            plan.snapshots.push(Snapshot {
                id: snap.clone(),
                account,
                region,
                volume_id: ids.id("vol"),
                volume_size_gib: *size,
                billed_gb: *billed,
                start_time: created,
                description: format!("Created by CreateImage({instance}) for {image}"),
                name: None,
                team: "platform",
            });
            snapshot_ids.push(snap);
        }
        plan.images.push(Image { id: image, account, region, name: name.into(), created, last_launched, snapshot_ids });
    }
}

/// Launch templates of the Auto Scaling groups (and one resolved from SSM).
fn add_launch_templates(plan: &mut Plan, ids: &mut Ids) {
    let e1 = public_amis(US_EAST_1);
    let web = image_named(plan, "acme-web-2025-11").id.clone();
    let api = image_named(plan, "acme-api-2026-01").id.clone();
    let staging_golden = golden(plan, 1, US_EAST_1).expect("staging golden AMI").id.clone();
    let v =
        |number, image: Option<&str>, created| TemplateVersion { number, image_id: image.map(str::to_owned), created };
    // (account, region, name, versions, default version)
    let templates = vec![
        (0, US_EAST_1, "acme-web", vec![v(1, Some(&web), at(2025, 11, 20, 9))], 1),
        // The api team moved to the public arm64 image in version 2 (the ASG launches $Latest),
        // but the default version still points at their own acme-api-2026-01.
        (
            0,
            US_EAST_1,
            "acme-api",
            vec![v(1, Some(&api), at(2026, 1, 14, 10)), v(2, Some(e1.al2023_arm64), at(2026, 2, 20, 16))],
            1,
        ),
        (
            0,
            US_EAST_1,
            "acme-worker",
            vec![v(1, Some(e1.al2_x86), at(2025, 9, 10, 12)), v(2, Some(e1.al2023_x86), at(2026, 2, 25, 11))],
            2,
        ),
        (
            1,
            US_EAST_1,
            "staging-queue-consumer",
            vec![v(1, Some(e1.al2023_x86), at(2026, 6, 3, 9)), v(2, Some(&staging_golden), at(2026, 8, 19, 17))],
            2,
        ),
        // Resolves `resolve:ssm:/aws/service/ami-amazon-linux-latest/...` at launch: no image id.
        (2, US_WEST_2, "data-batch", vec![v(1, None, at(2026, 5, 5, 8))], 1),
    ];
    for (account, region, name, versions, default_version) in templates {
        plan.launch_templates.push(LaunchTemplate {
            id: ids.id("lt"),
            name: name.into(),
            account,
            region,
            versions,
            default_version,
        });
    }
}

/// An Elastic IP that stayed associated with demo-env when it was stopped.
fn add_stopped_instance_address(plan: &mut Plan, ids: &mut Ids) {
    let inst = instance_by_app(plan, "demo-env").clone();
    plan.addresses.push(Address {
        allocation_id: ids.id("eipalloc"),
        account: inst.account,
        region: inst.region,
        public_ip: ids.ip(inst.region),
        name: format!("{}-eip", inst.name),
        association: Some((ids.id("eipassoc"), Some(inst.id.clone()), ids.id("eni"))),
    });
}

/// Gives every instance its AMI, then sets each owned AMI's last launch to
/// the latest launch from it.
fn assign_images(plan: &mut Plan) {
    let web = image_named(plan, "acme-web-2025-11").id.clone();
    let etl = image_named(plan, "acme-etl-2026-02").id.clone();
    let goldens: Vec<(usize, Region, String, NaiveDateTime)> = plan
        .images
        .iter()
        .filter(|i| i.name.starts_with(GOLDEN_PREFIX))
        .map(|i| (i.account, i.region, i.id.clone(), i.created))
        .collect();
    for inst in plan.instances.iter_mut().filter(|i| i.image_id.is_empty()) {
        let public = public_amis(inst.region);
        let arm = inst.architecture() == "arm64";
        let family = inst.instance_type.split('.').next().unwrap_or("");
        let golden = goldens
            .iter()
            .find(|(a, r, _, created)| *a == inst.account && *r == inst.region && inst.launch >= *created)
            .map(|(_, _, id, _)| id.clone());
        inst.image_id = match inst.app {
            "web" => web.clone(),
            "legacy-etl" => etl.clone(),
            // What their launch templates' launched versions hold.
            "api" => public.al2023_arm64.into(),
            "worker" => public.al2023_x86.into(),
            _ if arm => public.al2023_arm64.into(),
            _ if golden.is_some() => golden.unwrap_or_default(),
            _ if matches!(family, "t2" | "m4" | "c4") || inst.app.starts_with("legacy") => public.al2_x86.into(),
            "jenkins" | "spark" | "spark-old" | "notebook" | "ml-experiment" | "airflow" | "etl-old" => {
                public.ubuntu_x86.into()
            }
            _ => public.al2023_x86.into(),
        };
    }
    for image in &mut plan.images {
        let latest = plan.instances.iter().filter(|i| i.image_id == image.id).map(|i| i.launch).max();
        image.last_launched = match (image.last_launched, latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// The oracle entries and notes of the unused family. Runs after the rest of
/// the waste is planted (the stopped-instance entry already counts the
/// Elastic IP, the gp2 entries the large volume).
pub(super) fn plant(plan: &mut Plan, rates: &Rates) {
    let hpm = HOURS_PER_MONTH;
    let now = window_end();
    let cutoff = now - Duration::days(UNUSED_AMI_DAYS);

    // Unused AMIs: owned, old, not launched for 90 days, referenced by no instance or template.
    let referenced = |plan: &Plan, id: &str| {
        plan.instances.iter().any(|i| i.state.is_some() && i.image_id == id)
            || plan.launch_templates.iter().flat_map(|t| &t.versions).any(|v| v.image_id.as_deref() == Some(id))
    };
    let unused: Vec<Image> = plan
        .images
        .iter()
        .filter(|i| i.created < cutoff && i.last_launched.is_none_or(|t| t < cutoff) && !referenced(plan, &i.id))
        .cloned()
        .collect();
    for image in &unused {
        let snaps: Vec<&Snapshot> = plan.snapshots.iter().filter(|s| image.snapshot_ids.contains(&s.id)).collect();
        let gb: f64 = snaps.iter().map(|s| s.billed_gb).sum();
        let monthly: f64 =
            snaps.iter().map(|s| s.billed_gb * rates.list(s.region, "ebs.snapshot_standard_gb_month")).sum();
        let launched = image
            .last_launched
            .map_or_else(|| "never launched".to_owned(), |t| format!("last launched {}", t.format("%Y-%m-%d")));
        push_oracle(
            plan,
            "unused-ami",
            image.account,
            image.region,
            Some(&image.id),
            Some(monthly),
            format!(
                "{}: owned AMI created {}, {launched}, used by no instance or launch template; its {} snapshot(s) ({gb:.1} GB billed, under the snapshot ARNs) cost ${monthly:.2}/month (the expected savings: deregister it, then delete the snapshots)",
                image.name,
                image.created.format("%Y-%m-%d"),
                snaps.len()
            ),
        );
    }

    // Idle instances: the standalone one by id, the Auto Scaling group once, by name.
    let idle: Vec<Instance> =
        plan.instances.iter().filter(|i| i.network.base_bytes_hour < BUSY_NETWORK.base_bytes_hour).cloned().collect();
    for inst in idle.iter().filter(|i| i.asg.is_none()) {
        let monthly = rates.ec2(inst.region, &inst.instance_type) * hpm;
        push_oracle(
            plan,
            "idle-instance",
            inst.account,
            inst.region,
            Some(&inst.id),
            Some(monthly),
            format!(
                "{} ({}, standalone) averages {:.0}–{:.0}% CPU and moves about 1.3 MB of NetworkIn+NetworkOut a day (every day under 5 MB and 10% CPU); savings = its compute, ${monthly:.3}/month",
                inst.name, inst.instance_type, inst.cpu.low, inst.cpu.high
            ),
        );
    }
    let members: Vec<&Instance> = idle.iter().filter(|i| i.asg.as_deref() == Some(IDLE_ASG)).collect();
    if let Some(first) = members.first() {
        let each = rates.ec2(first.region, &first.instance_type);
        let monthly = each * hpm * members.len() as f64;
        let (account, region, instance_type, count) =
            (first.account, first.region, first.instance_type.clone(), members.len());
        push_oracle(
            plan,
            "idle-instance",
            account,
            region,
            Some(IDLE_ASG),
            Some(monthly),
            format!(
                "Auto Scaling group {IDLE_ASG}: all {count} members ({instance_type}) average under 2% CPU and move about 1.3 MB of network a day (the queue they consume is no longer fed); reported once for the group, savings = {count} × ${:.3}/month = ${monthly:.3}/month",
                each * hpm
            ),
        );
    }

    // io1 volumes whose IOPS fit gp3's included 3,000.
    let io1: Vec<Volume> =
        plan.volumes.iter().filter(|v| v.volume_type == "io1" && v.state == "in-use").cloned().collect();
    for v in &io1 {
        let gp3 = Volume { volume_type: "gp3", iops: v.iops.map(|i| i.max(3000)), throughput: Some(125), ..v.clone() };
        let (now_monthly, gp3_monthly) = (rates.volume_monthly(v), rates.volume_monthly(&gp3));
        let iops = v.iops.unwrap_or(0);
        push_oracle(
            plan,
            "io1-to-gp3",
            v.account,
            v.region,
            Some(&v.id),
            Some(now_monthly - gp3_monthly),
            format!(
                "{} GiB io1 with {iops} provisioned IOPS (${now_monthly:.2}/month) on {}; VolumeReadOps+VolumeWriteOps average ~55 and peak under 200 IOPS; gp3 of the same size includes 3,000 IOPS and 125 MiB/s, as much as the io1 volume can move at {iops} IOPS (${gp3_monthly:.2}/month)",
                v.size_gib,
                v.attached_to
                    .as_deref()
                    .and_then(|i| plan.instances.iter().find(|x| x.id == i))
                    .map_or("", |i| &i.name),
            ),
        );
    }

    // The Elastic IP left on a stopped instance.
    let held: Vec<(Address, String)> = plan
        .addresses
        .iter()
        .filter_map(|a| {
            let (_, instance, _) = a.association.as_ref()?;
            let inst = plan.instances.iter().find(|i| Some(&i.id) == instance.as_ref())?;
            (inst.state == Some("stopped")).then(|| (a.clone(), inst.name.clone()))
        })
        .collect();
    for (a, name) in held {
        let monthly = rates.list(a.region, "ec2_network.public_ipv4_hour") * hpm;
        push_oracle(
            plan,
            "idle-elastic-ip",
            a.account,
            a.region,
            Some(&a.allocation_id),
            Some(monthly),
            format!(
                "Elastic IP still associated with the stopped {name} instance (billed as an idle address since the stop); also covered by the stopped-instance finding (not double-counted)"
            ),
        );
    }

    add_notes(plan);
}

fn add_notes(plan: &mut Plan) {
    let cutoff = window_end() - Duration::days(UNUSED_AMI_DAYS);
    let day = |t: NaiveDateTime| t.format("%Y-%m-%d").to_string();
    let mut notes = Vec::new();
    // Owned AMIs as old as the unused ones that something still references.
    for image in plan.images.iter().filter(|i| i.created < cutoff && i.last_launched.is_none_or(|t| t < cutoff)) {
        let instances: Vec<String> = plan
            .instances
            .iter()
            .filter(|i| i.state.is_some() && i.image_id == image.id)
            .map(|i| format!("{} ({}, {})", i.name, i.id, i.state.unwrap_or_default()))
            .collect();
        let versions: Vec<String> = plan
            .launch_templates
            .iter()
            .flat_map(|t| t.versions.iter().map(move |v| (t, v)))
            .filter(|(_, v)| v.image_id.as_deref() == Some(&image.id))
            .map(|(t, v)| {
                let latest = t.versions.iter().map(|x| x.number).max() == Some(v.number);
                let role = match (v.number == t.default_version, latest) {
                    (true, true) => "default and latest",
                    (true, false) => "default, not latest",
                    (false, true) => "latest, not default",
                    (false, false) => "neither default nor latest",
                };
                format!("version {} ({role}) of launch template {} ({})", v.number, t.name, t.id)
            })
            .collect();
        let by = match (instances.is_empty(), versions.is_empty()) {
            (true, true) => continue,
            (false, true) => format!("the instance(s) {} run it", instances.join(", ")),
            (true, false) => format!("{} references it (no instance runs it)", versions.join(" and ")),
            (false, false) => {
                format!("the instance(s) {} run it and it is {}", instances.join(", "), versions.join(" and "))
            }
        };
        notes.push(format!(
            "{} ({}) is owned, created {} and last launched {} (both over {UNUSED_AMI_DAYS} days ago), but {by}: NOT an unused AMI.",
            image.name,
            image.id,
            day(image.created),
            image.last_launched.map_or_else(|| "never".to_owned(), day),
        ));
    }
    let canary = instance_by_app(plan, "search-canary");
    let old_mysql = plan.volumes.iter().find(|v| v.name == "old-mysql-data").expect("old-mysql-data volume");
    let members: Vec<&str> =
        plan.instances.iter().filter(|i| i.asg.as_deref() == Some(IDLE_ASG)).map(|i| i.id.as_str()).collect();
    notes.extend([
        format!(
            "Golden AMIs ({GOLDEN_PREFIX}*) were launched recently, and the public Amazon Linux / Ubuntu images most instances run are not owned (not in the images table): never unused AMIs. Launch template data-batch resolves its image from SSM (image_id null)."
        ),
        "Low CPU is not idle: every running instance except the planted idle ones (including the overprovisioned-instance ones averaging under 5% CPU, the bastions and the probes) moves hundreds of MB of NetworkIn+NetworkOut every day, far over 5 MB, so it is NOT an idle instance.".into(),
        format!(
            "{} are the members of the Auto Scaling group {IDLE_ASG}: idle-instance reports the group once, never the members.",
            members.join(" and ")
        ),
        format!(
            "search-canary ({}) was launched {} and the snapshot holds no CloudWatch metrics for it at all: not-enough-data for idle-instance (never idle, never flagged).",
            canary.id,
            canary.launch.format("%Y-%m-%d %H:%M")
        ),
        format!(
            "The io1 volume old-mysql-data ({}, {}) is unattached and has no EBS metrics: an unattached-ebs-volume finding, not an io1-to-gp3 one.",
            old_mysql.id, old_mysql.region.code
        ),
    ]);
    plan.notes.extend(notes);
}
