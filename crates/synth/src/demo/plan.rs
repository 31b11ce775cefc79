//! The demo company's estate: every resource, its life over the window, and
//! the waste planted in it.
//!
//! Everything downstream (billing, inventory, metrics, the oracle) is derived
//! from this one plan, which is what keeps the four consistent: a volume that
//! the inventory says was detached on day 14 is billed for all 60 days and
//! has EBS metrics only until day 14.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use costwise_analyzer::prices::{InstanceSpec, PriceBook};

use crate::rng::Rng;

pub mod commitments;
pub mod rightsizing;
pub mod unused;

use unused::GOLDEN_PREFIX;

/// First hour of the demo window (inclusive), UTC.
pub fn window_start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 9, 24).expect("valid date").and_hms_opt(0, 0, 0).expect("valid time")
}

/// End of the demo window (exclusive), UTC; the analysis "as of".
pub fn window_end() -> NaiveDateTime {
    window_start() + Duration::hours(HOURS as i64)
}

/// Hours in the window (60 days).
pub const HOURS: usize = 60 * 24;

/// Hours per month, the convention for GB-month usage and monthly figures.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The time at the start of window hour `h`.
pub fn hour(h: usize) -> NaiveDateTime {
    window_start() + Duration::hours(h as i64)
}

/// The window hour containing `t` (clamped to the window).
pub fn hour_of(t: NaiveDateTime) -> usize {
    let h = (t - window_start()).num_hours();
    h.clamp(0, HOURS as i64) as usize
}

fn at(y: i32, m: u32, d: u32, hh: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date").and_hms_opt(hh, 0, 0).expect("valid time")
}

/// A region the company runs in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// `us-east-1`.
    pub code: &'static str,
    /// CUR usage-type prefix (`USW2-`).
    pub prefix: &'static str,
    /// Price multiplier against us-east-1 list prices.
    pub multiplier: f64,
    /// First octet pair of public IPs handed out here.
    pub ip_prefix: &'static str,
}

/// us-east-1.
pub const US_EAST_1: Region = Region { code: "us-east-1", prefix: "", multiplier: 1.0, ip_prefix: "3.91" };
/// us-west-2.
pub const US_WEST_2: Region = Region { code: "us-west-2", prefix: "USW2-", multiplier: 1.0, ip_prefix: "44.232" };
/// eu-west-1.
pub const EU_WEST_1: Region = Region { code: "eu-west-1", prefix: "EUW1-", multiplier: 1.10, ip_prefix: "34.245" };
/// All regions.
pub const REGIONS: [Region; 3] = [US_EAST_1, US_WEST_2, EU_WEST_1];

/// An AWS account of the company.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    /// 12-digit id.
    pub id: &'static str,
    /// Account name.
    pub name: &'static str,
    /// `prod`, `staging` or `data`.
    pub env: &'static str,
}

/// The three accounts: production, staging and the data platform.
pub const ACCOUNTS: [Account; 3] = [
    Account { id: "111111111111", name: "acme-prod", env: "prod" },
    Account { id: "222222222222", name: "acme-staging", env: "staging" },
    Account { id: "333333333333", name: "acme-data", env: "data" },
];

/// Public on-demand RDS rates (us-east-1, $/hour, single-AZ; Multi-AZ doubles).
/// The price catalog has no RDS section, so the generator carries these
/// mid-2026 list prices itself (PostgreSQL/MySQL, on-demand).
pub const RDS_HOURLY: &[(&str, f64)] =
    &[("db.t3.medium", 0.068), ("db.m6g.large", 0.152), ("db.r6g.large", 0.225), ("db.r6g.xlarge", 0.45)];
/// RDS gp2 storage, $/GB-month (single-AZ; Multi-AZ doubles).
pub const RDS_GP2_GB_MONTH: f64 = 0.115;
/// CloudWatch custom/detailed metrics, $/metric-month.
pub const CW_METRIC_MONTH: f64 = 0.30;
/// CloudWatch Logs ingestion, $/GB.
pub const CW_LOGS_INGEST_GB: f64 = 0.50;

/// How an instance hour is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pricing {
    /// On-demand.
    OnDemand,
    /// Covered by reservation `n` of [`Plan::reservations`].
    Reserved(usize),
    /// Covered by the compute savings plan.
    SavingsPlan,
}

/// CPU utilization profile: a diurnal curve between `low` and `high` percent.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    /// Night-time average, percent.
    pub low: f64,
    /// Peak-hour average, percent.
    pub high: f64,
}

/// An EC2 instance and its life over the window.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `i-...`.
    pub id: String,
    /// Index into [`ACCOUNTS`].
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Availability zone.
    pub az: String,
    /// `Name` tag.
    pub name: String,
    /// Instance type.
    pub instance_type: String,
    /// `team` tag.
    pub team: &'static str,
    /// `app` tag.
    pub app: &'static str,
    /// Last launch time.
    pub launch: NaiveDateTime,
    /// Window hours during which it runs: `[run_from, run_to)`.
    pub run_from: usize,
    /// End of the running hours (exclusive).
    pub run_to: usize,
    /// Inventory state (`running`, `stopped`); `None` when terminated (absent from the inventory).
    pub state: Option<&'static str>,
    /// When it entered its state, for stopped instances.
    pub state_changed_at: Option<NaiveDateTime>,
    /// How its hours are paid for.
    pub pricing: Pricing,
    /// CPU profile.
    pub cpu: Cpu,
    /// Average internet egress, GB per running hour.
    pub egress_gb_hour: f64,
    /// Average cross-AZ traffic, GB per running hour (billed out and in).
    pub inter_az_gb_hour: f64,
    /// Root volume id.
    pub root_volume: String,
    /// AMI launched from: an owned image of [`Plan::images`] or a public
    /// Amazon Linux / Ubuntu image (not in the images table).
    pub image_id: String,
    /// Auto Scaling group, if any.
    pub asg: Option<String>,
    /// Whether the tags are missing (an untagged resource).
    pub untagged: bool,
    /// Network profile behind its `NetworkIn`/`NetworkOut` metrics.
    pub network: Network,
    /// Whether the snapshot holds its CloudWatch metrics (false: none at all).
    pub metrics: bool,
    /// The ceilings of its hourly CPU and memory maxima (the rightsizing inputs);
    /// set for every instance from its app's rightsizing profile.
    pub peaks: Peaks,
}

/// The peaks of an instance's hourly `Maximum` series, which fix what a
/// rightsizing rule reads at any percentile near the top.
///
/// Every day at 02:00 local time a nightly job drives the hourly CPU
/// `Maximum` (and the agent's memory `Maximum`) to exactly the peak; every
/// other hour stays below it. So the p99.5 of any lookback of two days or
/// more is the peak itself, whatever the lookback's exact edges.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Peaks {
    /// Highest hourly CPU `Maximum`, percent.
    pub cpu: f64,
    /// `CWAgent mem_used_percent` when the CloudWatch agent is installed (`None`: no memory metric).
    pub memory: Option<MemoryUse>,
}

/// Memory use reported by the CloudWatch agent, percent of the instance's memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryUse {
    /// The usual level (the hourly maxima hover around it).
    pub typical: f64,
    /// Highest hourly `Maximum`, reached by the nightly job.
    pub peak: f64,
}

/// Bytes an instance moves per running hour, before the daily load shape:
/// `NetworkOut` ≈ `(base + egress + cpu × per_cpu_percent) × load`, `NetworkIn` 40 % of that.
#[derive(Debug, Clone, Copy)]
pub struct Network {
    /// Bytes out per hour regardless of load (health checks, agents, replication).
    pub base_bytes_hour: f64,
    /// Extra bytes out per hour per percent of CPU.
    pub bytes_per_cpu_percent: f64,
}

/// A serving instance: tens of MB an hour even when its CPU is nearly flat,
/// hundreds of MB a day (never idle by the network test).
pub const BUSY_NETWORK: Network = Network { base_bytes_hour: 2.0e7, bytes_per_cpu_percent: 4.0e6 };

/// A forgotten instance: ~40 KB an hour out, about 1.3 MB a day in and out
/// together (idle by the network test: ≤ 5 MB a day).
pub const QUIET_NETWORK: Network = Network { base_bytes_hour: 4.0e4, bytes_per_cpu_percent: 0.0 };

impl Instance {
    /// Whether the instance runs during window hour `h`.
    pub fn runs_at(&self, h: usize) -> bool {
        (self.run_from..self.run_to).contains(&h)
    }

    /// CPU architecture.
    pub fn architecture(&self) -> &'static str {
        let family = self.instance_type.split('.').next().unwrap_or("");
        if family.ends_with('g') || family.ends_with("gd") { "arm64" } else { "x86_64" }
    }
}

/// An EBS volume.
#[derive(Debug, Clone)]
pub struct Volume {
    /// `vol-...`.
    pub id: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Availability zone.
    pub az: String,
    /// `Name` tag.
    pub name: String,
    /// `gp3`, `gp2`, `io1`, `st1`.
    pub volume_type: &'static str,
    /// Size in GiB.
    pub size_gib: i64,
    /// Provisioned (or gp2 baseline) IOPS.
    pub iops: Option<i64>,
    /// gp3 throughput, MiB/s.
    pub throughput: Option<i64>,
    /// Inventory state: `in-use` or `available`.
    pub state: &'static str,
    /// Creation time.
    pub create_time: NaiveDateTime,
    /// Instance it is attached to now.
    pub attached_to: Option<String>,
    /// Current attachment time.
    pub attach_time: Option<NaiveDateTime>,
    /// Recorded detach time.
    pub detached_at: Option<NaiveDateTime>,
    /// Window hours with EBS metrics (attached to a running instance): `[from, to)`.
    pub metrics_hours: Option<(usize, usize)>,
    /// Owner team tag.
    pub team: &'static str,
    /// Snapshot it was created from.
    pub snapshot_id: Option<String>,
    /// Mean `VolumeWriteOps` per hour (reads are 60 % of it); `None`: √size × 150.
    pub write_ops_hour: Option<f64>,
}

