//! W4, Hessian-vector product (f64, 1 thread): Rosenbrock's function of
//! `n = 100,000` variables,
//! `f(x) = sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)`, written with
//! `Var::slice`, at `x = urand(401, [n], -2, 2)`.
//!
//! It times, with `zengrad::functional`:
//!
//! - `grad_ms`: one call `x ↦ ∇f(x)`, [`functional::grad`]: a new tape,
//!   the forward and one reverse pass;
//! - `hvp_ms`: one call `(x, v) ↦ H(x) v` with `v = urand(402, [n], -1, 1)`,
//!   [`functional::hvp`]: the forward, the gradient recorded on the tape,
//!   and a reverse pass over both (reverse over reverse, as PyTorch's
//!   double backward);
//! - beyond the spec, `vjp_ms` and `jvp_ms`: the products of the Jacobian
//!   of Rosenbrock's `n - 1` terms (the vector summed in `f`) with
//!   `u = v[:-1]` and with `v`. [`functional::jvp`] computes forward mode
//!   from two reverse passes (the double-vjp trick); `jvp_over_vjp` is what
//!   that costs.
//!
//! Every result is compared with the closed form to 1e-12 relative (the
//! largest error over the largest value), as the peers are, and the sums
//! with the spec's check values. After 3 warm-up calls, at least 20 calls
//! and at least 1 s of calls are timed; with `--quick`, 1 warm-up and 3.
//!
//! Usage: `cargo bench --bench w4_hvp [-- --quick]`.

mod common;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use common::{BenchResult, Checks, Clock, Options, Times, emit, emit_time};
use zengrad::{Error, Tensor, Var, functional};

/// The number of variables.
const N: usize = 100_000;

/// The spec's check values.
const SUM_GRAD: f64 = -26_242_187.052_134;
const SUM_HVP: f64 = -216_701.132_468;

/// The check values are printed with 6 decimals (rounding up to 5e-7),
/// and a sum of 1e5 terms in another order differs in the last bits of
/// its 2.6e7 (about 4e-9 each): 1e-6 covers both.
const SUM_TOLERANCE: f64 = 1e-6;

/// How close every result must be to the closed form, relative to its
/// largest element: the spec's bound for every peer.
const CLOSED_FORM_RTOL: f64 = 1e-12;

/// The spec's timing: warm-up calls, then at least this many calls and
/// this many seconds of them.
const WARMUP: usize = 3;
const MIN_CALLS: usize = 20;
const MIN_SECONDS: f64 = 1.0;

fn main() -> ExitCode {
    common::exit_code("w4_hvp", run())
}

fn run() -> BenchResult {
    let options = common::setup()?;
    let x = Tensor::from_vec(common::urand(401, N, -2.0, 2.0), [N])?;
    let v = Tensor::from_vec(common::urand(402, N, -1.0, 1.0), [N])?;
    let u = v.slice(0, 0..N - 1)?;
    let exact = Exact::new(x.data(), v.data());

    let mut checks = Checks::default();
    let g = functional::grad(rosenbrock, &x)?;
    let hv = functional::hvp(rosenbrock, &x, &v)?;
    let (_, jv) = functional::jvp(terms, &x, &v)?;
    let (_, ut_j) = functional::vjp(terms, &x, &u)?;
    check_close(&mut checks, "grad", g.data(), &exact.grad);
    check_close(&mut checks, "hvp", hv.data(), &exact.hvp);
    check_close(&mut checks, "jvp", jv.data(), &exact.jvp);
    check_close(&mut checks, "vjp", ut_j.data(), &exact.vjp);
    let (sum_grad, sum_hvp) = (g.data().iter().sum(), hv.data().iter().sum());
    checks.expect("check_sum_grad", sum_grad, SUM_GRAD, SUM_TOLERANCE);
    checks.expect("check_sum_hvp", sum_hvp, SUM_HVP, SUM_TOLERANCE);

    let grad = time_calls(&options, || functional::grad(rosenbrock, &x))?;
    let hvp = time_calls(&options, || functional::hvp(rosenbrock, &x, &v))?;
    let vjp = time_calls(&options, || functional::vjp(terms, &x, &u))?;
    let jvp = time_calls(&options, || functional::jvp(terms, &x, &v))?;

    let ms = |metric: &str, times: &Times| emit_time(&options, "W4", metric, times, "ms", 1e3);
    ms("grad_ms", &grad);
    ms("hvp_ms", &hvp);
    let ratio = hvp.median() / grad.median();
    emit(&options, "W4", "hvp_over_grad", ratio, "ratio", &[]);
    emit(&options, "W4", "check_sum_grad", sum_grad, "value", &[]);
    emit(&options, "W4", "check_sum_hvp", sum_hvp, "value", &[]);
    ms("vjp_ms", &vjp);
    ms("jvp_ms", &jvp);
    let ratio = jvp.median() / vjp.median();
    emit(&options, "W4", "jvp_over_vjp", ratio, "ratio", &[]);
    checks.finish()
}

