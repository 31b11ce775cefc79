//! The single source of truth for every snapshot table's columns.
//!
//! Ingest maps each input format onto these schemas, the snapshot loader
//! validates Parquet files against them, and `docs/data-model.md` is generated
//! from them (a test fails when the two drift apart). Rules may rely on every
//! column listed here being present with exactly this type; nothing else.

use std::fmt::{self, Write as _};

use polars::prelude::{DataType, Schema, TimeUnit};
use serde::{Deserialize, Serialize};

/// The logical type of a snapshot column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Str,
    /// 64-bit float; money is always USD (or the snapshot's single currency).
    F64,
    /// 64-bit signed integer.
    I64,
    /// Boolean.
    Bool,
    /// Timestamp in UTC, microsecond precision, stored without a zone.
    Timestamp,
}

impl ColumnType {
    /// The polars type a column of this kind has in a loaded frame.
    pub fn dtype(self) -> DataType {
        match self {
            ColumnType::Str => DataType::String,
            ColumnType::F64 => DataType::Float64,
            ColumnType::I64 => DataType::Int64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Timestamp => DataType::Datetime(TimeUnit::Microseconds, None),
        }
    }

    /// The name used in documentation and error messages.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Str => "string",
            ColumnType::F64 => "float64",
            ColumnType::I64 => "int64",
            ColumnType::Bool => "bool",
            ColumnType::Timestamp => "timestamp (UTC, µs)",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Column name in the Parquet file and the frame.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// What it means, for `docs/data-model.md`.
    pub doc: &'static str,
}

const fn req(name: &'static str, ty: ColumnType, doc: &'static str) -> Column {
    Column { name, ty, nullable: false, doc }
}

const fn opt(name: &'static str, ty: ColumnType, doc: &'static str) -> Column {
    Column { name, ty, nullable: true, doc }
}

use ColumnType::{Bool, F64, I64, Str, Timestamp};

/// The tables a snapshot may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Billing line items (CUR, FOCUS) normalized to one schema.
    Costs,
    /// EC2 instances.
    Instances,
    /// EBS volumes.
    Volumes,
    /// EBS snapshots owned by the account.
    Snapshots,
    /// AMIs owned by the account.
    Images,
    /// EC2 launch template versions (which AMIs they launch).
    LaunchTemplates,
    /// EC2 Auto Scaling groups.
    AutoScalingGroups,
    /// Elastic IP addresses.
    Addresses,
    /// Elastic Load Balancing load balancers (ALB, NLB, GWLB, classic).
    LoadBalancers,
    /// NAT gateways.
    NatGateways,
    /// S3 buckets.
    Buckets,
    /// Objects listed by S3 Inventory reports.
    S3Objects,
    /// EC2 reserved instances.
    Reservations,
    /// Savings plans.
    SavingsPlans,
    /// CloudWatch metrics in long format.
    Metrics,
}

impl Table {
    /// Every table, in documentation order.
    pub const ALL: [Table; 15] = [
        Table::Costs,
        Table::Instances,
        Table::Volumes,
        Table::Snapshots,
        Table::Images,
        Table::LaunchTemplates,
        Table::AutoScalingGroups,
        Table::Addresses,
        Table::LoadBalancers,
        Table::NatGateways,
        Table::Buckets,
        Table::S3Objects,
        Table::Reservations,
        Table::SavingsPlans,
        Table::Metrics,
    ];

