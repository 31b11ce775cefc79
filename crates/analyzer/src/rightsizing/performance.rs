//! Relative per-vCPU performance of EC2 processors, to compare CPU capacity
//! across generations and vendors.
//!
//! One vCPU of an m5 is not one vCPU of an m7g: a Graviton or 4th-generation
//! AMD vCPU is a whole physical core, an Intel vCPU is a hyperthread, and each
//! generation does more per clock. The requirement model multiplies vCPUs by
//! these factors so that moving from m5 to m7g is judged on work done, not on
//! vCPU counts. The factors are deliberately round and conservative, with
//! Intel Xeon Skylake/Cascade Lake (m5, c5, r5, t3) = 1.00: each generation
//! is credited with less than AWS's own "up to" claims for it (m7g "up to 25 %
//! better than m6g", m8g "up to 30 % better than m7g", m7a "up to 50 % better
//! than m6a"), because a factor set too high recommends a type that starves
//! the workload, while one set too low only leaves some saving on the table.
//! Within one generation and vendor every family is equal (m7g = c7g = r7g).
//!
//! A family's generation is the first digit of its name (`7` of `c7i-flex`);
//! its vendor is the catalog's processor manufacturer (`Intel`, `AMD`, `AWS`
//! for Graviton). [`FAMILY_EXCEPTIONS`] lists the families whose name does not
//! tell their processor (t3 is Skylake, not a 3rd-generation Intel).

use crate::prices::{InstanceSpec, family_of};

/// Per-vCPU performance by vendor and generation: `(manufacturer, generation, factor, processors)`.
/// Intel generations 1–4 share the first row.
pub const BY_GENERATION: [(&str, u32, f64, &str); 14] = [
    ("Intel", 4, 0.80, "Xeon Haswell/Broadwell and older (m4, c4, r4, t2, i3, x1)"),
    ("Intel", 5, 1.00, "Xeon Skylake/Cascade Lake (m5, c5, r5)"),
    ("Intel", 6, 1.15, "Xeon Ice Lake (m6i, c6i, r6i)"),
    ("Intel", 7, 1.30, "Xeon Sapphire Rapids (m7i, c7i, r7i)"),
    ("Intel", 8, 1.45, "Xeon 6 Granite Rapids (m8i, c8i, r8i)"),
    ("AMD", 5, 0.85, "EPYC Naples/Rome (m5a, c5a, r5a)"),
    ("AMD", 6, 1.10, "EPYC Milan (m6a, c6a, r6a)"),
    ("AMD", 7, 1.45, "EPYC Genoa, one vCPU = one core (m7a, c7a, r7a)"),
    ("AMD", 8, 1.60, "EPYC Turin, one vCPU = one core (m8a, c8a, r8a)"),
    ("AWS", 1, 0.55, "Graviton (a1)"),
    ("AWS", 6, 1.00, "Graviton2, one vCPU = one core (m6g, c6g, r6g)"),
    ("AWS", 7, 1.25, "Graviton3 (m7g, c7g, r7g)"),
    ("AWS", 8, 1.40, "Graviton4 (m8g, c8g, r8g)"),
    ("AWS", 9, 1.55, "Graviton5 (m9g, c9g)"),
];

/// Families whose name does not tell their processor generation: `(family, factor, processor)`.
pub const FAMILY_EXCEPTIONS: [(&str, f64, &str); 17] = [
    ("t3", 1.00, "Xeon Skylake/Cascade Lake"),
    ("t3a", 0.85, "EPYC Naples"),
    ("t4g", 1.00, "Graviton2"),
    ("x2gd", 1.00, "Graviton2"),
    ("i4g", 1.00, "Graviton2"),
    ("im4gn", 1.00, "Graviton2"),
    ("is4gen", 1.00, "Graviton2"),
    ("x2idn", 1.15, "Xeon Ice Lake"),
    ("x2iedn", 1.15, "Xeon Ice Lake"),
    ("i4i", 1.15, "Xeon Ice Lake"),
    ("x2iezn", 1.00, "Xeon Cascade Lake"),
    ("z1d", 1.00, "Xeon Skylake"),
    ("i3en", 1.00, "Xeon Skylake"),
    ("d3", 1.00, "Xeon Cascade Lake"),
    ("d3en", 1.00, "Xeon Cascade Lake"),
    ("u-3tb1", 1.00, "Xeon Skylake"),
    ("u-6tb1", 1.00, "Xeon Skylake/Cascade Lake"),
];

/// The generation digit of a family name (`7` of `c7i-flex`, `2` of `x2iedn`).
pub fn generation(family: &str) -> Option<u32> {
    family.chars().find_map(|c| c.to_digit(10))
}

/// Relative per-vCPU performance of an instance type (Skylake = 1.00), or
/// `None` when its processor is not in the table (Apple, unknown vendors).
pub fn relative_performance(spec: &InstanceSpec) -> Option<f64> {
    let family = family_of(&spec.instance_type);
    if let Some((_, factor, _)) = FAMILY_EXCEPTIONS.iter().find(|(f, _, _)| *f == family) {
        return Some(*factor);
    }
    let vendor = spec.processor_manufacturer.as_deref()?;
    let generation = generation(family)?;
    let generation = if vendor == "Intel" { generation.max(4) } else { generation };
    BY_GENERATION.iter().find(|(v, g, _, _)| *v == vendor && *g == generation).map(|(_, _, factor, _)| *factor)
}

/// How much work one vCPU of `candidate` does relative to one vCPU of
/// `current`. Equal (1.0) when either processor is not in the table, so an
/// unknown processor is compared on vCPU counts alone.
pub fn performance_ratio(current: &InstanceSpec, candidate: &InstanceSpec) -> f64 {
    match (relative_performance(current), relative_performance(candidate)) {
        (Some(current), Some(candidate)) => candidate / current,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::catalog;

    fn perf(instance_type: &str) -> Option<f64> {
        relative_performance(&catalog().instances[instance_type])
    }

    #[test]
    fn the_table_reads_vendor_generation_and_exceptions() {
        assert_eq!(perf("m5.large"), Some(1.0));
        assert_eq!(perf("c5.large"), Some(1.0), "same generation and vendor: equal");
        assert_eq!(perf("m4.large"), Some(0.8));
        assert_eq!(perf("t2.micro"), Some(0.8));
        assert_eq!(perf("t3.micro"), Some(1.0));
        assert_eq!(perf("t3a.micro"), Some(0.85));
        assert_eq!(perf("t4g.micro"), Some(1.0));
        assert_eq!(perf("m6g.large"), Some(1.0));
        assert_eq!(perf("m7g.large"), Some(1.25));
        assert_eq!(perf("c8g.large"), Some(1.4));
        assert_eq!(perf("c7i-flex.large"), Some(1.3));
        assert_eq!(perf("r7a.large"), Some(1.45));
        assert_eq!(perf("m8a.medium"), Some(1.6));
        assert_eq!(perf("x2gd.medium"), Some(1.0));
        assert_eq!(perf("mac2.metal"), None);
        let ratio = performance_ratio(&catalog().instances["m5.large"], &catalog().instances["m7g.large"]);
        assert!((ratio - 1.25).abs() < 1e-12);
    }

    #[test]
    fn every_general_purpose_processor_in_the_catalog_has_a_factor() {
        for spec in catalog().instances.values() {
            let general = spec.architectures.iter().any(|a| a == "x86_64" || a == "arm64");
            if general && !spec.accelerated {
                assert!(relative_performance(spec).is_some(), "{} has no performance factor", spec.instance_type);
            }
        }
    }
}
