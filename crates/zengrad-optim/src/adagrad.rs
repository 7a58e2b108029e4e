//! Adagrad, as `torch.optim.Adagrad`.
//!
//! For each parameter `p` with gradient `g`, at its step `t` (from 1):
//!
//! ```text
//! g = -g                                      if maximize
//! g = g + weight_decay * p                    if weight_decay != 0
//! s = s + g^2
//! p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
//! ```
//!
//! `s` starts at `initial_accumulator_value`.

use serde::{Deserialize, Serialize};
use zengrad_core::{Error, Float, Param};

use crate::checkpoint;
use crate::groups::{self, Groups, Options, State, grouped_optimizer};
use crate::{GradSource, LrGroups, Optimizer};

/// The options of [`Adagrad`], with the defaults of `torch.optim.Adagrad`.
///
/// # Examples
///
/// ```
/// # use zengrad_optim::AdagradOptions;
/// let options = AdagradOptions { lr_decay: 0.01, ..Default::default() };
/// assert_eq!((options.lr, options.eps), (1e-2, 1e-10));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdagradOptions {
    /// The learning rate; default 1e-2.
    pub lr: f64,
    /// How fast the learning rate decays with the step count; default 0.
    pub lr_decay: f64,
    /// The L2 penalty added to the gradient, `weight_decay * p`; default 0.
    pub weight_decay: f64,
    /// The starting value of the sum of squared gradients; default 0.
    pub initial_accumulator_value: f64,
    /// Added to the denominator for numerical stability; default 1e-10.
    pub eps: f64,
    /// Whether to maximize the objective instead of minimizing it; default
    /// `false`.
    pub maximize: bool,
}

impl Default for AdagradOptions {
    fn default() -> AdagradOptions {
        AdagradOptions {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

impl Options for AdagradOptions {
    const OP: &'static str = "adagrad";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn check(&self) -> Result<(), Error> {
        groups::check_nonnegative(Self::OP, "lr >= 0", self.lr)?;
        groups::check_nonnegative(Self::OP, "lr_decay >= 0", self.lr_decay)?;
        groups::check_nonnegative(Self::OP, "weight_decay >= 0", self.weight_decay)?;
        groups::check_nonnegative(
            Self::OP,
            "initial_accumulator_value >= 0",
            self.initial_accumulator_value,
        )?;
        groups::check_nonnegative(Self::OP, "eps >= 0", self.eps)
    }
}

/// The state of one parameter: its step count and sum of squared
/// gradients.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound = "F: Float")]
struct AdagradState<F> {
    step: u64,
    #[serde(with = "checkpoint::values")]
    sum: Vec<F>,
}

impl<F: Float> State<F> for AdagradState<F> {
    fn check(&self, numel: usize) -> Result<(), Error> {
        checkpoint::expect_values(&self.sum, numel)
    }
}

/// Adagrad, which divides each gradient by the root of the sum of its past
/// squares: `torch.optim.Adagrad`.
///
/// # Examples: minimizing `|w - 3|^2`
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{Adagrad, AdagradOptions, Optimizer};
///
/// let mut w = Param::new(Tensor::from([0.0f64]));
/// let mut adagrad = Adagrad::new(&[&w], AdagradOptions { lr: 0.5, ..Default::default() })?;
///
/// // The first step divides the gradient by its own size: it moves by lr.
/// let grads = {
///     let tape = Tape::new();
///     (tape.param(&w) - 3.0).square().sum_all().backward()?
/// };
/// adagrad.step(&mut [&mut w], &grads)?;
/// assert!((w.value().item()? - 0.5).abs() < 1e-9);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct Adagrad<F: Float = f32> {
    groups: Groups<AdagradOptions, AdagradState<F>>,
}

grouped_optimizer!(
    Adagrad,
    AdagradOptions,
    "Returns [`Error::Argument`] when an option is out of its range (`lr`, \
     `lr_decay`, `eps`, `weight_decay` or `initial_accumulator_value` below \
     0 or NaN).",
    update
);

/// One step of Adagrad on one parameter, in the order of operations of
/// PyTorch's `_single_tensor_adagrad`.
fn update<F: Float>(o: &AdagradOptions, state: &mut Option<AdagradState<F>>, p: &mut [F], g: &[F]) {
    let s = state.get_or_insert_with(|| AdagradState {
        step: 0,
        sum: vec![F::from_f64(o.initial_accumulator_value); p.len()],
    });
    s.step += 1;

    // The decayed rate is computed in f64, as PyTorch computes it in Python
    // floats.
    let clr = o.lr / (1.0 + (s.step as f64 - 1.0) * o.lr_decay);
    let neg_clr = F::from_f64(-clr);
    let eps = F::from_f64(o.eps);
    let weight_decay = F::from_f64(o.weight_decay);
    let decay = o.weight_decay != 0.0;

    for ((p, &g), sum) in p.iter_mut().zip(g).zip(&mut s.sum) {
        let g = if o.maximize { -g } else { g };
        let g = if decay { g + weight_decay * *p } else { g };
        *sum += g * g;
        let std = sum.sqrt() + eps;
        *p += neg_clr * g / std;
    }
}
