//! The pure math of commitments: how many reserved units to buy and how much
//! hourly savings-plan commitment to make, given an hourly usage series.
//!
//! Everything here works on one [`HourlySeries`] (sorted once, with prefix
//! sums), so "how much of the usage would a capacity of `c` cover" —
//! `Σ_h min(u_h, c)` — costs O(log n). That single question answers all the
//! others:
//!
//! - **Reserved instances.** With `p` the on-demand price and `r` the
//!   effective reserved price of one normalized-unit hour, buying `k` units of
//!   `f` normalized units each saves `p·Σ_h min(u_h, k·f) − N·r·k·f` over `N`
//!   hours. That is concave in `k`; the `k`-th unit pays for itself exactly
//!   when its utilization — the share of hours it is in use, counting a
//!   partly used hour as a fraction — is at least `r/p`. So the optimum is
//!   `k* = max{k : utilization of unit k ≥ r/p}`; with whole-unit usage that is
//!   the issue's `max{k : share of hours with usage ≥ k ≥ r/p}`.
//! - **Savings plans.** A commitment of `C` $/hour at discount `d` covers
//!   `y = C/(1−d)` of on-demand-equivalent spend per hour and saves
//!   `Σ_h min(x_h, y) − N·(1−d)·y`. That is concave and piecewise linear with
//!   kinks at the observed hourly values, so the optimum is one of them (or
//!   zero): where the share of hours with spend above `y` falls to `1−d` —
//!   the `d`-quantile of hourly spend.
//!
//! The property tests (`tests/properties.rs`) check both against brute-force
//! simulation on random series.

use serde::Serialize;

/// An hourly series of non-negative usage (normalized units or dollars),
/// sorted once so coverage questions are cheap.
#[derive(Debug, Clone, Default)]
pub struct HourlySeries {
    /// Values, ascending.
    sorted: Vec<f64>,
    /// `prefix[i]` = sum of the `i` smallest values; `prefix.len() == sorted.len() + 1`.
    prefix: Vec<f64>,
}

impl HourlySeries {
    /// A series from hourly values; negative and non-finite values count as zero.
    pub fn new(values: impl IntoIterator<Item = f64>) -> Self {
        let mut sorted: Vec<f64> = values.into_iter().map(|v| if v.is_finite() && v > 0.0 { v } else { 0.0 }).collect();
        sorted.sort_by(f64::total_cmp);
        let mut prefix = Vec::with_capacity(sorted.len() + 1);
        let mut sum = 0.0;
        prefix.push(0.0);
        for v in &sorted {
            sum += v;
            prefix.push(sum);
        }
        Self { sorted, prefix }
    }

    /// Number of hours.
    pub fn hours(&self) -> usize {
        self.sorted.len()
    }

    /// Sum over all hours.
    pub fn total(&self) -> f64 {
        self.prefix.last().copied().unwrap_or(0.0)
    }

    /// Largest hourly value (0 for an empty series).
    pub fn max(&self) -> f64 {
        self.sorted.last().copied().unwrap_or(0.0)
    }

    /// Smallest hourly value (0 for an empty series).
    pub fn min(&self) -> f64 {
        self.sorted.first().copied().unwrap_or(0.0)
    }

    /// Mean hourly value (0 for an empty series).
    pub fn mean(&self) -> f64 {
        if self.sorted.is_empty() { 0.0 } else { self.total() / self.sorted.len() as f64 }
    }

    /// The values, ascending.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// `Σ_h min(u_h, capacity)`: how much of the usage a constant capacity covers.
    pub fn covered(&self, capacity: f64) -> f64 {
        if capacity <= 0.0 || self.sorted.is_empty() {
            return 0.0;
        }
        let below = self.sorted.partition_point(|v| *v < capacity);
        self.prefix[below] + (self.sorted.len() - below) as f64 * capacity
    }

