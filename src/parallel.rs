//! Work split over the processor's cores natively, done in order on one thread in the browser (a Web Worker
//! has no threads without cross-origin isolation). The results are the same either way: each item is
//! computed alone and the results keep the items' order.

/// How many threads to use: the cores this process may use natively, one in WebAssembly.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// `(a(), b())`, at once on two threads when there are two cores.
pub fn join<RA: Send, RB: Send>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB) {
    if threads() < 2 {
        return (a(), b());
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|scope| {
            let second = scope.spawn(b);
            let first = a();
            (first, second.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        (a(), b())
    }
}

/// `f` of each item, in the items' order, the items split into one contiguous part per thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads().min(items.len());
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let part = items.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let f = &f;
            let others: Vec<_> = items
                .chunks(part)
                .skip(1)
                .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
                .collect();
            let mut results: Vec<R> = items[..part].iter().map(f).collect();
            for other in others {
                results.extend(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            results
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        items.iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u64> = (0..1001).collect();
        assert_eq!(map(&items, |&x| x * x), items.iter().map(|x| x * x).collect::<Vec<_>>());
        assert_eq!(map(&items[..1], |&x| x + 1), vec![1]);
        assert!(map(&[] as &[u64], |&x| x).is_empty());
        assert_eq!(join(|| 1, || "two"), (1, "two"));
    }
}
