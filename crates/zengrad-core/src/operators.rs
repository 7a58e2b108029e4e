//! The arithmetic operators `+ - * /` and unary `-` on [`Var`] and
//! [`Tensor`].
//!
//! An operator cannot return a `Result`, so on a shape that does not
//! broadcast (or vars of two tapes) it panics with the message of the
//! [`Error`](crate::Error) that the fallible method beside it
//! ([`Var::add`], [`Tensor::add`], ...) returns.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::{Float, Tensor, Var};

/// Implements one binary operator for vars and tensors, and with a scalar
/// on either side for `f32` and `f64`.
macro_rules! binary_operator {
    ($trait:ident, $method:ident, $scalar_rhs:expr, $scalar_lhs:expr) => {
        impl<'t, F: Float> $trait<Var<'t, F>> for Var<'t, F> {
            type Output = Var<'t, F>;

            /// # Panics
            ///
            /// Panics when the shapes do not broadcast or the vars are on two
            /// tapes, with the message of the fallible method of this name.
            fn $method(self, rhs: Var<'t, F>) -> Var<'t, F> {
                Var::$method(self, rhs).unwrap_or_else(|error| panic!("{error}"))
            }
        }

        impl<F: Float> $trait<&Tensor<F>> for &Tensor<F> {
            type Output = Tensor<F>;

            /// # Panics
            ///
            /// Panics when the shapes do not broadcast, with the message of
            /// the fallible method of this name.
            fn $method(self, rhs: &Tensor<F>) -> Tensor<F> {
                Tensor::$method(self, rhs).unwrap_or_else(|error| panic!("{error}"))
            }
        }

        impl<F: Float> $trait<Tensor<F>> for Tensor<F> {
            type Output = Tensor<F>;

            fn $method(self, rhs: Tensor<F>) -> Tensor<F> {
                $trait::$method(&self, &rhs)
            }
        }

        impl<F: Float> $trait<&Tensor<F>> for Tensor<F> {
            type Output = Tensor<F>;

            fn $method(self, rhs: &Tensor<F>) -> Tensor<F> {
                $trait::$method(&self, rhs)
            }
        }

        impl<F: Float> $trait<Tensor<F>> for &Tensor<F> {
            type Output = Tensor<F>;

            fn $method(self, rhs: Tensor<F>) -> Tensor<F> {
                $trait::$method(self, &rhs)
            }
        }

        binary_operator!(@scalar $trait, $method, $scalar_rhs, $scalar_lhs, f32);
        binary_operator!(@scalar $trait, $method, $scalar_rhs, $scalar_lhs, f64);
    };
    (@scalar $trait:ident, $method:ident, $scalar_rhs:expr, $scalar_lhs:expr, $float:ty) => {
        impl<'t> $trait<$float> for Var<'t, $float> {
            type Output = Var<'t, $float>;

            fn $method(self, rhs: $float) -> Var<'t, $float> {
                $scalar_rhs(self, rhs)
            }
        }

        impl<'t> $trait<Var<'t, $float>> for $float {
            type Output = Var<'t, $float>;

            fn $method(self, rhs: Var<'t, $float>) -> Var<'t, $float> {
                $scalar_lhs(self, rhs)
            }
        }

        impl $trait<$float> for &Tensor<$float> {
            type Output = Tensor<$float>;

            fn $method(self, rhs: $float) -> Tensor<$float> {
                $scalar_rhs(self, rhs)
            }
        }

        impl $trait<$float> for Tensor<$float> {
            type Output = Tensor<$float>;

            fn $method(self, rhs: $float) -> Tensor<$float> {
                $scalar_rhs(self, rhs)
            }
        }

        impl $trait<Tensor<$float>> for $float {
            type Output = Tensor<$float>;

            fn $method(self, rhs: Tensor<$float>) -> Tensor<$float> {
                $scalar_lhs(self, rhs)
            }
        }

        impl $trait<&Tensor<$float>> for $float {
            type Output = Tensor<$float>;

            fn $method(self, rhs: &Tensor<$float>) -> Tensor<$float> {
                $scalar_lhs(self, rhs)
            }
        }
    };
}

