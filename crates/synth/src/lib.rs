//! Deterministic synthetic AWS data for costwise.
//!
//! Two generators live here:
//! - [`demo`]: the demo account `costwise demo` analyses (`fixtures/demo`),
//!   with an oracle of the waste planted in it (`fixtures/demo-oracle.json`);
//! - [`cur`]: arbitrarily large CUR 2.0 exports for the ingest benchmarks.
//!
//! Both emit raw CUR 2.0 through [`cur2`] and take their randomness from the
//! seeded [`rng`], never from the clock: the same seed gives the same bytes.

pub mod bench;
pub mod cur;
pub mod cur2;
pub mod demo;
pub mod rng;
