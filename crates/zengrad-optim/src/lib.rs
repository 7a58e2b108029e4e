//! Optimizers, learning-rate schedules and gradient clipping for zengrad,
//! with the update rules, options and defaults of `torch.optim`, so that a
//! training run moved from PyTorch takes the same steps.
//!
//! - [`Optimizer`]: `step` updates [`Param`](zengrad_core::Param)s in
//!   place from the gradients that `backward` returned. The optimizers are
//!   [`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`] and [`Adagrad`], over `f32`
//!   and `f64`, each with an options struct whose `Default` is PyTorch's.
//! - Parameter groups: `add_group` gives some parameters their own
//!   options, such as biases without weight decay.
//! - [`LrScheduler`]: [`StepLr`], [`MultiStepLr`], [`ExponentialLr`],
//!   [`CosineAnnealingLr`] and [`WarmupCosine`] set the learning rates of
//!   any optimizer's groups ([`LrGroups`]), epoch after epoch.
//! - [`clip_grad_norm`] and [`clip_grad_value`] clip gradients copied into
//!   [`ParamGrads`], which a step reads as it reads `Grads`.
//! - [`Optimizer::save`] and [`Optimizer::load`] write and read the state,
//!   so that an interrupted run resumes bit for bit.
//!
//! After a parameter's first step, a step allocates nothing.
//!
//! # Example: a line fitted by Adam
//!
//! ```
//! use zengrad_core::{Error, Param, Tape, Tensor};
//! use zengrad_optim::{Adam, AdamOptions, LrScheduler, Optimizer, StepLr};
//!
//! let x = Tensor::from([[0.0f64], [1.0], [2.0], [3.0]]);
//! let y = Tensor::from([[1.0f64], [3.0], [5.0], [7.0]]); // y = 2x + 1
//! let mut w = Param::new(Tensor::zeros([1, 1]));
//! let mut b = Param::new(Tensor::zeros([1]));
//!
//! let mut adam = Adam::new(&[&w, &b], AdamOptions { lr: 0.1, ..Default::default() })?;
//! let mut schedule = StepLr::new(&mut adam, 200, 0.1)?;
//! for _ in 0..600 {
//!     let grads = {
//!         let tape = Tape::new();
//!         let pred = tape.constant(x.clone()).matmul(tape.param(&w))? + tape.param(&b);
//!         let loss = (pred - tape.constant(y.clone())).square().mean_all();
//!         loss.backward()?
//!     };
//!     adam.step(&mut [&mut w, &mut b], &grads)?;
//!     schedule.step(&mut adam)?;
//! }
//! assert!((w.value().item()? - 2.0).abs() < 1e-3);
//! assert!((b.value().item()? - 1.0).abs() < 1e-3);
//! # Ok::<(), Error>(())
//! ```
#![deny(missing_docs)]

mod adagrad;
mod adam;
mod checkpoint;
mod clip;
mod groups;
mod optimizer;
mod rmsprop;
mod schedule;
mod sgd;

pub use zengrad_core as core;

pub use adagrad::{Adagrad, AdagradOptions};
pub use adam::{Adam, AdamOptions, AdamW, AdamWOptions};
pub use clip::{ParamGrads, clip_grad_norm, clip_grad_value};
pub use optimizer::{GradSource, LrGroups, Optimizer};
pub use rmsprop::{RmsProp, RmsPropOptions};
pub use schedule::{
    CosineAnnealingLr, ExponentialLr, LrScheduler, MultiStepLr, StepLr, WarmupCosine,
};
pub use sgd::{Sgd, SgdOptions};

/// The guide `docs/optim.md`, whose Rust blocks run as doctests, so that
/// it cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/optim.md")]
struct Guide;
