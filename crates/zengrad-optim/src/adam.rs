//! Adam and AdamW, as `torch.optim.Adam` and `torch.optim.AdamW`.
//!
//! For each parameter `p` with gradient `g`, at its step `t` (from 1):
//!
//! ```text
//! g = -g                                      if maximize
//! g = g + weight_decay * p                    Adam, if weight_decay != 0
//! p = p * (1 - lr * weight_decay)             AdamW
//! m = m + (1 - beta1) * (g - m)
//! v = beta2 * v + (1 - beta2) * g^2
//! v_max = max(v_max, v)                       if amsgrad; then v = v_max below
//! p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//! ```
//!
//! `m`, `v` and `v_max` start at 0. The two optimizers differ only in how
//! they decay the weights: Adam adds the decay to the gradient, where the
//! moments rescale it; AdamW shrinks the parameter directly (decoupled
//! weight decay).

use serde::{Deserialize, Serialize};
use zengrad_core::{Error, Float, Param};

use crate::checkpoint;
use crate::groups::{self, Groups, Options, State, grouped_optimizer};
use crate::{GradSource, LrGroups, Optimizer};

/// The options of [`Adam`], with the defaults of `torch.optim.Adam`.
///
/// # Examples
///
/// ```
/// # use zengrad_optim::AdamOptions;
/// let options = AdamOptions { lr: 0.01, amsgrad: true, ..Default::default() };
/// assert_eq!(options.betas, (0.9, 0.999));
/// assert_eq!(options.eps, 1e-8);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamOptions {
    /// The learning rate; default 1e-3.
    pub lr: f64,
    /// The decay rates of the running averages of the gradient and of its
    /// square; default `(0.9, 0.999)`. Each is in `[0, 1)`.
    pub betas: (f64, f64),
    /// Added to the denominator for numerical stability; default 1e-8.
    pub eps: f64,
    /// The L2 penalty added to the gradient, `weight_decay * p`; default 0.
    pub weight_decay: f64,
    /// Whether to use the AMSGrad variant, which divides by the largest
    /// second moment so far; default `false`.
    pub amsgrad: bool,
    /// Whether to maximize the objective instead of minimizing it; default
    /// `false`.
    pub maximize: bool,
}

