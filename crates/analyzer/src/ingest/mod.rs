//! Importing files users already have into a snapshot.
//!
//! `billing` reads CUR 2.0, legacy CUR and FOCUS exports into the `costs`
//! table (`cost_explorer` reads Cost Explorer replies into it when there is
//! no export); `aws_cli` reads `aws ... --output json` dumps into the inventory
//! tables; `cloudwatch` reads `get-metric-data.json` dumps into `metrics`;
//! `s3_inventory` reads S3 Inventory reports into `s3_objects`;
//! `import` finds the files, detects their formats and writes one snapshot
//! from all of them.
pub mod aws_cli;
pub mod billing;
pub mod cloudwatch;
pub mod cost_explorer;
pub mod export;
mod import;
pub mod s3_inventory;

pub use import::{ImportOptions, ImportPlan, ImportSummary, import, plan};
