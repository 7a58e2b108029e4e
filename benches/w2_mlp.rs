//! W2, an MLP training step (f32): 784-512-512-10 with ReLU, batch 128,
//! softmax cross-entropy, plain SGD with `lr = 0.01`.
//!
//! One step: a new `Tape`, the six `Param`s recorded on it, forward, loss,
//! `backward`, dropping the tape, then `p <- p - lr g` written into each
//! parameter's buffer in place. The loss is written with core ops as the
//! spec states it, `mean_k(logsumexp(z_k) - z_k[y_k])`, picking `z_k[y_k]`
//! with `index_select` from the flattened logits.
//!
//! Step 1 gives `loss_step1`, steps 2 to 5 warm up, steps 6 to 35 are timed,
//! and a forward pass after them gives `loss_after_35`. With `--quick` only
//! steps 6 to 8 are timed; the others still run, for the check.
//!
//! Usage: `BENCH_THREADS=2 cargo bench --bench w2_mlp [-- --quick]`.

mod common;

use std::process::ExitCode;

use common::{BenchResult, Checks, Times, emit, emit_rate, emit_time};
use zengrad::{Param, Tape, Tensor, Var};

/// The batch size.
const BATCH: usize = 128;

/// The widths of the layers, input to output.
const SIZES: [usize; 4] = [784, 512, 512, 10];

/// The learning rate of SGD.
const LR: f32 = 0.01;

/// Floating-point operations of one step: `6 · 128 · (784·512 + 512·512 +
/// 512·10)`, the matrix products of forward and backward.
const FLOPS: f64 = 513_540_096.0;

/// The spec's check values.
const LOSS_STEP1: f64 = 2.305768;
const LOSS_AFTER_35: f64 = 2.265054;

/// The check values are given to 6 decimals and the peers agree to 1e-6
/// in f32: allow for both.
const TOLERANCE: f64 = 2e-6;

/// The batch: inputs `[128, 784]`, and for each row `k` the index
/// `10 k + y_k` of its label's logit in the flattened `[128 * 10]` logits.
struct Batch {
    x: Tensor<f32>,
    picks: Vec<usize>,
}

fn main() -> ExitCode {
    common::exit_code("w2_mlp", run())
}

fn run() -> BenchResult {
    let options = common::setup()?;
    let mut params = init()?;
    let batch = data()?;
    let rss_before_steps = common::peak_rss_mib();

    let loss_step1 = step(&mut params, &batch)?;
    let timed = options.repeats(30, 3);
    let times = common::time_it(4, timed, || step(&mut params, &batch).map(drop))?;
    for _ in timed..30 {
        step(&mut params, &batch)?;
    }
    let loss_after_35 = {
        let tape = Tape::new();
        f64::from(loss(&tape, &params, &batch)?.item()?)
    };

    report(
        &options,
        &times,
        loss_step1,
        loss_after_35,
        rss_before_steps,
    );
    let mut checks = Checks::default();
    checks.expect("loss_step1", loss_step1, LOSS_STEP1, TOLERANCE);
    checks.expect("loss_after_35", loss_after_35, LOSS_AFTER_35, TOLERANCE);
    checks.finish()
}

/// Returns `[W0, b0, W1, b1, W2, b2]` from seeds 210 to 231, each `W`
/// `[fan_in, fan_out]`.
fn init() -> BenchResult<Vec<Param<f32>>> {
    let mut params = Vec::new();
    for l in 0..3 {
        let (fan_in, fan_out) = (SIZES[l], SIZES[l + 1]);
        let (w, b) = common::dense(2, l as u64, fan_in, fan_out);
        let w = Tensor::from_vec(common::to_f32(w), [fan_in, fan_out])?;
        let b = Tensor::from_vec(common::to_f32(b), [fan_out])?;
        params.extend([Param::new(w), Param::new(b)]);
    }
    Ok(params)
}

/// Returns the batch `X = urand(201, [128, 784], -1, 1)` with the labels
/// `urand_int(202, [128], 10)`.
fn data() -> BenchResult<Batch> {
    let x = common::to_f32(common::urand(201, BATCH * SIZES[0], -1.0, 1.0));
    let labels = common::urand_int(202, BATCH, SIZES[3]);
    Ok(Batch {
        x: Tensor::from_vec(x, [BATCH, SIZES[0]])?,
        picks: labels
            .iter()
            .enumerate()
            .map(|(k, &y)| k * SIZES[3] + y)
            .collect(),
    })
}

/// Records the parameters and the batch's mean cross-entropy on `tape`.
fn loss<'t>(
    tape: &'t Tape<f32>,
    params: &[Param<f32>],
    batch: &Batch,
) -> BenchResult<Var<'t, f32>> {
    let mut h = tape.constant(batch.x.clone());
    for (l, pair) in params.chunks(2).enumerate() {
        h = h.matmul(tape.param(&pair[0]))?.add(tape.param(&pair[1]))?;
        if l < 2 {
            h = h.relu();
        }
    }

    // mean_k(logsumexp(z_k) - z_k[y_k]) over the logits z: [128, 10].
    let logsumexp = h.logsumexp(1, false)?;
    let picked = h
        .reshape([BATCH * SIZES[3]])?
        .index_select(0, &batch.picks)?;
    Ok(logsumexp.sub(picked)?.mean_all())
}

/// Runs one training step and returns the loss before the update.
fn step(params: &mut [Param<f32>], batch: &Batch) -> BenchResult<f64> {
    let tape = Tape::new();
    let loss = loss(&tape, params, batch)?;
    let value = f64::from(loss.item()?);
    let grads = loss.backward()?;

    // With the tape gone, each parameter owns its buffer again and the
    // update writes it in place instead of copying it.
    drop(tape);
    for param in params.iter_mut() {
        let grad = grads
            .param(param)
            .ok_or("backward: a parameter has no gradient")?;
        for (p, &g) in param.value_mut().data_mut().iter_mut().zip(grad.data()) {
            *p -= LR * g;
        }
    }
    Ok(value)
}

/// Prints the JSON lines.
fn report(
    options: &common::Options,
    times: &Times,
    loss_step1: f64,
    loss_after_35: f64,
    rss_before_steps: f64,
) {
    emit_time(options, "W2", "ms_per_step", times, "ms", 1e3);
    emit_rate(options, "W2", "gflops", FLOPS / 1e9, times, "GFLOP/s");
    emit(options, "W2", "loss_step1", loss_step1, "value", &[]);
    emit(options, "W2", "loss_after_35", loss_after_35, "value", &[]);
    emit(
        options,
        "W2",
        "rss_before_steps",
        rss_before_steps,
        "MiB",
        &[],
    );
    emit(
        options,
        "W2",
        "peak_rss",
        common::peak_rss_mib(),
        "MiB",
        &[],
    );
}
