//! Elementwise functions of one tensor.
//!
//! | forward          | backward (`g` is `grad_out`)                         |
//! |------------------|------------------------------------------------------|
//! | `exp(x)`         | `g * out`                                            |
//! | `log(x)`         | `g / x`                                              |
//! | `sqrt(x)`        | `g / (2 * out)`                                      |
//! | `sin(x)`         | `g * cos(x)`                                         |
//! | `cos(x)`         | `-g * sin(x)`                                        |
//! | `tanh(x)`        | `g * (1 - out^2)`                                    |
//! | `sigmoid(x)`     | `g * out * (1 - out)`                                |
//! | `relu(x)`        | `g * [x > 0]`: 0 at `x = 0`, as PyTorch              |
//! | `abs(x)`         | `g * sign(x)`: 0 at `x = 0`, as PyTorch              |
//! | `clamp(x,lo,hi)` | `g * [lo < x < hi]`: 0 on and outside the bounds     |
//!
//! The masks (`[x > 0]`, `sign(x)`, ...) are constants of the gradient:
//! piecewise the functions are linear, so their second derivatives are 0.

use crate::ops::Ops;
use crate::{Error, Float, Tensor};

impl<F: Float> Tensor<F> {
    /// Computes `e ^ x` for every element.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([0.0f64]).exp().to_vec(), [1.0]);
    /// ```
    pub fn exp(&self) -> Tensor<F> {
        self.map(F::exp)
    }

    /// Computes the natural logarithm of every element (NaN below 0, `-inf`
    /// at 0).
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([1.0f64]).log().to_vec(), [0.0]);
    /// ```
    pub fn log(&self) -> Tensor<F> {
        self.map(F::ln)
    }

    /// Computes the square root of every element (NaN below 0).
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([4.0f64, 9.0]).sqrt().to_vec(), [2.0, 3.0]);
    /// ```
    pub fn sqrt(&self) -> Tensor<F> {
        self.map(F::sqrt)
    }

    /// Computes the sine of every element.
    pub fn sin(&self) -> Tensor<F> {
        self.map(F::sin)
    }

    /// Computes the cosine of every element.
    pub fn cos(&self) -> Tensor<F> {
        self.map(F::cos)
    }

    /// Computes the hyperbolic tangent of every element.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([0.0f64, 1000.0]).tanh().to_vec(), [0.0, 1.0]);
    /// ```
    pub fn tanh(&self) -> Tensor<F> {
        self.map(F::tanh)
    }

    /// Computes the logistic function `1 / (1 + e ^ -x)` of every element.
    ///
    /// It never overflows: for negative `x` it computes `e ^ x / (1 + e ^ x)`
    /// instead, so that `sigmoid(-1000)` is 0 and `sigmoid(1000)` is 1.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// let y = Tensor::from([-1000.0f64, 0.0, 1000.0]).sigmoid();
    /// assert_eq!(y.to_vec(), [0.0, 0.5, 1.0]);
    /// ```
    pub fn sigmoid(&self) -> Tensor<F> {
        self.map(sigmoid)
    }

    /// Computes `max(x, 0)` for every element. Its gradient at 0 is 0, as
    /// in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([-1.0f32, 0.0, 2.0]).relu().to_vec(), [0.0, 0.0, 2.0]);
    /// ```
    pub fn relu(&self) -> Tensor<F> {
        self.map(relu)
    }

    /// Computes `|x|` for every element. Its gradient at 0 is 0, as in
    /// PyTorch.
    pub fn abs(&self) -> Tensor<F> {
        self.map(F::abs)
    }

    /// Limits every element to `[lo, hi]`. The gradient passes only where
    /// `lo < x < hi` strictly; on the bounds and outside them it is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// let x = Tensor::from([-2.0f64, 0.5, 3.0]);
    /// assert_eq!(x.clamp(-1.0, 1.0).to_vec(), [-1.0, 0.5, 1.0]);
    /// ```
    pub fn clamp(&self, lo: F, hi: F) -> Tensor<F> {
        self.map(|x| clamp(x, lo, hi))
    }

    /// Returns 1 where `x > 0` and 0 elsewhere.
    fn positive_mask(&self) -> Tensor<F> {
        self.map(|x| if x > F::zero() { F::one() } else { F::zero() })
    }
}

/// The logistic function of one number, without overflow.
pub(crate) fn sigmoid<F: Float>(x: F) -> F {
    if x >= F::zero() {
        (F::one() + (-x).exp()).recip()
    } else {
        let e = x.exp();
        e / (F::one() + e)
    }
}

/// `max(x, 0)` of one number.
pub(crate) fn relu<F: Float>(x: F) -> F {
    if x > F::zero() { x } else { F::zero() }
}

/// One number limited to `[lo, hi]`.
pub(crate) fn clamp<F: Float>(x: F, lo: F, hi: F) -> F {
    x.max(lo).min(hi)
}

/// Backward rule of `tanh`: `grad_x = grad_out * (1 - out^2)`.
#[inline]
pub(crate) fn tanh_backward<F: Float, T: Ops<F>>(out: &T, grad_out: &T) -> Result<T, Error> {
    let slope = out.mul(out)?.neg().add_scalar(F::one());
    grad_out.mul(&slope)
}

/// Backward rule of `sigmoid`: `grad_x = grad_out * out * (1 - out)`.
///
/// Written from the output, which is finite everywhere, so that the
/// gradient is finite (and correctly 0) at `x = -1000` and `x = 1000`.
#[inline]
pub(crate) fn sigmoid_backward<F: Float, T: Ops<F>>(out: &T, grad_out: &T) -> Result<T, Error> {
    let slope = out.mul(&out.neg().add_scalar(F::one()))?;
    grad_out.mul(&slope)
}

/// Backward rule of `relu`: `grad_x = grad_out * [x > 0]`.
#[inline]
pub(crate) fn relu_backward<F: Float, T: Ops<F>>(x: &T, grad_out: &T) -> Result<T, Error> {
    let mask = x.constant(x.value().positive_mask());
    grad_out.mul(&mask)
}

/// Backward rule of `abs`: `grad_x = grad_out * sign(x)`, with sign(0) = 0.
#[inline]
pub(crate) fn abs_backward<F: Float, T: Ops<F>>(x: &T, grad_out: &T) -> Result<T, Error> {
    let sign = x.value().map(|v| {
        if v > F::zero() {
            F::one()
        } else if v < F::zero() {
            -F::one()
        } else {
            F::zero()
        }
    });
    grad_out.mul(&x.constant(sign))
}

/// Backward rule of `clamp`: `grad_x = grad_out * [lo < x < hi]`.
#[inline]
pub(crate) fn clamp_backward<F: Float, T: Ops<F>>(
    x: &T,
    lo: F,
    hi: F,
    grad_out: &T,
) -> Result<T, Error> {
    let inside = x.value().map(|v| {
        if lo < v && v < hi {
            F::one()
        } else {
            F::zero()
        }
    });
    grad_out.mul(&x.constant(inside))
}
