//! Elementwise arithmetic: `+ - * /` with broadcasting, negation, the
//! scalar forms, and powers.
//!
//! | forward            | backward                                            |
//! |--------------------|-----------------------------------------------------|
//! | `out = a + b`      | `grad_a = g`, `grad_b = g`                          |
//! | `out = a - b`      | `grad_a = g`, `grad_b = -g`                         |
//! | `out = a * b`      | `grad_a = g * b`, `grad_b = g * a`                  |
//! | `out = a / b`      | `grad_a = g / b`, `grad_b = -g * out / b`           |
//! | `out = x ^ p`      | `grad_x = g * p * x ^ (p - 1)`                      |
//!
//! A gradient of a broadcast input is summed back to the input's shape.

use crate::ops::{InputGrads, Ops};
use crate::{Error, Float, Shape, Tensor};
use crate::{buffer, kernels};

impl<F: Float> Tensor<F> {
    /// Combines two tensors element by element with NumPy broadcasting.
    pub(crate) fn zip_with(
        &self,
        rhs: &Tensor<F>,
        op: &'static str,
        f: impl Fn(F, F) -> F,
    ) -> Result<Tensor<F>, Error> {
        if self.shape() == rhs.shape() {
            if self.numel() == 1 {
                return Ok(Tensor::one(
                    f(self.data()[0], rhs.data()[0]),
                    self.shape().clone(),
                ));
            }
            let mut data = buffer::take(self.numel());
            data.extend(self.data().iter().zip(rhs.data()).map(|(&a, &b)| f(a, b)));
            return Ok(Tensor::new(data, self.shape().clone()));
        }
        let shape = Shape::broadcast(op, self.shape(), rhs.shape())?;
        let data = kernels::zip(
            (self.data(), &self.shape().broadcast_strides(&shape)),
            (rhs.data(), &rhs.shape().broadcast_strides(&shape)),
            &shape,
            f,
        );
        Ok(Tensor::new(data, shape))
    }

    /// Adds two tensors element by element, broadcasting as NumPy does.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 2.0], [3.0, 4.0]]);
    /// let y = Tensor::from([10.0, 20.0]);
    /// assert_eq!(x.add(&y)?.to_vec(), [11.0, 22.0, 13.0, 24.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn add(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "add", |a, b| a + b)
    }

    /// Subtracts `rhs` element by element, broadcasting as NumPy does.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([5.0, 7.0]);
    /// assert_eq!(x.sub(&Tensor::scalar(1.0))?.to_vec(), [4.0, 6.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sub(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "sub", |a, b| a - b)
    }

    /// Multiplies element by element, broadcasting as NumPy does.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([1.0, 2.0]);
    /// let y = Tensor::from([3.0, 4.0]);
    /// assert_eq!(x.mul(&y)?.to_vec(), [3.0, 8.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn mul(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "mul", |a, b| a * b)
    }

    /// Divides element by element, broadcasting as NumPy does.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([1.0, 3.0]);
    /// assert_eq!(x.div(&Tensor::from([2.0]))?.to_vec(), [0.5, 1.5]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn div(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        self.zip_with(rhs, "div", |a, b| a / b)
    }

    /// Negates every element.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([1.0, -2.0]).neg().to_vec(), [-1.0, 2.0]);
    /// ```
    pub fn neg(&self) -> Tensor<F> {
        self.map(|x| -x)
    }

    /// Adds the constant `c` to every element.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([1.0, 2.0]).add_scalar(0.5).to_vec(), [1.5, 2.5]);
    /// ```
    pub fn add_scalar(&self, c: F) -> Tensor<F> {
        self.map(|x| x + c)
    }

    /// Subtracts the constant `c` from every element.
    pub fn sub_scalar(&self, c: F) -> Tensor<F> {
        self.add_scalar(-c)
    }

    /// Multiplies every element by the constant `c`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([1.0, 2.0]).mul_scalar(3.0).to_vec(), [3.0, 6.0]);
    /// ```
    pub fn mul_scalar(&self, c: F) -> Tensor<F> {
        self.map(|x| x * c)
    }

    /// Divides every element by the constant `c` (as a product with
    /// `1 / c`, which may differ from a quotient in the last bit).
    pub fn div_scalar(&self, c: F) -> Tensor<F> {
        self.mul_scalar(c.recip())
    }

    /// Raises every element to the constant power `p`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::from([2.0, 3.0]).powf(2.0).to_vec(), [4.0, 9.0]);
    /// ```
    pub fn powf(&self, p: F) -> Tensor<F> {
        self.map(|x| power(x, p))
    }

    /// Squares every element.
    pub fn square(&self) -> Tensor<F> {
        self.powf(F::from_f64(2.0))
    }
}

