//! zengrad: automatic differentiation for tensors in Rust.
//!
//! This crate gathers the workspace: the core (tensors, the tape, reverse
//! mode and gradients of gradients) at its root, and the layers and the
//! optimizers as the modules [`nn`] and [`optim`].
#![deny(missing_docs)]

pub use zengrad_core::*;

/// Layers, activations and losses.
pub mod nn {
    pub use zengrad_nn::*;
}

/// Optimizers and learning-rate schedules.
pub mod optim {
    pub use zengrad_optim::*;
}

/// The Rust code of the README and of the guides in `docs/`, compiled and
/// run by `cargo test` as doctests, so that the guides cannot drift from
/// the code.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../README.md")]
    struct Readme;

    #[doc = include_str!("../docs/autodiff.md")]
    struct Autodiff;

    #[doc = include_str!("../docs/design.md")]
    struct Design;

    #[doc = include_str!("../docs/testing.md")]
    struct Testing;

    #[doc = include_str!("../docs/higher-order.md")]
    struct HigherOrder;
}