impl Volume {
    /// First billed window hour.
    pub fn billed_from(&self) -> usize {
        hour_of(self.create_time)
    }
}

/// An EBS snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// `snap-...`.
    pub id: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Source volume id (may no longer exist).
    pub volume_id: String,
    /// Source volume size, GiB.
    pub volume_size_gib: i64,
    /// Billed size, GB (what the snapshot chain uniquely stores).
    pub billed_gb: f64,
    /// When it was taken.
    pub start_time: NaiveDateTime,
    /// Description.
    pub description: String,
    /// `Name` tag.
    pub name: Option<String>,
    /// Team tag.
    pub team: &'static str,
}

/// An AMI.
#[derive(Debug, Clone)]
pub struct Image {
    /// `ami-...`.
    pub id: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// AMI name.
    pub name: String,
    /// Created.
    pub created: NaiveDateTime,
    /// Last launch.
    pub last_launched: Option<NaiveDateTime>,
    /// Backing snapshots.
    pub snapshot_ids: Vec<String>,
}

/// One version of a launch template.
#[derive(Debug, Clone)]
pub struct TemplateVersion {
    /// Version number (1, 2, ...).
    pub number: i64,
    /// AMI it launches; `None` when resolved at launch (an SSM parameter).
    pub image_id: Option<String>,
    /// Created.
    pub created: NaiveDateTime,
}

/// An EC2 launch template.
#[derive(Debug, Clone)]
pub struct LaunchTemplate {
    /// `lt-...`.
    pub id: String,
    /// Template name.
    pub name: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Versions, oldest first.
    pub versions: Vec<TemplateVersion>,
    /// The default version's number.
    pub default_version: i64,
}

/// An Elastic IP.
#[derive(Debug, Clone)]
pub struct Address {
    /// `eipalloc-...`.
    pub allocation_id: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// The address.
    pub public_ip: String,
    /// `Name` tag.
    pub name: String,
    /// Association id, instance id, ENI id when associated.
    pub association: Option<(String, Option<String>, String)>,
}

/// A load balancer.
#[derive(Debug, Clone)]
pub struct LoadBalancer {
    /// Full ARN (the CUR resource id).
    pub arn: String,
    /// `app/name/id` or `net/name/id` (the CloudWatch dimension).
    pub arn_suffix: String,
    /// Name.
    pub name: String,
    /// `application` or `network`.
    pub lb_type: &'static str,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// `internet-facing` or `internal`.
    pub scheme: &'static str,
    /// Created.
    pub created: NaiveDateTime,
    /// Peak-hour requests (ALB) or MB processed (NLB); 0 when idle.
    pub load: f64,
    /// Team tag.
    pub team: &'static str,
}

/// A NAT gateway.
#[derive(Debug, Clone)]
pub struct NatGateway {
    /// `nat-...`.
    pub id: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Availability zone.
    pub az: String,
    /// `Name` tag.
    pub name: String,
    /// Created.
    pub created: NaiveDateTime,
    /// Average GB processed per hour (0 when idle).
    pub gb_hour: f64,
}

/// One storage class of a bucket.
#[derive(Debug, Clone, Copy)]
pub struct StorageClass {
    /// CloudWatch storage type (`StandardStorage`).
    pub storage_type: &'static str,
    /// CUR usage type suffix (`TimedStorage-ByteHrs`).
    pub usage_type: &'static str,
    /// Catalog key of its GB-month price.
    pub price_key: &'static str,
    /// Stored GB at the start of the window.
    pub gb: f64,
    /// Growth per day, GB.
    pub growth_gb_day: f64,
}

/// An S3 bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Bucket name (also the CUR resource id).
    pub name: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Created.
    pub created: NaiveDateTime,
    /// Storage by class.
    pub classes: Vec<StorageClass>,
    /// Objects at the start of the window.
    pub objects: f64,
    /// Enabled lifecycle rules.
    pub lifecycle_rules: i64,
    /// The lifecycle configuration's `Rules` array as JSON (`[]` when none).
    pub lifecycle_json: String,
    /// Noncurrent-version GB (Storage Lens `NonCurrentVersionStorageBytes`), part of the class bytes.
    pub noncurrent_gb: f64,
    /// Incomplete multipart upload GB (Storage Lens), and the part started more than 7 days ago.
    pub incomplete_mpu_gb: (f64, f64),
    /// Intelligent-Tiering archive configurations.
    pub it_configs: i64,
    /// Versioning status.
    pub versioning: Option<&'static str>,
    /// Average GET requests per hour.
    pub gets_hour: f64,
    /// Average PUT/LIST requests per hour.
    pub puts_hour: f64,
    /// Average internet egress, GB per hour.
    pub egress_gb_hour: f64,
    /// Multiplier on the internet egress from [`SURGE_START`] to the end of
    /// the window (1.0 = no surge): the demo's week-over-week spend spike.
    pub egress_surge: f64,
    /// Cross-region replication out, GB per hour.
    pub replication_gb_hour: f64,
    /// Team tag.
    pub team: &'static str,
}

/// First hour of the last 7 days of the window, when the planted egress surge starts.
pub const SURGE_START: usize = HOURS - 7 * 24;

/// How much `acme-prod-assets` egress grows in the last week (a marketing
/// campaign linking straight to S3 objects).
pub const ASSETS_EGRESS_SURGE: f64 = 2.0;

/// An RDS DB instance (billing only; there is no RDS inventory table).
#[derive(Debug, Clone)]
pub struct Database {
    /// DB identifier.
    pub name: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Instance class.
    pub class: &'static str,
    /// `PostgreSQL` or `MySQL`.
    pub engine: &'static str,
    /// Multi-AZ deployment.
    pub multi_az: bool,
    /// Allocated gp2 storage, GB.
    pub storage_gb: f64,
    /// Team tag.
    pub team: &'static str,
}

/// An EC2 reserved-instance purchase.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// Reservation id (UUID form).
    pub id: String,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: Region,
    /// Instance type.
    pub instance_type: &'static str,
    /// Instances reserved.
    pub count: i64,
    /// `No Upfront` or `Partial Upfront`.
    pub offering_type: &'static str,
    /// Upfront price for the purchase.
    pub fixed_price: f64,
    /// Recurring hourly charge per instance.
    pub recurring_hourly: f64,
    /// Term start.
    pub start: NaiveDateTime,
    /// Term end.
    pub end: NaiveDateTime,
}

impl Reservation {
    /// The RI's ARN.
    pub fn arn(&self) -> String {
        format!("arn:aws:ec2:{}:{}:reserved-instances/{}", self.region.code, ACCOUNTS[self.account].id, self.id)
    }

    /// Upfront fee amortized per instance-hour.
    pub fn amortized_upfront_hourly(&self) -> f64 {
        self.fixed_price / self.count as f64 / 8760.0
    }

    /// Effective (amortized) cost per instance-hour.
    pub fn effective_hourly(&self) -> f64 {
        self.amortized_upfront_hourly() + self.recurring_hourly
    }
}

/// The compute savings plan.
#[derive(Debug, Clone)]
pub struct SavingsPlan {
    /// Plan id.
    pub id: String,
    /// Account index.
    pub account: usize,
    /// Hourly commitment, $.
    pub commitment: f64,
    /// Discount off on-demand for covered usage.
    pub discount: f64,
    /// Term start.
    pub start: NaiveDateTime,
    /// Term end.
    pub end: NaiveDateTime,
}

impl SavingsPlan {
    /// The plan's ARN.
    pub fn arn(&self) -> String {
        format!("arn:aws:savingsplans::{}:savingsplan/{}", ACCOUNTS[self.account].id, self.id)
    }
}

/// One planted finding, as written to `fixtures/demo-oracle.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct OracleEntry {
    /// Rule id the finding belongs to (or a `recently-…` negative control).
    pub kind: String,
    /// Account.
    pub account_id: String,
    /// Region.
    pub region: String,
    /// Resource id; null for account/region-level findings.
    pub resource_id: Option<String>,
    /// Monthly savings the generator intends, where unambiguous.
    pub expected_monthly_savings: Option<f64>,
    /// What was planted, in words.
    pub note: String,
    /// Rightsizing only: the instance type the finding must recommend (for an
    /// under-provisioned instance, the cheapest type that fits its needs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_recommendation: Option<String>,
    /// Rightsizing only, where unambiguous: the alternatives the finding must
    /// list besides the recommendation (empty: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_alternatives: Option<Vec<String>>,
    /// `reserved-instance-purchase` only: how many reserved instances of
    /// `expected_instance_type` (the family's smallest size) to buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_units: Option<u32>,
    /// `reserved-instance-purchase` only: the size the units are bought in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_instance_type: Option<String>,
    /// Commitments only: the expected utilization, percent (of a recommended
    /// purchase, or of an existing reservation or savings plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_utilization_percent: Option<f64>,
    /// `expiring-commitment` only: the on-demand cost increase, $/month, if
    /// the commitment is not renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_monthly_increase: Option<f64>,
    /// `s3-lifecycle-tiering` only: the lifecycle transition the finding must
    /// recommend, as `<StorageClass> after <Days> days` in the S3 API's terms
    /// (`GLACIER_IR after 30 days`, `DEEP_ARCHIVE after 365 days`,
    /// `INTELLIGENT_TIERING after 0 days`): the `StorageClass` and `Days` of the
    /// `Transitions` entry of the rule the finding's lifecycle configuration adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_policy: Option<String>,
    /// `s3-lifecycle-tiering` only: the one-time lifecycle transition fee of
    /// the objects already old enough to move when the rule is applied, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_one_time_cost: Option<f64>,
}

