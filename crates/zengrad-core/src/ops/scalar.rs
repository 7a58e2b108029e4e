//! `Scalar`: a rank-0 value on which the backward rules of scalar nodes run.
//!
//! A graph of scalars (one value per node, as in micrograd) spends its time
//! in per-node overhead, not arithmetic. Running the same generic backward
//! rules on this plain number, instead of on [`Tensor`], removes the shapes
//! and buffers from that path while keeping every rule written once.

use std::sync::Arc;

use crate::ops::{CustomFn, Ops};
use crate::{Error, Float, Shape, Tensor};

/// A value of shape `[]`, as a bare number.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar<F>(pub(crate) F);

impl<F: Float> Scalar<F> {
    /// A shape-changing op asked of a scalar: the backward walk only picks
    /// this type when every value of the node has shape `[]`, so a request
    /// for another shape means that invariant broke.
    fn only_scalar(op: &'static str, shape: &Shape) -> Result<Self, Error> {
        Err(Error::ShapeMismatch {
            op,
            expected: Shape::scalar(),
            got: shape.clone(),
        })
    }
}

impl<F: Float> Ops<F> for Scalar<F> {
    fn shape(&self) -> Shape {
        Shape::scalar()
    }

    fn value(&self) -> Tensor<F> {
        Tensor::scalar(self.0)
    }

    fn constant(&self, value: Tensor<F>) -> Self {
        Scalar(value.data()[0])
    }

    #[inline]
    fn add(&self, rhs: &Self) -> Result<Self, Error> {
        Ok(Scalar(self.0 + rhs.0))
    }

    #[inline]
    fn sub(&self, rhs: &Self) -> Result<Self, Error> {
        Ok(Scalar(self.0 - rhs.0))
    }

    #[inline]
    fn mul(&self, rhs: &Self) -> Result<Self, Error> {
        Ok(Scalar(self.0 * rhs.0))
    }

    #[inline]
    fn div(&self, rhs: &Self) -> Result<Self, Error> {
        Ok(Scalar(self.0 / rhs.0))
    }

    #[inline]
    fn neg(&self) -> Self {
        Scalar(-self.0)
    }

    #[inline]
    fn add_scalar(&self, c: F) -> Self {
        Scalar(self.0 + c)
    }

    #[inline]
    fn mul_scalar(&self, c: F) -> Self {
        Scalar(self.0 * c)
    }

    #[inline]
    fn powf(&self, p: F) -> Self {
        Scalar(self.0.powf(p))
    }

    fn exp(&self) -> Self {
        Scalar(self.0.exp())
    }

    fn sin(&self) -> Self {
        Scalar(self.0.sin())
    }

    fn cos(&self) -> Self {
        Scalar(self.0.cos())
    }

    #[inline]
    fn sum_axes(&self, _axes: u64, _keepdims: bool) -> Result<Self, Error> {
        Ok(*self)
    }

    #[inline]
    fn sum_to(&self, shape: &Shape) -> Result<Self, Error> {
        same_shape(self, "sum_to", shape)
    }

    #[inline]
    fn broadcast_to(&self, shape: &Shape) -> Result<Self, Error> {
        same_shape(self, "broadcast_to", shape)
    }

    fn reshape(&self, shape: &Shape) -> Result<Self, Error> {
        same_shape(self, "reshape", shape)
    }

    fn permute(&self, order: &[usize]) -> Result<Self, Error> {
        if order.is_empty() {
            Ok(*self)
        } else {
            Self::only_scalar("permute", &Shape::from(order))
        }
    }

    fn matmul_t(&self, rhs: &Self, _: bool, _: bool) -> Result<Self, Error> {
        Err(Error::MatMul {
            lhs: self.shape(),
            rhs: rhs.shape(),
        })
    }

    fn slice(&self, axis: usize, _: usize, _: usize) -> Result<Self, Error> {
        Err(Error::Axis {
            op: "slice",
            axis: axis as isize,
            rank: 0,
        })
    }

    fn pad(&self, axis: usize, _: usize, _: usize) -> Result<Self, Error> {
        Err(Error::Axis {
            op: "pad",
            axis: axis as isize,
            rank: 0,
        })
    }

    fn index_select(&self, axis: usize, _: &Arc<[usize]>) -> Result<Self, Error> {
        Err(Error::Axis {
            op: "index_select",
            axis: axis as isize,
            rank: 0,
        })
    }

    fn index_add(&self, axis: usize, _: &Arc<[usize]>, _: usize) -> Result<Self, Error> {
        Err(Error::Axis {
            op: "index_add",
            axis: axis as isize,
            rank: 0,
        })
    }

    fn select(&self, mask: &Self, other: &Self) -> Result<Self, Error> {
        Ok(if mask.0 != F::zero() { *self } else { *other })
    }

    fn custom_backward(
        op: &CustomFn<F>,
        inputs: &[&Self],
        out: &Self,
        grad_out: &Self,
    ) -> Result<Vec<Option<Self>>, Error> {
        super::custom::scalar_backward(op, inputs, out, grad_out)
    }
}

/// Returns the scalar itself when `shape` is `[]`.
fn same_shape<F: Float>(
    x: &Scalar<F>,
    op: &'static str,
    shape: &Shape,
) -> Result<Scalar<F>, Error> {
    if shape.rank() == 0 {
        Ok(*x)
    } else {
        Scalar::only_scalar(op, shape)
    }
}
