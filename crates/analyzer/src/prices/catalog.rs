//! The built-in price catalog compiled into the binary (see `data/PROVENANCE.md`).
//!
//! Parsed once, on first use, into plain maps. The catalog is the fallback of
//! last resort: rates observed in the customer's own CUR and config overrides
//! both win over it (see [`super::PriceBook`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// When the bundled catalog was taken; reports quote it.
pub const CATALOG_AS_OF: &str = "2026-06";

/// The region every catalog price is for.
pub const CATALOG_REGION: &str = "us-east-1";

static INSTANCE_TYPES_GZ: &[u8] = include_bytes!("../../data/ec2-instance-types.json.gz");
static ON_DEMAND_CSV: &str = include_str!("../../data/ec2-ondemand-linux-us-east-1.csv");
static LIST_PRICES_TOML: &str = include_str!("../../data/aws-list-prices-us-east-1.toml");

/// What costwise needs to know about an EC2 instance type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceSpec {
    /// `m5.large`.
    pub instance_type: String,
    /// Default vCPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// `x86_64`, `arm64`, ...
    pub architectures: Vec<String>,
    /// Whether AWS lists it as current generation.
    pub current_generation: bool,
    /// Burstable (T family).
    pub burstable: bool,
    /// Network performance as AWS describes it (`Up to 10 Gigabit`).
    pub network_performance: String,
    /// Baseline network bandwidth in Gbps, where published.
    pub network_baseline_gbps: Option<f64>,
    /// Baseline EBS bandwidth in Mbps, where published.
    pub ebs_baseline_mbps: Option<f64>,
    /// Baseline EBS IOPS, where published.
    pub ebs_baseline_iops: Option<f64>,
    /// GPUs, if any.
    pub gpus: u32,
    /// Whether it carries accelerators of any kind: GPUs, inference chips
    /// (Inferentia, Gaudi), Trainium/Neuron, FPGAs or media accelerators.
    pub accelerated: bool,
    /// Total instance-store (local disk) size in GB, if it has any.
    pub instance_storage_gb: Option<u64>,
    /// Processor manufacturer as AWS names it (`Intel`, `AMD`, `AWS` for Graviton, `Apple`).
    pub processor_manufacturer: Option<String>,
    /// Whether it is a bare-metal size (`m5.metal`).
    pub bare_metal: bool,
    /// Hypervisor (`nitro`, `xen`); none for bare metal.
    pub hypervisor: Option<String>,
}

impl InstanceSpec {
    /// The family (`m5` of `m5.large`).
    pub fn family(&self) -> &str {
        family_of(&self.instance_type)
    }

    /// Memory in GiB.
    pub fn memory_gib(&self) -> f64 {
        self.memory_mib as f64 / 1024.0
    }
}

/// The family part of an instance type (`m5` of `m5.large`, `db.r6g` of `db.r6g.xlarge`).
pub fn family_of(instance_type: &str) -> &str {
    instance_type.rsplit_once('.').map_or(instance_type, |(family, _)| family)
}

/// The parsed catalog.
#[derive(Debug)]
pub struct Catalog {
    /// Instance specs by type.
    pub instances: HashMap<String, InstanceSpec>,
    /// Linux on-demand $/hour in us-east-1 by type.
    pub on_demand_hourly: HashMap<String, f64>,
    /// Every numeric list price, by dotted key (`ebs.gp3_gb_month`).
    pub list_prices: BTreeMap<String, f64>,
}

