//! Optimizers and learning-rate schedules for zengrad.
#![deny(missing_docs)]

pub use zengrad_core as core;
