//! The element types a [`Tensor`](crate::Tensor) can hold: `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point element type: `f32` or `f64`.
///
/// The trait is sealed: the kernels (matrix multiply in particular) are
/// written for these two types only.
pub trait Float:
    num_traits::Float
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + sealed::Sealed
{
    /// The type's name, as Rust spells it.
    const NAME: &'static str;

    /// Converts from `f64`, rounding to the nearest value of `Self`.
    fn from_f64(value: f64) -> Self;

    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;

    /// Converts from a count or an index.
    fn from_usize(value: usize) -> Self {
        Self::from_f64(value as f64)
    }
}

impl Float for f32 {
    const NAME: &'static str = "f32";

    fn from_f64(value: f64) -> Self {
        value as f32
    }

    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";

    fn from_f64(value: f64) -> Self {
        value
    }

    fn as_f64(self) -> f64 {
        self
    }
}

mod sealed {
    use crate::buffer::{Pool, Pools};

    /// Closes `Float` to `f32` and `f64`, and gives each its buffer pool.
    pub trait Sealed: Sized {
        fn pool(pools: &mut Pools) -> &mut Pool<Self>;
    }

    impl Sealed for f32 {
        fn pool(pools: &mut Pools) -> &mut Pool<f32> {
            &mut pools.f32
        }
    }

    impl Sealed for f64 {
        fn pool(pools: &mut Pools) -> &mut Pool<f64> {
            &mut pools.f64
        }
    }
}
