//! XOR, the function a single neuron cannot learn, learned by a network of
//! 2 inputs, 4 tanh hidden units and one sigmoid output.
//!
//! Full-batch gradient descent (`Sgd`, plain) on binary cross-entropy over
//! the four points, from initial values drawn with a fixed seed, until the
//! loss falls below 0.01. Every run prints the same numbers.
//!
//! Run it with `cargo run --release --example xor`.

use zengrad::optim::{Optimizer, Sgd, SgdOptions};
use zengrad::{Error, Param, Tape, Tensor, seeded_rng};

type Var<'t> = zengrad::Var<'t, f32>;

/// The step size of gradient descent.
const LR: f64 = 0.5;

/// Training stops once the loss is below this.
pub const TARGET_LOSS: f32 = 0.01;

/// Training gives up after this many epochs.
const MAX_EPOCHS: usize = 10_000;

/// The seed of the initial values.
const SEED: u64 = 7;

/// The outcome of a training run.
pub struct Run {
    /// The loss of each epoch's forward pass, before its update.
    pub losses: Vec<f32>,
    /// The prediction for each of the four points, from the last forward
    /// pass (the one whose loss is the final loss).
    pub predictions: Vec<f32>,
}

impl Run {
    /// Returns the loss of the last epoch.
    pub fn final_loss(&self) -> f32 {
        *self
            .losses
            .last()
            .expect("training runs at least one epoch")
    }
}

/// The weights and biases of the 2-4-1 network, stored `[fan_in, fan_out]`.
struct Network {
    w1: Param,
    b1: Param,
    w2: Param,
    b2: Param,
}

impl Network {
    /// Draws every weight and bias uniformly from `[-1, 1)`.
    fn init(seed: u64) -> Result<Network, Error> {
        let rng = &mut seeded_rng(seed);
        Ok(Network {
            w1: Param::new(Tensor::uniform([2, 4], -1.0, 1.0, rng)?),
            b1: Param::new(Tensor::uniform([4], -1.0, 1.0, rng)?),
            w2: Param::new(Tensor::uniform([4, 1], -1.0, 1.0, rng)?),
            b2: Param::new(Tensor::uniform([1], -1.0, 1.0, rng)?),
        })
    }

    /// Computes `p = sigmoid(tanh(x W1 + b1) W2 + b2)`, recording the
    /// parameters on `tape`: `x` is `[rows, 2]`, `p` is `[rows, 1]`.
    fn forward<'t>(&self, tape: &'t Tape, x: &Tensor) -> Result<Var<'t>, Error> {
        let x = tape.constant(x.clone());
        let hidden = (x.matmul(tape.param(&self.w1))? + tape.param(&self.b1)).tanh();
        Ok((hidden.matmul(tape.param(&self.w2))? + tape.param(&self.b2)).sigmoid())
    }

    /// Returns the parameters, for an optimizer to hold.
    fn params(&self) -> [&Param; 4] {
        [&self.w1, &self.b1, &self.w2, &self.b2]
    }

    /// Returns the parameters, for an optimizer to update.
    fn params_mut(&mut self) -> [&mut Param; 4] {
        [&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2]
    }
}

/// Trains the network until the loss is below [`TARGET_LOSS`], or for at
/// most [`MAX_EPOCHS`] epochs.
///
/// # Errors
///
/// Returns an error only if a shape is wrong, which would be a bug here.
pub fn train() -> Result<Run, Error> {
    let x = Tensor::from([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]);
    let y = Tensor::from([[0.0], [1.0], [1.0], [0.0]]);
    let mut net = Network::init(SEED)?;
    // Plain SGD: `W := W - lr * dC/dW` for every parameter.
    let mut sgd = Sgd::new(
        &net.params(),
        SgdOptions {
            lr: LR,
            ..Default::default()
        },
    )?;
    let mut losses = Vec::new();
    let mut predictions = Vec::new();

    for _ in 0..MAX_EPOCHS {
        let tape = Tape::new();
        let p = net.forward(&tape, &x)?;

        // Binary cross-entropy: -mean(y log p + (1-y) log(1-p)).
        let y = tape.constant(y.clone());
        let loss = -(y * p.log() + (1.0 - y) * (1.0 - p).log()).mean_all();
        losses.push(loss.item()?);
        predictions = p.value().to_vec();
        if loss.item()? < TARGET_LOSS {
            break;
        }

        let grads = loss.backward()?;
        // Without the tape, the step writes into the parameters in place.
        drop(tape);
        sgd.step(&mut net.params_mut(), &grads)?;
    }

    Ok(Run {
        losses,
        predictions,
    })
}

fn main() -> Result<(), Error> {
    let run = train()?;

    // Epochs count from 1; show the first and every hundredth.
    for (epoch, loss) in (1..).zip(&run.losses) {
        if epoch == 1 || epoch % 100 == 0 {
            println!("epoch {epoch:4}: loss {loss:.6}");
        }
    }
    println!(
        "reached loss {:.6} after {} epochs",
        run.final_loss(),
        run.losses.len()
    );

    println!();
    let points = [[0, 0], [0, 1], [1, 0], [1, 1]];
    for (point, p) in points.iter().zip(&run.predictions) {
        let xor = point[0] ^ point[1];
        println!("{} xor {} = {xor}: p = {p:.4}", point[0], point[1]);
    }

    println!();
    println!("final loss: {:.6}", run.final_loss());
    Ok(())
}