/// The catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        instances: parse_instance_types(INSTANCE_TYPES_GZ),
        on_demand_hourly: parse_on_demand(ON_DEMAND_CSV),
        list_prices: parse_list_prices(LIST_PRICES_TOML),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawInstanceType {
    instance_type: String,
    current_generation: Option<bool>,
    burstable_performance_supported: Option<bool>,
    v_cpu_info: RawVcpu,
    memory_info: RawMemory,
    processor_info: Option<RawProcessor>,
    network_info: Option<RawNetwork>,
    ebs_info: Option<RawEbs>,
    gpu_info: Option<RawGpu>,
    inference_accelerator_info: Option<serde_json::Value>,
    fpga_info: Option<serde_json::Value>,
    neuron_info: Option<serde_json::Value>,
    media_accelerator_info: Option<serde_json::Value>,
    instance_storage_info: Option<RawInstanceStorage>,
    bare_metal: Option<bool>,
    hypervisor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawInstanceStorage {
    #[serde(rename = "TotalSizeInGB")]
    total_size_in_gb: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVcpu {
    default_v_cpus: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMemory {
    size_in_mi_b: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawProcessor {
    #[serde(default)]
    supported_architectures: Vec<String>,
    manufacturer: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawNetwork {
    network_performance: Option<String>,
    #[serde(default)]
    network_cards: Vec<RawNetworkCard>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawNetworkCard {
    baseline_bandwidth_in_gbps: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEbs {
    ebs_optimized_info: Option<RawEbsOptimized>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEbsOptimized {
    baseline_bandwidth_in_mbps: Option<f64>,
    baseline_iops: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawGpu {
    #[serde(default)]
    gpus: Vec<RawGpuDevice>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawGpuDevice {
    count: u32,
}

fn parse_instance_types(gz: &[u8]) -> HashMap<String, InstanceSpec> {
    let mut json = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut json)
        .expect("bundled ec2-instance-types.json.gz is valid gzip");
    let raw: BTreeMap<String, RawInstanceType> =
        serde_json::from_str(&json).expect("bundled ec2-instance-types.json.gz is valid DescribeInstanceTypes JSON");
    raw.into_values()
        .map(|r| {
            let network = r.network_info;
            let gpus = r.gpu_info.map_or(0, |g| g.gpus.iter().map(|d| d.count).sum());
            let (architectures, processor_manufacturer) =
                r.processor_info.map(|p| (p.supported_architectures, p.manufacturer)).unwrap_or_default();
            let spec = InstanceSpec {
                vcpus: r.v_cpu_info.default_v_cpus,
                memory_mib: r.memory_info.size_in_mi_b,
                architectures,
                current_generation: r.current_generation.unwrap_or(true),
                burstable: r.burstable_performance_supported.unwrap_or(false),
                network_performance: network.as_ref().and_then(|n| n.network_performance.clone()).unwrap_or_default(),
                network_baseline_gbps: network.as_ref().and_then(|n| {
                    let total: f64 = n.network_cards.iter().filter_map(|c| c.baseline_bandwidth_in_gbps).sum();
                    (total > 0.0).then_some(total)
                }),
                ebs_baseline_mbps: r
                    .ebs_info
                    .as_ref()
                    .and_then(|e| e.ebs_optimized_info.as_ref()?.baseline_bandwidth_in_mbps),
                ebs_baseline_iops: r.ebs_info.as_ref().and_then(|e| e.ebs_optimized_info.as_ref()?.baseline_iops),
                gpus,
                accelerated: gpus > 0
                    || r.inference_accelerator_info.is_some()
                    || r.fpga_info.is_some()
                    || r.neuron_info.is_some()
                    || r.media_accelerator_info.is_some(),
                instance_storage_gb: r.instance_storage_info.and_then(|s| s.total_size_in_gb).filter(|gb| *gb > 0),
                processor_manufacturer,
                bare_metal: r.bare_metal.unwrap_or(false),
                hypervisor: r.hypervisor,
                instance_type: r.instance_type,
            };
            (spec.instance_type.clone(), spec)
        })
        .collect()
}

fn parse_on_demand(csv_text: &str) -> HashMap<String, f64> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.expect("bundled on-demand CSV is well-formed");
            let rate: f64 = record[1].parse().expect("bundled on-demand CSV has numeric rates");
            (record[0].to_owned(), rate)
        })
        .collect()
}

fn parse_list_prices(toml_text: &str) -> BTreeMap<String, f64> {
    let value: toml::Table = toml::from_str(toml_text).expect("bundled list-price TOML parses");
    let mut out = BTreeMap::new();
    flatten("", &toml::Value::Table(value), &mut out);
    out
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, f64>) {
    match value {
        toml::Value::Table(table) => {
            for (key, v) in table {
                let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&key, v, out);
            }
        }
        toml::Value::Float(f) => {
            out.insert(prefix.to_owned(), *f);
        }
        toml::Value::Integer(i) => {
            out.insert(prefix.to_owned(), *i as f64);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_parses_with_expected_sizes() {
        let c = catalog();
        assert_eq!(c.instances.len(), 1395);
        assert_eq!(c.on_demand_hourly.len(), 1367);
        let m7i = &c.instances["m7i.large"];
        assert_eq!((m7i.vcpus, m7i.memory_mib), (2, 8192));
        assert!(m7i.current_generation);
        assert!(!c.instances["m4.large"].current_generation);
        assert_eq!(c.list_prices["ebs.gp3_gb_month"], 0.08);
        assert_eq!(c.list_prices["hours.per_month"], 730.0);
        assert_eq!(c.list_prices["s3.storage_gb_month.standard_ia"], 0.0125);
    }

    #[test]
    fn specs_carry_storage_processor_metal_and_accelerators() {
        let c = catalog();
        let m5d = &c.instances["m5d.large"];
        assert_eq!(m5d.instance_storage_gb, Some(75));
        assert_eq!(m5d.processor_manufacturer.as_deref(), Some("Intel"));
        assert_eq!(m5d.hypervisor.as_deref(), Some("nitro"));
        assert!(!m5d.bare_metal && !m5d.accelerated);
        assert_eq!(c.instances["m5.large"].instance_storage_gb, None);
        assert_eq!(c.instances["m7g.large"].processor_manufacturer.as_deref(), Some("AWS"));
        assert!(c.instances["m5.metal"].bare_metal);
        assert_eq!(c.instances["t2.micro"].hypervisor.as_deref(), Some("xen"));
        assert!(c.instances["g5.xlarge"].accelerated && c.instances["g5.xlarge"].gpus == 1);
        assert!(c.instances["inf2.xlarge"].accelerated && c.instances["inf2.xlarge"].gpus == 0);
        assert!(c.instances["vt1.3xlarge"].accelerated);
    }

    #[test]
    fn family_is_everything_before_the_size() {
        assert_eq!(family_of("m5.large"), "m5");
        assert_eq!(family_of("db.r6g.xlarge"), "db.r6g");
        assert_eq!(family_of("weird"), "weird");
    }
}
