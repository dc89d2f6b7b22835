//! Paired timing: contenders run in the same moments, in rounds whose order rotates, so that
//! drift in the machine's speed (this VM switches between two speeds for seconds at a time) falls
//! on all alike; figures are medians over the rounds, ratios medians of per-round ratios.

use std::time::Instant;

/// Calls `visit(round, which)` for every contender `which` in `0..count`, `rounds` times, each
/// round starting one contender further on.
pub fn rotated(rounds: usize, count: usize, mut visit: impl FnMut(usize, usize)) {
    for round in 0..rounds {
        for k in 0..count {
            visit(round, (round + k) % count);
        }
    }
}

/// Runs `rounds` rotated rounds of `count` contenders. `run(k)` runs contender `k` and says how
/// many calls it made; the result holds, per contender, the nanoseconds per call of each round.
pub fn rotated_rounds(
    rounds: usize,
    count: usize,
    mut run: impl FnMut(usize) -> usize,
) -> Vec<Vec<f64>> {
    let mut times = vec![Vec::with_capacity(rounds); count];
    rotated(rounds, count, |_, which| {
        let started = Instant::now();
        let calls = run(which);
        times[which].push(started.elapsed().as_nanos() as f64 / calls.max(1) as f64);
    });
    times
}

/// `rotated` rounds of `count` contenders, `run(k)` measuring contender `k` once: every
/// contender's measurements in round order, or the first failure.
pub fn rounds_of<T>(
    rounds: usize,
    count: usize,
    mut run: impl FnMut(usize) -> Result<T, String>,
) -> Result<Vec<Vec<T>>, String> {
    let mut measured: Vec<Vec<T>> = (0..count).map(|_| Vec::with_capacity(rounds)).collect();
    let mut failed = None;
    rotated(rounds, count, |_, which| {
        if failed.is_none() {
            match run(which) {
                Ok(m) => measured[which].push(m),
                Err(e) => failed = Some(e),
            }
        }
    });
    failed.map_or(Ok(measured), Err)
}

/// The median of `values` (the upper one of an even count); 0 if there are none.
pub fn median_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// The median over rounds of `of[round] / to[round]`, each divisor at least `floor`.
pub fn median_ratio(of: &[f64], to: &[f64], floor: f64) -> f64 {
    let ratios: Vec<f64> = of.iter().zip(to).map(|(a, b)| a / b.max(floor)).collect();
    median_of(&ratios)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_starts_one_further_on() {
        let mut order = vec![];
        rotated(3, 3, |round, which| order.push((round, which)));
        let whiches: Vec<usize> = order.iter().map(|&(_, w)| w).collect();
        assert_eq!(whiches, [0, 1, 2, 1, 2, 0, 2, 0, 1]);
    }

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median_of(&[]), 0.0);
        assert_eq!(median_of(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_of(&[4.0, 1.0, 3.0, 2.0]), 3.0);
        assert_eq!(median_ratio(&[2.0, 9.0, 4.0], &[1.0, 3.0, 1.0], 0.0), 3.0);
        assert_eq!(median_ratio(&[1.0], &[0.0], 0.5), 2.0);
    }
}