impl Default for AdamOptions {
    fn default() -> AdamOptions {
        AdamOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// The options of [`AdamW`], with the defaults of `torch.optim.AdamW`:
/// those of [`AdamOptions`], but a weight decay of 1e-2, applied to the
/// parameter rather than to the gradient.
///
/// # Examples
///
/// ```
/// # use zengrad_optim::AdamWOptions;
/// let options = AdamWOptions::default();
/// assert_eq!((options.lr, options.weight_decay), (1e-3, 1e-2));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamWOptions {
    /// The learning rate; default 1e-3.
    pub lr: f64,
    /// The decay rates of the running averages of the gradient and of its
    /// square; default `(0.9, 0.999)`. Each is in `[0, 1)`.
    pub betas: (f64, f64),
    /// Added to the denominator for numerical stability; default 1e-8.
    pub eps: f64,
    /// The decoupled weight decay: each step multiplies the parameter by
    /// `1 - lr * weight_decay`; default 1e-2.
    pub weight_decay: f64,
    /// Whether to use the AMSGrad variant; default `false`.
    pub amsgrad: bool,
    /// Whether to maximize the objective instead of minimizing it; default
    /// `false`.
    pub maximize: bool,
}

impl Default for AdamWOptions {
    fn default() -> AdamWOptions {
        AdamWOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// Writes the implementation of [`Options`] for one of the two option
/// types, which have the same fields.
macro_rules! adam_options {
    ($options:ident, $op:literal) => {
        impl Options for $options {
            const OP: &'static str = $op;

            fn lr(&self) -> f64 {
                self.lr
            }

            fn set_lr(&mut self, lr: f64) {
                self.lr = lr;
            }

            fn check(&self) -> Result<(), Error> {
                groups::check_nonnegative(Self::OP, "lr >= 0", self.lr)?;
                groups::check_nonnegative(Self::OP, "eps >= 0", self.eps)?;
                check_beta(Self::OP, "betas.0 in [0, 1)", self.betas.0)?;
                check_beta(Self::OP, "betas.1 in [0, 1)", self.betas.1)?;
                groups::check_nonnegative(Self::OP, "weight_decay >= 0", self.weight_decay)
            }
        }
    };
}

adam_options!(AdamOptions, "adam");
adam_options!(AdamWOptions, "adamw");

fn check_beta(op: &'static str, expected: &'static str, beta: f64) -> Result<(), Error> {
    if !(0.0..1.0).contains(&beta) {
        return Err(Error::Argument {
            op,
            expected,
            got: beta,
        });
    }
    Ok(())
}

/// The state of one parameter: its step count and running averages.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound = "F: Float")]
struct AdamState<F> {
    step: u64,
    #[serde(with = "checkpoint::values")]
    exp_avg: Vec<F>,
    #[serde(with = "checkpoint::values")]
    exp_avg_sq: Vec<F>,
    /// Empty unless the group uses AMSGrad.
    #[serde(with = "checkpoint::values")]
    max_exp_avg_sq: Vec<F>,
}

impl<F: Float> State<F> for AdamState<F> {
    fn check(&self, numel: usize) -> Result<(), Error> {
        checkpoint::expect_values(&self.exp_avg, numel)?;
        checkpoint::expect_values(&self.exp_avg_sq, numel)?;
        if !self.max_exp_avg_sq.is_empty() {
            checkpoint::expect_values(&self.max_exp_avg_sq, numel)?;
        }
        Ok(())
    }
}

/// Adam, with its AMSGrad variant: `torch.optim.Adam`.
///
/// # Examples: minimizing `|w - 3|^2`
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{Adam, AdamOptions, Optimizer};
///
/// let mut w = Param::new(Tensor::from([0.0f64, 1.0]));
/// let mut adam = Adam::new(&[&w], AdamOptions { lr: 0.1, ..Default::default() })?;
///
/// // Adam's first step moves each value by lr, whatever the gradient's size.
/// let grads = {
///     let tape = Tape::new();
///     (tape.param(&w) - 3.0).square().sum_all().backward()?
/// };
/// adam.step(&mut [&mut w], &grads)?;
/// assert!(w.value().allclose(&Tensor::from([0.1, 1.1]), 1e-6, 0.0));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct Adam<F: Float = f32> {
    groups: Groups<AdamOptions, AdamState<F>>,
}

/// AdamW, Adam with decoupled weight decay: `torch.optim.AdamW`.
///
/// # Examples: weight decay shrinks a parameter with no gradient signal
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{AdamW, AdamWOptions, Optimizer};
///
/// let mut w = Param::new(Tensor::from([2.0f64]));
/// let options = AdamWOptions { lr: 0.1, weight_decay: 0.5, ..Default::default() };
/// let mut adamw = AdamW::new(&[&w], options)?;
///
/// // The loss is flat in w: only the decay moves it, by 1 - lr * 0.5.
/// let grads = {
///     let tape = Tape::new();
///     (tape.param(&w) * 0.0).sum_all().backward()?
/// };
/// adamw.step(&mut [&mut w], &grads)?;
/// assert_eq!(w.value().to_vec(), [2.0 * 0.95]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct AdamW<F: Float = f32> {
    groups: Groups<AdamWOptions, AdamState<F>>,
}

/// One step of Adam (`decoupled` false) or AdamW (true) on one parameter.
macro_rules! adam_update {
    ($decoupled:literal) => {
        |o, state, p, g| {
            let rule = Rule {
                lr: o.lr,
                betas: o.betas,
                eps: o.eps,
                weight_decay: o.weight_decay,
                amsgrad: o.amsgrad,
                maximize: o.maximize,
                decoupled: $decoupled,
            };
            update(&rule, state, p, g)
        }
    };
}

grouped_optimizer!(
    Adam,
    AdamOptions,
    "Returns [`Error::Argument`] when an option is out of its range (`lr`, \
     `eps` or `weight_decay` below 0 or NaN, a beta outside `[0, 1)`).",
    adam_update!(false)
);
grouped_optimizer!(
    AdamW,
    AdamWOptions,
    "Returns [`Error::Argument`] when an option is out of its range (`lr`, \
     `eps` or `weight_decay` below 0 or NaN, a beta outside `[0, 1)`).",
    adam_update!(true)
);

/// The options of either optimizer, and how it decays the weights.
struct Rule {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
}

/// One step of Adam or AdamW on one parameter, in the order of operations
/// of PyTorch's `_single_tensor_adam`.
fn update<F: Float>(o: &Rule, state: &mut Option<AdamState<F>>, p: &mut [F], g: &[F]) {
    let s = state.get_or_insert_with(|| AdamState {
        step: 0,
        exp_avg: vec![F::zero(); p.len()],
        exp_avg_sq: vec![F::zero(); p.len()],
        max_exp_avg_sq: Vec::new(),
    });
    if o.amsgrad && s.max_exp_avg_sq.len() != p.len() {
        s.max_exp_avg_sq = vec![F::zero(); p.len()];
    }

    // The bias corrections are computed in f64, as PyTorch computes them in
    // Python floats; sqrt here is pow(x, 0.5) there, within an ulp.
    s.step += 1;
    let step = s.step as f64;
    let (beta1, beta2) = o.betas;
    let step_size = o.lr / (1.0 - beta1.powf(step));
    let bias_correction2_sqrt = F::from_f64((1.0 - beta2.powf(step)).sqrt());

    let neg_step_size = F::from_f64(-step_size);
    let weight1 = F::from_f64(1.0 - beta1);
    let (beta2, weight2) = (F::from_f64(beta2), F::from_f64(1.0 - beta2));
    let eps = F::from_f64(o.eps);
    let weight_decay = F::from_f64(o.weight_decay);
    let shrink = F::from_f64(1.0 - o.lr * o.weight_decay);
    let (coupled, decoupled) = match o.weight_decay != 0.0 {
        true => (!o.decoupled, o.decoupled),
        false => (false, false),
    };

    // Updates the moments of one value, and returns it after any decoupled
    // decay.
    let moments = |p: F, g: F, m: &mut F, v: &mut F| {
        let g = if o.maximize { -g } else { g };
        let p = if decoupled { p * shrink } else { p };
        let g = if coupled { g + weight_decay * p } else { g };
        *m = lerp(*m, g, weight1);
        *v = *v * beta2 + weight2 * g * g;
        p
    };

    let values = p.iter_mut().zip(g);
    let averages = s.exp_avg.iter_mut().zip(s.exp_avg_sq.iter_mut());
    if o.amsgrad {
        for (((p, &g), (m, v)), v_max) in values.zip(averages).zip(&mut s.max_exp_avg_sq) {
            let p_decayed = moments(*p, g, m, v);
            *v_max = maximum(*v_max, *v);
            let denom = v_max.sqrt() / bias_correction2_sqrt + eps;
            *p = p_decayed + neg_step_size * *m / denom;
        }
    } else {
        for ((p, &g), (m, v)) in values.zip(averages) {
            let p_decayed = moments(*p, g, m, v);
            let denom = v.sqrt() / bias_correction2_sqrt + eps;
            *p = p_decayed + neg_step_size * *m / denom;
        }
    }
}

/// Returns `start + weight * (end - start)`, computed as PyTorch's `lerp`
/// does: from the nearer end, for accuracy.
pub(crate) fn lerp<F: Float>(start: F, end: F, weight: F) -> F {
    if weight.abs() < F::from_f64(0.5) {
        start + weight * (end - start)
    } else {
        end - (end - start) * (F::one() - weight)
    }
}

/// Returns the larger of `a` and `b`, or NaN when either is NaN, as
/// `torch.maximum` does.
fn maximum<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::nan()
    } else if a > b {
        a
    } else {
        b
    }
}
