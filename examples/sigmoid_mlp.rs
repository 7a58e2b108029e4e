//! The classic textbook network: 2 inputs, 3 sigmoid hidden units and one
//! sigmoid output, trained by full-batch gradient descent (`Sgd`, plain) on
//! binary cross-entropy.
//!
//! The data set has six rows, and its labels contradict each other pair by
//! pair: each of `[1, 0]`, `[0, 1]` and `[1, 1]` appears twice, labelled 0
//! once and 1 once. No network can do better than predict 0.5 for every
//! row, where the loss is `ln 2 = 0.6931`; training walks towards that
//! point, and after 1000 epochs the loss is 0.693160.
//!
//! The initial values are those of the W6 benchmark (SplitMix64 streams,
//! defined in `shared/bench/py-peers/README.md`), so the final loss is the
//! benchmark's check value, 0.693160.
//!
//! Run it with `cargo run --release --example sigmoid_mlp`.

use zengrad::optim::{Optimizer, Sgd, SgdOptions};
use zengrad::{Error, Param, Tape, Tensor};

type Var<'t> = zengrad::Var<'t, f64>;

/// The step size of gradient descent.
const LR: f64 = 0.1;

/// How many passes over the six rows.
const EPOCHS: usize = 1000;

/// The outcome of a training run.
pub struct Run {
    /// The loss of each epoch's forward pass, before its update.
    pub losses: Vec<f64>,
    /// The network's prediction for each row, after the last update.
    pub predictions: Vec<f64>,
}

impl Run {
    /// Returns the loss of the last epoch.
    pub fn final_loss(&self) -> f64 {
        *self
            .losses
            .last()
            .expect("training runs at least one epoch")
    }
}

/// The weights and biases of the 2-3-1 network, stored `[fan_in, fan_out]`.
struct Network {
    w1: Param<f64>,
    b1: Param<f64>,
    w2: Param<f64>,
    b2: Param<f64>,
}

impl Network {
    /// Draws the W6 benchmark's initial values: `U(-k, k)` with
    /// `k = 1 / sqrt(fan_in)`, from SplitMix64 streams 610, 611, 620, 621.
    fn w6_init() -> Result<Network, Error> {
        let (k1, k2) = (1.0 / 2f64.sqrt(), 1.0 / 3f64.sqrt());
        Ok(Network {
            w1: Param::new(urand(610, [2, 3], -k1, k1)?),
            b1: Param::new(urand(611, [3], -k1, k1)?),
            w2: Param::new(urand(620, [3, 1], -k2, k2)?),
            b2: Param::new(urand(621, [1], -k2, k2)?),
        })
    }

    /// Computes `p = sigmoid(sigmoid(x W1 + b1) W2 + b2)`, recording the
    /// parameters on `tape`: `x` is `[rows, 2]`, `p` is `[rows, 1]`.
    fn forward<'t>(&self, tape: &'t Tape<f64>, x: &Tensor<f64>) -> Result<Var<'t>, Error> {
        let x = tape.constant(x.clone());
        let hidden = (x.matmul(tape.param(&self.w1))? + tape.param(&self.b1)).sigmoid();
        Ok((hidden.matmul(tape.param(&self.w2))? + tape.param(&self.b2)).sigmoid())
    }

    /// Returns the parameters, for an optimizer to hold.
    fn params(&self) -> [&Param<f64>; 4] {
        [&self.w1, &self.b1, &self.w2, &self.b2]
    }

    /// Returns the parameters, for an optimizer to update.
    fn params_mut(&mut self) -> [&mut Param<f64>; 4] {
        [&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2]
    }
}

/// Trains the network for [`EPOCHS`] epochs from the W6 initial values.
///
/// # Errors
///
/// Returns an error only if a shape is wrong, which would be a bug here.
pub fn train() -> Result<Run, Error> {
    let x = Tensor::from([
        [1.0, 0.0],
        [0.0, 1.0],
        [1.0, 1.0],
        [1.0, 0.0],
        [0.0, 1.0],
        [1.0, 1.0],
    ]);
    let y = Tensor::from([[0.0], [0.0], [1.0], [1.0], [1.0], [0.0]]);
    let mut net = Network::w6_init()?;
    // Plain SGD: `W := W - lr * dC/dW` for every parameter.
    let mut sgd = Sgd::new(
        &net.params(),
        SgdOptions {
            lr: LR,
            ..Default::default()
        },
    )?;
    let mut losses = Vec::with_capacity(EPOCHS);

    for _ in 0..EPOCHS {
        // A fresh tape each epoch: it records this forward pass only.
        let tape = Tape::new();
        let p = net.forward(&tape, &x)?;

        // Binary cross-entropy, written out: -mean(y log p + (1-y) log(1-p)).
        let y = tape.constant(y.clone());
        let loss = -(y * p.log() + (1.0 - y) * (1.0 - p).log()).mean_all();
        losses.push(loss.item()?);

        // The tape gives every gradient; none is written by hand. Without
        // the tape, the step writes into the parameters in place.
        let grads = loss.backward()?;
        drop(tape);
        sgd.step(&mut net.params_mut(), &grads)?;
    }

    let tape = Tape::new();
    let predictions = net.forward(&tape, &x)?.value().to_vec();
    Ok(Run {
        losses,
        predictions,
    })
}

/// Returns a tensor of `shape` filled from the SplitMix64 stream `seed`,
/// scaled to `[lo, hi)`, as the benchmarks' `urand` does.
pub fn urand<const N: usize>(
    seed: u64,
    shape: [usize; N],
    lo: f64,
    hi: f64,
) -> Result<Tensor<f64>, Error> {
    let count = shape.iter().product::<usize>() as u64;
    let data = (1..=count)
        .map(|i| lo + (hi - lo) * unit(splitmix64(seed, i)))
        .collect();
    Tensor::from_vec(data, shape)
}

/// Returns output `i` (from 1) of SplitMix64 seeded with `seed`.
pub fn splitmix64(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Maps 64 random bits to a float in `[0, 1)` with 53 bits of precision.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * 2f64.powi(-53)
}

fn main() -> Result<(), Error> {
    let run = train()?;

    // Epochs count from 1; show the first and every hundredth.
    for (epoch, loss) in (1..).zip(&run.losses) {
        if epoch == 1 || epoch % 100 == 0 {
            println!("epoch {epoch:4}: loss {loss:.6}");
        }
    }

    let inputs = ["[1, 0]", "[0, 1]", "[1, 1]", "[1, 0]", "[0, 1]", "[1, 1]"];
    let labels = [0, 0, 1, 1, 1, 0];
    println!();
    for ((input, label), p) in inputs.iter().zip(labels).zip(&run.predictions) {
        println!("{input} label {label}: p = {p:.4}");
    }

    println!();
    println!("Each input appears twice, once labelled 0 and once 1, so the");
    println!(
        "best any network can do is p = 0.5 everywhere, a loss of ln 2 = {:.6}.",
        std::f64::consts::LN_2
    );
    println!("final loss: {:.6}", run.final_loss());
    Ok(())
}
