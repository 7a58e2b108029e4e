//! RMSprop, as `torch.optim.RMSprop`.
//!
//! For each parameter `p` with gradient `g`:
//!
//! ```text
//! g = -g                                      if maximize
//! g = g + weight_decay * p                    if weight_decay != 0
//! v = alpha * v + (1 - alpha) * g^2
//! if centered:
//!     a = a + (1 - alpha) * (g - a)
//!     d = sqrt(v - a^2) + eps
//! else:
//!     d = sqrt(v) + eps
//! if momentum > 0:
//!     b = momentum * b + g / d
//!     p = p - lr * b
//! else:
//!     p = p - lr * g / d
//! ```
//!
//! `v`, `a` and `b` start at 0.

use serde::{Deserialize, Serialize};
use zengrad_core::{Error, Float, Param};

use crate::adam::lerp;
use crate::checkpoint;
use crate::groups::{self, Groups, Options, State, grouped_optimizer};
use crate::{GradSource, LrGroups, Optimizer};

/// The options of [`RmsProp`], with the defaults of `torch.optim.RMSprop`.
///
/// # Examples
///
/// ```
/// # use zengrad_optim::RmsPropOptions;
/// let options = RmsPropOptions { centered: true, ..Default::default() };
/// assert_eq!((options.lr, options.alpha, options.eps), (1e-2, 0.99, 1e-8));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsPropOptions {
    /// The learning rate; default 1e-2.
    pub lr: f64,
    /// The decay rate of the running average of the squared gradient;
    /// default 0.99.
    pub alpha: f64,
    /// Added to the denominator for numerical stability; default 1e-8.
    pub eps: f64,
    /// The L2 penalty added to the gradient, `weight_decay * p`; default 0.
    pub weight_decay: f64,
    /// The momentum factor; default 0, no momentum.
    pub momentum: f64,
    /// Whether to divide by an estimate of the gradient's variance rather
    /// than of its second moment; default `false`.
    pub centered: bool,
    /// Whether to maximize the objective instead of minimizing it; default
    /// `false`.
    pub maximize: bool,
}

