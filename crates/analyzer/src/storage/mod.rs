//! S3 storage economics shared by the storage rules: a profile of every
//! bucket ([`bucket`]), the storage-class cost model ([`tiering`]) and the
//! lifecycle configurations that apply a recommendation ([`lifecycle`]).
//!
//! The rules (`s3-lifecycle-tiering`, `s3-noncurrent-versions`,
//! `s3-incomplete-multipart-uploads`) stay thin: they pick buckets and turn
//! model outcomes into findings. Keeping the arithmetic here, free of
//! dataframes, lets the tests check every fee by hand and lets embedders
//! price a bucket they describe themselves. The model is documented in
//! `docs/storage.md`.

pub mod bucket;
pub mod inventory;
pub mod lifecycle;
pub mod tiering;

pub use bucket::{BYTES_PER_GIB, BucketProfile};
pub use lifecycle::{CurrentRules, NewRule, Recommendation};
pub use tiering::{MonthlyCost, Outcome, Policy, S3Rates, TargetClass, Workload};
