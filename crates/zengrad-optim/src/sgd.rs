//! Stochastic gradient descent, with momentum, as `torch.optim.SGD`.
//!
//! For each parameter `p` with gradient `g`, at step `t`:
//!
//! ```text
//! g = -g                          if maximize
//! g = g + weight_decay * p        if weight_decay != 0
//! if momentum != 0:
//!     b = g                                        at the first step
//!     b = momentum * b + (1 - dampening) * g       after
//!     g = g + momentum * b        if nesterov, else g = b
//! p = p - lr * g
//! ```

use serde::{Deserialize, Serialize};
use zengrad_core::{Error, Float, Param};

use crate::checkpoint;
use crate::groups::{self, Groups, Options, State, grouped_optimizer};
use crate::{GradSource, LrGroups, Optimizer};

/// The options of [`Sgd`], with the defaults of `torch.optim.SGD`.
///
/// # Examples
///
/// ```
/// # use zengrad_optim::SgdOptions;
/// let options = SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() };
/// assert_eq!(options.dampening, 0.0);
/// assert!(!options.nesterov);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SgdOptions {
    /// The learning rate; default 1e-3.
    pub lr: f64,
    /// The momentum factor; default 0, no momentum.
    pub momentum: f64,
    /// How much of each gradient the momentum buffer leaves out; default 0.
    pub dampening: f64,
    /// The L2 penalty added to the gradient, `weight_decay * p`; default 0.
    pub weight_decay: f64,
    /// Whether to use Nesterov momentum; default `false`. It needs a
    /// momentum above 0 and a dampening of 0.
    pub nesterov: bool,
    /// Whether to maximize the objective instead of minimizing it; default
    /// `false`.
    pub maximize: bool,
}

impl Default for SgdOptions {
    fn default() -> SgdOptions {
        SgdOptions {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

impl Options for SgdOptions {
    const OP: &'static str = "sgd";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn check(&self) -> Result<(), Error> {
        groups::check_nonnegative(Self::OP, "lr >= 0", self.lr)?;
        groups::check_nonnegative(Self::OP, "momentum >= 0", self.momentum)?;
        groups::check_nonnegative(Self::OP, "weight_decay >= 0", self.weight_decay)?;
        if self.nesterov && self.momentum <= 0.0 {
            return Err(Error::Argument {
                op: Self::OP,
                expected: "momentum > 0 with nesterov",
                got: self.momentum,
            });
        }
        if self.nesterov && self.dampening != 0.0 {
            return Err(Error::Argument {
                op: Self::OP,
                expected: "dampening 0 with nesterov",
                got: self.dampening,
            });
        }
        Ok(())
    }
}

/// The state of one parameter: its momentum buffer, made at its first step
/// with a momentum.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound = "F: Float")]
struct SgdState<F> {
    /// Empty until the parameter's first step with a momentum.
    #[serde(with = "checkpoint::values")]
    momentum_buffer: Vec<F>,
}

impl<F: Float> State<F> for SgdState<F> {
    fn check(&self, numel: usize) -> Result<(), Error> {
        if !self.momentum_buffer.is_empty() {
            checkpoint::expect_values(&self.momentum_buffer, numel)?;
        }
        Ok(())
    }
}

/// Stochastic gradient descent with momentum, weight decay and Nesterov
/// momentum: `torch.optim.SGD`.
///
/// # Examples: minimizing `|w - 3|^2`
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{Optimizer, Sgd, SgdOptions};
///
/// let mut w = Param::new(Tensor::from([0.0f64, 1.0]));
/// let mut sgd = Sgd::new(&[&w], SgdOptions { lr: 0.1, ..Default::default() })?;
///
/// for _ in 0..100 {
///     let grads = {
///         let tape = Tape::new();
///         (tape.param(&w) - 3.0).square().sum_all().backward()?
///     };
///     sgd.step(&mut [&mut w], &grads)?;
/// }
/// assert!(w.value().allclose(&Tensor::from([3.0, 3.0]), 1e-9, 0.0));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct Sgd<F: Float = f32> {
    groups: Groups<SgdOptions, SgdState<F>>,
}

grouped_optimizer!(
    Sgd,
    SgdOptions,
    "Returns [`Error::Argument`] when an option is out of its range (`lr`, \
     `momentum` or `weight_decay` below 0 or NaN; `nesterov` without a \
     momentum, or with a dampening).",
    update
);

/// One step of SGD on one parameter, in the order of operations of
/// PyTorch's `_single_tensor_sgd`.
fn update<F: Float>(o: &SgdOptions, state: &mut Option<SgdState<F>>, p: &mut [F], g: &[F]) {
    let neg_lr = F::from_f64(-o.lr);
    let weight_decay = F::from_f64(o.weight_decay);
    let momentum = F::from_f64(o.momentum);
    let keep = F::from_f64(1.0 - o.dampening);
    let (maximize, decay) = (o.maximize, o.weight_decay != 0.0);
    let grad = |g: F, p: F| {
        let g = if maximize { -g } else { g };
        if decay { g + weight_decay * p } else { g }
    };

    let state = state.get_or_insert(SgdState {
        momentum_buffer: Vec::new(),
    });
    if o.momentum == 0.0 {
        for (p, &g) in p.iter_mut().zip(g) {
            *p += neg_lr * grad(g, *p);
        }
        return;
    }

    // The first step with a momentum starts the buffer at the gradient.
    let fresh = state.momentum_buffer.is_empty();
    if fresh {
        state.momentum_buffer = vec![F::zero(); p.len()];
    }
    for ((p, &g), b) in p.iter_mut().zip(g).zip(&mut state.momentum_buffer) {
        let g = grad(g, *p);
        *b = if fresh { g } else { *b * momentum + keep * g };
        let g = if o.nesterov { g + momentum * *b } else { *b };
        *p += neg_lr * g;
    }
}