    /// The table's name, also its file stem in a snapshot.
    pub fn name(self) -> &'static str {
        match self {
            Table::Costs => "costs",
            Table::Instances => "instances",
            Table::Volumes => "volumes",
            Table::Snapshots => "snapshots",
            Table::Images => "images",
            Table::LaunchTemplates => "launch_templates",
            Table::AutoScalingGroups => "auto_scaling_groups",
            Table::Addresses => "addresses",
            Table::LoadBalancers => "load_balancers",
            Table::NatGateways => "nat_gateways",
            Table::Buckets => "buckets",
            Table::S3Objects => "s3_objects",
            Table::Reservations => "reservations",
            Table::SavingsPlans => "savings_plans",
            Table::Metrics => "metrics",
        }
    }

    /// Looks a table up by name.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The Parquet file name inside a snapshot directory.
    pub fn file_name(self) -> String {
        format!("{}.parquet", self.name())
    }

    /// One sentence on what a row is.
    pub fn doc(self) -> &'static str {
        match self {
            Table::Costs => {
                "One row per billing line item (or per hour/day and resource aggregate), from CUR 2.0, legacy CUR or FOCUS."
            }
            Table::Instances => "One row per EC2 instance (any state).",
            Table::Volumes => "One row per EBS volume.",
            Table::Snapshots => "One row per EBS snapshot owned by the account.",
            Table::Images => "One row per AMI owned by the account.",
            Table::LaunchTemplates => "One row per EC2 launch template version.",
            Table::AutoScalingGroups => "One row per EC2 Auto Scaling group.",
            Table::Addresses => "One row per Elastic IP address.",
            Table::LoadBalancers => "One row per load balancer (application, network, gateway or classic).",
            Table::NatGateways => "One row per NAT gateway.",
            Table::Buckets => "One row per S3 bucket.",
            Table::S3Objects => {
                "One row per object version listed by an S3 Inventory report (optional: enables per-object and per-prefix storage-class analysis)."
            }
            Table::Reservations => "One row per EC2 reserved-instance purchase.",
            Table::SavingsPlans => "One row per savings plan.",
            Table::Metrics => {
                "CloudWatch datapoints in long format: one row per resource, metric, statistic and period."
            }
        }
    }

    /// The table's columns.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Costs => COSTS,
            Table::Instances => INSTANCES,
            Table::Volumes => VOLUMES,
            Table::Snapshots => SNAPSHOTS,
            Table::Images => IMAGES,
            Table::LaunchTemplates => LAUNCH_TEMPLATES,
            Table::AutoScalingGroups => AUTO_SCALING_GROUPS,
            Table::Addresses => ADDRESSES,
            Table::LoadBalancers => LOAD_BALANCERS,
            Table::NatGateways => NAT_GATEWAYS,
            Table::Buckets => BUCKETS,
            Table::S3Objects => S3_OBJECTS,
            Table::Reservations => RESERVATIONS,
            Table::SavingsPlans => SAVINGS_PLANS,
            Table::Metrics => METRICS,
        }
    }

    /// The table's polars schema, in column order.
    pub fn schema(self) -> Schema {
        self.columns().iter().map(|c| (c.name.into(), c.ty.dtype())).collect()
    }

    /// Finds a column by name.
    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.name == name)
    }

    /// The inventory columns holding identifiers AWS writes in a fixed alphabet (ids, ARNs, bucket and load
    /// balancer names, regions, zones, instance types and families, IP addresses): the values remediation
    /// commands paste, which must be plain shell words ([`crate::finding::is_plain_shell_word`]). Names from
    /// tags, Auto Scaling group names and ARNs (which embed the name) are free text, and billing and metrics
    /// tables are not inventory.
    pub fn identifier_columns(self) -> impl Iterator<Item = &'static Column> {
        const NAMED: [&str; 6] =
            ["bucket", "region", "availability_zone", "instance_type", "instance_family", "public_ip"];
        let inventory = !matches!(self, Table::Costs | Table::Metrics | Table::S3Objects);
        self.columns().iter().filter(move |c| {
            inventory
                && c.ty == ColumnType::Str
                && (c.name.ends_with("_id") || c.name.ends_with("_arn") || NAMED.contains(&c.name))
                && c.name != "auto_scaling_group_arn"
                // `name` is a load balancer's AWS name; elsewhere it is the free-form `Name` tag.
                || (self == Table::LoadBalancers && c.name == "name")
        })
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const TAGS_DOC: &str = "Resource tags as a JSON object (key → value, keys sorted); `{}` when untagged.";