/// The whole estate.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// EC2 instances (including terminated ones, which only the CUR shows).
    pub instances: Vec<Instance>,
    /// EBS volumes.
    pub volumes: Vec<Volume>,
    /// EBS snapshots.
    pub snapshots: Vec<Snapshot>,
    /// AMIs.
    pub images: Vec<Image>,
    /// Launch templates.
    pub launch_templates: Vec<LaunchTemplate>,
    /// Elastic IPs.
    pub addresses: Vec<Address>,
    /// Load balancers.
    pub load_balancers: Vec<LoadBalancer>,
    /// NAT gateways.
    pub nat_gateways: Vec<NatGateway>,
    /// S3 buckets.
    pub buckets: Vec<Bucket>,
    /// RDS instances.
    pub databases: Vec<Database>,
    /// Reserved instances.
    pub reservations: Vec<Reservation>,
    /// The savings plan.
    pub savings_plans: Vec<SavingsPlan>,
    /// Planted waste.
    pub oracle: Vec<OracleEntry>,
    /// Traps that name generated ids (the oracle's `notes` after the fixed ones).
    pub notes: Vec<String>,
}

/// Prices the generator writes into the CUR: us-east-1 list price × region multiplier.
#[derive(Debug, Default)]
pub struct Rates {
    book: PriceBook,
}

impl Rates {
    /// Catalog-backed rates.
    pub fn new() -> Self {
        Self { book: PriceBook::catalog_only() }
    }

    /// A catalog list price (`ebs.gp3_gb_month`) in `region`.
    pub fn list(&self, region: Region, key: &str) -> f64 {
        let base =
            self.book.list_price("us-east-1", key).unwrap_or_else(|| panic!("price catalog has no `{key}`")).value;
        base * region.multiplier
    }

    /// Linux on-demand $/hour of an instance type in `region`.
    pub fn ec2(&self, region: Region, instance_type: &str) -> f64 {
        let base = self
            .book
            .ec2_on_demand_hourly("us-east-1", instance_type)
            .unwrap_or_else(|| panic!("price catalog has no instance type `{instance_type}`"))
            .value;
        base * region.multiplier
    }

    /// The catalog's spec of an instance type (vCPUs, memory, architecture).
    pub fn spec(&self, instance_type: &str) -> &'static InstanceSpec {
        self.book
            .instance_spec(instance_type)
            .unwrap_or_else(|| panic!("price catalog has no instance type `{instance_type}`"))
    }

    /// What an hour of the instance costs after its reservation or savings
    /// plan, as a fraction of its on-demand rate (what the CUR bills; 1 when on demand).
    pub fn billed_fraction(&self, plan: &Plan, inst: &Instance) -> f64 {
        let od = self.ec2(inst.region, &inst.instance_type);
        match inst.pricing {
            Pricing::OnDemand => 1.0,
            Pricing::Reserved(k) => {
                let ri = &plan.reservations[k];
                (round6(ri.amortized_upfront_hourly()) + ri.recurring_hourly) / od
            }
            Pricing::SavingsPlan => {
                let sp = plan.savings_plans.first().expect("a savings plan exists");
                round6(od * (1.0 - sp.discount)) / od
            }
        }
    }

    /// RDS $/hour of a DB instance.
    pub fn rds(&self, region: Region, class: &str, multi_az: bool) -> f64 {
        let base =
            RDS_HOURLY.iter().find(|(c, _)| *c == class).map_or_else(|| panic!("no RDS rate for {class}"), |(_, r)| *r);
        base * if multi_az { 2.0 } else { 1.0 } * region.multiplier
    }

    /// The full monthly cost of a volume, computed from the rates written to the CUR:
    /// size × GB-month + billable IOPS × IOPS-month + throughput above 125 MiB/s × MB/s-month.
    pub fn volume_monthly(&self, v: &Volume) -> f64 {
        let r = v.region;
        let storage_key = format!("ebs.{}_gb_month", v.volume_type);
        let storage = v.size_gib as f64 * self.list(r, &storage_key);
        let iops = v.iops.unwrap_or(0) as f64;
        let iops_cost = match v.volume_type {
            "gp3" => (iops - 3000.0).max(0.0) * self.list(r, "ebs.gp3_iops_month_above_3000"),
            "io1" => iops * self.list(r, "ebs.io1_iops_month"),
            "io2" => {
                iops.min(32_000.0) * self.list(r, "ebs.io2_iops_month_first_32000")
                    + (iops.min(64_000.0) - 32_000.0).max(0.0) * self.list(r, "ebs.io2_iops_month_32001_64000")
                    + (iops - 64_000.0).max(0.0) * self.list(r, "ebs.io2_iops_month_above_64000")
            }
            _ => 0.0,
        };
        let throughput_cost = if v.volume_type == "gp3" {
            (v.throughput.unwrap_or(125) as f64 - 125.0).max(0.0) * self.list(r, "ebs.gp3_mbps_month_above_125")
        } else {
            0.0
        };
        storage + iops_cost + throughput_cost
    }
}

/// One row of the instance fleet table.
struct Group {
    account: usize,
    region: Region,
    instance_type: &'static str,
    count: usize,
    app: &'static str,
    team: &'static str,
    pricing: Pricing,
    cpu: (f64, f64),
    egress_gb_hour: f64,
    inter_az_gb_hour: f64,
    life: Life,
}

#[derive(Clone, Copy, PartialEq)]
enum Life {
    /// Running the whole window.
    Always,
    /// Stopped before the window, at this time.
    StoppedBefore(NaiveDateTime),
    /// Stopped during the window at this hour.
    StoppedAt(usize),
    /// Launched during the window at this hour.
    LaunchedAt(usize),
    /// Terminated during the window at this hour (absent from the inventory).
    TerminatedAt(usize),
}

#[allow(clippy::too_many_arguments)] // one row of the fleet table
const fn g(
    account: usize,
    region: Region,
    instance_type: &'static str,
    count: usize,
    app: &'static str,
    team: &'static str,
    pricing: Pricing,
    cpu: (f64, f64),
    egress_gb_hour: f64,
) -> Group {
    Group {
        account,
        region,
        instance_type,
        count,
        app,
        team,
        pricing,
        cpu,
        egress_gb_hour,
        inter_az_gb_hour: 0.0,
        life: Life::Always,
    }
}

impl Group {
    const fn life(mut self, life: Life) -> Self {
        self.life = life;
        self
    }
    const fn inter_az(mut self, gb: f64) -> Self {
        self.inter_az_gb_hour = gb;
        self
    }
}

use Pricing::{OnDemand as OD, Reserved, SavingsPlan as SP};

fn fleet() -> Vec<Group> {
    let (e1, w2, eu) = (US_EAST_1, US_WEST_2, EU_WEST_1);
    vec![
        // acme-prod, us-east-1: the product.
        g(0, e1, "m5.large", 2, "web", "platform", Reserved(0), (30.0, 62.0), 0.45).inter_az(0.3),
        g(0, e1, "m5.large", 2, "web", "platform", OD, (30.0, 62.0), 0.45).inter_az(0.3),
        g(0, e1, "m6g.large", 4, "api", "platform", SP, (32.0, 58.0), 0.30).inter_az(0.4),
        g(0, e1, "c5.large", 2, "worker", "platform", SP, (36.0, 66.0), 0.0).inter_az(0.5),
        g(0, e1, "r5.large", 1, "search", "search", Reserved(1), (30.0, 45.0), 0.0).inter_az(0.2),
        g(0, e1, "m7g.medium", 2, "notifications", "growth", OD, (12.0, 35.0), 0.06),
        g(0, e1, "t3.small", 2, "tools", "platform", OD, (4.0, 18.0), 0.0),
        g(0, e1, "t3.micro", 6, "bastion", "platform", OD, (1.0, 6.0), 0.0),
        g(0, e1, "t3.medium", 1, "jenkins", "platform", OD, (22.0, 60.0), 0.0),
        g(0, e1, "m5.large", 1, "reporting", "finance", OD, (2.0, 4.5), 0.0),
        g(0, e1, "r5.large", 1, "legacy-cache", "platform", OD, (1.5, 3.5), 0.0),
        g(0, e1, "m4.large", 1, "legacy-reports", "finance", OD, (8.0, 22.0), 0.0),
        g(0, e1, "c4.large", 1, "image-resizer", "growth", OD, (6.0, 24.0), 0.02),
        g(0, e1, "t3.medium", 2, "old-poc", "growth", OD, (0.0, 0.0), 0.0)
            .life(Life::StoppedBefore(at(2026, 7, 14, 17))),
        g(0, e1, "m5.xlarge", 1, "ml-experiment", "data", OD, (40.0, 70.0), 0.0).life(Life::StoppedAt(20 * 24 + 15)),
        g(0, e1, "t3.small", 2, "feature-flags", "growth", OD, (5.0, 20.0), 0.0).life(Life::LaunchedAt(41 * 24 + 10)),
        // acme-prod, us-west-2: disaster recovery.
        g(0, w2, "t3.small", 2, "web-dr", "platform", OD, (3.0, 10.0), 0.0),
        g(0, w2, "t3.micro", 3, "tools-dr", "platform", OD, (1.0, 5.0), 0.0),
        g(0, w2, "t2.medium", 1, "dr-bastion", "platform", OD, (8.0, 20.0), 0.0),
        g(0, w2, "m6g.medium", 1, "queue-dr", "platform", OD, (10.0, 25.0), 0.0),
        g(0, w2, "c5.large", 1, "dr-test", "platform", OD, (0.0, 0.0), 0.0)
            .life(Life::StoppedBefore(at(2026, 8, 30, 9))),
        g(0, w2, "m5.xlarge", 1, "etl-old", "data", OD, (30.0, 60.0), 0.0).life(Life::TerminatedAt(25 * 24 + 11)),
        // acme-prod, eu-west-1: the EU deployment.
        g(0, eu, "m6g.medium", 3, "web-eu", "platform", OD, (44.0, 72.0), 0.30),
        g(0, eu, "t3.micro", 4, "tools-eu", "platform", OD, (2.0, 10.0), 0.0),
        g(0, eu, "r5.large", 1, "eu-cache", "platform", OD, (2.0, 4.5), 0.0),
        // acme-staging, us-east-1.
        g(1, e1, "t3.micro", 4, "staging-app", "platform", OD, (2.0, 12.0), 0.0),
        g(1, e1, "t3.micro", 4, "staging-svc", "platform", OD, (2.0, 12.0), 0.0),
        g(1, e1, "t3.medium", 1, "staging-web", "platform", OD, (5.0, 25.0), 0.0),
        g(1, e1, "t2.micro", 2, "staging-bastion", "platform", OD, (1.0, 5.0), 0.0),
        g(1, e1, "c5.large", 1, "staging-loadtest", "platform", OD, (1.0, 3.0), 0.0),
        g(1, e1, "m5.large", 2, "staging-perf", "platform", OD, (0.0, 0.0), 0.0)
            .life(Life::StoppedBefore(at(2026, 9, 2, 12))),
        g(1, e1, "t3.large", 1, "demo-env", "growth", OD, (5.0, 30.0), 0.0).life(Life::StoppedAt(24 * 24 + 18)),
        // acme-data, us-west-2.
        g(2, w2, "r5.large", 1, "spark", "data", OD, (30.0, 58.0), 0.0).inter_az(0.6),
        g(2, w2, "m7g.medium", 3, "etl", "data", OD, (34.0, 62.0), 0.0),
        g(2, w2, "t3.small", 3, "airflow", "data", OD, (22.0, 52.0), 0.0),
        g(2, w2, "c5.large", 1, "ingest", "data", OD, (34.0, 62.0), 0.0),
        g(2, w2, "t2.large", 1, "legacy-etl", "data", OD, (6.0, 22.0), 0.0),
        g(2, w2, "r5.large", 1, "notebook", "data", OD, (0.0, 0.0), 0.0).life(Life::StoppedBefore(at(2026, 8, 11, 20))),
        g(2, w2, "m5.large", 1, "spark-old", "data", OD, (30.0, 70.0), 0.0).life(Life::TerminatedAt(30 * 24 + 3)),
        // acme-data, us-east-1.
        g(2, e1, "t3.small", 2, "data-api", "data", OD, (5.0, 20.0), 0.02),
        g(2, e1, "t3.micro", 4, "data-jobs", "data", OD, (3.0, 15.0), 0.0),
        g(2, e1, "t3.nano", 4, "data-probes", "data", OD, (1.0, 5.0), 0.0),
    ]
}

