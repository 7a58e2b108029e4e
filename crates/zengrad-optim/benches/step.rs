//! The time of one optimizer step on 1,000,000 parameters (one `[1000,
//! 1000]` tensor), for each optimizer, in f32 and f64, on one thread.
//!
//! The gradient is computed once and reused: what is timed is the step
//! alone, which reads the gradient and the state and writes the parameter
//! in place. Two warm-up steps make the state; the median of the timed
//! steps is printed, in milliseconds, with the rate in parameters per
//! nanosecond.
//!
//! Usage: `cargo bench -p zengrad-optim --bench step [-- --quick]`. With
//! `--quick`, or in a debug build (`cargo test --benches`), only 3 steps
//! are timed.

use std::hint::black_box;
use std::time::Instant;

use zengrad_core::{Error, Float, Grads, Param, Tape, Tensor, seeded_rng};
use zengrad_optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, AdamWOptions, Optimizer, RmsProp,
    RmsPropOptions, Sgd, SgdOptions,
};

/// The number of parameters.
const SIZE: [usize; 2] = [1000, 1000];

/// The timed steps of a full run.
const STEPS: usize = 50;

/// Returns a parameter of [`SIZE`] and the gradient of `sum(w * c)`, `c`
/// drawn uniformly from `[-1, 1)`.
fn problem<F: Float>() -> Result<(Param<F>, Grads<F>), Error> {
    let rng = &mut seeded_rng(11);
    let w = Param::new(Tensor::uniform(
        SIZE,
        F::from_f64(-1.0),
        F::from_f64(1.0),
        rng,
    )?);
    let c = Tensor::uniform(SIZE, F::from_f64(-1.0), F::from_f64(1.0), rng)?;
    let grads = {
        let tape = Tape::new();
        (tape.param(&w) * tape.constant(c)).sum_all().backward()?
    };
    Ok((w, grads))
}

/// An optimizer to time, with the name it is printed under.
type Named<F> = (&'static str, Box<dyn Optimizer<F>>);

/// Returns the optimizers to time.
fn optimizers<F: Float>(w: &Param<F>) -> Result<Vec<Named<F>>, Error> {
    let momentum = SgdOptions {
        lr: 1e-3,
        momentum: 0.9,
        ..Default::default()
    };
    let centered = RmsPropOptions {
        centered: true,
        momentum: 0.9,
        ..Default::default()
    };
    Ok(vec![
        ("sgd", Box::new(Sgd::new(&[w], SgdOptions::default())?)),
        ("sgd momentum", Box::new(Sgd::new(&[w], momentum)?)),
        ("adam", Box::new(Adam::new(&[w], AdamOptions::default())?)),
        (
            "adamw",
            Box::new(AdamW::new(&[w], AdamWOptions::default())?),
        ),
        (
            "rmsprop",
            Box::new(RmsProp::new(&[w], RmsPropOptions::default())?),
        ),
        (
            "rmsprop centered+mom",
            Box::new(RmsProp::new(&[w], centered)?),
        ),
        (
            "adagrad",
            Box::new(Adagrad::new(&[w], AdagradOptions::default())?),
        ),
    ])
}

/// Times every optimizer in `F` and prints a line for each.
fn bench<F: Float>(steps: usize) -> Result<(), Error> {
    let (mut w, grads) = problem::<F>()?;
    let numel = w.value().numel();

    for (name, mut optimizer) in optimizers(&w)? {
        for _ in 0..2 {
            optimizer.step(&mut [&mut w], &grads)?;
        }

        let mut times = Vec::with_capacity(steps);
        for _ in 0..steps {
            let start = Instant::now();
            optimizer.step(&mut [&mut w], black_box(&grads))?;
            times.push(start.elapsed().as_secs_f64());
        }
        black_box(w.value().data()[0]);

        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let rate = numel as f64 / (median * 1e9);
        println!(
            "{name:<22} {}  {:8.3} ms/step  {rate:6.2} params/ns",
            F::NAME,
            median * 1e3
        );
    }
    Ok(())
}

fn main() -> Result<(), Error> {
    let quick = std::env::args().any(|arg| arg == "--quick") || cfg!(debug_assertions);
    let steps = if quick { 3 } else { STEPS };

    println!(
        "one step on {} parameters, median of {steps} steps",
        SIZE[0] * SIZE[1]
    );
    bench::<f32>(steps)?;
    bench::<f64>(steps)
}