static COSTS: &[Column] = &[
    req("usage_start", Timestamp, "Start of the usage period the line item covers."),
    req("usage_end", Timestamp, "End of the usage period (exclusive)."),
    opt("payer_account_id", Str, "Management (payer) account."),
    req("account_id", Str, "Usage account (12 digits)."),
    opt("account_name", Str, "Usage account name, where the export carries it."),
    opt("region", Str, "Region code (`us-east-1`); null for global services."),
    opt("availability_zone", Str, "Availability zone, where the line item has one."),
    req("service", Str, "Product code (`AmazonEC2`, `AmazonS3`, `AWSDataTransfer`, ...)."),
    opt("product_family", Str, "Price-list product family (`Compute Instance`, `Storage`, `Data Transfer`, ...)."),
    opt("usage_type", Str, "Usage type, region prefix included (`USW2-BoxUsage:m5.large`)."),
    opt("operation", Str, "Operation (`RunInstances`, `CreateVolume-Gp3`, ...)."),
    opt("resource_id", Str, "Resource id or ARN the line item is for, when the export includes resource ids."),
    req(
        "line_item_type",
        Str,
        "CUR line item type (`Usage`, `DiscountedUsage`, `SavingsPlanCoveredUsage`, `RIFee`, `Tax`, ...). FOCUS rows are mapped onto these.",
    ),
    opt("pricing_unit", Str, "Unit of `usage_amount` (`Hrs`, `GB-Mo`, `GB`, ...)."),
    req("usage_amount", F64, "Usage quantity in `pricing_unit`."),
    req("unblended_cost", F64, "Billed cost (CUR unblended, FOCUS BilledCost)."),
    req(
        "amortized_cost",
        F64,
        "Effective cost with upfront fees amortized and commitments applied (AWS's per-line-item-type rule; FOCUS EffectiveCost).",
    ),
    req(
        "public_on_demand_cost",
        F64,
        "What the usage costs at public on-demand rates (FOCUS ListCost); 0 where unknown.",
    ),
    opt("public_on_demand_rate", F64, "Public on-demand rate per `pricing_unit`."),
    opt("instance_type", Str, "Instance type for compute line items (`m5.large`, `db.r6g.xlarge`)."),
    opt("operating_system", Str, "Operating system of compute line items (`Linux`, `Windows`, ...)."),
    opt("tenancy", Str, "Tenancy of compute line items (`Shared`, `Dedicated`, `Host`)."),
    opt("normalization_factor", F64, "RI size-flexibility normalization factor of the instance size."),
    opt("pricing_term", Str, "`OnDemand`, `Reserved` or `Spot`."),
    opt("reservation_arn", Str, "Reserved instance ARN for RI-related line items."),
    opt("savings_plan_arn", Str, "Savings plan ARN for SP-related line items."),
    req("currency", Str, "Currency code of every cost column (`USD`). A snapshot has exactly one."),
    req("tags", Str, TAGS_DOC),
];

static INSTANCES: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    opt("availability_zone", Str, "Availability zone."),
    req("instance_id", Str, "Instance id (`i-...`)."),
    opt("name", Str, "Value of the `Name` tag."),
    req("instance_type", Str, "Instance type (`m5.large`)."),
    opt("image_id", Str, "AMI the instance was launched from."),
    req("state", Str, "`pending`, `running`, `stopping`, `stopped`, `shutting-down` or `terminated`."),
    opt(
        "state_changed_at",
        Timestamp,
        "When the instance entered its current state, where known (parsed from the state transition reason).",
    ),
    opt("launch_time", Timestamp, "Last launch time."),
    opt("platform", Str, "`Linux/UNIX`, `Windows`, ... (EC2 `PlatformDetails`)."),
    opt("architecture", Str, "`x86_64` or `arm64`."),
    opt("tenancy", Str, "`default`, `dedicated` or `host`."),
    opt("lifecycle", Str, "`on-demand`, `spot` or `scheduled`."),
    opt("auto_scaling_group", Str, "Auto Scaling group name, from the `aws:autoscaling:groupName` tag."),
    opt("root_volume_id", Str, "Volume id of the root device."),
    req("tags", Str, TAGS_DOC),
];

static VOLUMES: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    opt("availability_zone", Str, "Availability zone."),
    req("volume_id", Str, "Volume id (`vol-...`)."),
    opt("name", Str, "Value of the `Name` tag."),
    req("volume_type", Str, "`gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`."),
    req("size_gib", I64, "Provisioned size in GiB."),
    opt("iops", I64, "Provisioned IOPS (gp3, io1, io2); baseline IOPS for gp2."),
    opt("throughput_mibps", I64, "Provisioned throughput in MiB/s (gp3)."),
    req("state", Str, "`creating`, `available` (unattached), `in-use`, `deleting`, `deleted` or `error`."),
    opt("create_time", Timestamp, "When the volume was created."),
    opt("attached_instance_id", Str, "Instance the volume is attached to, if any."),
    opt("attach_time", Timestamp, "When the current attachment was made."),
    opt(
        "detached_at",
        Timestamp,
        "When the volume was last detached, where known (CloudTrail `DetachVolume`, or collection history).",
    ),
    opt("encrypted", Bool, "Whether the volume is encrypted."),
    opt("snapshot_id", Str, "Snapshot the volume was created from."),
    req("tags", Str, TAGS_DOC),
];