struct Ids {
    rng: Rng,
}

impl Ids {
    fn new(seed: u64) -> Self {
        Self { rng: Rng::fork(seed, "ids") }
    }
    fn id(&mut self, prefix: &str) -> String {
        format!("{prefix}-0{}", self.rng.hex(16))
    }
    fn uuid(&mut self) -> String {
        let h = self.rng.hex(32);
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
    fn ip(&mut self, region: Region) -> String {
        format!("{}.{}.{}", region.ip_prefix, 1 + self.rng.below(254), 1 + self.rng.below(254))
    }
}

fn az(region: Region, i: usize) -> String {
    format!("{}{}", region.code, ["a", "b", "c"][i % 3])
}

/// Builds the estate. Deterministic in `seed`.
pub fn build(seed: u64, rates: &Rates) -> Plan {
    let mut ids = Ids::new(seed);
    let mut rng = Rng::fork(seed, "plan");
    let mut plan = Plan::default();
    let ws = window_start();

    // Golden AMIs per account/region, for launches.
    for (account, region) in
        [(0, US_EAST_1), (0, US_WEST_2), (0, EU_WEST_1), (1, US_EAST_1), (2, US_WEST_2), (2, US_EAST_1)]
    {
        let snap = ids.id("snap");
        let image = ids.id("ami");
        let created = at(2026, 8, 3 + account as u32 * 4, 14);
        plan.snapshots.push(Snapshot {
            id: snap.clone(),
            account,
            region,
            volume_id: ids.id("vol"),
            volume_size_gib: 8,
            billed_gb: 3.2,
            start_time: created,
            description: format!("Created by CreateImage(i-0{}) for {image}", rng.hex(16)),
            name: None,
            team: "platform",
        });
        plan.images.push(Image {
            id: image,
            account,
            region,
            name: format!("{GOLDEN_PREFIX}{}", created.format("%Y%m%d")),
            created,
            last_launched: Some(at(2026, 11, 12, 9)),
            snapshot_ids: vec![snap],
        });
    }

    for group in fleet() {
        for n in 0..group.count {
            let region = group.region;
            let az_name = az(region, n + rng.below(3) as usize);
            let id = ids.id("i");
            let launch_default = at(2026, 3 + rng.below(6) as u32, 1 + rng.below(28) as u32, rng.below(24) as u32);
            let (launch, run_from, run_to, state, changed) = match group.life {
                Life::Always => (launch_default, 0, HOURS, Some("running"), None),
                Life::StoppedBefore(t) => (launch_default, 0, 0, Some("stopped"), Some(t)),
                Life::StoppedAt(h) => (launch_default, 0, h, Some("stopped"), Some(hour(h))),
                Life::LaunchedAt(h) => (hour(h), h, HOURS, Some("running"), None),
                Life::TerminatedAt(h) => (launch_default, 0, h, None, Some(hour(h))),
            };
            let name = if group.count > 1 { format!("{}-{}", group.app, n + 1) } else { group.app.to_owned() };
            let prev_gen = matches!(&group.instance_type[..2], "m4" | "c4" | "t2");
            let root_type =
                if prev_gen || group.app.starts_with("legacy") || group.app == "old-poc" { "gp2" } else { "gp3" };
            let root_size = match group.instance_type {
                t if t.starts_with("t3.n") || t.starts_with("t3.mi") || t.starts_with("t2.mi") => 8,
                t if t.starts_with('t') => 20,
                _ => 20,
            };
            let root = ids.id("vol");
            plan.volumes.push(Volume {
                id: root.clone(),
                account: group.account,
                region,
                az: az_name.clone(),
                name: format!("{name}-root"),
                volume_type: root_type,
                size_gib: root_size,
                iops: Some(if root_type == "gp3" { 3000 } else { (root_size * 3).max(100) }),
                throughput: (root_type == "gp3").then_some(125),
                state: if state.is_some() { "in-use" } else { "deleted" },
                create_time: launch,
                attached_to: state.is_some().then(|| id.clone()),
                attach_time: state.is_some().then_some(launch),
                detached_at: None,
                metrics_hours: (run_to > run_from).then_some((run_from, run_to)),
                team: group.team,
                snapshot_id: None,
                write_ops_hour: None,
            });
            let cpu = Cpu { low: group.cpu.0 * rng.range(0.85, 1.15), high: group.cpu.1 * rng.range(0.9, 1.1) };
            plan.instances.push(Instance {
                id,
                account: group.account,
                region,
                az: az_name,
                name,
                instance_type: group.instance_type.to_owned(),
                team: group.team,
                app: group.app,
                launch,
                run_from,
                run_to,
                state,
                state_changed_at: changed,
                pricing: group.pricing,
                cpu,
                egress_gb_hour: group.egress_gb_hour * rng.range(0.9, 1.1),
                inter_az_gb_hour: group.inter_az_gb_hour,
                root_volume: root,
                // Chosen once the whole fleet exists: see `assign_images`.
                image_id: String::new(),
                asg: matches!(group.app, "web" | "api" | "worker").then(|| format!("acme-{}-asg", group.app)),
                untagged: group.app == "old-poc" || (group.app == "staging-svc" && n % 3 == 0),
                network: BUSY_NETWORK,
                metrics: true,
                peaks: Peaks::default(),
            });
        }
    }
    // Terminated instances' root volumes were deleted with them.
    plan.volumes.retain(|v| v.state != "deleted");

    add_data_volumes(&mut plan, &mut ids, &mut rng, rates);
    add_snapshots(&mut plan, &mut ids, &mut rng, rates);
    add_network(&mut plan, &mut ids, rates);
    add_buckets(&mut plan);
    add_databases(&mut plan);
    // Before the commitments: the savings plan covers the new Auto Scaling group too.
    rightsizing::add_instances(&mut plan, seed);
    add_commitments(&mut plan, &mut ids, rates);
    unused::add_estate(&mut plan, seed);
    rightsizing::assign_peaks(&mut plan);
    plant_instance_waste(&mut plan, rates);
    unused::plant(&mut plan, rates);
    rightsizing::plant(&mut plan, rates, seed);
    // Last: commit after cleanup needs the idle and rightsizing entries.
    commitments::plant(&mut plan, rates);
    let _ = ws;
    plan
}

fn instance_by_app<'a>(plan: &'a Plan, app: &str) -> &'a Instance {
    plan.instances.iter().find(|i| i.app == app).unwrap_or_else(|| panic!("no instance for app {app}"))
}

fn push_oracle(
    plan: &mut Plan,
    kind: &str,
    account: usize,
    region: Region,
    id: Option<&str>,
    savings: Option<f64>,
    note: String,
) {
    plan.oracle.push(OracleEntry {
        kind: kind.into(),
        account_id: ACCOUNTS[account].id.into(),
        region: region.code.into(),
        resource_id: id.map(str::to_owned),
        expected_monthly_savings: savings.map(|s| (s * 1e6).round() / 1e6),
        note,
        expected_recommendation: None,
        expected_alternatives: None,
        expected_units: None,
        expected_instance_type: None,
        expected_utilization_percent: None,
        expected_monthly_increase: None,
        expected_policy: None,
        expected_one_time_cost: None,
    });
}

