//! W3, matrix multiply (f32): `C = A B` for `n = 512` and `n = 1024`, with
//! `A = urand(301, [n, n], -1, 1)` and `B = urand(302, [n, n], -1, 1)`.
//!
//! It times two things on the same `A` and `B`:
//!
//! - ours: `Tensor::matmul`, which allocates and returns `C` (it has no
//!   form that writes into a given output); dropping `C` is timed too, as
//!   the Rust peers do;
//! - gemm alone: the `gemm` crate, which `Tensor::matmul` calls, writing
//!   into a `C` allocated once (the spec's preallocated output), with the
//!   parallelism our matmul picks.
//!
//! The two run alternately, call by call, so that a neighbour's load on
//! this shared machine falls on both alike. After 3 warm-up calls of each,
//! 50 (`n = 512`) or 20 (`n = 1024`) are timed; with `--quick`, 1 and 3.
//!
//! Usage: `BENCH_THREADS=2 cargo bench --bench w3_gemm [-- --quick]`.

mod common;

use std::process::ExitCode;

use common::{BenchResult, Checks, Clock, Options, Times, emit, num};
use gemm::Parallelism;
use zengrad::Tensor;

/// The sizes, each with its number of timed calls.
const SIZES: [(usize, usize); 2] = [(512, 50), (1024, 20)];

/// Warm-up calls before the timed ones.
const WARMUP: usize = 3;

/// Sampled entries of `C` are compared with f64 dot products: an f32 sum of
/// 1024 products of values in `(-1, 1)` is off by well under this.
const DOT_TOLERANCE: f64 = 1e-3;

fn main() -> ExitCode {
    common::exit_code("w3_gemm", run())
}

fn run() -> BenchResult {
    let options = common::setup()?;
    let mut checks = Checks::default();
    for (n, timed) in SIZES {
        let a = common::to_f32(common::urand(301, n * n, -1.0, 1.0));
        let b = common::to_f32(common::urand(302, n * n, -1.0, 1.0));
        let (lhs, rhs) = (
            Tensor::from_slice(&a, [n, n])?,
            Tensor::from_slice(&b, [n, n])?,
        );
        let mut c = vec![0.0f32; n * n];

        let (mut ours, mut alone) = (Times::default(), Times::default());
        let warmup = options.repeats(WARMUP, 1);
        for call in 0..warmup + options.repeats(timed, 3) {
            let mut clock = Clock::start();
            drop(lhs.matmul(&rhs)?);
            let ours_call = clock.lap();
            gemm_into(&mut c, &a, &b, n, options.threads);
            let alone_call = clock.lap();
            if call >= warmup {
                ours.add(ours_call);
                alone.add(alone_call);
            }
        }

        report(&options, n, &ours, &alone);
        check(&mut checks, n, &lhs.matmul(&rhs)?, &c, &a, &b);
    }
    checks.finish()
}

/// Writes `A B` into `c` with the `gemm` crate, as `Tensor::matmul` calls
/// it: row-major operands, output overwritten, on the rayon pool when it
/// has more than one thread.
fn gemm_into(c: &mut [f32], a: &[f32], b: &[f32], n: usize, threads: usize) {
    assert!(
        a.len() == n * n && b.len() == n * n && c.len() == n * n,
        "internal error: gemm_into needs three n x n buffers"
    );
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: `a`, `b` and `c` hold n * n elements each (asserted above),
    // and with row stride n and column stride 1 every element read or
    // written, (i, j) at i * n + j for i, j < n, lies inside them. `c` is
    // borrowed mutably, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            n as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Prints the JSON lines of one size: the rate of each, and ours as a
/// percentage of gemm alone (the ratio of the median times).
fn report(options: &Options, n: usize, ours: &Times, alone: &Times) {
    let flops = 2.0 * (n as f64).powi(3);
    let rate = |metric: String, times: &Times| {
        let extra = [
            ("best", num(flops / times.min() / 1e9)),
            ("ms_median", num(times.median() * 1e3)),
            ("cpu_ms_median", num(times.cpu_median() * 1e3)),
            ("n", times.wall.len().to_string()),
        ];
        let gflops = flops / times.median() / 1e9;
        emit(options, "W3", &metric, gflops, "GFLOP/s", &extra);
    };
    rate(format!("gflops_{n}"), ours);
    rate(format!("gemm_alone_gflops_{n}"), alone);
    let percent = 100.0 * alone.median() / ours.median();
    emit(
        options,
        "W3",
        &format!("pct_of_gemm_{n}"),
        percent,
        "%",
        &[],
    );
}

/// Checks that our product equals gemm's bit for bit (the same kernel on
/// the same operands), and samples entries against f64 dot products.
fn check(checks: &mut Checks, n: usize, ours: &Tensor<f32>, alone: &[f32], a: &[f32], b: &[f32]) {
    if ours.data() != alone {
        checks.fail(format!("matmul {n}: expected gemm's product, got another"));
    }
    for (i, j) in [(0, 0), (n / 2, n / 3), (n - 1, n - 1)] {
        let dot: f64 = (0..n)
            .map(|k| f64::from(a[i * n + k]) * f64::from(b[k * n + j]))
            .sum();
        let name = format!("c_{n}[{i}][{j}]");
        checks.expect(&name, f64::from(alone[i * n + j]), dot, DOT_TOLERANCE);
    }
}
