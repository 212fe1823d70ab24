//! The one way backlint uses several cores: map over a slice, one scoped thread per core, results in
//! input order; in contiguous chunks (many elements of like cost) or element by element (a few of
//! very unequal cost). A panic in a worker is re-raised, never turned into lost results.

/// How many threads `map` uses: one per core. Asked once: each asking reads the cgroup's files, a
/// dozen system calls, and a small check asks a dozen times.
pub fn workers() -> usize {
    static WORKERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *WORKERS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `range` cut into runs of `per` indices (the last one may be shorter): the parts of a job whose
/// results are joined by index afterwards.
pub fn runs(range: std::ops::Range<usize>, per: usize) -> Vec<std::ops::Range<usize>> {
    let end = range.end;
    range.step_by(per.max(1)).map(|start| start..(start + per).min(end)).collect()
}

/// `f` over every element; on one thread when the input is shorter than `min_len`.
pub fn map<T: Sync, R: Send>(items: &[T], min_len: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = workers();
    if workers <= 1 || items.len() < min_len.max(2) {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(workers);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// `f` over every element, each taken by the next free thread: for a few elements of very unequal
/// cost (the rules of a run), where contiguous chunks can leave a core idle while the other works
/// through the dearest ones.
pub fn map_each<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = workers().min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(at) else { return done };
                        done.push((at, f(item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_unstable_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_input_order() {
        let items: Vec<usize> = (0..10_000).collect();
        assert_eq!(super::map(&items, 2, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(super::map_each(&items, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }
}
