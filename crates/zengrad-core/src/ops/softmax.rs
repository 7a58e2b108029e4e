//! Normalizations along an axis that must not overflow: logsumexp and
//! log_softmax.
//!
//! | forward                                   | backward (`g` is `grad_out`)           |
//! |-------------------------------------------|----------------------------------------|
//! | `lse = m + log(sum(exp(x - m)))`, m = max | `grad_x = g * softmax(x)`              |
//! | `out = (x - m) - log(sum(exp(x - m)))`    | `grad_x = g - exp(out) * sum(g)`       |
//!
//! Subtracting the maximum `m` first keeps every `exp` at most 1, so both
//! are finite at inputs like 1000 and -1000, and so are their gradients.
//! Neither reads `lse` back: `lse` is rounded at the scale of `m` (an ulp of
//! 1000 is 6e-5 in `f32`), and `x - lse` would carry that error into every
//! element. `softmax` is `exp(log_softmax(x))` and inherits its gradient.

use crate::ops::{Ops, reduce::reduced_shape};
use crate::shape::resolve_axis;
use crate::{Error, Float, Tensor};

impl<F: Float> Tensor<F> {
    /// Computes `log(sum(exp(x)))` along `axis` without overflow; with
    /// `keepdims` the axis stays with size 1.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when `axis` is out of range, and
    /// [`Error::EmptyAxis`] when the axis has size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([1000.0f64, 1000.0]);
    /// let lse = x.logsumexp(0, false)?.item()?;
    /// assert!((lse - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn logsumexp(&self, axis: isize, keepdims: bool) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("logsumexp", axis, self.rank())?;
        let lse = self.logsumexp_keep(axis)?;
        Ok(if keepdims {
            lse
        } else {
            let shape = reduced_shape(self.shape(), 1 << axis, false);
            lse.with_shape(shape)
        })
    }

    /// Computes `x - logsumexp(x)` along `axis`: the logarithm of the
    /// softmax, without overflow.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when `axis` is out of range, and
    /// [`Error::EmptyAxis`] when the axis has size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([0.0f64, 1000.0]);
    /// assert_eq!(x.log_softmax(0)?.to_vec(), [-1000.0, 0.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("log_softmax", axis, self.rank())?;
        self.log_softmax_axis("log_softmax", axis)
    }

    /// `log_softmax` along a resolved axis, reporting errors as `op`.
    pub(crate) fn log_softmax_axis(
        &self,
        op: &'static str,
        axis: usize,
    ) -> Result<Tensor<F>, Error> {
        let shifted = self.sub(&self.softmax_shift(op, axis)?)?;
        let sums = shifted.exp().sum_mask(1 << axis, true);
        shifted.sub(&sums.log())
    }

    /// Computes `exp(x) / sum(exp(x))` along `axis`, without overflow.
    ///
    /// # Errors
    ///
    /// As [`Tensor::log_softmax`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let p = Tensor::from([0.0f64, 2f64.ln()]).softmax(0)?;
    /// assert!(p.allclose(&Tensor::from([1.0 / 3.0, 2.0 / 3.0]), 1e-15, 0.0));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn softmax(&self, axis: isize) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("softmax", axis, self.rank())?;
        Ok(self.log_softmax_axis("softmax", axis)?.exp())
    }

    /// `logsumexp` along a resolved axis, keeping it with size 1.
    fn logsumexp_keep(&self, axis: usize) -> Result<Tensor<F>, Error> {
        let max = self.softmax_shift("logsumexp", axis)?;
        let sums = self.sub(&max)?.exp().sum_mask(1 << axis, true);
        max.add(&sums.log())
    }

    /// The maximum along a resolved axis, kept with size 1: the shift that
    /// keeps every `exp` at most 1.
    fn softmax_shift(&self, op: &'static str, axis: usize) -> Result<Tensor<F>, Error> {
        if self.dims()[axis] == 0 {
            return Err(Error::EmptyAxis {
                op,
                axis,
                shape: self.shape().clone(),
            });
        }
        // A row of -inf has logsumexp -inf; shifting it by 0 instead of by
        // its maximum avoids computing -inf - -inf = NaN.
        Ok(self
            .max_mask(1 << axis, true)?
            .map(|m| if m.is_finite() { m } else { F::zero() }))
    }
}

/// Backward rule of `logsumexp`: `grad_x = grad_out * softmax(x)`.
///
/// The softmax is `exp(x - m) / sum(exp(x - m))` for the row maximum `m`,
/// taken as a constant: the shift changes no derivative, so the rule stays
/// exact to differentiate again.
pub(crate) fn logsumexp_backward<F: Float, T: Ops<F>>(
    x: &T,
    axis: usize,
    keepdims: bool,
    grad_out: &T,
) -> Result<T, Error> {
    let grad_out = if keepdims {
        grad_out.clone()
    } else {
        grad_out.reshape(&reduced_shape(&x.shape(), 1 << axis, true))?
    };

    let shift = x.constant(x.value().softmax_shift("logsumexp", axis)?);
    let exps = x.sub(&shift)?.exp();
    let softmax = exps.div(&exps.sum_axes(1 << axis, true)?)?;
    grad_out.mul(&softmax)
}

/// Backward rule of `log_softmax`:
/// `grad_x = grad_out - exp(out) * sum(grad_out, axis)`.
pub(crate) fn log_softmax_backward<F: Float, T: Ops<F>>(
    out: &T,
    axis: usize,
    grad_out: &T,
) -> Result<T, Error> {
    let total = grad_out.sum_axes(1 << axis, true)?;
    grad_out.sub(&out.exp().mul(&total)?)
}
