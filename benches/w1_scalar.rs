//! W1, the scalar graph (f64, 1 thread): a 2-16-16-1 tanh MLP applied to
//! 100 points one scalar at a time, so that the loss is 64,299 op nodes;
//! one measurement is the forward (recording) plus the backward.
//!
//! Every parameter is a `Param` of shape `[]`, as a model keeps its weights
//! between steps, recorded on each measurement's new tape with
//! `Tape::param`; inputs and targets are constants of shape `[]`. The spec
//! times "forward + backward, accumulating into the parameter gradients";
//! here:
//!
//! - untimed: the new `Tape` and the 300 input and target constants (the
//!   spec leaves wrapping inputs and targets outside the timing);
//! - `fwd`: recording the 337 parameters and every op, to the loss;
//! - `bwd`: `backward`, then dropping the gradients and the tape (the peers
//!   free the graph and the gradients inside the timed backward too).
//!
//! One warm-up call, which also computes the check values, then 15 timed
//! calls, 3 with `--quick`. The spec's W1 is single-threaded.
//!
//! Usage: `cargo bench --bench w1_scalar [-- --quick]`.

mod common;

use std::process::ExitCode;

use common::{BenchResult, Checks, Clock, Options, Times, emit, emit_time};
use zengrad::ops::Op;
use zengrad::{Param, Tape, Var};

/// The widths of the layers, input to output.
const SIZES: [usize; 4] = [2, 16, 16, 1];

/// The spec's op-node count: 642 per point, plus 99 adds of the loss.
const NODES: usize = 100 * 642 + 99;

/// The spec's check values.
const LOSS: f64 = 35.840_285_246_2;
const SUM_GRAD: f64 = -32.545_996_234_8;

/// The check values are printed with 10 decimals: allow for the rounding.
const TOLERANCE: f64 = 1e-9;

/// One dense layer: `w[i * fan_out + j]` joins input `i` to output `j`.
struct Layer {
    w: Vec<Param<f64>>,
    b: Vec<Param<f64>>,
    fan_out: usize,
}

/// One measurement's figures; `check` (loss, sum of the 337 gradients,
/// op nodes) only when asked for, computed inside the timed backward.
struct Measurement {
    fwd: (f64, f64),
    bwd: (f64, f64),
    check: Option<(f64, f64, usize)>,
}

fn main() -> ExitCode {
    common::exit_code("w1_scalar", run())
}

fn run() -> BenchResult {
    let options = common::setup()?;
    let layers = init();
    let (xs, ys) = data();

    // One warm-up call, which also computes the check values.
    let Some((loss, sum_grad, nodes)) = measure(&layers, &xs, &ys, true)?.check else {
        return Err("internal error: the warm-up call computed no check".into());
    };
    let (mut fwd, mut bwd, mut total) = (Times::default(), Times::default(), Times::default());
    for _ in 0..options.repeats(15, 3) {
        let m = measure(&layers, &xs, &ys, false)?;
        fwd.add(m.fwd);
        bwd.add(m.bwd);
        total.add((m.fwd.0 + m.bwd.0, m.fwd.1 + m.bwd.1));
    }

    report(&options, &fwd, &bwd, &total, loss, sum_grad, nodes);
    let mut checks = Checks::default();
    checks.expect("loss", loss, LOSS, TOLERANCE);
    checks.expect("check_sum_grad", sum_grad, SUM_GRAD, TOLERANCE);
    if nodes != NODES {
        checks.fail(format!("nodes: expected {NODES} op nodes, got {nodes}"));
    }
    checks.finish()
}

/// Builds the three layers from seeds 110 to 131.
fn init() -> Vec<Layer> {
    (0..3)
        .map(|l| {
            let (w, b) = common::dense(1, l as u64, SIZES[l], SIZES[l + 1]);
            let scalars = |v: Vec<f64>| v.into_iter().map(|x| Param::new(x.into())).collect();
            Layer {
                w: scalars(w),
                b: scalars(b),
                fan_out: SIZES[l + 1],
            }
        })
        .collect()
}

