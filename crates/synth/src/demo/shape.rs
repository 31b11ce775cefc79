//! Daily and weekly load shapes shared by billing and metrics, so that an
//! instance's network bytes, its data-transfer line items and its CPU all
//! peak in the same local afternoon.

use chrono::{Datelike, Timelike, Weekday};

use super::plan::{Region, hour};
use crate::rng::Rng;

/// UTC offset of the region's users, hours (no daylight saving: good enough for a shape).
fn utc_offset(region: Region) -> i64 {
    match region.code {
        "us-east-1" => -5,
        "us-west-2" => -8,
        _ => 0,
    }
}

/// The local hour of day (0–23) of window hour `h` in the region.
pub fn local_hour(region: Region, h: usize) -> u32 {
    (hour(h) + chrono::Duration::hours(utc_offset(region))).hour()
}

/// The deterministic part of the load at window hour `h`: 0 at night, 1 at the weekday peak.
pub fn busy(region: Region, h: usize) -> f64 {
    let t = hour(h) + chrono::Duration::hours(utc_offset(region));
    let local = f64::from(t.hour());
    // A smooth bump centred on 14:00 local, about 10 hours wide.
    let x = (local - 14.0) / 4.5;
    let bump = (-x * x).exp();
    let weekend = matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
    if weekend { bump * 0.45 } else { bump }
}

/// A load multiplier with mean ≈ 1 over a week, plus ±10% noise.
pub fn diurnal(region: Region, h: usize, rng: &mut Rng) -> f64 {
    // 1.19 brings the weekly mean of the curve (0.84) to 1.
    let base = (0.35 + 1.75 * busy(region, h)) * 1.19;
    (base * (1.0 + 0.1 * rng.normal() / 1.7)).max(0.05)
}