static SNAPSHOTS: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("snapshot_id", Str, "Snapshot id (`snap-...`)."),
    opt("name", Str, "Value of the `Name` tag."),
    opt("volume_id", Str, "Source volume id (may no longer exist)."),
    opt("volume_size_gib", I64, "Size of the source volume in GiB."),
    opt("full_snapshot_size_bytes", I64, "Full size of the snapshot data in bytes, where EC2 reports it."),
    opt("start_time", Timestamp, "When the snapshot was started."),
    opt("state", Str, "`pending`, `completed`, `error`, ..."),
    opt("storage_tier", Str, "`standard` or `archive`."),
    opt("description", Str, "Snapshot description (AMI and backup snapshots say so here)."),
    req("tags", Str, TAGS_DOC),
];

static IMAGES: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("image_id", Str, "AMI id (`ami-...`)."),
    opt("name", Str, "AMI name."),
    opt("state", Str, "`available`, `pending`, `deregistered`, ..."),
    opt("creation_date", Timestamp, "When the AMI was created."),
    opt("last_launched_time", Timestamp, "When an instance was last launched from it."),
    req("snapshot_ids", Str, "EBS snapshots backing the AMI, as a JSON array of ids."),
    req("tags", Str, TAGS_DOC),
];

static LAUNCH_TEMPLATES: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("launch_template_id", Str, "Launch template id (`lt-...`)."),
    opt("launch_template_name", Str, "Launch template name."),
    req("version_number", I64, "Version number."),
    req("default_version", Bool, "Whether this is the template's default version."),
    req("latest_version", Bool, "Whether this is the template's latest version."),
    opt(
        "image_id",
        Str,
        "AMI the version launches, as written (`ami-...`, or `resolve:ssm:<parameter>` when resolved at launch).",
    ),
    opt("create_time", Timestamp, "When the version was created."),
];

static AUTO_SCALING_GROUPS: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("auto_scaling_group_name", Str, "Group name (what members carry in their `aws:autoscaling:groupName` tag)."),
    opt("auto_scaling_group_arn", Str, "Group ARN."),
    req("min_size", I64, "Minimum number of instances."),
    req("max_size", I64, "Maximum number of instances."),
    req("desired_capacity", I64, "Number of instances the group keeps running."),
    req("instance_count", I64, "Instances in the group when it was read, in any lifecycle state."),
    opt(
        "launch_template_id",
        Str,
        "Launch template the group launches from (`lt-...`), directly or through its mixed-instances policy; null on a launch configuration.",
    ),
    opt("launch_template_name", Str, "That launch template's name."),
    opt(
        "launch_template_version",
        Str,
        "The version the group asks for, as written: `$Default`, `$Latest` or a version number.",
    ),
    opt("launch_configuration_name", Str, "Launch configuration the group launches from, when it uses one."),
    req(
        "mixed_instances_policy",
        Bool,
        "Whether the group has a mixed-instances policy (its instance types then come from `instance_types`, not the launch template).",
    ),
    opt(
        "instance_types",
        Str,
        "Instance types the mixed-instances policy's overrides allow, comma-separated in priority order; null without overrides.",
    ),
    opt("created_time", Timestamp, "When the group was created."),
    req("tags", Str, TAGS_DOC),
];

static ADDRESSES: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("allocation_id", Str, "Allocation id (`eipalloc-...`), or the public IP for EC2-Classic addresses."),
    opt("name", Str, "Value of the `Name` tag."),
    req("public_ip", Str, "The public IPv4 address."),
    opt("association_id", Str, "Association id; null when the address is idle."),
    opt("instance_id", Str, "Instance the address is associated with."),
    opt("network_interface_id", Str, "Network interface the address is associated with."),
    opt("domain", Str, "`vpc` or `standard`."),
    req("tags", Str, TAGS_DOC),
];

static LOAD_BALANCERS: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("load_balancer_arn", Str, "ARN (classic load balancers: their name)."),
    req("name", Str, "Load balancer name."),
    req("lb_type", Str, "`application`, `network`, `gateway` or `classic`."),
    opt("scheme", Str, "`internet-facing` or `internal`."),
    opt("state", Str, "`active`, `provisioning`, `failed`, ..."),
    opt("created_time", Timestamp, "When it was created."),
    opt("vpc_id", Str, "VPC id."),
    req("tags", Str, TAGS_DOC),
];