    /// Share of hours (0–1) whose value is at least `level`.
    pub fn share_at_least(&self, level: f64) -> f64 {
        if self.sorted.is_empty() {
            return 0.0;
        }
        let below = self.sorted.partition_point(|v| *v < level);
        (self.sorted.len() - below) as f64 / self.sorted.len() as f64
    }
}

/// Utilization (0–1) of the `n`-th unit of `unit` capacity (1-based): the
/// average over hours of the fraction of that unit in use.
pub fn marginal_utilization(series: &HourlySeries, unit: f64, n: u64) -> f64 {
    if n == 0 || unit <= 0.0 || series.hours() == 0 {
        return 0.0;
    }
    let upper = series.covered(n as f64 * unit);
    let lower = series.covered((n - 1) as f64 * unit);
    ((upper - lower) / (series.hours() as f64 * unit)).clamp(0.0, 1.0)
}

/// `k* = max{k ≥ 1 : marginal_utilization(k) ≥ threshold}`, or 0 when even the
/// first unit falls short. Utilization only falls as `k` grows, so this is a
/// binary search over `1..=⌈max/unit⌉`.
pub fn optimal_units(series: &HourlySeries, unit: f64, threshold: f64) -> u64 {
    if unit <= 0.0 || series.hours() == 0 || series.max() <= 0.0 || threshold.is_nan() || threshold > 1.0 {
        return 0;
    }
    let mut hi = (series.max() / unit).ceil() as u64;
    if threshold <= 0.0 {
        return hi;
    }
    let mut lo = 0u64;
    // Invariant: every k ≤ lo qualifies (k = 0 trivially); every k > hi does not.
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if marginal_utilization(series, unit, mid) >= threshold {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// Net savings of `units` reserved units of `unit` capacity over the series:
/// `od_rate · Σ_h min(u_h, units·unit) − hours · ri_rate · units · unit`.
/// Rates are per unit of the series per hour (per normalized-unit hour).
pub fn ri_savings(series: &HourlySeries, unit: f64, units: u64, od_rate: f64, ri_rate: f64) -> f64 {
    let capacity = units as f64 * unit;
    od_rate * series.covered(capacity) - series.hours() as f64 * ri_rate * capacity
}

/// One reserved-instance purchase, evaluated on a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RiChoice {
    /// Units bought.
    pub units: u64,
    /// Capacity bought (units × unit size), per hour.
    pub capacity: f64,
    /// Usage it covers over the series (`Σ_h min(u_h, capacity)`).
    pub covered: f64,
    /// Net savings over the series, in dollars.
    pub savings: f64,
    /// Share (0–1) of the purchased capacity in use.
    pub utilization: f64,
    /// Share (0–1) of the usage it covers.
    pub coverage: f64,
}

/// Evaluates buying `units` units.
pub fn ri_choice(series: &HourlySeries, unit: f64, units: u64, od_rate: f64, ri_rate: f64) -> RiChoice {
    let capacity = units as f64 * unit;
    let covered = series.covered(capacity);
    let hours = series.hours() as f64;
    RiChoice {
        units,
        capacity,
        covered,
        savings: ri_savings(series, unit, units, od_rate, ri_rate),
        utilization: if capacity > 0.0 && hours > 0.0 { covered / (hours * capacity) } else { 0.0 },
        coverage: if series.total() > 0.0 { covered / series.total() } else { 0.0 },
    }
}

/// The savings-maximizing reserved purchase: [`optimal_units`] at the
/// break-even utilization `ri_rate / od_rate`.
pub fn optimize_ri(series: &HourlySeries, unit: f64, od_rate: f64, ri_rate: f64) -> RiChoice {
    let units = if od_rate > 0.0 { optimal_units(series, unit, ri_rate / od_rate) } else { 0 };
    ri_choice(series, unit, units, od_rate, ri_rate)
}

/// One savings-plan commitment, evaluated on an hourly on-demand-equivalent spend series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpPoint {
    /// Hourly commitment in dollars (what the plan bills every hour).
    pub commitment: f64,
    /// On-demand-equivalent spend per hour the commitment covers (`commitment / (1 − discount)`).
    pub covers_per_hour: f64,
    /// Net savings over the series, in dollars.
    pub savings: f64,
    /// Share (0–1) of the commitment used.
    pub utilization: f64,
    /// Share (0–1) of the on-demand-equivalent spend covered.
    pub coverage: f64,
}

