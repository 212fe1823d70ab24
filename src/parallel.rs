//! The one way backlint uses several cores: map over a slice in contiguous chunks, one scoped thread
//! per core, results in input order. A panic in a worker is re-raised, never turned into lost results.

/// How many threads `map` uses: one per core.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_input_order() {
        let items: Vec<usize> = (0..10_000).collect();
        assert_eq!(super::map(&items, 2, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }
}
