//! Size flexibility: normalization factors, platforms and tenancies as the
//! reserved-instance machinery sees them.
//!
//! A regional Linux/UNIX reserved instance with default (shared) tenancy
//! applies to any size of its family, counted in *normalized units* (a
//! `large` is 4, an `xlarge` 8; table in AWS's EC2 user guide, "How reserved
//! instances are applied"). Every other platform, dedicated tenancy, and the
//! G4ad/G4dn/G5/G5g families are not size-flexible: their reservations
//! match one instance type exactly.

use crate::prices::{catalog, family_of};

/// The platform of size-flexible reservations.
pub const LINUX: &str = "Linux/UNIX";

/// Families AWS excludes from size flexibility even on Linux/UNIX.
const NOT_SIZE_FLEXIBLE: [&str; 4] = ["g4ad", "g4dn", "g5", "g5g"];

/// Normalization factor of an instance size (`large` → 4, `12xlarge` → 96),
/// where the size alone determines it (not `metal`).
pub fn size_factor(size: &str) -> Option<f64> {
    match size {
        "nano" => Some(0.25),
        "micro" => Some(0.5),
        "small" => Some(1.0),
        "medium" => Some(2.0),
        "large" => Some(4.0),
        "xlarge" => Some(8.0),
        _ => {
            let multiple = size.strip_suffix("xlarge")?.parse::<u32>().ok()?;
            (multiple > 0).then(|| 8.0 * f64::from(multiple))
        }
    }
}

/// Normalization factor of an instance type, or `None` for a type whose size
/// it cannot tell. Bare-metal sizes take the factor of the equivalent size:
/// AWS's table for the families it lists, twice the vCPU count (the rule the
/// table follows) for the rest; `metal-24xl` style sizes name their size.
pub fn normalization_factor(instance_type: &str) -> Option<f64> {
    let (family, size) = instance_type.rsplit_once('.')?;
    if let Some(named) = size.strip_prefix("metal-") {
        let multiple = named.strip_suffix("xl")?.parse::<u32>().ok()?;
        return Some(8.0 * f64::from(multiple));
    }
    if size == "metal" {
        let listed = match family {
            "a1" => Some(32.0),
            "m5zn" | "z1d" => Some(96.0),
            "c6g" | "i3" | "m6g" | "r6g" => Some(128.0),
            "c5n" => Some(144.0),
            "c5" | "m5" | "r5" => Some(192.0),
            f if f.starts_with("u-") => Some(896.0),
            _ => None,
        };
        return listed.or_else(|| catalog().instances.get(instance_type).map(|s| 2.0 * f64::from(s.vcpus)));
    }
    size_factor(size)
}

/// Whether reservations for this family, platform and tenancy are size-flexible.
pub fn is_size_flexible(family: &str, platform: &str, tenancy: &str) -> bool {
    platform == LINUX && tenancy == "Shared" && !NOT_SIZE_FLEXIBLE.contains(&family)
}