static NAT_GATEWAYS: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region code."),
    req("nat_gateway_id", Str, "NAT gateway id (`nat-...`)."),
    opt("name", Str, "Value of the `Name` tag."),
    req("state", Str, "`pending`, `available`, `deleting`, `deleted` or `failed`."),
    opt("connectivity_type", Str, "`public` or `private`."),
    opt("vpc_id", Str, "VPC id."),
    opt("subnet_id", Str, "Subnet id."),
    opt("create_time", Timestamp, "When it was created."),
    req("tags", Str, TAGS_DOC),
];

static BUCKETS: &[Column] = &[
    req("account_id", Str, "Owning account."),
    req("region", Str, "Region the bucket lives in."),
    req("bucket", Str, "Bucket name."),
    opt("creation_date", Timestamp, "When the bucket was created."),
    opt("lifecycle_rule_count", I64, "Number of enabled lifecycle rules; null when not collected."),
    opt(
        "intelligent_tiering_configs",
        I64,
        "Number of enabled Intelligent-Tiering archive configurations (`aws s3api list-bucket-intelligent-tiering-configurations`); null when not collected.",
    ),
    opt(
        "versioning",
        Str,
        "`Enabled` or `Suspended` (`aws s3api get-bucket-versioning`); null when never enabled or not collected.",
    ),
    opt(
        "lifecycle_rules",
        Str,
        "The lifecycle configuration's `Rules` array as JSON (`aws s3api get-bucket-lifecycle-configuration`); `[]` when the bucket has none, null when not collected.",
    ),
    req("tags", Str, TAGS_DOC),
];

static S3_OBJECTS: &[Column] = &[
    opt("account_id", Str, "Account owning the bucket, when known (S3 Inventory manifests do not say)."),
    req("bucket", Str, "Source bucket of the inventory."),
    req("key", Str, "Object key."),
    opt("version_id", Str, "Version id, in inventories that list all versions."),
    opt("is_latest", Bool, "Whether this is the current version; null in current-version-only inventories."),
    opt("is_delete_marker", Bool, "Whether the version is a delete marker."),
    opt("size", I64, "Object size in bytes (null for delete markers)."),
    req("last_modified", Timestamp, "When the object (version) was created or last written."),
    opt(
        "storage_class",
        Str,
        "`STANDARD`, `STANDARD_IA`, `GLACIER_IR`, `GLACIER`, `DEEP_ARCHIVE`, `INTELLIGENT_TIERING`, ...",
    ),
    opt("intelligent_tiering_access_tier", Str, "Intelligent-Tiering access tier, when the inventory includes it."),
    req("inventory_date", Timestamp, "When the inventory report was created (its manifest's `creationTimestamp`)."),
];

static RESERVATIONS: &[Column] = &[
    req("account_id", Str, "Purchasing account."),
    req("region", Str, "Region code."),
    req("reservation_id", Str, "Reserved instances id."),
    req("instance_type", Str, "Instance type reserved."),
    req("instance_count", I64, "Number of instances reserved."),
    opt("product_description", Str, "Platform (`Linux/UNIX`, `Windows`, ...)."),
    opt("scope", Str, "`Region` or `Availability Zone`."),
    opt("availability_zone", Str, "Availability zone for zonal reservations."),
    opt("offering_class", Str, "`standard` or `convertible`."),
    opt("offering_type", Str, "`No Upfront`, `Partial Upfront` or `All Upfront`."),
    opt("tenancy", Str, "`default` or `dedicated`."),
    req("start", Timestamp, "Start of the term."),
    req("end", Timestamp, "End of the term."),
    opt("fixed_price", F64, "Upfront price for the whole purchase."),
    opt("usage_price", F64, "Hourly usage price per instance."),
    opt("recurring_hourly", F64, "Recurring hourly charge per instance."),
    req("state", Str, "`active`, `retired`, `payment-pending`, ..."),
    opt("currency", Str, "Currency of the prices."),
];

static SAVINGS_PLANS: &[Column] = &[
    req("account_id", Str, "Purchasing account."),
    req("savings_plan_id", Str, "Savings plan id."),
    opt("savings_plan_arn", Str, "Savings plan ARN."),
    req("plan_type", Str, "`Compute`, `EC2Instance`, `SageMaker` or `Database`."),
    opt("payment_option", Str, "`All Upfront`, `Partial Upfront` or `No Upfront`."),
    opt("region", Str, "Region for EC2 Instance savings plans."),
    opt("instance_family", Str, "Instance family for EC2 Instance savings plans."),
    req("commitment_per_hour", F64, "Hourly commitment in the plan's currency."),
    opt("upfront_payment", F64, "Upfront payment."),
    opt("recurring_payment", F64, "Recurring hourly payment."),
    opt("term_seconds", I64, "Term length in seconds."),
    req("start", Timestamp, "Start of the term."),
    req("end", Timestamp, "End of the term."),
    req("state", Str, "`active`, `retired`, `queued`, ..."),
    opt("currency", Str, "Currency of the commitment."),
];

