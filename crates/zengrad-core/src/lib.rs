//! Tensors, a tape, and reverse-mode automatic differentiation, with
//! gradients of gradients.
//!
//! - [`Tensor`]: an n-dimensional array of `f32` or `f64` values, with
//!   eager operations that follow NumPy's broadcasting.
//! - [`Tape`] and [`Var`]: every operation on a var computes its value and
//!   records a node on the tape.
//! - [`Var::backward`] walks the tape in reverse and returns [`Grads`], the
//!   gradients of a scalar loss with respect to every input it depends on.
//! - [`Param`]: a value that outlives tapes (a model's weight), recorded on
//!   each step's tape with [`Tape::param`].
//! - [`Var::grad`] returns gradients as vars on the tape, which can be
//!   differentiated again.
//!
//! Each operation's derivative (its backward rule) is written once, beside
//! the operation, over the [`ops::Ops`] trait that both tensors and vars
//! implement: on tensors the rule computes a plain gradient and records
//! nothing; on vars it records the gradient, which makes higher-order
//! derivatives come for free.
//!
//! # Example: fitting a line by gradient descent
//!
//! ```
//! use zengrad_core::{Error, Param, Tape, Tensor};
//!
//! let x = Tensor::from([[0.0f64], [1.0], [2.0], [3.0]]);
//! let y = Tensor::from([[1.0f64], [3.0], [5.0], [7.0]]); // y = 2x + 1
//! let mut w = Param::new(Tensor::zeros([1, 1]));
//! let mut b = Param::new(Tensor::zeros([1]));
//!
//! for _ in 0..500 {
//!     let tape = Tape::new();
//!     let pred = tape.constant(x.clone()).matmul(tape.param(&w))? + tape.param(&b);
//!     let loss = (pred - tape.constant(y.clone())).square().mean_all();
//!     let grads = loss.backward()?;
//!     drop(tape);
//!
//!     for p in [&mut w, &mut b] {
//!         let step = grads.param(p).unwrap().mul_scalar(0.1);
//!         let value = p.value().sub(&step)?;
//!         p.set(value);
//!     }
//! }
//! assert!((w.value().item()? - 2.0).abs() < 1e-3);
//! assert!((b.value().item()? - 1.0).abs() < 1e-3);
//! # Ok::<(), Error>(())
//! ```
#![deny(missing_docs)]

mod backward;
mod buffer;
pub mod check;
mod error;
mod float;
mod fmt;
pub mod functional;
mod grads;
mod kernels;
mod operators;
pub mod ops;
mod param;
mod shape;
mod spare;
#[cfg(feature = "proptest")]
pub mod strategies;
mod tape;
mod tensor;
mod var;

pub use error::Error;
pub use float::Float;
pub use grads::Grads;
pub use ops::Op;
pub use ops::custom::CustomOp;
pub use param::{Param, ParamId};
pub use shape::Shape;
pub use tape::{Node, NodeId, Nodes, Tape, Var};
pub use tensor::Tensor;

/// The random generator that zengrad's examples and tests seed: a
/// Xoshiro256++, whose stream is fixed by its specification and so repeats
/// across versions and machines.
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// Returns a [`Rng`] seeded with `seed`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{seeded_rng, Tensor};
/// let a = Tensor::<f32>::uniform([3], 0.0, 1.0, &mut seeded_rng(42)).unwrap();
/// let b = Tensor::<f32>::uniform([3], 0.0, 1.0, &mut seeded_rng(42)).unwrap();
/// assert_eq!(a, b);
/// ```
pub fn seeded_rng(seed: u64) -> Rng {
    use rand::SeedableRng;
    Rng::seed_from_u64(seed)
}