/// Returns the 100 points `urand(101, [100, 2], -1, 1)` and the targets
/// `urand(102, [100], -1, 1)`.
fn data() -> (Vec<[f64; 2]>, Vec<f64>) {
    let x = common::urand(101, 200, -1.0, 1.0);
    let points = x.chunks(2).map(|p| [p[0], p[1]]).collect();
    (points, common::urand(102, 100, -1.0, 1.0))
}

/// Runs one forward and backward on a new tape.
fn measure(layers: &[Layer], xs: &[[f64; 2]], ys: &[f64], check: bool) -> BenchResult<Measurement> {
    let tape = Tape::<f64>::new();
    let inputs: Vec<[Var<'_, f64>; 2]> = xs
        .iter()
        .map(|x| [tape.constant(x[0]), tape.constant(x[1])])
        .collect();
    let targets: Vec<Var<'_, f64>> = ys.iter().map(|&y| tape.constant(y)).collect();

    let mut clock = Clock::start();
    let loss = forward(&tape, layers, &inputs, &targets)?;
    let fwd = clock.lap();

    let grads = loss.backward()?;
    let check = if check {
        let params = layers.iter().flat_map(|l| l.w.iter().chain(&l.b));
        let mut sum_grad = 0.0;
        for param in params {
            let grad = grads
                .param(param)
                .ok_or("backward: a parameter has no gradient")?;
            sum_grad += grad.item()?;
        }
        let nodes = tape
            .nodes()
            .iter()
            .filter(|n| !matches!(n.op(), Op::Leaf))
            .count();
        Some((loss.item()?, sum_grad, nodes))
    } else {
        None
    };
    drop(grads);
    drop(tape);
    let bwd = clock.lap();

    Ok(Measurement { fwd, bwd, check })
}

/// Records the parameters, then the loss `sum_k (mlp(x_k) - y_k)^2` one
/// scalar op at a time, in the spec's order.
fn forward<'t>(
    tape: &'t Tape<f64>,
    layers: &[Layer],
    inputs: &[[Var<'t, f64>; 2]],
    targets: &[Var<'t, f64>],
) -> BenchResult<Var<'t, f64>> {
    let record = |params: &[Param<f64>]| -> Vec<Var<'t, f64>> {
        params.iter().map(|p| tape.param(p)).collect()
    };
    let params: Vec<_> = layers
        .iter()
        .map(|l| (record(&l.w), record(&l.b)))
        .collect();

    let mut loss: Option<Var<'t, f64>> = None;
    for (x, &y) in inputs.iter().zip(targets) {
        let mut h = x.to_vec();
        for (l, (w, b)) in params.iter().enumerate() {
            let fan_out = layers[l].fan_out;
            let hidden = l + 1 < layers.len();
            let mut next = Vec::with_capacity(fan_out);
            for j in 0..fan_out {
                // act = b[j] + W[0][j] h[0] + W[1][j] h[1] + ..., in order.
                let mut act = b[j];
                for (i, &h_i) in h.iter().enumerate() {
                    act = act.add(w[i * fan_out + j].mul(h_i)?)?;
                }
                next.push(if hidden { act.tanh() } else { act });
            }
            h = next;
        }

        let square = h[0].sub(y)?.square();
        loss = Some(match loss {
            None => square,
            Some(sum) => sum.add(square)?,
        });
    }
    Ok(loss.ok_or("forward: expected at least one point, got none")?)
}

/// Prints the JSON lines.
fn report(
    options: &Options,
    fwd: &Times,
    bwd: &Times,
    total: &Times,
    loss: f64,
    sum_grad: f64,
    nodes: usize,
) {
    let counted = [("counted", "true".to_string())];
    emit(options, "W1", "nodes", nodes as f64, "nodes", &counted);
    emit_time(
        options,
        "W1",
        "ns_per_node",
        total,
        "ns",
        1e9 / NODES as f64,
    );
    emit_time(options, "W1", "fwd_bwd_ms", total, "ms", 1e3);
    emit_time(options, "W1", "fwd_ms", fwd, "ms", 1e3);
    emit_time(options, "W1", "bwd_ms", bwd, "ms", 1e3);
    emit(options, "W1", "loss", loss, "value", &[]);
    emit(options, "W1", "check_sum_grad", sum_grad, "value", &[]);
}
