//! Reductions (sum, max) and their duals (broadcast_to, sum_to).
//!
//! | forward                    | backward (`g` is `grad_out`)                 |
//! |----------------------------|----------------------------------------------|
//! | `sum(x, axes)`             | `g` broadcast back over `axes`               |
//! | `max(x, axes)`             | `g` shared equally among the tied maxima     |
//! | `broadcast_to(x, shape)`   | `sum_to(g, shape of x)`                      |
//! | `sum_to(x, shape)`         | `broadcast_to(g, shape of x)`                |
//!
//! `max` follows `torch.amax`: when several elements tie for the maximum,
//! each receives an equal share of the gradient.

use crate::kernels;
use crate::ops::{Ops, all_axes, axes_mask};
use crate::{Error, Float, Shape, Tensor};

impl<F: Float> Tensor<F> {
    /// Sums over `axes` (negative axes count from the end); with
    /// `keepdims` the summed axes stay with size 1. Empty `axes` sums
    /// nothing, as NumPy.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(x.sum(&[0], false)?.to_vec(), [5.0, 7.0, 9.0]);
    /// assert_eq!(x.sum(&[-1], true)?.dims(), [2, 1]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sum(&self, axes: &[isize], keepdims: bool) -> Result<Tensor<F>, Error> {
        let mask = axes_mask("sum", axes, self.rank())?;
        Ok(self.sum_mask(mask, keepdims))
    }

    /// Sums every element into a scalar.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// assert_eq!(Tensor::from([[1.0, 2.0], [3.0, 4.0]]).sum_all().item()?, 10.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sum_all(&self) -> Tensor<F> {
        self.sum_mask(all_axes(self.rank()), false)
    }

    /// Averages over `axes`; see [`Tensor::sum`] for the arguments.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range.
    pub fn mean(&self, axes: &[isize], keepdims: bool) -> Result<Tensor<F>, Error> {
        let mask = axes_mask("mean", axes, self.rank())?;
        let count = reduced_count(self.shape(), mask);
        Ok(self
            .sum_mask(mask, keepdims)
            .div_scalar(F::from_usize(count)))
    }

    /// Averages every element into a scalar.
    pub fn mean_all(&self) -> Tensor<F> {
        self.sum_all().div_scalar(F::from_usize(self.numel()))
    }

    /// Takes the maximum over `axes`; see [`Tensor::sum`] for the
    /// arguments. Its gradient is shared equally among tied maxima, as
    /// `torch.amax`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range, and
    /// [`Error::EmptyAxis`] when a reduced axis has size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 5.0], [7.0, 2.0]]);
    /// assert_eq!(x.max(&[1], false)?.to_vec(), [5.0, 7.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn max(&self, axes: &[isize], keepdims: bool) -> Result<Tensor<F>, Error> {
        let mask = axes_mask("max", axes, self.rank())?;
        self.max_mask(mask, keepdims)
    }

    /// Takes the maximum of every element.
    ///
    /// # Errors
    ///
    /// Returns [`Error::EmptyAxis`] when the tensor has no elements.
    pub fn max_all(&self) -> Result<Tensor<F>, Error> {
        self.max_mask(all_axes(self.rank()), false)
    }

    /// Sums over the axes in the bit mask `axes`.
    pub(crate) fn sum_mask(&self, axes: u64, keepdims: bool) -> Tensor<F> {
        let data = kernels::reduce(self.data(), self.shape(), axes, F::zero(), |a, b| a + b);
        Tensor::new(data, reduced_shape(self.shape(), axes, keepdims))
    }

    /// Takes the maximum over the axes in the bit mask `axes`.
    pub(crate) fn max_mask(&self, axes: u64, keepdims: bool) -> Result<Tensor<F>, Error> {
        let empty = (0..self.rank()).find(|&axis| axes >> axis & 1 == 1 && self.dims()[axis] == 0);
        if let Some(axis) = empty {
            return Err(Error::EmptyAxis {
                op: "max",
                axis,
                shape: self.shape().clone(),
            });
        }
        // NaN propagates, as in NumPy and PyTorch.
        let max = |a: F, b: F| if a > b || a.is_nan() { a } else { b };
        let data = kernels::reduce(self.data(), self.shape(), axes, F::neg_infinity(), max);
        Ok(Tensor::new(
            data,
            reduced_shape(self.shape(), axes, keepdims),
        ))
    }

    /// Repeats the values along axes of size 1 (and new leading axes) to
    /// reach `shape`, as NumPy's `broadcast_to`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::BroadcastTo`] when this shape does not broadcast to
    /// `shape`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([1.0, 2.0]);
    /// assert_eq!(x.broadcast_to([2, 2])?.to_vec(), [1.0, 2.0, 1.0, 2.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Tensor<F>, Error> {
        let shape = shape.into();
        if !self.shape().broadcasts_to(&shape) {
            return Err(Error::BroadcastTo {
                op: "broadcast_to",
                from: self.shape().clone(),
                to: shape,
            });
        }
        if &shape == self.shape() {
            return Ok(self.clone());
        }
        if self.numel() == 1 {
            return Ok(Tensor::full(shape, self.data()[0]));
        }
        let strides = self.shape().broadcast_strides(&shape);
        Ok(Tensor::new(
            kernels::gather(self.data(), 0, &strides, &shape),
            shape,
        ))
    }

    /// Sums the values down to `shape`, undoing a broadcast from `shape` to
    /// this tensor's shape: the dual of [`Tensor::broadcast_to`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::SumTo`] when `shape` does not broadcast to this
    /// tensor's shape.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.sum_to([2])?.to_vec(), [4.0, 6.0]);
    /// assert_eq!(x.sum_to([2, 1])?.to_vec(), [3.0, 7.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sum_to(&self, shape: impl Into<Shape>) -> Result<Tensor<F>, Error> {
        let shape = shape.into();
        if &shape == self.shape() {
            return Ok(self.clone());
        }
        if !shape.broadcasts_to(self.shape()) {
            return Err(Error::SumTo {
                from: self.shape().clone(),
                to: shape,
            });
        }
        let axes = sum_to_axes(self.shape(), &shape);
        Ok(self.sum_mask(axes, true).with_shape(shape))
    }
}