static METRICS: &[Column] = &[
    req(
        "resource_id",
        Str,
        "Resource the datapoint is about (instance, volume, NAT gateway, load balancer ARN suffix, bucket).",
    ),
    req("namespace", Str, "CloudWatch namespace (`AWS/EC2`, `AWS/EBS`, `AWS/NATGateway`, ...)."),
    req(
        "metric",
        Str,
        "Metric name (`CPUUtilization`); S3 storage metrics carry their storage type: `BucketSizeBytes/StandardStorage`.",
    ),
    req("statistic", Str, "`Average`, `Maximum`, `Minimum`, `Sum` or `SampleCount`."),
    req("period_start", Timestamp, "Start of the aggregation period."),
    req("period_seconds", I64, "Length of the aggregation period in seconds."),
    req("value", F64, "The datapoint."),
];

const MANIFEST_DOC: &str = "## `manifest.json`\n\n\
| field | meaning |\n|---|---|\n\
| `format_version` | snapshot format version (1); a build refuses versions it does not know |\n\
| `created_at` | when the snapshot was written (UTC) |\n\
| `source` | `kind` (`import`, `collect` or `synthetic`), a `description`, and `inputs`: every file or API read, with its detected `format` and `rows` |\n\
| `accounts` | accounts covered: `id` and, where known, `name` |\n\
| `regions` | regions covered |\n\
| `period` | `start` (inclusive) and `end` (exclusive) of the billing and metric data; `end` is the \"as of\" time every rule measures ages against |\n\
| `currency` | the one currency of every cost column |\n\
| `tables` | every table: `{\"status\": \"present\", \"rows\": N}` or `{\"status\": \"absent\", \"reason\": ...}` |\n\
| `data_gaps` | known holes: optional `table`, `account_id`, `region`, and the `reason` (a region denied, metrics not collected, ...) |\n\n";

/// Renders the data-model documentation (`docs/data-model.md`) from the schema.
pub fn data_model_markdown() -> String {
    let mut out = String::from(
        "# costwise data model\n\n\
         <!-- Generated from crates/analyzer/src/schema.rs by `costwise schema`. Do not edit by hand: \
         a test fails when this file and the code disagree. -->\n\n\
         A snapshot is a directory holding `manifest.json` and one Parquet file per table \
         (`<table>.parquet`). A table may be absent; the manifest says which are, and why. \
         Every present table has exactly the columns below, in this order and with these types. \
         Timestamps are UTC. Money is in the snapshot's single currency (USD unless the manifest says otherwise).\n\n",
    );
    out.push_str(MANIFEST_DOC);
    for table in Table::ALL {
        let _ = write!(out, "## `{}`\n\n{}\n\n", table.name(), table.doc());
        out.push_str("| column | type | nullable | meaning |\n|---|---|---|---|\n");
        for c in table.columns() {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                c.name,
                c.ty,
                if c.nullable { "yes" } else { "no" },
                c.doc.replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_names_round_trip_and_columns_are_unique() {
        for table in Table::ALL {
            assert_eq!(Table::from_name(table.name()), Some(table));
            let mut seen = HashSet::new();
            for c in table.columns() {
                assert!(seen.insert(c.name), "{table}: duplicate column {}", c.name);
            }
        }
    }

    #[test]
    fn every_inventory_table_is_scoped_to_an_account() {
        for table in Table::ALL {
            // Metrics are keyed by resource; inventory objects by bucket, whose
            // account the `buckets` table gives (S3 Inventory manifests do not name it).
            if matches!(table, Table::Metrics | Table::S3Objects) {
                continue;
            }
            let account = table.column("account_id").expect("account_id column");
            assert!(!account.nullable, "{table}.account_id must be required");
        }
    }

    #[test]
    fn data_model_doc_matches_schema() {
        let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/data-model.md");
        let expected = data_model_markdown();
        if std::env::var_os("COSTWISE_UPDATE_DOCS").is_some() {
            std::fs::write(doc_path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(doc_path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/data-model.md is out of date; run `COSTWISE_UPDATE_DOCS=1 cargo test -p costwise-analyzer data_model` and commit it"
        );
    }
}