/// Data volumes on busy instances, plus the unattached ones.
#[allow(clippy::type_complexity, clippy::items_after_statements)] // literal tables of planted volumes
fn add_data_volumes(plan: &mut Plan, ids: &mut Ids, rng: &mut Rng, rates: &Rates) {
    // Attached data volumes: (app, type, size, iops, throughput).
    let attached: &[(&str, &'static str, i64, Option<i64>, Option<i64>)] = &[
        ("search", "gp3", 150, Some(3000), Some(125)),
        ("legacy-cache", "gp2", 100, None, None),
        ("legacy-reports", "gp2", 100, None, None),
        ("reporting", "gp2", 300, None, None),
        ("jenkins", "gp2", 100, None, None),
        ("spark", "gp3", 250, Some(3000), Some(125)),
        ("etl", "gp3", 100, Some(3000), Some(125)),
        ("legacy-etl", "gp2", 150, None, None),
        ("airflow", "gp2", 50, None, None),
        ("eu-cache", "gp2", 50, None, None),
        ("web-eu", "gp3", 50, Some(3000), Some(125)),
        ("ml-experiment", "gp3", 100, Some(3000), Some(125)),
        ("old-poc", "gp2", 50, None, None),
        ("staging-perf", "gp2", 50, None, None),
        ("notebook", "gp3", 100, Some(3000), Some(125)),
        ("image-resizer", "gp3", 40, Some(3000), Some(125)),
    ];
    for (app, vtype, size, iops, throughput) in attached {
        let inst = instance_by_app(plan, app).clone();
        let iops = iops.or(Some((size * 3).clamp(100, 16_000)));
        plan.volumes.push(Volume {
            id: ids.id("vol"),
            account: inst.account,
            region: inst.region,
            az: inst.az.clone(),
            name: format!("{}-data", inst.name),
            volume_type: vtype,
            size_gib: *size,
            iops,
            throughput: *throughput,
            state: "in-use",
            create_time: inst.launch + Duration::minutes(3),
            attached_to: Some(inst.id.clone()),
            attach_time: Some(inst.launch + Duration::minutes(4)),
            detached_at: None,
            metrics_hours: (inst.run_to > inst.run_from).then_some((inst.run_from, inst.run_to)),
            team: inst.team,
            snapshot_id: None,
            write_ops_hour: None,
        });
    }

    // The unattached volumes: (label, account, region, type, size, iops, throughput, created, detached_at, metrics until hour, kind, note).
    let etl_old = instance_by_app(plan, "etl-old").clone();
    let spark_old = instance_by_app(plan, "spark-old").clone();
    let reporting = instance_by_app(plan, "reporting").clone();
    let web = instance_by_app(plan, "web").clone();
    struct Loose {
        account: usize,
        region: Region,
        az_index: usize,
        name: &'static str,
        vtype: &'static str,
        size: i64,
        iops: Option<i64>,
        throughput: Option<i64>,
        created: NaiveDateTime,
        detached_at: Option<NaiveDateTime>,
        metrics: Option<(usize, usize)>,
        kind: &'static str,
        note: &'static str,
    }
    let end = HOURS;
    let loose = vec![
        Loose {
            account: 0,
            region: US_EAST_1,
            az_index: 0,
            name: "reporting-scratch",
            vtype: "gp2",
            size: 500,
            iops: Some(1500),
            throughput: None,
            created: reporting.launch + Duration::days(20),
            detached_at: Some(hour(13 * 24 + 16)),
            metrics: Some((0, 13 * 24 + 16)),
            kind: "unattached-ebs-volume",
            note: "gp2 scratch volume detached from the reporting instance on day 14 of the window (detach time recorded); EBS metrics until then",
        },
        Loose {
            account: 0,
            region: US_WEST_2,
            az_index: 1,
            name: "etl-old-data",
            vtype: "gp3",
            size: 500,
            iops: Some(6000),
            throughput: Some(250),
            created: etl_old.launch + Duration::minutes(5),
            detached_at: None,
            metrics: Some((0, etl_old.run_to)),
            kind: "unattached-ebs-volume",
            note: "gp3 with 6,000 IOPS and 250 MiB/s provisioned, left behind when etl-old was terminated mid-window; no detach record, only visible because its EBS metrics stop",
        },
        Loose {
            account: 0,
            region: EU_WEST_1,
            az_index: 0,
            name: "old-mysql-data",
            vtype: "io1",
            size: 100,
            iops: Some(1000),
            throughput: None,
            created: at(2025, 11, 3, 10),
            detached_at: Some(at(2026, 6, 10, 15)),
            metrics: None,
            kind: "unattached-ebs-volume",
            note: "io1 with 1,000 provisioned IOPS from a self-managed MySQL retired in June; detached before the window",
        },
        Loose {
            account: 1,
            region: US_EAST_1,
            az_index: 2,
            name: "staging-restore-test",
            vtype: "gp3",
            size: 100,
            iops: Some(3000),
            throughput: Some(125),
            created: hour(33 * 24 + 14),
            detached_at: None,
            metrics: None,
            kind: "unattached-ebs-volume",
            note: "created in the window (day 34) from a snapshot for a restore test and never attached",
        },
        Loose {
            account: 2,
            region: US_WEST_2,
            az_index: 0,
            name: "spark-old-shuffle",
            vtype: "st1",
            size: 1000,
            iops: Some(250),
            throughput: None,
            created: spark_old.launch + Duration::minutes(6),
            detached_at: None,
            metrics: Some((0, spark_old.run_to)),
            kind: "unattached-ebs-volume",
            note: "st1 shuffle volume of the terminated spark-old instance; EBS metrics stop on day 31",
        },
        Loose {
            account: 1,
            region: US_EAST_1,
            az_index: 1,
            name: "staging-db-migration",
            vtype: "gp2",
            size: 50,
            iops: Some(150),
            throughput: None,
            created: at(2025, 11, 2, 11),
            detached_at: None,
            metrics: None,
            kind: "unattached-ebs-volume",
            note: "never attached during the window: no detach record and no EBS datapoints at all",
        },
        Loose {
            account: 0,
            region: US_EAST_1,
            az_index: 0,
            name: "web-debug-logs",
            vtype: "gp3",
            size: 200,
            iops: Some(3000),
            throughput: Some(125),
            created: web.launch + Duration::days(30),
            detached_at: Some(hour(end - 60)),
            metrics: Some((0, end - 60)),
            kind: "recently-detached-ebs-volume",
            note: "detached 2.5 days before the end of the window (recorded); must NOT be reported with the default min-days-unattached of 7",
        },
        Loose {
            account: 2,
            region: US_WEST_2,
            az_index: 2,
            name: "etl-tmp",
            vtype: "gp3",
            size: 80,
            iops: Some(3000),
            throughput: Some(125),
            created: at(2026, 7, 19, 8),
            detached_at: None,
            metrics: Some((0, end - 72)),
            kind: "recently-detached-ebs-volume",
            note: "EBS metrics stop 3 days before the end of the window; must NOT be reported with the default min-days-unattached of 7",
        },
    ];
    for l in loose {
        let v = Volume {
            id: ids.id("vol"),
            account: l.account,
            region: l.region,
            az: az(l.region, l.az_index),
            name: l.name.into(),
            volume_type: l.vtype,
            size_gib: l.size,
            iops: l.iops,
            throughput: l.throughput,
            state: "available",
            create_time: l.created,
            attached_to: None,
            attach_time: None,
            detached_at: l.detached_at,
            metrics_hours: l.metrics,
            team: if l.account == 2 { "data" } else { "platform" },
            snapshot_id: None,
            write_ops_hour: None,
        };
        let monthly = rates.volume_monthly(&v);
        let id = v.id.clone();
        plan.volumes.push(v);
        push_oracle(plan, l.kind, l.account, l.region, Some(&id), Some(monthly), l.note.into());
    }
    let _ = rng;
}

fn add_snapshots(plan: &mut Plan, ids: &mut Ids, rng: &mut Rng, rates: &Rates) {
    // Weekly backups of the important data volumes: 6 retained each.
    let backed_up: Vec<Volume> = plan
        .volumes
        .iter()
        .filter(|v| v.state == "in-use" && v.name.ends_with("-data") && v.size_gib >= 100)
        .take(6)
        .cloned()
        .collect();
    for v in &backed_up {
        for week in 0..6 {
            let start = window_end() - Duration::days(7 * (week + 1)) + Duration::hours(3);
            // The oldest snapshot in a chain holds the full data, later ones only changes.
            let fraction = if week == 5 { 0.55 } else { 0.04 };
            plan.snapshots.push(Snapshot {
                id: ids.id("snap"),
                account: v.account,
                region: v.region,
                volume_id: v.id.clone(),
                volume_size_gib: v.size_gib,
                billed_gb: (v.size_gib as f64 * fraction * 10.0).round() / 10.0,
                start_time: start,
                description: format!("AWS Backup weekly plan acme-{}", ACCOUNTS[v.account].env),
                name: Some(format!("{}-weekly", v.name)),
                team: v.team,
            });
        }
    }
    // Old AMIs whose build instances (and volumes) are long gone: their snapshots are NOT orphans.
    for (account, region, name, month) in [
        (0, US_EAST_1, "acme-web-2025-11", 11),
        (0, US_EAST_1, "acme-api-2026-01", 1),
        (2, US_WEST_2, "acme-etl-2026-02", 2),
    ] {
        let snap = ids.id("snap");
        let image = ids.id("ami");
        let year = if month >= 11 { 2025 } else { 2026 };
        let created = at(year, month, 12, 10);
        plan.snapshots.push(Snapshot {
            id: snap.clone(),
            account,
            region,
            volume_id: ids.id("vol"),
            volume_size_gib: 30,
            billed_gb: 11.5,
            start_time: created,
            description: format!("Created by CreateImage(i-0{}) for {image}", rng.hex(16)),
            name: None,
            team: "platform",
        });
        plan.images.push(Image {
            id: image,
            account,
            region,
            name: name.into(),
            created,
            last_launched: Some(created + Duration::days(20)),
            snapshot_ids: vec![snap],
        });
    }
    // Orphaned snapshots: source volumes deleted long ago, no AMI references them.
    let orphans: &[(usize, Region, i64, f64, NaiveDateTime, &str)] = &[
        (0, US_EAST_1, 500, 310.0, at(2025, 4, 2, 3), "pre-migration backup of reporting db"),
        (0, US_EAST_1, 200, 120.0, at(2025, 9, 18, 22), "manual snapshot before resize"),
        (0, EU_WEST_1, 100, 64.0, at(2026, 6, 10, 14), "final snapshot of old-mysql-data"),
        (1, US_EAST_1, 100, 38.0, at(2025, 12, 5, 9), "staging db dump"),
        (2, US_WEST_2, 1000, 640.0, at(2026, 2, 27, 1), "hadoop hdfs volume before decommission"),
        (2, US_WEST_2, 250, 150.0, at(2026, 5, 14, 6), "kafka broker 3 data"),
    ];
    for (account, region, size, billed, start, description) in orphans {
        let snap = Snapshot {
            id: ids.id("snap"),
            account: *account,
            region: *region,
            volume_id: ids.id("vol"),
            volume_size_gib: *size,
            billed_gb: *billed,
            start_time: *start,
            description: (*description).into(),
            name: Some((*description).replace(' ', "-")),
            team: if *account == 2 { "data" } else { "platform" },
        };
        let monthly = billed * rates.list(*region, "ebs.snapshot_standard_gb_month");
        let id = snap.id.clone();
        plan.snapshots.push(snap);
        push_oracle(
            plan,
            "orphaned-snapshot",
            *account,
            *region,
            Some(&id),
            Some(monthly),
            format!("{description}: source volume deleted, not used by any AMI; {billed} GB billed"),
        );
    }
}

fn add_network(plan: &mut Plan, ids: &mut Ids, rates: &Rates) {
    let hpm = HOURS_PER_MONTH;
    // NAT gateways: (account, region, az, name, GB/hour).
    let nats: &[(usize, Region, usize, &str, f64)] = &[
        (0, US_EAST_1, 0, "prod-nat-a", 0.6),
        (0, US_WEST_2, 0, "dr-nat-a", 0.0),
        (0, EU_WEST_1, 0, "eu-nat-a", 0.2),
        (2, US_WEST_2, 0, "data-nat", 0.6),
    ];
    for (account, region, az_i, name, gb) in nats {
        let nat = NatGateway {
            id: ids.id("nat"),
            account: *account,
            region: *region,
            az: az(*region, *az_i),
            name: (*name).into(),
            created: at(2025, 10, 8, 12),
            gb_hour: *gb,
        };
        // Every NAT gateway holds an Elastic IP: associated, but not with an instance.
        plan.addresses.push(Address {
            allocation_id: ids.id("eipalloc"),
            account: *account,
            region: *region,
            public_ip: ids.ip(*region),
            name: format!("{name}-eip"),
            association: Some((ids.id("eipassoc"), None, ids.id("eni"))),
        });
        if *gb == 0.0 {
            let monthly = rates.list(*region, "ec2_network.nat_gateway_hour") * hpm;
            push_oracle(
                plan,
                "idle-nat-gateway",
                *account,
                *region,
                Some(&nat.id),
                Some(monthly),
                "DR-region NAT gateway with zero BytesOutToDestination for the whole window; savings = hourly charge only (its EIP's public-IPv4 charge comes on top)".into(),
            );
        }
        plan.nat_gateways.push(nat);
    }
    // Elastic IPs on instances, and idle ones.
    for app in ["bastion", "jenkins", "web-eu", "tools-dr", "staging-web"] {
        let inst = instance_by_app(plan, app).clone();
        plan.addresses.push(Address {
            allocation_id: ids.id("eipalloc"),
            account: inst.account,
            region: inst.region,
            public_ip: ids.ip(inst.region),
            name: format!("{}-eip", inst.name),
            association: Some((ids.id("eipassoc"), Some(inst.id.clone()), ids.id("eni"))),
        });
    }
    let idle: &[(usize, Region, &str, &str)] = &[
        (0, US_EAST_1, "old-vpn-endpoint", "left over from a VPN appliance decommissioned in the spring"),
        (0, EU_WEST_1, "eu-mail-relay", "allocated for a mail relay that was never built"),
        (1, US_EAST_1, "staging-demo", "reserved for a customer demo; the instance was terminated"),
    ];
    for (account, region, name, why) in idle {
        let addr = Address {
            allocation_id: ids.id("eipalloc"),
            account: *account,
            region: *region,
            public_ip: ids.ip(*region),
            name: (*name).into(),
            association: None,
        };
        let monthly = rates.list(*region, "ec2_network.public_ipv4_hour") * hpm;
        push_oracle(
            plan,
            "idle-elastic-ip",
            *account,
            *region,
            Some(&addr.allocation_id),
            Some(monthly),
            format!("unassociated Elastic IP: {why}"),
        );
        plan.addresses.push(addr);
    }
    // Load balancers: (account, region, type, name, scheme, peak load).
    let lbs: &[(usize, Region, &'static str, &str, &'static str, f64)] = &[
        (0, US_EAST_1, "application", "prod-web", "internet-facing", 9000.0),
        (0, US_EAST_1, "network", "prod-api-internal", "internal", 900.0),
        (0, US_EAST_1, "application", "legacy-admin", "internet-facing", 0.0),
        (0, EU_WEST_1, "application", "eu-web", "internet-facing", 2500.0),
        (1, US_EAST_1, "application", "staging-web", "internet-facing", 150.0),
        (1, US_EAST_1, "application", "staging-feature-x", "internet-facing", 0.0),
        (2, US_WEST_2, "network", "old-ingest", "internal", 0.0),
    ];
    for (account, region, kind, name, scheme, load) in lbs {
        let short = if *kind == "application" { "app" } else { "net" };
        let suffix = format!("{short}/{name}/{}", &ids.id("x")[3..]);
        let lb = LoadBalancer {
            arn: format!(
                "arn:aws:elasticloadbalancing:{}:{}:loadbalancer/{suffix}",
                region.code, ACCOUNTS[*account].id
            ),
            arn_suffix: suffix,
            name: (*name).into(),
            lb_type: kind,
            account: *account,
            region: *region,
            scheme,
            created: at(2025, 12, 1 + *account as u32, 10),
            load: *load,
            team: if *account == 2 { "data" } else { "platform" },
        };
        if *load == 0.0 {
            let key = if *kind == "application" { "ec2_network.alb_hour" } else { "ec2_network.nlb_hour" };
            let monthly = rates.list(*region, key) * hpm;
            let evidence = if *kind == "application" {
                "no RequestCount datapoints (ALBs publish none without requests)"
            } else {
                "ProcessedBytes is 0 every hour"
            };
            push_oracle(
                plan,
                "idle-load-balancer",
                *account,
                *region,
                Some(&lb.arn),
                Some(monthly),
                format!(
                    "{kind} load balancer {name}: {evidence} for the whole window; savings = hourly charge (no capacity units are billed while idle)"
                ),
            );
        }
        plan.load_balancers.push(lb);
    }
}

fn class(
    storage_type: &'static str,
    usage_type: &'static str,
    price_key: &'static str,
    gb: f64,
    growth: f64,
) -> StorageClass {
    StorageClass { storage_type, usage_type, price_key, gb, growth_gb_day: growth }
}

fn std_class(gb: f64, growth: f64) -> StorageClass {
    class("StandardStorage", "TimedStorage-ByteHrs", "s3.storage_gb_month.standard_first_50tb", gb, growth)
}

#[allow(clippy::items_after_statements)] // the bucket table's row type sits next to the table
fn add_buckets(plan: &mut Plan) {
    let ia = |gb| class("StandardIAStorage", "TimedStorage-SIA-ByteHrs", "s3.storage_gb_month.standard_ia", gb, 0.0);
    let glacier =
        |gb| class("GlacierStorage", "TimedStorage-GlacierByteHrs", "s3.storage_gb_month.glacier_flexible", gb, 0.0);
    let deep =
        |gb| class("DeepArchiveStorage", "TimedStorage-GDA-ByteHrs", "s3.storage_gb_month.deep_archive", gb, 0.0);
    let int_fa = |gb| {
        class(
            "IntelligentTieringFAStorage",
            "TimedStorage-INT-FA-ByteHrs",
            "s3.storage_gb_month.intelligent_tiering_frequent",
            gb,
            0.0,
        )
    };
    let int_ia = |gb| {
        class(
            "IntelligentTieringIAStorage",
            "TimedStorage-INT-IA-ByteHrs",
            "s3.storage_gb_month.intelligent_tiering_infrequent",
            gb,
            0.0,
        )
    };
    struct B {
        account: usize,
        region: Region,
        name: &'static str,
        classes: Vec<StorageClass>,
        objects: f64,
        lifecycle: i64,
        it: i64,
        versioning: Option<&'static str>,
        gets: f64,
        puts: f64,
        egress: f64,
        replication: f64,
        team: &'static str,
        created: NaiveDateTime,
        rules: &'static str,
        noncurrent: f64,
        mpu: (f64, f64),
    }
    let b = |account, region, name, classes, objects, lifecycle, gets, puts, egress| B {
        account,
        region,
        name,
        classes,
        objects,
        lifecycle,
        it: 0,
        versioning: None,
        gets,
        puts,
        egress,
        replication: 0.0,
        team: if account == 2 { "data" } else { "platform" },
        created: at(2023, 3 + account as u32, 14, 9),
        rules: "[]",
        noncurrent: 0.0,
        mpu: (0.0, 0.0),
    };
    let (e1, w2, eu) = (US_EAST_1, US_WEST_2, EU_WEST_1);
    let mut list = vec![
        b(0, e1, "acme-prod-assets", vec![std_class(900.0, 1.5)], 2.4e6, 1, 120_000.0, 900.0, 6.0),
        b(0, e1, "acme-prod-logs", vec![std_class(5500.0, 2.0)], 4.1e7, 0, 3.0, 600.0, 0.0),
        b(0, e1, "acme-prod-backups", vec![std_class(500.0, 0.0), glacier(10_000.0)], 3.2e5, 2, 20.0, 60.0, 0.0),
        b(0, e1, "acme-prod-uploads", vec![std_class(500.0, 2.5), ia(500.0)], 1.9e6, 1, 9000.0, 1400.0, 0.4),
        b(0, e1, "acme-prod-cloudtrail", vec![std_class(400.0, 0.8)], 8.0e6, 1, 40.0, 700.0, 0.0),
        b(0, e1, "acme-prod-terraform-state", vec![std_class(0.5, 0.0)], 900.0, 0, 30.0, 5.0, 0.0),
        b(0, e1, "acme-prod-athena-results", vec![std_class(50.0, 0.0)], 2.2e5, 1, 600.0, 300.0, 0.0),
        b(0, eu, "acme-prod-static-eu", vec![std_class(300.0, 0.2)], 6.0e5, 1, 30_000.0, 100.0, 0.0),
        b(0, w2, "acme-prod-dr-replica", vec![std_class(400.0, 0.0)], 3.2e5, 1, 5.0, 0.0, 0.0),
        b(1, e1, "acme-staging-artifacts", vec![std_class(300.0, 1.0)], 2.5e5, 1, 400.0, 200.0, 0.0),
        b(1, e1, "acme-staging-assets", vec![std_class(50.0, 0.0)], 1.2e5, 0, 800.0, 20.0, 0.0),
        b(1, e1, "acme-staging-logs", vec![std_class(200.0, 0.3)], 3.0e6, 1, 10.0, 300.0, 0.0),
        b(1, e1, "acme-staging-old-builds", vec![std_class(2500.0, 0.0)], 1.3e6, 0, 0.0, 0.0, 0.0),
        b(2, w2, "acme-data-lake-raw", vec![int_fa(600.0), int_ia(2000.0)], 1.5e7, 0, 5000.0, 2000.0, 0.0),
        b(2, w2, "acme-data-lake-curated", vec![std_class(900.0, 2.0)], 4.0e6, 0, 15_000.0, 800.0, 0.45),
        b(2, w2, "acme-data-emr-logs", vec![std_class(200.0, 0.5)], 9.0e6, 1, 50.0, 900.0, 0.0),
        b(2, w2, "acme-data-exports", vec![std_class(200.0, 0.2)], 4.0e4, 1, 300.0, 30.0, 0.2),
        b(2, w2, "acme-data-ml-datasets", vec![std_class(400.0, 0.0)], 2.0e5, 0, 2000.0, 40.0, 0.0),
        b(2, w2, "acme-data-archive-2023", vec![deep(5000.0)], 8.0e5, 1, 0.0, 0.0, 0.0),
        b(2, e1, "acme-data-query-cache", vec![std_class(20.0, 0.0)], 5.0e4, 1, 3000.0, 1500.0, 0.0),
    ];
    for bucket in &mut list {
        match bucket.name {
            "acme-data-lake-raw" => bucket.it = 1,
            "acme-prod-backups" => {
                bucket.versioning = Some("Enabled");
                bucket.replication = 2.0;
                // Noncurrent versions are handled by a rule: not a finding.
                bucket.noncurrent = 300.0;
            }
            "acme-prod-uploads" => {
                bucket.versioning = Some("Enabled");
                bucket.noncurrent = 350.0;
            }
            "acme-data-ml-datasets" => {
                bucket.versioning = Some("Enabled");
                // 5 % of the bucket: under the 10 % threshold.
                bucket.noncurrent = 20.0;
            }
            // Spark jobs that die mid-write leave their multipart uploads behind.
            "acme-data-lake-curated" => bucket.mpu = (350.0, 320.0),
            // Has an abort rule: the few GB in flight are uploads in progress.
            "acme-prod-assets" => bucket.mpu = (2.0, 0.0),
            _ => {}
        }
        bucket.rules = lifecycle_rules_json(bucket.name);
        assert_eq!(
            bucket.lifecycle,
            i64::from(bucket.rules != "[]") * if bucket.name == "acme-prod-backups" { 2 } else { 1 },
            "{}: rule count matches the rules",
            bucket.name
        );
    }
    for b in list {
        let std_gb: f64 = b.classes.iter().filter(|c| c.storage_type == "StandardStorage").map(|c| c.gb).sum();
        let standard_monthly: f64 = b
            .classes
            .iter()
            .filter(|c| c.storage_type == "StandardStorage")
            .map(|c| c.gb * 0.023 * b.region.multiplier)
            .sum();
        match b.name {
            // Priced by `storage::price` from what the generator writes.
            "acme-prod-logs" => push_oracle(
                plan,
                "s3-lifecycle-tiering",
                b.account,
                b.region,
                Some(b.name),
                None,
                format!(
                    "Application logs: {std_gb:.0} GiB in S3 Standard (${standard_monthly:.0}/month) growing {:.0} GiB a day, kept forever (no lifecycle rules, no Intelligent-Tiering) and read only a few times an hour ({} GETs an hour): cold data at the Standard rate. Glacier Instant Retrieval after 30 days wins: its objects (~{:.0} KiB) clear the 128 KiB minimum billable size, the rare reads cost cents in its request and retrieval fees, Standard-IA saves less, Intelligent-Tiering's monitoring fee on ~{:.0}M objects costs more than it saves, and the archive classes (which would save more) are ruled out because the bucket IS read (a GET on an archived object fails until restored)",
                    b.classes[0].growth_gb_day,
                    b.gets,
                    std_gb / b.objects * 1024.0 * 1024.0,
                    b.objects / 1e6,
                ),
            ),
            "acme-staging-old-builds" => push_oracle(
                plan,
                "s3-lifecycle-tiering",
                b.account,
                b.region,
                Some(b.name),
                None,
                format!(
                    "Old build outputs: {std_gb:.0} GiB of ~{:.0} MiB objects in S3 Standard (${standard_monthly:.0}/month), no longer written and never read (no GET requests; no lifecycle rules, no Intelligent-Tiering). Glacier Deep Archive wins: nothing reads the bucket, so the archive classes are allowed; at ~2 MiB an object the 40 KiB of archive metadata per object (8 KiB of it billed at the Standard rate) is small; nothing is written, so every delay moves all of it: Deep Archive after 180 and after 365 days save the same, and the tie goes to the shorter delay (it saves sooner)",
                    std_gb / b.objects * 1024.0,
                ),
            ),
            "acme-data-lake-curated" => push_oracle(
                plan,
                "s3-incomplete-multipart-uploads",
                b.account,
                b.region,
                Some(b.name),
                None,
                format!(
                    "Spark jobs that die mid-write leave their multipart uploads behind: {:.0} GiB of incomplete uploads, {:.0} GiB of them started more than 7 days ago, and the bucket has no lifecycle rules at all; an AbortIncompleteMultipartUpload rule (7 days) frees the old ones (the bucket itself is hot, {} GETs an hour: not a tiering candidate)",
                    b.mpu.0, b.mpu.1, b.gets
                ),
            ),
            "acme-prod-uploads" => push_oracle(
                plan,
                "s3-noncurrent-versions",
                b.account,
                b.region,
                Some(b.name),
                None,
                format!(
                    "Versioned bucket whose user uploads are overwritten: {:.0} GiB of noncurrent versions pile up; its only lifecycle rule moves current versions to Standard-IA after 30 days, nothing expires or transitions the old versions. A NoncurrentVersionExpiration rule (30 days) frees them",
                    b.noncurrent
                ),
            ),
            "acme-prod-assets" => {
                let monthly = b.egress * HOURS_PER_MONTH * 0.09 * b.region.multiplier;
                push_oracle(
                    plan,
                    "heavy-s3-egress",
                    b.account,
                    b.region,
                    Some(b.name),
                    None,
                    format!(
                        "~{:.0} GB/month served straight from S3 to the internet (${monthly:.0}/month of AWSDataTransfer DataTransfer-Out-Bytes with this bucket as resource id, operation GetObject); a CloudFront distribution in front would cut it",
                        b.egress * HOURS_PER_MONTH
                    ),
                );
                push_oracle(
                    plan,
                    "spend-spike",
                    b.account,
                    b.region,
                    Some("AWSDataTransfer"),
                    None,
                    format!(
                        "{} internet egress rises {ASSETS_EGRESS_SURGE}x (~{:.1} to ~{:.1} GB/hour, a campaign linking straight to S3) for the last 7 days of the window ({} to {}): AWSDataTransfer spend rises by over 40% and over $60 week over week; a spend alert, not a saving",
                        b.name,
                        b.egress,
                        b.egress * ASSETS_EGRESS_SURGE,
                        hour(SURGE_START).format("%Y-%m-%d"),
                        (window_end() - Duration::days(1)).format("%Y-%m-%d"),
                    ),
                );
            }
            _ => {}
        }
        plan.buckets.push(Bucket {
            name: b.name.into(),
            account: b.account,
            region: b.region,
            created: b.created,
            classes: b.classes,
            objects: b.objects,
            lifecycle_rules: b.lifecycle,
            lifecycle_json: b.rules.to_owned(),
            noncurrent_gb: b.noncurrent,
            incomplete_mpu_gb: b.mpu,
            it_configs: b.it,
            versioning: b.versioning,
            gets_hour: b.gets,
            puts_hour: b.puts,
            egress_gb_hour: b.egress,
            egress_surge: if b.name == "acme-prod-assets" { ASSETS_EGRESS_SURGE } else { 1.0 },
            replication_gb_hour: b.replication,
            team: b.team,
        });
    }
}

/// The demo buckets' lifecycle rules, as `get-bucket-lifecycle-configuration` returns them.
fn lifecycle_rules_json(bucket: &str) -> &'static str {
    match bucket {
        "acme-prod-assets" | "acme-prod-static-eu" | "acme-data-exports" => {
            r#"[{"ID":"abort-mpu","Filter":{"Prefix":""},"Status":"Enabled","AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}}]"#
        }
        "acme-prod-backups" => {
            r#"[{"ID":"to-glacier","Filter":{"Prefix":""},"Status":"Enabled","Transitions":[{"Days":30,"StorageClass":"GLACIER"}]},{"ID":"old-versions","Filter":{"Prefix":""},"Status":"Enabled","NoncurrentVersionExpiration":{"NoncurrentDays":90}}]"#
        }
        "acme-prod-uploads" | "acme-prod-dr-replica" => {
            r#"[{"ID":"to-ia","Filter":{"Prefix":""},"Status":"Enabled","Transitions":[{"Days":30,"StorageClass":"STANDARD_IA"}]}]"#
        }
        "acme-prod-cloudtrail" => {
            r#"[{"ID":"to-glacier-ir","Filter":{"Prefix":"AWSLogs/"},"Status":"Enabled","Transitions":[{"Days":90,"StorageClass":"GLACIER_IR"}]}]"#
        }
        "acme-prod-athena-results" => {
            r#"[{"ID":"expire","Filter":{"Prefix":""},"Status":"Enabled","Expiration":{"Days":7}}]"#
        }
        "acme-staging-artifacts" => {
            r#"[{"ID":"expire","Filter":{"Prefix":""},"Status":"Enabled","Expiration":{"Days":90}}]"#
        }
        "acme-staging-logs" => r#"[{"ID":"expire","Filter":{},"Status":"Enabled","Expiration":{"Days":30}}]"#,
        "acme-data-emr-logs" => {
            r#"[{"ID":"expire","Filter":{"Prefix":""},"Status":"Enabled","Expiration":{"Days":60}}]"#
        }
        "acme-data-archive-2023" => {
            r#"[{"ID":"to-deep-archive","Filter":{"Prefix":""},"Status":"Enabled","Transitions":[{"Days":0,"StorageClass":"DEEP_ARCHIVE"}]}]"#
        }
        "acme-data-query-cache" => {
            r#"[{"ID":"expire","Filter":{"Prefix":""},"Status":"Enabled","Expiration":{"Days":1}}]"#
        }
        _ => "[]",
    }
}

