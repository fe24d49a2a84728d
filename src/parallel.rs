//! Work split over the processor's cores natively, done in order on one thread in the browser (a Web Worker
//! has no threads without cross-origin isolation). The results are the same either way: each item is
//! computed alone and the results keep the items' order.

#[cfg(not(target_arch = "wasm32"))]
static LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Uses at most `n` threads from now on (natively; 0 restores the default, every core).
pub fn limit_threads(n: usize) {
    #[cfg(not(target_arch = "wasm32"))]
    LIMIT.store(n, std::sync::atomic::Ordering::Relaxed);
    #[cfg(target_arch = "wasm32")]
    let _ = n;
}

/// How many threads to use: the cores this process may use natively (or fewer, [`limit_threads`]), one in
/// WebAssembly.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        match LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
            0 => cores,
            limit => limit,
        }
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

/// `f` of each item, in the items' order, natively each item on a thread of its own: for a few large items
/// (the files of a run), which the cores then share evenly however many there are.
pub fn map_apart<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if threads() < 2 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|scope| {
            let f = &f;
            let others: Vec<_> = items[1..].iter().map(|item| scope.spawn(move || f(item))).collect();
            let mut results = vec![f(&items[0])];
            results.extend(
                others.into_iter().map(|other| other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
            );
            results
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        items.iter().map(f).collect()
    }
}

/// `consume(i, produce(i))` for each `i` in `0..n`, `consume` called on this thread in that order whatever the
/// number of threads: natively `produce` runs on `threads()` threads at once, at most `ahead` items ahead of
/// `consume` (which bounds the memory the produced items hold); in WebAssembly each item is produced and
/// consumed in turn. When `consume` returns an error, no further item is produced and the error is returned.
pub fn in_order<R: Send, E>(
    n: usize,
    ahead: usize,
    produce: impl Fn(usize) -> R + Sync,
    mut consume: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E> {
    let producers = threads().min(n);
    if producers < 2 {
        return (0..n).try_for_each(|i| consume(i, produce(i)));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::collections::BTreeMap;
        use std::sync::{mpsc, Condvar, Mutex};
        let ahead = ahead.max(producers);
        // The next item to claim, the next to consume and whether to stop, with a signal for each change.
        struct Progress {
            next: usize,
            consumed: usize,
            stop: bool,
        }
        fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
            progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        }
        let progress = Mutex::new(Progress { next: 0, consumed: 0, stop: false });
        let changed = Condvar::new();
        std::thread::scope(|scope| {
            let (send, receive) = mpsc::channel::<(usize, R)>();
            for _ in 0..producers {
                let (send, produce, progress, changed) = (send.clone(), &produce, &progress, &changed);
                scope.spawn(move || {
                    // A producer that panics stops the others (which might wait for the consumer forever) and
                    // drops its sender, so the consumer ends and the scope re-raises the panic.
                    struct StopOnPanic<'s>(&'s Mutex<Progress>, &'s Condvar);
                    impl Drop for StopOnPanic<'_> {
                        fn drop(&mut self) {
                            if std::thread::panicking() {
                                lock(self.0).stop = true;
                                self.1.notify_all();
                            }
                        }
                    }
                    let _guard = StopOnPanic(progress, changed);
                    loop {
                        let i = {
                            let mut state = lock(progress);
                            while !state.stop && state.next < n && state.next >= state.consumed + ahead {
                                state = changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                            }
                            if state.stop || state.next >= n {
                                return;
                            }
                            state.next += 1;
                            state.next - 1
                        };
                        if send.send((i, produce(i))).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(send);
            let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
            let mut result = Ok(());
            for i in 0..n {
                let item = loop {
                    if let Some(item) = waiting.remove(&i) {
                        break Some(item);
                    }
                    match receive.recv() {
                        Ok((at, item)) => {
                            waiting.insert(at, item);
                        }
                        // Every producer ended without item i: one of them panicked (the scope re-raises it).
                        Err(_) => break None,
                    }
                };
                let Some(item) = item else { break };
                result = consume(i, item);
                let mut state = lock(&progress);
                state.consumed = i + 1;
                state.stop |= result.is_err();
                drop(state);
                changed.notify_all();
                if result.is_err() {
                    break;
                }
            }
            lock(&progress).stop = true;
            changed.notify_all();
            drop(receive);
            result
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = ahead;
        (0..n).try_for_each(|i| consume(i, produce(i)))
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
        assert_eq!(map_apart(&items[..7], |&x| x * 3), (0..7).map(|x| x * 3).collect::<Vec<_>>());
    }

    #[test]
    fn items_are_consumed_in_order_and_an_error_stops_production() {
        let mut seen = Vec::new();
        let done: Result<(), ()> = in_order(
            500,
            3,
            |i| i * 2,
            |i, item| {
                seen.push((i, item));
                Ok(())
            },
        );
        assert_eq!(done, Ok(()));
        assert_eq!(seen, (0..500).map(|i| (i, i * 2)).collect::<Vec<_>>());
        let produced = std::sync::atomic::AtomicUsize::new(0);
        let stopped = in_order(
            10_000,
            2,
            |i| {
                produced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                i
            },
            |i, _| if i == 5 { Err(i) } else { Ok(()) },
        );
        assert_eq!(stopped, Err(5));
        // Production stops within `ahead` (at least one per thread) of the failing item.
        assert!(produced.into_inner() <= 6 + threads().max(2) + 1);
    }

    #[test]
    fn a_panic_while_producing_reaches_the_caller_instead_of_hanging() {
        let outcome = std::panic::catch_unwind(|| {
            in_order(
                100,
                2,
                |i| {
                    assert!(i != 3, "item 3");
                    i
                },
                |_, _| Ok::<(), ()>(()),
            )
        });
        assert!(outcome.is_err());
    }
}