impl Default for RmsPropOptions {
    fn default() -> RmsPropOptions {
        RmsPropOptions {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

impl Options for RmsPropOptions {
    const OP: &'static str = "rmsprop";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn check(&self) -> Result<(), Error> {
        groups::check_nonnegative(Self::OP, "lr >= 0", self.lr)?;
        groups::check_nonnegative(Self::OP, "eps >= 0", self.eps)?;
        groups::check_nonnegative(Self::OP, "momentum >= 0", self.momentum)?;
        groups::check_nonnegative(Self::OP, "weight_decay >= 0", self.weight_decay)?;
        groups::check_nonnegative(Self::OP, "alpha >= 0", self.alpha)
    }
}

/// The state of one parameter. The buffers of options a group does not use
/// stay empty.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound = "F: Float")]
struct RmsPropState<F> {
    step: u64,
    #[serde(with = "checkpoint::values")]
    square_avg: Vec<F>,
    #[serde(with = "checkpoint::values")]
    momentum_buffer: Vec<F>,
    #[serde(with = "checkpoint::values")]
    grad_avg: Vec<F>,
}

impl<F: Float> State<F> for RmsPropState<F> {
    fn check(&self, numel: usize) -> Result<(), Error> {
        checkpoint::expect_values(&self.square_avg, numel)?;
        for buffer in [&self.momentum_buffer, &self.grad_avg] {
            if !buffer.is_empty() {
                checkpoint::expect_values(buffer, numel)?;
            }
        }
        Ok(())
    }
}

/// RMSprop, with momentum and its centered variant: `torch.optim.RMSprop`.
///
/// # Examples: minimizing `|w - 3|^2`
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{Optimizer, RmsProp, RmsPropOptions};
///
/// let mut w = Param::new(Tensor::from([0.0f64]));
/// let mut rmsprop = RmsProp::new(&[&w], RmsPropOptions::default())?;
///
/// // The first step divides the gradient by sqrt(1 - alpha) times its
/// // size (plus eps): it moves by lr / sqrt(0.01) = 0.1, less 2e-9.
/// let grads = {
///     let tape = Tape::new();
///     (tape.param(&w) - 3.0).square().sum_all().backward()?
/// };
/// rmsprop.step(&mut [&mut w], &grads)?;
/// assert!((w.value().item()? - 0.1).abs() < 1e-8);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct RmsProp<F: Float = f32> {
    groups: Groups<RmsPropOptions, RmsPropState<F>>,
}

grouped_optimizer!(
    RmsProp,
    RmsPropOptions,
    "Returns [`Error::Argument`] when an option is out of its range (`lr`, \
     `alpha`, `eps`, `momentum` or `weight_decay` below 0 or NaN).",
    update
);

/// One step of RMSprop on one parameter, in the order of operations of
/// PyTorch's `_single_tensor_rmsprop`.
fn update<F: Float>(o: &RmsPropOptions, state: &mut Option<RmsPropState<F>>, p: &mut [F], g: &[F]) {
    let n = p.len();
    let s = state.get_or_insert_with(|| RmsPropState {
        step: 0,
        square_avg: vec![F::zero(); n],
        momentum_buffer: Vec::new(),
        grad_avg: Vec::new(),
    });
    let with_momentum = o.momentum > 0.0;
    if with_momentum && s.momentum_buffer.len() != n {
        s.momentum_buffer = vec![F::zero(); n];
    }
    if o.centered && s.grad_avg.len() != n {
        s.grad_avg = vec![F::zero(); n];
    }
    s.step += 1;

    let neg_lr = F::from_f64(-o.lr);
    let (alpha, weight) = (F::from_f64(o.alpha), F::from_f64(1.0 - o.alpha));
    let eps = F::from_f64(o.eps);
    let weight_decay = F::from_f64(o.weight_decay);
    let momentum = F::from_f64(o.momentum);
    let decay = o.weight_decay != 0.0;

    // Updates the running averages of one value, and returns its gradient
    // and the denominator of its step.
    let averages = |p: F, g: F, v: &mut F, a: Option<&mut F>| {
        let mut g = if o.maximize { -g } else { g };
        if decay {
            g += weight_decay * p;
        }
        *v = *v * alpha + weight * g * g;
        let avg = match a {
            Some(a) => {
                *a = lerp(*a, g, weight);
                (*v + -F::one() * *a * *a).sqrt() + eps
            }
            None => v.sqrt() + eps,
        };
        (g, avg)
    };

    // One loop per combination of the optional buffers, so that each zips
    // only slices that exist (and vectorizes).
    let values = p.iter_mut().zip(g).zip(s.square_avg.iter_mut());
    match (o.centered, with_momentum) {
        (false, false) => {
            for ((p, &g), v) in values {
                let (g, avg) = averages(*p, g, v, None);
                *p += neg_lr * g / avg;
            }
        }
        (true, false) => {
            for (((p, &g), v), a) in values.zip(&mut s.grad_avg) {
                let (g, avg) = averages(*p, g, v, Some(a));
                *p += neg_lr * g / avg;
            }
        }
        (false, true) => {
            for (((p, &g), v), b) in values.zip(&mut s.momentum_buffer) {
                let (g, avg) = averages(*p, g, v, None);
                *b = *b * momentum + g / avg;
                *p += neg_lr * *b;
            }
        }
        (true, true) => {
            let buffers = s.grad_avg.iter_mut().zip(&mut s.momentum_buffer);
            for (((p, &g), v), (a, b)) in values.zip(buffers) {
                let (g, avg) = averages(*p, g, v, Some(a));
                *b = *b * momentum + g / avg;
                *p += neg_lr * *b;
            }
        }
    }
}