/// Evaluates covering `covers_per_hour` of spend per hour at `discount`.
pub fn sp_point(series: &HourlySeries, discount: f64, covers_per_hour: f64) -> SpPoint {
    let y = covers_per_hour.max(0.0);
    let covered = series.covered(y);
    let hours = series.hours() as f64;
    let commitment = (1.0 - discount) * y;
    SpPoint {
        commitment,
        covers_per_hour: y,
        savings: covered - hours * commitment,
        utilization: if y > 0.0 && hours > 0.0 { covered / (hours * y) } else { 0.0 },
        coverage: if series.total() > 0.0 { covered / series.total() } else { 0.0 },
    }
}

/// The savings-maximizing commitment: the best of zero and every observed
/// hourly value (the optimum of a concave piecewise-linear function sits on a
/// kink). Ties go to the smaller commitment.
pub fn optimal_sp(series: &HourlySeries, discount: f64) -> SpPoint {
    let n = series.hours();
    let keep = 1.0 - discount;
    let (mut best_y, mut best) = (0.0, 0.0);
    for (i, &y) in series.sorted.iter().enumerate() {
        // The i values below y are covered in full, the rest at y.
        let savings = series.prefix[i] + (n - i) as f64 * y - n as f64 * keep * y;
        if savings > best {
            (best_y, best) = (y, savings);
        }
    }
    sp_point(series, discount, best_y)
}

/// The highest commitment covering at most `cap_per_hour` whose utilization is
/// at least `min_utilization` (0–1): the conservative choice.
///
/// Utilization falls as the commitment grows, so the qualifying commitments
/// form an interval from zero; this finds its end exactly (on the linear
/// piece where `Σ_h min(x_h, y) = min_utilization · N · y`).
pub fn conservative_sp(series: &HourlySeries, discount: f64, min_utilization: f64, cap_per_hour: f64) -> SpPoint {
    let n = series.hours() as f64;
    if n == 0.0 || cap_per_hour <= 0.0 {
        return sp_point(series, discount, 0.0);
    }
    let slack = |y: f64| series.covered(y) - min_utilization * n * y;
    // Last breakpoint (0 or an observed value) where the utilization still qualifies.
    let mut last = 0.0;
    let mut next = None;
    for &v in series.sorted.iter().filter(|v| **v > 0.0) {
        if slack(v) >= -1e-12 * n * v.max(1.0) {
            last = v;
        } else {
            next = Some(v);
            break;
        }
    }
    // Beyond `last`, slack is linear until the next breakpoint: slope = (hours above last) − m·N.
    let above = series.sorted.len() - series.sorted.partition_point(|v| *v <= last);
    let slope = above as f64 - min_utilization * n;
    let mut end = if slope < 0.0 { last + slack(last).max(0.0) / -slope } else { next.unwrap_or(last) };
    if let Some(next) = next {
        end = end.min(next);
    } else if slope >= 0.0 {
        end = series.max();
    }
    sp_point(series, discount, end.min(cap_per_hour))
}

