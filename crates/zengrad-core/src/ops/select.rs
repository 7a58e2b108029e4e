//! Choosing between two tensors by a mask, and the comparisons that make
//! masks.
//!
//! Forward: `out = mask ? on_true : on_false`, elementwise with
//! broadcasting; a mask element is true when it is nonzero.
//! Backward: `grad_on_true = mask ? g : 0` and `grad_on_false = mask ? 0 : g`,
//! each summed back to its input's shape. The branch not taken receives
//! exactly zero, even where `g` is infinite or NaN. The mask is a constant
//! and receives no gradient.

use crate::buffer;
use crate::ops::{InputGrads, Ops};
use crate::{Error, Float, Shape, Tensor};

impl<F: Float> Tensor<F> {
    /// Picks `on_true` where `mask` is nonzero and `on_false` elsewhere, as
    /// `torch.where`; the three shapes broadcast together.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([-1.0, 2.0, -3.0]);
    /// let mask = x.gt(&Tensor::scalar(0.0))?;
    /// let y = Tensor::where_(&mask, &x, &Tensor::scalar(0.0))?;
    /// assert_eq!(y.to_vec(), [0.0, 2.0, 0.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn where_(
        mask: &Tensor<F>,
        on_true: &Tensor<F>,
        on_false: &Tensor<F>,
    ) -> Result<Tensor<F>, Error> {
        let shape = where_shape(mask.shape(), on_true.shape(), on_false.shape())?;
        let mask = mask.broadcast_to(&shape)?;
        let on_true = on_true.broadcast_to(&shape)?;
        let on_false = on_false.broadcast_to(&shape)?;
        let mut data = buffer::take(shape.numel());
        data.extend(
            mask.data()
                .iter()
                .zip(on_true.data().iter().zip(on_false.data()))
                .map(|(&m, (&a, &b))| if m != F::zero() { a } else { b }),
        );
        Ok(Tensor::new(data, shape))
    }

    /// Returns 1 where `self > rhs` and 0 elsewhere, with broadcasting.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    pub fn gt(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "gt", |a, b| indicator(a > b))
    }

    /// Returns 1 where `self >= rhs` and 0 elsewhere, with broadcasting.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    pub fn ge(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "ge", |a, b| indicator(a >= b))
    }

    /// Returns 1 where `self < rhs` and 0 elsewhere, with broadcasting.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    pub fn lt(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "lt", |a, b| indicator(a < b))
    }

    /// Returns 1 where `self <= rhs` and 0 elsewhere, with broadcasting.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    pub fn le(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "le", |a, b| indicator(a <= b))
    }
}

/// 1 for true, 0 for false.
fn indicator<F: Float>(condition: bool) -> F {
    if condition { F::one() } else { F::zero() }
}

/// The shape that a mask and two branches broadcast to.
pub(crate) fn where_shape(mask: &Shape, on_true: &Shape, on_false: &Shape) -> Result<Shape, Error> {
    let values = Shape::broadcast("where", on_true, on_false)?;
    Shape::broadcast("where", mask, &values)
}

/// Backward rule of `where`; `inputs` are `[mask, on_true, on_false]`.
pub(crate) fn where_backward<F: Float, T: Ops<F>>(
    inputs: &[&T],
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let (mask, on_true, on_false) = (inputs[0], inputs[1], inputs[2]);
    let zero = grad_out.constant(Tensor::scalar(F::zero()));

    let grad_true = needs[1]
        .then(|| grad_out.select(mask, &zero)?.sum_to(&on_true.shape()))
        .transpose()?;

    let grad_false = needs[2]
        .then(|| zero.select(mask, grad_out)?.sum_to(&on_false.shape()))
        .transpose()?;

    Ok([None, grad_true, grad_false].into_iter().collect())
}