/// Rosenbrock's terms, `100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2`: a
/// vector of `n - 1`.
fn terms<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    let n = x.shape()[0];
    let (head, tail) = (x.slice(0, 0..n - 1)?, x.slice(0, 1..n)?);
    Ok((tail - head.square()).square() * 100.0 + (1.0 - head).square())
}

/// Rosenbrock's function: the sum of its [`terms`].
fn rosenbrock<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    Ok(terms(x)?.sum_all())
}

/// Calls `f` as the spec times it: warm-up calls, then until both
/// [`MIN_CALLS`] calls and [`MIN_SECONDS`] have passed; quick mode times 3.
fn time_calls<T>(options: &Options, mut f: impl FnMut() -> Result<T, Error>) -> BenchResult<Times> {
    for _ in 0..options.repeats(WARMUP, 1) {
        black_box(f()?);
    }
    let (min_calls, min_seconds) = if options.quick {
        (3, 0.0)
    } else {
        (MIN_CALLS, MIN_SECONDS)
    };
    let start = Instant::now();
    let mut times = Times::default();
    while times.wall.len() < min_calls || start.elapsed().as_secs_f64() < min_seconds {
        let mut clock = Clock::start();
        black_box(f()?);
        times.add(clock.lap());
    }
    Ok(times)
}

/// The closed forms of the spec, and of the products with the Jacobian of
/// the terms: term `i` depends on `x[i]` through `a[i] = -400 x[i] (x[i+1]
/// - x[i]^2) - 2 (1 - x[i])` and on `x[i+1]` through
/// `b[i] = 200 (x[i+1] - x[i]^2)`.
struct Exact {
    grad: Vec<f64>,
    hvp: Vec<f64>,
    jvp: Vec<f64>,
    vjp: Vec<f64>,
}

impl Exact {
    fn new(x: &[f64], v: &[f64]) -> Exact {
        let n = x.len();
        let a: Vec<f64> = (0..n - 1)
            .map(|i| -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]))
            .collect();
        let b: Vec<f64> = (0..n - 1)
            .map(|i| 200.0 * (x[i + 1] - x[i] * x[i]))
            .collect();

        // The gradient, and u^T J with u = v[:-1]: both add a[j] and
        // b[j - 1] contributions.
        let (mut grad, mut vjp) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n - 1 {
            grad[i] += a[i];
            grad[i + 1] += b[i];
            vjp[i] += v[i] * a[i];
            vjp[i + 1] += v[i] * b[i];
        }

        // H is tridiagonal: H[j][j] = (1200 x[j]^2 - 400 x[j+1] + 2)
        // [j <= n-2] + 200 [j >= 1], H[j][j+1] = H[j+1][j] = -400 x[j].
        let mut hvp = vec![0.0; n];
        for j in 0..n {
            let mut diagonal = if j >= 1 { 200.0 } else { 0.0 };
            if j + 1 < n {
                diagonal += 1200.0 * x[j] * x[j] - 400.0 * x[j + 1] + 2.0;
                hvp[j] -= 400.0 * x[j] * v[j + 1];
            }
            if j >= 1 {
                hvp[j] -= 400.0 * x[j - 1] * v[j - 1];
            }
            hvp[j] += diagonal * v[j];
        }

        let jvp = (0..n - 1).map(|i| a[i] * v[i] + b[i] * v[i + 1]).collect();
        Exact {
            grad,
            hvp,
            jvp,
            vjp,
        }
    }
}

/// Records whether `got` is within [`CLOSED_FORM_RTOL`] of `want`, relative
/// to the largest element of `want`.
fn check_close(checks: &mut Checks, name: &str, got: &[f64], want: &[f64]) {
    if got.len() != want.len() {
        checks.fail(format!(
            "{name}: expected {} elements, got {}",
            want.len(),
            got.len()
        ));
        return;
    }
    let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    let error = got
        .iter()
        .zip(want)
        .fold(0.0f64, |m, (g, w)| m.max((g - w).abs()));
    let name = format!("{name}_relative_error");
    checks.expect(&name, error / scale, 0.0, CLOSED_FORM_RTOL);
}
