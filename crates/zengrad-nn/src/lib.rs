//! Layers, activations and losses for zengrad, built from the operations of
//! `zengrad-core` so that none of their derivatives is written by hand.
#![deny(missing_docs)]

pub use zengrad_core as core;
