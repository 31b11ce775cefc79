//! Burstable (T) instance baselines: the CPU a T instance may use
//! indefinitely on the credits it earns.
//!
//! A T instance earns CPU credits at a fixed rate and spends them above its
//! baseline. Run above the baseline on average and it either throttles to the
//! baseline once the credits run out (standard mode) or bills surplus credits
//! (unlimited mode, the default for t3/t3a/t4g). A burstable type is therefore
//! only a fit when the workload's *mean* CPU, converted to the candidate's
//! vCPUs, stays at or under the baseline — then it lives on earned credits.
//!
//! Baselines are per vCPU, in percent, as AWS publishes them (credits earned
//! per hour ÷ 60 ÷ vCPUs).

use crate::prices::family_of;

/// Baseline CPU per vCPU (percent) of t3, t3a and t4g, by size.
pub const T3_BASELINES: [(&str, f64); 7] = [
    ("nano", 5.0),
    ("micro", 10.0),
    ("small", 20.0),
    ("medium", 20.0),
    ("large", 30.0),
    ("xlarge", 40.0),
    ("2xlarge", 40.0),
];

/// Baseline CPU per vCPU (percent) of t2, by size (t2.2xlarge earns 81
/// credits an hour over 8 vCPUs: 16.875 % each).
pub const T2_BASELINES: [(&str, f64); 7] = [
    ("nano", 5.0),
    ("micro", 10.0),
    ("small", 20.0),
    ("medium", 20.0),
    ("large", 30.0),
    ("xlarge", 22.5),
    ("2xlarge", 16.875),
];

/// The families [`baseline_per_vcpu`] knows.
pub const FAMILIES: [&str; 4] = ["t2", "t3", "t3a", "t4g"];

/// Baseline CPU per vCPU, in percent, of a burstable instance type; `None`
/// for types that are not burstable or whose baseline is not in the tables
/// (such types are never recommended as burstable candidates).
pub fn baseline_per_vcpu(instance_type: &str) -> Option<f64> {
    let (family, size) = instance_type.rsplit_once('.')?;
    let table = match family_of(instance_type) {
        "t3" | "t3a" | "t4g" => &T3_BASELINES,
        "t2" => &T2_BASELINES,
        _ => return None,
    };
    debug_assert!(FAMILIES.contains(&family));
    table.iter().find(|(s, _)| *s == size).map(|(_, baseline)| *baseline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_follow_the_published_tables() {
        assert_eq!(baseline_per_vcpu("t3.micro"), Some(10.0));
        assert_eq!(baseline_per_vcpu("t4g.large"), Some(30.0));
        assert_eq!(baseline_per_vcpu("t3a.2xlarge"), Some(40.0));
        assert_eq!(baseline_per_vcpu("t2.xlarge"), Some(22.5));
        assert_eq!(baseline_per_vcpu("t2.2xlarge"), Some(16.875));
        assert_eq!(baseline_per_vcpu("m5.large"), None);
        assert_eq!(baseline_per_vcpu("t8i.micro"), None);
    }
}
