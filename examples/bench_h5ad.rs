//! Native throughput of the streaming pseudobulk on an h5ad file (made by scripts/make-big-h5ad.py), and
//! with `--de` of the DE pass after it:
//!     cargo run --release --example bench_h5ad -- FILE.h5ad [--de]
//! Prints the seconds, the MB/s of file read and the windows reported (and the DE pass's seconds, batches and
//! the time spent reading the file in it). BENCHMARKS.md records the results;
//! the browser's numbers come from tests/e2e/bench-h5ad.mjs.

use perturb_check::conditions::ConditionRules;
use perturb_check::de::pass::{differential_expression, DE_BUDGET_BYTES};
use perturb_check::pseudobulk::{pseudobulk, PseudobulkOptions};
use perturb_check::readers::h5ad::H5ad;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: bench_h5ad FILE.h5ad");
    let size = std::fs::metadata(&path).expect("the file").len() as f64;
    let source = hdf5_pure::ReadSeekSource::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    let start = Instant::now();
    let h5ad = H5ad::from_source(&path, source).unwrap_or_else(|error| panic!("{error}"));
    let summary = h5ad.contents().unwrap_or_else(|error| panic!("{error}"));
    let options = PseudobulkOptions::detected(&summary);
    let opened = start.elapsed().as_secs_f64();
    let mut windows = 0;
    let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {
        windows += 1;
    })
    .unwrap_or_else(|error| panic!("{error}"));
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{path}: {:.0} MB, {} cells → {} conditions; summary {opened:.2} s, total {seconds:.2} s, {:.0} MB/s, {windows} windows",
        size / 1e6,
        summary.n_cells,
        result.matrix.n_conditions(),
        size / 1e6 / seconds
    );
    if std::env::args().any(|argument| argument == "--de") {
        let start = Instant::now();
        // The last progress report of each batch's reading marks its end; the rest is sorting and testing.
        let mut reading = 0.0;
        let mut last = Instant::now();
        let table = differential_expression(
            &h5ad,
            &options,
            &ConditionRules::default(),
            &result,
            DE_BUDGET_BYTES,
            &mut |done, _| {
                if done > 0 {
                    reading += last.elapsed().as_secs_f64();
                }
                last = Instant::now();
            },
        )
        .unwrap_or_else(|error| panic!("{error}"));
        println!(
            "DE pass: {:.2} s, {} batches, of which about {reading:.2} s between reading progress reports",
            start.elapsed().as_secs_f64(),
            table.batches
        );
    }
}