/// `x ^ p` of one number; a square is a product, exact and fast.
pub(crate) fn power<F: Float>(x: F, p: F) -> F {
    if p == F::from_f64(2.0) {
        x * x
    } else {
        x.powf(p)
    }
}

/// Backward rule of `add`.
#[inline]
pub(crate) fn add_backward<F: Float, T: Ops<F>>(
    lhs: &T,
    rhs: &T,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let grad_lhs = needs[0]
        .then(|| grad_out.sum_to(&lhs.shape()))
        .transpose()?;

    let grad_rhs = needs[1]
        .then(|| grad_out.sum_to(&rhs.shape()))
        .transpose()?;

    Ok(InputGrads::from_buf([grad_lhs, grad_rhs]))
}

/// Backward rule of `sub`.
#[inline]
pub(crate) fn sub_backward<F: Float, T: Ops<F>>(
    lhs: &T,
    rhs: &T,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let grad_lhs = needs[0]
        .then(|| grad_out.sum_to(&lhs.shape()))
        .transpose()?;

    let grad_rhs = needs[1]
        .then(|| grad_out.neg().sum_to(&rhs.shape()))
        .transpose()?;

    Ok(InputGrads::from_buf([grad_lhs, grad_rhs]))
}

/// Backward rule of `mul`.
#[inline]
pub(crate) fn mul_backward<F: Float, T: Ops<F>>(
    lhs: &T,
    rhs: &T,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let grad_lhs = needs[0]
        .then(|| grad_out.mul(rhs)?.sum_to(&lhs.shape()))
        .transpose()?;

    let grad_rhs = needs[1]
        .then(|| grad_out.mul(lhs)?.sum_to(&rhs.shape()))
        .transpose()?;

    Ok(InputGrads::from_buf([grad_lhs, grad_rhs]))
}

/// Backward rule of `div`: with `out = a / b`, `d out / d b = -out / b`.
#[inline]
pub(crate) fn div_backward<F: Float, T: Ops<F>>(
    lhs: &T,
    rhs: &T,
    out: &T,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let grad_lhs = needs[0]
        .then(|| grad_out.div(rhs)?.sum_to(&lhs.shape()))
        .transpose()?;

    let grad_rhs = needs[1]
        .then(|| grad_out.mul(out)?.div(rhs)?.neg().sum_to(&rhs.shape()))
        .transpose()?;

    Ok(InputGrads::from_buf([grad_lhs, grad_rhs]))
}

/// Backward rule of `powf`: `grad_x = grad_out * p * x ^ (p - 1)`.
///
/// The exponents 0, 1 and 2 take exact shortcuts, so that `x ^ 0` has a
/// zero gradient even at `x = 0`, and `x ^ 2` records no power.
#[inline]
pub(crate) fn powf_backward<F: Float, T: Ops<F>>(x: &T, p: F, grad_out: &T) -> Result<T, Error> {
    if p == F::zero() {
        return Ok(grad_out.mul_scalar(F::zero()));
    }
    if p == F::one() {
        return Ok(grad_out.clone());
    }
    if p == F::from_f64(2.0) {
        return grad_out.mul(&x.mul_scalar(p));
    }
    grad_out.mul(&x.powf(p - F::one()).mul_scalar(p))
}
