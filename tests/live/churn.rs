//! Counting while another thread opens and closes fds never errors, and every count stays within
//! the population's bounds. The counting runs alone in a process of its own, so that no other
//! test changes that process's fds.

use crate::support::rerun::{self, test_name};
use procfast::{Budget, Method, Proc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHURN: usize = 64;

#[test]
fn counts_stay_within_the_population_under_churn() {
    rerun::assert_passes_alone(
        &test_name!(counting_under_churn_alone),
        &[],
        "counts stayed within the population",
    );
}

#[test]
#[ignore = "run alone by counts_stay_within_the_population_under_churn"]
fn counting_under_churn_alone() {
    if rerun::outside_rerun("counts_stay_within_the_population_under_churn") {
        return;
    }
    let mut me = Proc::myself().unwrap();
    // Warm up: the handle's own fd directory and stat file are open from here on.
    me.fd_count_with(Method::Walk, &Budget::UNLIMITED).unwrap();
    me.fd_count().unwrap();
    let base = me
        .fd_count_with(Method::Walk, &Budget::UNLIMITED)
        .unwrap()
        .count;

    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let churner = {
        let (stop, rounds) = (stop.clone(), rounds.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let held: Vec<_> = (0..CHURN)
                    .map(|_| std::fs::File::open("/dev/null").unwrap())
                    .collect();
                drop(held);
                rounds.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let (mut low, mut high) = (u64::MAX, 0);
    let give_up = Instant::now() + Duration::from_secs(20);
    let mut i = 0;
    // At least 3,000 counts, overlapping at least 1,000 rounds of churn.
    while i < 3_000 || (rounds.load(Ordering::Relaxed) < 1_000 && Instant::now() < give_up) {
        i += 1;
        let method = [Method::Auto, Method::Walk, Method::Stat][i % 3];
        let counted = match me.fd_count_with(method, &Budget::UNLIMITED) {
            Err(procfast::Error::Unsupported) if method == Method::Stat => continue,
            other => other.unwrap(),
        };
        assert!(counted.is_complete());
        assert!(
            (base..=base + CHURN as u64).contains(&counted.count),
            "{method:?} counted {} outside {base}..={}",
            counted.count,
            base + CHURN as u64
        );
        low = low.min(counted.count);
        high = high.max(counted.count);
        assert!(me.fds_at_least(base).unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    churner.join().unwrap();
    let rounds = rounds.load(Ordering::Relaxed);
    assert!(rounds > 0);
    // The churn was seen: counts did move.
    assert!(
        high > low,
        "counts never changed: {low}..{high} over {rounds} rounds"
    );
    println!("counts stayed within the population");
}
