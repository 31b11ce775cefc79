//! Where the bundled demo snapshot lives.
//!
//! Kept in one function so that switching from the in-repo fixture to a copy
//! embedded in the binary touches nothing else.

use std::path::PathBuf;

use anyhow::ensure;

/// The demo snapshot directory.
pub fn snapshot_dir() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/demo"));
    ensure!(
        dir.join("manifest.json").is_file(),
        "{}: the demo snapshot is missing (it is generated into fixtures/demo by the costwise-synth crate)",
        dir.display()
    );
    Ok(dir)
}
