//! Import and summarize benchmarks on a generated 1M-line-item CUR 2.0 export.
//!
//! `cargo bench --bench ingest`. The 10M-row figures in `docs/benchmarks.md`
//! come from `costwise-synth import-bench` under `/usr/bin/time -v` instead:
//! criterion's repeated samples would take too long at that size.

use std::hint::black_box;
use std::time::Duration;

use costwise_synth::{bench, cur};
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: usize = 1_000_000;

fn ingest(c: &mut Criterion) {
    let work = tempfile::tempdir().expect("temporary directory");
    let input = work.path().join("cur");
    cur::write_cur2(&input, ROWS, 1).expect("generating the CUR");
    let snapshot = work.path().join("snapshot");

    let mut group = c.benchmark_group("cur2-1m");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    group.bench_function("import (read_billing + write snapshot)", |b| {
        b.iter(|| black_box(bench::import(&input, &snapshot).expect("import")));
    });
    bench::import(&input, &snapshot).expect("import");
    group.bench_function("spend overview", |b| {
        b.iter(|| black_box(bench::summarize(&snapshot).expect("overview")));
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