#[allow(clippy::type_complexity)] // a literal table
fn add_databases(plan: &mut Plan) {
    let dbs: &[(usize, Region, &str, &'static str, &'static str, bool, f64, &'static str)] = &[
        (0, US_EAST_1, "orders-prod", "db.r6g.large", "PostgreSQL", true, 300.0, "platform"),
        (0, US_EAST_1, "accounts-prod", "db.r6g.large", "PostgreSQL", true, 150.0, "platform"),
        (0, EU_WEST_1, "orders-eu", "db.m6g.large", "PostgreSQL", false, 100.0, "platform"),
        (1, US_EAST_1, "orders-staging", "db.t3.medium", "PostgreSQL", false, 100.0, "platform"),
        (2, US_WEST_2, "warehouse-meta", "db.r6g.large", "MySQL", false, 100.0, "data"),
    ];
    for (account, region, name, class, engine, multi_az, storage, team) in dbs {
        plan.databases.push(Database {
            name: (*name).into(),
            account: *account,
            region: *region,
            class,
            engine,
            multi_az: *multi_az,
            storage_gb: *storage,
            team,
        });
    }
}

fn add_commitments(plan: &mut Plan, ids: &mut Ids, rates: &Rates) {
    // RI 0: 2 × m5.large, standard 1-year No Upfront (37.5% off).
    let m5 = rates.ec2(US_EAST_1, "m5.large");
    plan.reservations.push(Reservation {
        id: ids.uuid(),
        account: 0,
        region: US_EAST_1,
        instance_type: "m5.large",
        count: 2,
        offering_type: "No Upfront",
        fixed_price: 0.0,
        recurring_hourly: round6(m5 * (1.0 - commitments::STANDARD_1YR_NO_UPFRONT)),
        start: at(2026, 2, 10, 0),
        end: at(2027, 2, 10, 0),
    });
    // RI 1: 1 × r5.large, standard 1-year Partial Upfront (40% off), half paid upfront.
    let r5 = rates.ec2(US_EAST_1, "r5.large");
    let effective = r5 * (1.0 - 0.40);
    plan.reservations.push(Reservation {
        id: ids.uuid(),
        account: 0,
        region: US_EAST_1,
        instance_type: "r5.large",
        count: 1,
        offering_type: "Partial Upfront",
        fixed_price: (effective * 0.5 * 8760.0).round(),
        recurring_hourly: round6(effective * 0.5),
        start: at(2026, 5, 1, 0),
        end: at(2027, 5, 1, 0),
    });
    // The compute savings plan covers the api and worker fleets exactly.
    let discount = commitments::COMPUTE_SP_DISCOUNT;
    let covered: f64 = plan
        .instances
        .iter()
        .filter(|i| i.pricing == Pricing::SavingsPlan)
        .map(|i| round6(rates.ec2(i.region, &i.instance_type) * (1.0 - discount)))
        .sum();
    plan.savings_plans.push(SavingsPlan {
        id: ids.uuid(),
        account: 0,
        commitment: round6(covered),
        discount,
        start: at(2026, 4, 1, 0),
        end: at(2027, 4, 1, 0),
    });
}

/// Rounds to 6 decimals (rates as AWS prints them).
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn plant_instance_waste(plan: &mut Plan, rates: &Rates) {
    let hpm = HOURS_PER_MONTH;
    let instances = plan.instances.clone();
    let volumes = plan.volumes.clone();
    for inst in instances.iter().filter(|i| i.state.is_some()) {
        let r = inst.region;
        let od = rates.ec2(r, &inst.instance_type);
        if inst.state == Some("stopped") {
            let attached: Vec<&Volume> =
                volumes.iter().filter(|v| v.attached_to.as_deref() == Some(&inst.id)).collect();
            let ebs: f64 = attached.iter().map(|v| rates.volume_monthly(v)).sum();
            // Every public IPv4 bills $0.005/hour, associated with a stopped instance or not.
            let addresses = plan
                .addresses
                .iter()
                .filter(|a| a.association.as_ref().is_some_and(|(_, i, _)| i.as_deref() == Some(&inst.id)))
                .count();
            let eip = addresses as f64 * rates.list(r, "ec2_network.public_ipv4_hour") * hpm;
            let total = ebs + eip;
            let held = if addresses > 0 { format!(" and {addresses} Elastic IP(s)") } else { String::new() };
            let since = inst.state_changed_at.map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string());
            push_oracle(
                plan,
                "stopped-instance",
                inst.account,
                r,
                Some(&inst.id),
                Some(total),
                format!(
                    "{} ({}) stopped since {since}; its {} EBS volume(s){held} still bill ${total:.2}/month (the expected savings; terminating also frees ${:.2}/month of compute it would cost if restarted)",
                    inst.name,
                    inst.instance_type,
                    attached.len(),
                    od * hpm
                ),
            );
            continue;
        }
        let successor = match inst.instance_type.split('.').next() {
            Some("m4") => Some("m5"),
            Some("c4") => Some("c5"),
            Some("t2") => Some("t3"),
            _ => None,
        };
        if let Some(next) = successor {
            let size = inst.instance_type.split('.').nth(1).unwrap_or("large");
            let new_type = format!("{next}.{size}");
            let saving = (od - rates.ec2(r, &new_type)) * hpm;
            push_oracle(
                plan,
                "previous-generation-instance",
                inst.account,
                r,
                Some(&inst.id),
                Some(saving),
                format!(
                    "{} runs previous-generation {}; moving to {new_type} (same size, current generation) saves the price difference",
                    inst.name, inst.instance_type
                ),
            );
        }
    }
    // gp2 volumes in use: moving to gp3 keeps performance for less. A gp3 volume
    // matches gp2's baseline with IOPS above its included 3,000 (gp2 gives 3 per
    // GiB) and, from 334 GiB (where gp2 sustains 250 MiB/s), throughput above 125 MiB/s.
    // Unattached gp2 volumes are gp2 volumes too (their unattached-ebs-volume finding saves more).
    for v in volumes.iter().filter(|v| v.volume_type == "gp2") {
        let baseline = (v.size_gib * 3).clamp(100, 16_000);
        let extra_iops = (baseline - 3000).max(0) as f64;
        let extra_throughput = if v.size_gib >= 334 { 250.0 - 125.0 } else { 0.0 };
        let saving = v.size_gib as f64
            * (rates.list(v.region, "ebs.gp2_gb_month") - rates.list(v.region, "ebs.gp3_gb_month"))
            - extra_iops * rates.list(v.region, "ebs.gp3_iops_month_above_3000")
            - extra_throughput * rates.list(v.region, "ebs.gp3_mbps_month_above_125");
        let mut note = if extra_iops > 0.0 || extra_throughput > 0.0 {
            let gp2 = v.size_gib as f64 * rates.list(v.region, "ebs.gp2_gb_month");
            format!(
                "{} GiB gp2 ({baseline} baseline IOPS, 250 MiB/s): gp3 needs {extra_iops:.0} IOPS above 3,000 and {extra_throughput:.0} MiB/s above 125 provisioned to match (${:.2}/month against ${gp2:.2}); savings net of that",
                v.size_gib,
                gp2 - saving
            )
        } else {
            format!("{} GiB gp2: same size gp3 (3,000 IOPS, 125 MiB/s included) is 20% cheaper", v.size_gib)
        };
        if v.state == "available" {
            note.push_str(
                "; unattached, so also an unattached-ebs-volume finding, whose larger saving (the whole volume) the report counts instead",
            );
        }
        push_oracle(plan, "gp2-volume", v.account, v.region, Some(&v.id), Some(saving), note);
    }
}