/// The number of elements that one output element of a reduction over
/// `axes` combines.
pub(crate) fn reduced_count(shape: &Shape, axes: u64) -> usize {
    shape
        .iter()
        .enumerate()
        .filter(|(axis, _)| axes >> axis & 1 == 1)
        .map(|(_, &dim)| dim)
        .product()
}

/// The shape of a reduction over `axes`: those axes become 1, or go.
pub(crate) fn reduced_shape(shape: &Shape, axes: u64, keepdims: bool) -> Shape {
    let reduced = |axis: usize| axes >> axis & 1 == 1;
    if keepdims {
        let dims = shape.iter().enumerate();
        dims.map(|(axis, &dim)| if reduced(axis) { 1 } else { dim })
            .collect()
    } else {
        let dims = shape.iter().enumerate();
        dims.filter(|(axis, _)| !reduced(*axis))
            .map(|(_, &dim)| dim)
            .collect()
    }
}

/// The axes of `from` that a sum down to `to` reduces: the leading axes
/// that `to` lacks, and those where `to` has size 1.
fn sum_to_axes(from: &Shape, to: &Shape) -> u64 {
    let offset = from.rank() - to.rank();
    (0..from.rank())
        .filter(|&axis| axis < offset || (to[axis - offset] == 1 && from[axis] != 1))
        .fold(0, |mask, axis| mask | 1 << axis)
}

/// Backward rule of `sum`: the gradient of every summed element is the
/// gradient of its sum.
pub(crate) fn sum_backward<F: Float, T: Ops<F>>(
    x: &T,
    axes: u64,
    keepdims: bool,
    grad_out: &T,
) -> Result<T, Error> {
    let shape = x.shape();
    let grad = if keepdims {
        grad_out.clone()
    } else {
        grad_out.reshape(&reduced_shape(&shape, axes, true))?
    };
    grad.broadcast_to(&shape)
}

/// Backward rule of `max`: `grad_x = grad_out * [x == max] / count`, where
/// `count` is the number of elements tied for the maximum.
pub(crate) fn max_backward<F: Float, T: Ops<F>>(
    x: &T,
    out: &T,
    axes: u64,
    keepdims: bool,
    grad_out: &T,
) -> Result<T, Error> {
    let shape = x.shape();
    let kept = reduced_shape(&shape, axes, true);

    // The share of each element: 1 / count where it ties for the maximum,
    // 0 elsewhere. A constant of the gradient, like relu's mask.
    let max = out.value().with_shape(kept.clone()).broadcast_to(&shape)?;
    let hits = x
        .value()
        .zip_with(&max, "max", |v, m| F::from_usize(usize::from(v == m)))?;
    let count = hits.sum_mask(axes, true);
    let share = hits.div(&count)?;

    let grad = if keepdims {
        grad_out.clone()
    } else {
        grad_out.reshape(&kept)?
    };
    grad.broadcast_to(&shape)?.mul(&x.constant(share))
}