/// The scalar forms, written once for vars and tensors through this trait.
trait ScalarOps<F>: Sized {
    fn add_scalar(self, c: F) -> Self;
    fn mul_scalar(self, c: F) -> Self;
    fn neg(self) -> Self;
    fn recip_times(self, c: F) -> Self;
}

impl<F: Float> ScalarOps<F> for Var<'_, F> {
    fn add_scalar(self, c: F) -> Self {
        Var::add_scalar(self, c)
    }

    fn mul_scalar(self, c: F) -> Self {
        Var::mul_scalar(self, c)
    }

    fn neg(self) -> Self {
        Var::neg(self)
    }

    fn recip_times(self, c: F) -> Self {
        Var::powf(self, -F::one()).mul_scalar(c)
    }
}

impl<F: Float> ScalarOps<F> for Tensor<F> {
    fn add_scalar(self, c: F) -> Self {
        Tensor::add_scalar(&self, c)
    }

    fn mul_scalar(self, c: F) -> Self {
        Tensor::mul_scalar(&self, c)
    }

    fn neg(self) -> Self {
        Tensor::neg(&self)
    }

    fn recip_times(self, c: F) -> Self {
        self.map(|x| c / x)
    }
}

/// `x op c` and `c op x` for a scalar `c`, by operator.
fn add_rhs<F, T: ScalarOps<F>>(x: impl Into<T>, c: F) -> T {
    x.into().add_scalar(c)
}

fn add_lhs<F, T: ScalarOps<F>>(c: F, x: impl Into<T>) -> T {
    x.into().add_scalar(c)
}

fn sub_rhs<F: Float, T: ScalarOps<F>>(x: impl Into<T>, c: F) -> T {
    x.into().add_scalar(-c)
}

fn sub_lhs<F, T: ScalarOps<F>>(c: F, x: impl Into<T>) -> T {
    x.into().neg().add_scalar(c)
}

fn mul_rhs<F, T: ScalarOps<F>>(x: impl Into<T>, c: F) -> T {
    x.into().mul_scalar(c)
}

fn mul_lhs<F, T: ScalarOps<F>>(c: F, x: impl Into<T>) -> T {
    x.into().mul_scalar(c)
}

fn div_rhs<F: Float, T: ScalarOps<F>>(x: impl Into<T>, c: F) -> T {
    x.into().mul_scalar(c.recip())
}

fn div_lhs<F, T: ScalarOps<F>>(c: F, x: impl Into<T>) -> T {
    x.into().recip_times(c)
}

impl<'a, F: Float> From<&'a Tensor<F>> for Tensor<F> {
    fn from(tensor: &'a Tensor<F>) -> Tensor<F> {
        tensor.clone()
    }
}

binary_operator!(Add, add, add_rhs, add_lhs);
binary_operator!(Sub, sub, sub_rhs, sub_lhs);
binary_operator!(Mul, mul, mul_rhs, mul_lhs);
binary_operator!(Div, div, div_rhs, div_lhs);

impl<'t, F: Float> Neg for Var<'t, F> {
    type Output = Var<'t, F>;

    fn neg(self) -> Var<'t, F> {
        Var::neg(self)
    }
}

impl<F: Float> Neg for &Tensor<F> {
    type Output = Tensor<F>;

    fn neg(self) -> Tensor<F> {
        Tensor::neg(self)
    }
}

impl<F: Float> Neg for Tensor<F> {
    type Output = Tensor<F>;

    fn neg(self) -> Tensor<F> {
        Tensor::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn operators_take_tensors_owned_or_borrowed() {
        let x = Tensor::from([1.0f64, 2.0]);
        let y = Tensor::from([3.0f64, 4.0]);
        // (x - y) / 2 = [-1, -1], x / y = [1/3, 1/2], 2 - (-x) = [3, 4]
        let z = (&x - &y) * 0.5 + x.clone() / y.clone() - (2.0 - -x);
        assert_eq!(z.to_vec(), [-1.0 + 1.0 / 3.0 - 3.0, -1.0 + 0.5 - 4.0]);
    }
}