/// The smallest size AWS sells in a family (by normalization factor; bare
/// metal excluded), from the bundled catalog, with its factor.
pub fn smallest_size(family: &str) -> Option<(String, f64)> {
    catalog()
        .instances
        .keys()
        .filter(|t| family_of(t) == family && !t.contains(".metal"))
        .filter_map(|t| normalization_factor(t).map(|f| (t.clone(), f)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
}

/// The platform of an EC2 usage line, in the words of
/// `describe-reserved-instances-offerings --product-description`.
///
/// The operation's billing code is the most precise source
/// (`RunInstances:0002` is Windows); the `operating_system` column is the
/// fallback.
pub fn platform_of(operation: Option<&str>, operating_system: Option<&str>) -> Option<String> {
    let by_code = match operation.map(str::trim) {
        Some("RunInstances") => Some(LINUX),
        Some("RunInstances:0002") => Some("Windows"),
        Some("RunInstances:0010") => Some("Red Hat Enterprise Linux"),
        Some("RunInstances:1010") => Some("Red Hat Enterprise Linux with HA"),
        Some("RunInstances:000g") => Some("SUSE Linux"),
        Some("RunInstances:0006") => Some("Windows with SQL Server Standard"),
        Some("RunInstances:0102") => Some("Windows with SQL Server Enterprise"),
        Some("RunInstances:0202") => Some("Windows with SQL Server Web"),
        Some("RunInstances:0004") => Some("Linux with SQL Server Standard"),
        Some("RunInstances:0100") => Some("Linux with SQL Server Enterprise"),
        Some("RunInstances:0200") => Some("Linux with SQL Server Web"),
        Some("RunInstances:0800") => Some("Windows BYOL"),
        _ => None,
    };
    if let Some(platform) = by_code {
        return Some(platform.to_owned());
    }
    let os = operating_system.map(str::trim).filter(|s| !s.is_empty())?;
    Some(
        match os.to_ascii_lowercase().as_str() {
            "linux" | "linux/unix" | "linux/unix (amazon vpc)" => LINUX,
            "windows" => "Windows",
            "rhel" | "red hat enterprise linux" => "Red Hat Enterprise Linux",
            "suse" | "suse linux" => "SUSE Linux",
            _ => os,
        }
        .to_owned(),
    )
}

/// A reservation's `product_description` as a platform (`Linux/UNIX (Amazon VPC)` → `Linux/UNIX`).
pub fn platform_of_product_description(description: &str) -> String {
    let trimmed = description.trim().trim_end_matches(" (Amazon VPC)");
    platform_of(None, Some(trimmed)).unwrap_or_else(|| trimmed.to_owned())
}

/// The tenancy of a usage line: the `tenancy` column (`Shared`, `Dedicated`,
/// `Host`), else the usage type (`DedicatedUsage` is dedicated), else shared.
pub fn tenancy_of(tenancy: Option<&str>, usage_type: Option<&str>) -> String {
    match tenancy.map(|t| t.trim().to_ascii_lowercase()) {
        Some(t) if t == "dedicated" => "Dedicated".into(),
        Some(t) if t == "host" => "Host".into(),
        Some(t) if t == "shared" || t == "default" => "Shared".into(),
        _ if usage_type.is_some_and(|u| u.contains("DedicatedUsage")) => "Dedicated".into(),
        _ => "Shared".into(),
    }
}

/// The instance type of a usage line: the `instance_type` column, else the
/// part of the usage type after `BoxUsage:` / `DedicatedUsage:`.
pub fn instance_type_of<'a>(instance_type: Option<&'a str>, usage_type: Option<&'a str>) -> Option<&'a str> {
    instance_type.filter(|t| !t.is_empty()).or_else(|| {
        let usage = usage_type?;
        let (_, rest) = usage.split_once("BoxUsage:").or_else(|| usage.split_once("DedicatedUsage:"))?;
        Some(rest).filter(|t| t.contains('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_follow_the_aws_table() {
        let cases = [
            ("t3.nano", 0.25),
            ("t3.micro", 0.5),
            ("t3.small", 1.0),
            ("m5.large", 4.0),
            ("m5.xlarge", 8.0),
            ("m5.2xlarge", 16.0),
            ("c5.9xlarge", 72.0),
            ("r5.24xlarge", 192.0),
            ("u-12tb1.112xlarge", 896.0),
            ("m5.metal", 192.0),
            ("i3.metal", 128.0),
            ("c5n.metal", 144.0),
            ("m7i.metal-24xl", 192.0),
        ];
        for (t, f) in cases {
            assert_eq!(normalization_factor(t), Some(f), "{t}");
        }
        assert_eq!(normalization_factor("weird"), None);
    }

    #[test]
    fn flexibility_platform_tenancy_and_smallest_size() {
        assert!(is_size_flexible("m5", LINUX, "Shared"));
        assert!(!is_size_flexible("m5", "Windows", "Shared"));
        assert!(!is_size_flexible("m5", LINUX, "Dedicated"));
        assert!(!is_size_flexible("g4dn", LINUX, "Shared"));
        assert_eq!(smallest_size("m5"), Some(("m5.large".into(), 4.0)));
        assert_eq!(smallest_size("t3"), Some(("t3.nano".into(), 0.25)));
        assert_eq!(platform_of(Some("RunInstances:0002"), Some("Linux")).as_deref(), Some("Windows"));
        assert_eq!(platform_of(None, Some("Linux")).as_deref(), Some(LINUX));
        assert_eq!(platform_of_product_description("Linux/UNIX (Amazon VPC)"), LINUX);
        assert_eq!(tenancy_of(None, Some("USE1-DedicatedUsage:m5.large")), "Dedicated");
        assert_eq!(tenancy_of(Some("default"), None), "Shared");
        assert_eq!(instance_type_of(None, Some("USE1-BoxUsage:m5.large")), Some("m5.large"));
        assert_eq!(instance_type_of(None, Some("USE1-EBS:VolumeUsage.gp3")), None);
    }
}
