//! The bundled demo account, compiled into the binary.
//!
//! `costwise demo` must work from any directory and from an installed binary,
//! not only inside a checkout, so the snapshot in `fixtures/demo` is embedded
//! with `include_bytes!` and unpacked on first use into a cache directory
//! named after a hash of its contents (a rebuilt binary with a new demo never
//! reads a stale copy). Unpacking is atomic: files go to a staging directory
//! that is renamed into place.

use std::fs;
use std::path::PathBuf;

use anyhow::Context as _;

macro_rules! demo_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/demo/", $name)) as &[u8])),*]
    };
}

/// Every file of the demo snapshot: the manifest and one Parquet file per table.
static DEMO_FILES: &[(&str, &[u8])] = demo_files!(
    "manifest.json",
    "costs.parquet",
    "instances.parquet",
    "volumes.parquet",
    "snapshots.parquet",
    "images.parquet",
    "launch_templates.parquet",
    "auto_scaling_groups.parquet",
    "addresses.parquet",
    "load_balancers.parquet",
    "nat_gateways.parquet",
    "buckets.parquet",
    "reservations.parquet",
    "savings_plans.parquet",
    "metrics.parquet",
);

/// The demo account's settings (`fixtures/demo-config.toml`).
static DEMO_CONFIG: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/demo-config.toml"));

/// The configuration the demo runs with: a monthly budget, as a team would set one.
pub fn config() -> anyhow::Result<costwise_analyzer::Config> {
    costwise_analyzer::Config::parse(DEMO_CONFIG, Some(std::path::Path::new("fixtures/demo-config.toml")))
        .context("the bundled demo configuration")
}

/// The demo snapshot directory, unpacked if needed.
pub fn snapshot_dir() -> anyhow::Result<PathBuf> {
    let parent = std::env::temp_dir();
    let cache = parent.join(format!("costwise-demo-{:016x}", content_hash()));
    if cache.join("manifest.json").is_file() {
        return Ok(cache);
    }
    let staging = tempfile::Builder::new()
        .prefix(".costwise-demo-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a directory in {}", parent.display()))?;
    for (name, bytes) in DEMO_FILES {
        let path = staging.path().join(name);
        fs::write(&path, bytes).with_context(|| format!("unpacking the demo snapshot to {}", path.display()))?;
    }
    let staged = staging.keep();
    if let Err(e) = fs::rename(&staged, &cache) {
        // Another process unpacked the same demo first: use theirs.
        let _ = fs::remove_dir_all(&staged);
        if !cache.join("manifest.json").is_file() {
            return Err(e).with_context(|| format!("unpacking the demo snapshot to {}", cache.display()));
        }
    }
    Ok(cache)
}

/// FNV-1a over every embedded file's name and bytes.
fn content_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, bytes) in DEMO_FILES {
        for byte in name.as_bytes().iter().chain(*bytes) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_demo_unpacks_into_a_loadable_snapshot() {
        let dir = snapshot_dir().unwrap();
        assert_eq!(snapshot_dir().unwrap(), dir, "second call reuses the unpacked copy");
        let dataset = costwise_analyzer::Dataset::open(&dir).unwrap();
        // Every table but the optional S3 Inventory (the demo's buckets are judged on CloudWatch and the CUR).
        for table in costwise_analyzer::Table::ALL.into_iter().filter(|t| *t != costwise_analyzer::Table::S3Objects) {
            assert!(dataset.has(table), "demo has table {table}");
        }
    }

    #[test]
    fn the_demo_config_sets_a_budget() {
        let config = config().unwrap();
        assert!(config.rule_options["spend-overview"].get("monthly-budget").is_some());
    }
}
