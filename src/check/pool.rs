//! Runs probes concurrently on std threads, at most `limit` at a time, so a check takes about
//! as long as its slowest probe rather than the sum of them. Results are handed to the caller's
//! thread as each one finishes (for live JSON events) and returned in input order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Applies `work` to every item on up to `limit` threads. `done` runs on the calling thread,
/// in completion order, as each result arrives.
pub fn run_bounded<T, R>(
    items: &[T],
    limit: usize,
    work: impl Fn(usize, &T) -> R + Sync,
    mut done: impl FnMut(usize, &R),
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let n = items.len();
    let mut results: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..limit.clamp(1, n.max(1)) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    if tx.send((i, work(i, item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, r) in rx {
            done(i, &r);
            results[i] = Some(r);
        }
    });
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[test]
    fn results_keep_input_order_and_concurrency_is_bounded() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let items: Vec<u64> = (0..12).collect();
        let mut seen = 0;
        let out = run_bounded(
            &items,
            3,
            |_, &x| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                x * 2
            },
            |_, _| seen += 1,
        );
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(seen, 12);
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=3).contains(&peak), "peak concurrency {peak}");
    }

    #[test]
    fn no_items_no_threads() {
        let out: Vec<u8> = run_bounded(&[] as &[u8], 8, |_, &x| x, |_, _| {});
        assert!(out.is_empty());
    }
}