/// The savings-versus-commitment curve: `steps + 1` evenly spaced commitments
/// from zero to the one covering the busiest hour.
pub fn sp_curve(series: &HourlySeries, discount: f64, steps: usize) -> Vec<SpPoint> {
    let steps = steps.max(1);
    let top = series.max();
    (0..=steps).map(|i| sp_point(series, discount, top * i as f64 / steps as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_of_a_capacity() {
        let s = HourlySeries::new([1.0, 3.0, 2.0, 0.0]);
        assert_eq!(s.covered(2.0), 1.0 + 2.0 + 2.0);
        assert_eq!(s.covered(10.0), 6.0);
        assert_eq!(s.covered(0.0), 0.0);
        assert_eq!(s.share_at_least(2.0), 0.5);
        assert_eq!((s.min(), s.max(), s.mean()), (0.0, 3.0, 1.5));
    }

    /// Usage 4 NU in 6 of 10 hours and 8 NU in the other 4; units of 4 NU.
    /// Unit 1 is used every hour (100 %); unit 2 in 4 of 10 hours (40 %).
    /// At a 37.5 % discount the break-even utilization is 62.5 %: buy 1 unit.
    /// At a 62 % discount it is 38 %: buy 2.
    #[test]
    fn ri_optimum_is_the_last_unit_used_at_least_the_break_even_share() {
        let s = HourlySeries::new([4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0, 8.0]);
        assert_eq!(marginal_utilization(&s, 4.0, 1), 1.0);
        assert!((marginal_utilization(&s, 4.0, 2) - 0.4).abs() < 1e-12);
        assert_eq!(optimal_units(&s, 4.0, 0.625), 1);
        assert_eq!(optimal_units(&s, 4.0, 0.38), 2);
        // p = $0.024/NU-h, r = 0.625 p = $0.015: 1 unit saves 0.024 × 40 − 10 × 0.015 × 4 = 0.96 − 0.6 = $0.36.
        let one = optimize_ri(&s, 4.0, 0.024, 0.015);
        assert_eq!(one.units, 1);
        assert!((one.savings - 0.36).abs() < 1e-12);
        assert_eq!((one.utilization, one.coverage), (1.0, 40.0 / 56.0));
    }

    /// Hourly spend $10 for 7 hours and $20 for 3 (N = 10), discount 28 %.
    /// Covering y = 10: 100 − 10 × 0.72 × 10 = $28; y = 20: 130 − 144 = −$14; so y* = 10,
    /// the 28 % quantile, commitment 0.72 × 10 = $7.20/h.
    #[test]
    fn sp_optimum_is_the_discount_quantile() {
        let s = HourlySeries::new([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0]);
        let best = optimal_sp(&s, 0.28);
        assert_eq!(best.covers_per_hour, 10.0);
        assert!((best.commitment - 7.2).abs() < 1e-12);
        assert!((best.savings - 28.0).abs() < 1e-9);
        assert_eq!(best.utilization, 1.0);
        // Conservative at 95 %: utilization at y > 10 is (100 + 3(y−10))/(10y) ≥ 0.95 ⇔ y ≤ 10.77 — capped at y* = 10.
        let safe = conservative_sp(&s, 0.28, 0.95, best.covers_per_hour);
        assert_eq!(safe.covers_per_hour, 10.0);
        let uncapped = conservative_sp(&s, 0.28, 0.95, f64::INFINITY);
        assert!((uncapped.covers_per_hour - 70.0 / 6.5).abs() < 1e-9, "{}", uncapped.covers_per_hour);
        let curve = sp_curve(&s, 0.28, 4);
        assert_eq!(curve.len(), 5);
        assert_eq!(curve[0].savings, 0.0);
        assert_eq!(curve[4].covers_per_hour, 20.0);
    }

    #[test]
    fn empty_and_zero_series_buy_nothing() {
        let s = HourlySeries::new([0.0; 5]);
        assert_eq!(optimal_units(&s, 4.0, 0.6), 0);
        assert_eq!(optimal_sp(&s, 0.3).commitment, 0.0);
        assert_eq!(conservative_sp(&s, 0.3, 0.95, 10.0).commitment, 0.0);
        let e = HourlySeries::new([]);
        assert_eq!(optimal_units(&e, 1.0, 0.5), 0);
        assert_eq!(optimal_sp(&e, 0.3).savings, 0.0);
    }
}
