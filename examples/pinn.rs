//! A physics-informed network: a 1-16-16-1 tanh MLP learns the solution of
//! `u'' = -u` on `[0, π]` with `u(0) = 0` and `u'(0) = 1`, which is
//! `sin x`, from the equation alone: no value of `sin` is ever shown to it.
//!
//! The loss needs the network's second derivative with respect to its
//! input. With the collocation points as one `[N, 1]` var `x`, `Var::grad`
//! records the derivatives on the tape:
//!
//! - `u_x = grad(sum(u), x)`: each output depends on its own row only, so
//!   the gradient of the sum is the derivative at each point;
//! - `u_xx = grad(sum(u_x), x)`, the same again.
//!
//! The loss is `mean((u_xx + u)^2) + u(0)^2 + (u'(0) - 1)^2`, and its
//! backward walks through both recorded derivatives to the weights: a
//! third-order reverse pass. Training is full-batch Adam (`zengrad::optim`,
//! with PyTorch's defaults but the learning rate) from a seeded
//! initialization; the result is compared with `sin x` on a grid.
//!
//! Run it with `cargo run --release --example pinn`.

use zengrad::optim::{Adam, AdamOptions, Optimizer};
use zengrad::{Error, Param, Tape, Tensor, seeded_rng};

type Var<'t> = zengrad::Var<'t, f64>;

/// The widths of the layers, input to output.
const SIZES: [usize; 4] = [1, 16, 16, 1];

/// The number of collocation points, evenly spaced on `[0, π]` from 0.
const POINTS: usize = 32;

/// The number of full-batch Adam steps.
pub const EPOCHS: usize = 3000;

/// Adam's step size.
const LR: f64 = 0.01;

/// The seed of the initial weights.
const SEED: u64 = 1;

/// The number of grid points on `[0, π]` where the result is compared with
/// `sin x`.
const GRID: usize = 201;

/// The outcome of a training run.
pub struct Run {
    /// The loss of each epoch, before its update.
    pub losses: Vec<f64>,
    /// The grid on `[0, π]`, the network's `u` there and `sin x`.
    pub grid: Vec<(f64, f64, f64)>,
    /// The largest `|u(x) - sin x|` over the grid.
    pub max_error: f64,
}

/// The MLP: `u = tanh(tanh(x W1 + b1) W2 + b2) W3 + b3`, weights stored
/// `[fan_in, fan_out]`.
struct Network {
    params: Vec<Param<f64>>,
}

impl Network {
    /// Draws each weight uniformly from `±sqrt(6 / (fan_in + fan_out))`
    /// (Glorot's scale, suited to tanh), biases zero.
    fn init(seed: u64) -> Result<Network, Error> {
        let rng = &mut seeded_rng(seed);
        let mut params = Vec::new();
        for pair in SIZES.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            params.push(Param::new(Tensor::uniform(
                [fan_in, fan_out],
                -bound,
                bound,
                rng,
            )?));
            params.push(Param::new(Tensor::zeros([fan_out])));
        }
        Ok(Network { params })
    }

    /// Computes `u` for `x` of shape `[N, 1]`, recording the parameters on
    /// `x`'s tape; `u` is `[N, 1]`.
    fn forward<'t>(&self, x: Var<'t>) -> Result<Var<'t>, Error> {
        let tape = x.tape();
        let layers = self.params.len() / 2;
        let mut h = x;
        for (l, pair) in self.params.chunks(2).enumerate() {
            h = h.matmul(tape.param(&pair[0]))? + tape.param(&pair[1]);
            if l + 1 < layers {
                h = h.tanh();
            }
        }
        Ok(h)
    }
}

/// Computes the physics-informed loss at the collocation points `x`
/// (`[N, 1]`, with `x[0] = 0`): the squared residual of `u'' + u = 0`,
/// averaged, plus the squared errors of `u(0) = 0` and `u'(0) = 1`.
fn loss<'t>(net: &Network, x: Var<'t>) -> Result<Var<'t>, Error> {
    let u = net.forward(x)?;
    let u_x = u.sum_all().grad(&[x])?[0];
    let u_xx = u_x.sum_all().grad(&[x])?[0];

    let residual = (u_xx + u).square().mean_all();
    let at_zero = u.slice(0, 0..1)?.square().sum_all();
    let slope_at_zero = (u_x.slice(0, 0..1)? - 1.0).square().sum_all();
    Ok(residual + at_zero + slope_at_zero)
}

/// Trains the network for [`EPOCHS`] Adam steps and compares it with
/// `sin x` on a grid.
///
/// # Errors
///
/// Returns an error only if a shape is wrong, which would be a bug here.
pub fn train() -> Result<Run, Error> {
    let mut net = Network::init(SEED)?;
    let options = AdamOptions {
        lr: LR,
        ..AdamOptions::default()
    };
    let mut adam = Adam::new(&net.params.iter().collect::<Vec<_>>(), options)?;
    let points = Tensor::linspace(0.0, std::f64::consts::PI, POINTS).reshape([POINTS, 1])?;
    let mut losses = Vec::with_capacity(EPOCHS);

    for _ in 0..EPOCHS {
        let grads = {
            let tape = Tape::new();
            let loss = loss(&net, tape.var(points.clone()))?;
            losses.push(loss.item()?);
            loss.backward()?
        };
        adam.step(&mut net.params.iter_mut().collect::<Vec<_>>(), &grads)?;
    }

    // The comparison needs only u: a forward pass on constants.
    let grid = Tensor::linspace(0.0, std::f64::consts::PI, GRID);
    let u = {
        let tape = Tape::new();
        net.forward(tape.constant(grid.reshape([GRID, 1])?))?
            .value()
    };
    let grid: Vec<(f64, f64, f64)> = grid
        .data()
        .iter()
        .zip(u.data())
        .map(|(&x, &u)| (x, u, x.sin()))
        .collect();
    let max_error = grid
        .iter()
        .fold(0.0f64, |m, &(_, u, sin)| m.max((u - sin).abs()));

    Ok(Run {
        losses,
        grid,
        max_error,
    })
}

fn main() -> Result<(), Error> {
    let run = train()?;

    // Epochs count from 1; show the first and every 500th.
    for (epoch, loss) in (1..).zip(&run.losses) {
        if epoch == 1 || epoch % 500 == 0 {
            println!("epoch {epoch:5}: loss {loss:.3e}");
        }
    }

    println!();
    println!("     x        u(x)      sin x");
    for &(x, u, sin) in run.grid.iter().step_by(GRID / 8) {
        println!("{x:6.3}  {u:10.6}  {sin:9.6}");
    }
    println!("max error: {:.6}", run.max_error);
    Ok(())
}
