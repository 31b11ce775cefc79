//! Nearest-rank percentiles.

/// The `p`-th percentile (0–100) of `values` by the nearest-rank method: the
/// value at 0-based index `ceil(p / 100 × n) − 1` of the sorted values,
/// clamped to `[0, n − 1]`. Always one of the samples, never interpolated, so
/// a reader can find it in the data. `None` for no values.
///
/// ```
/// use costwise_analyzer::rightsizing::percentile;
/// let hours: Vec<f64> = (1..=200).map(f64::from).collect();
/// assert_eq!(percentile(&hours, 99.5), Some(199.0)); // ceil(0.995 × 200) − 1 = 198
/// assert_eq!(percentile(&hours, 50.0), Some(100.0));
/// assert_eq!(percentile(&[], 95.0), None);
/// ```
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(nearest_rank(&sorted, p))
}

/// [`percentile`] of values already sorted ascending (panics when empty).
pub fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    // p × n / 100 rather than p / 100 × n, and a hair of tolerance, so that
    // 99.5 × 200 / 100 is exactly rank 199 rather than 199.00000000000003 → 200.
    let rank = (p * n as f64 / 100.0 - 1e-9).ceil() as i64 - 1;
    sorted[rank.clamp(0, n as i64 - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_a_sample_and_clamps() {
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 90.0), Some(9.0), "ceil(9) − 1 = index 8");
        assert_eq!(percentile(&ten, 95.0), Some(10.0), "ceil(9.5) − 1 = index 9");
        assert_eq!(percentile(&ten, 0.0), Some(1.0), "clamped to the first sample");
        assert_eq!(percentile(&ten, 100.0), Some(10.0));
        assert_eq!(percentile(&[5.0, 1.0, 3.0], 50.0), Some(3.0), "sorted first");
        // 336 hours (14 days): p99.5 → ceil(334.32) − 1 = index 334, the second largest.
        let hours: Vec<f64> = (0..336).map(f64::from).collect();
        assert_eq!(percentile(&hours, 99.5), Some(334.0));
        assert_eq!(percentile(&[7.0], 99.5), Some(7.0));
    }
}
