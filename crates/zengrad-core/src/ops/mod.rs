//! The primitive operations: what each one computes, and its backward rule.
//!
//! Each file holds a family of primitives: their forward on [`Tensor`], the
//! shape checks, and their backward rules. A backward rule is written once,
//! over [`Ops`], which both [`Tensor`] and [`Var`](crate::Var) implement: on
//! tensors it computes a gradient and records nothing; on vars it records
//! the gradient's computation on the tape, so that the gradient can be
//! differentiated again.
//!
//! Composite operations (mean, softmax, square, ...) are built from the
//! primitives and inherit their gradients.

use std::sync::Arc;

use smallvec::SmallVec;

pub use custom::CustomFn;

use crate::{Error, Float, Shape, Tensor};

pub(crate) mod arith;
pub(crate) mod custom;
pub(crate) mod layout;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod scalar;
pub(crate) mod select;
pub(crate) mod softmax;
pub(crate) mod unary;

/// The primitive that produced a node, with the constants it needs.
///
/// Axes are stored as `u32` and the rest is packed so that an `Op` takes
/// 24 bytes: every node of a tape holds one.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Op<F: Float> {
    /// An input, a parameter or a constant: a node with no inputs.
    Leaf,
    /// `lhs + rhs`, broadcasting.
    Add,
    /// `lhs - rhs`, broadcasting.
    Sub,
    /// `lhs * rhs`, broadcasting.
    Mul,
    /// `lhs / rhs`, broadcasting.
    Div,
    /// `-x`.
    Neg,
    /// `x + c` for a constant `c`.
    AddScalar(F),
    /// `x * c` for a constant `c`.
    MulScalar(F),
    /// `x ^ p` for a constant exponent `p`.
    Powf(F),
    /// `e ^ x`.
    Exp,
    /// The natural logarithm.
    Log,
    /// The square root.
    Sqrt,
    /// The sine.
    Sin,
    /// The cosine.
    Cos,
    /// The hyperbolic tangent.
    Tanh,
    /// The logistic function `1 / (1 + e ^ -x)`.
    Sigmoid,
    /// `max(x, 0)`.
    Relu,
    /// `|x|`.
    Abs,
    /// `x` limited to `[lo, hi]`.
    Clamp(F, F),
    /// The sum over the axes whose bit is set.
    Sum {
        /// A bit per axis: bit `i` set means axis `i` is summed.
        axes: u64,
        /// Whether the summed axes stay, with size 1.
        keepdims: bool,
    },
    /// The maximum over the axes whose bit is set.
    Max {
        /// A bit per axis: bit `i` set means axis `i` is reduced.
        axes: u64,
        /// Whether the reduced axes stay, with size 1.
        keepdims: bool,
    },
    /// The sum that reduces a broadcast result back to the output's shape.
    SumTo,
    /// Repeats the input along axes of size 1 to the output's shape.
    BroadcastTo,
    /// The same values in another shape.
    Reshape,
    /// The axes reordered: output axis `i` is input axis `order[i]`.
    Permute(Arc<[usize]>),
    /// The product of two matrices, or of two batches of them, with either
    /// operand optionally transposed (read transposed, not copied).
    MatMul {
        /// Whether the left operand's last two axes are swapped.
        trans_lhs: bool,
        /// Whether the right operand's last two axes are swapped.
        trans_rhs: bool,
    },
    /// The inputs joined along an axis.
    Concat {
        /// The axis along which the inputs are joined.
        axis: u32,
    },
    /// The elements `start..end` along an axis.
    Slice {
        /// The axis sliced.
        axis: u32,
        /// The first index kept.
        start: usize,
        /// One past the last index kept.
        end: usize,
    },
    /// The input surrounded by zeros along an axis.
    Pad {
        /// The axis padded.
        axis: u32,
        /// How many zeros come before the input.
        before: usize,
        /// How many zeros come after the input.
        after: usize,
    },
    /// The slices at the given indices along an axis.
    IndexSelect {
        /// The axis indexed.
        axis: u32,
        /// The indices, one output slice each.
        indices: Arc<[usize]>,
    },
    /// Each input slice added into zeros at its index along an axis (the
    /// transpose of [`Op::IndexSelect`]).
    IndexAdd {
        /// The axis indexed.
        axis: u32,
        /// The indices, one input slice each.
        indices: Arc<[usize]>,
    },
    /// `mask ? on_true : on_false`, elementwise with broadcasting; the mask
    /// is the first input and is never differentiated.
    Where,
    /// `x - logsumexp(x)` along an axis.
    LogSoftmax {
        /// The axis normalized.
        axis: u32,
    },
    /// An operation defined by its user, with its own backward rule.
    Custom(CustomFn<F>),
    /// `log(sum(exp(x)))` along an axis, computed without overflow.
    LogSumExp {
        /// The axis reduced.
        axis: u32,
        /// Whether the reduced axis stays, with size 1.
        keepdims: bool,
    },
}

impl<F: Float> Op<F> {
    /// The names of the built-in differentiable primitives, as
    /// [`Op::name`] spells them: every variant but [`Op::Leaf`] and
    /// [`Op::Custom`]. A test suite that registers every op can check
    /// itself against this list.
    pub const NAMES: &'static [&'static str] = &[
        "add",
        "sub",
        "mul",
        "div",
        "neg",
        "add_scalar",
        "mul_scalar",
        "powf",
        "exp",
        "log",
        "sqrt",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "abs",
        "clamp",
        "sum",
        "max",
        "sum_to",
        "broadcast_to",
        "reshape",
        "permute",
        "matmul",
        "concat",
        "slice",
        "pad",
        "index_select",
        "index_add",
        "where",
        "log_softmax",
        "logsumexp",
    ];

    /// Returns the operation's name, as the methods that record it spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "leaf",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Neg => "neg",
            Op::AddScalar(_) => "add_scalar",
            Op::MulScalar(_) => "mul_scalar",
            Op::Powf(_) => "powf",
            Op::Exp => "exp",
            Op::Log => "log",
            Op::Sqrt => "sqrt",
            Op::Sin => "sin",
            Op::Cos => "cos",
            Op::Tanh => "tanh",
            Op::Sigmoid => "sigmoid",
            Op::Relu => "relu",
            Op::Abs => "abs",
            Op::Clamp(..) => "clamp",
            Op::Sum { .. } => "sum",
            Op::Max { .. } => "max",
            Op::SumTo => "sum_to",
            Op::BroadcastTo => "broadcast_to",
            Op::Reshape => "reshape",
            Op::Permute(_) => "permute",
            Op::MatMul { .. } => "matmul",
            Op::Concat { .. } => "concat",
            Op::Slice { .. } => "slice",
            Op::Pad { .. } => "pad",
            Op::IndexSelect { .. } => "index_select",
            Op::IndexAdd { .. } => "index_add",
            Op::Where => "where",
            Op::LogSoftmax { .. } => "log_softmax",
            Op::LogSumExp { .. } => "logsumexp",
            Op::Custom(custom) => custom.name(),
        }
    }

    /// Returns whether the op holds memory on the heap (index lists, an
    /// axis order, a custom op), which dropping it must free.
    #[inline]
    pub(crate) fn owns_heap(&self) -> bool {
        // No wildcard: a new variant must say whether it owns memory.
        match self {
            Op::Permute(_) | Op::IndexSelect { .. } | Op::IndexAdd { .. } | Op::Custom(_) => true,
            Op::Leaf
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Neg
            | Op::AddScalar(_)
            | Op::MulScalar(_)
            | Op::Powf(_)
            | Op::Exp
            | Op::Log
            | Op::Sqrt
            | Op::Sin
            | Op::Cos
            | Op::Tanh
            | Op::Sigmoid
            | Op::Relu
            | Op::Abs
            | Op::Clamp(..)
            | Op::Sum { .. }
            | Op::Max { .. }
            | Op::SumTo
            | Op::BroadcastTo
            | Op::Reshape
            | Op::MatMul { .. }
            | Op::Concat { .. }
            | Op::Slice { .. }
            | Op::Pad { .. }
            | Op::Where
            | Op::LogSoftmax { .. }
            | Op::LogSumExp { .. } => false,
        }
    }
}

/// The operations a backward rule is written in.
///
/// Both [`Tensor`] and [`Var`](crate::Var) implement it: a rule generic over
/// `Ops` computes plain gradients from tensors, and records differentiable
/// gradients from vars, from one source.
pub trait Ops<F: Float>: Clone + Sized {
    /// Returns the shape.
    fn shape(&self) -> Shape;

    /// Returns the value, as a tensor.
    fn value(&self) -> Tensor<F>;

    /// Wraps a tensor as a value of the same kind as `self` that no gradient
    /// flows into: for a var, a constant on the same tape.
    fn constant(&self, value: Tensor<F>) -> Self;

    /// `self + rhs`, broadcasting.
    fn add(&self, rhs: &Self) -> Result<Self, Error>;

    /// `self - rhs`, broadcasting.
    fn sub(&self, rhs: &Self) -> Result<Self, Error>;

    /// `self * rhs`, broadcasting.
    fn mul(&self, rhs: &Self) -> Result<Self, Error>;

    /// `self / rhs`, broadcasting.
    fn div(&self, rhs: &Self) -> Result<Self, Error>;

    /// `-self`.
    fn neg(&self) -> Self;

    /// `self + c`.
    fn add_scalar(&self, c: F) -> Self;

    /// `self * c`.
    fn mul_scalar(&self, c: F) -> Self;

    /// `self ^ p`.
    fn powf(&self, p: F) -> Self;

    /// `e ^ self`.
    fn exp(&self) -> Self;

    /// The sine.
    fn sin(&self) -> Self;

    /// The cosine.
    fn cos(&self) -> Self;

    /// The sum over the axes whose bit is set in `axes`.
    fn sum_axes(&self, axes: u64, keepdims: bool) -> Result<Self, Error>;

    /// Sums a broadcast result back to `shape`.
    fn sum_to(&self, shape: &Shape) -> Result<Self, Error>;

    /// Repeats along axes of size 1 up to `shape`.
    fn broadcast_to(&self, shape: &Shape) -> Result<Self, Error>;

    /// The same values in another shape.
    fn reshape(&self, shape: &Shape) -> Result<Self, Error>;

    /// Reorders the axes: output axis `i` is axis `order[i]`.
    fn permute(&self, order: &[usize]) -> Result<Self, Error>;

    /// The matrix product, with either operand read transposed.
    fn matmul_t(&self, rhs: &Self, trans_lhs: bool, trans_rhs: bool) -> Result<Self, Error>;

    /// The elements `start..end` along `axis`.
    fn slice(&self, axis: usize, start: usize, end: usize) -> Result<Self, Error>;

    /// Surrounds with `before` and `after` zeros along `axis`.
    fn pad(&self, axis: usize, before: usize, after: usize) -> Result<Self, Error>;

    /// The slices at `indices` along `axis`.
    fn index_select(&self, axis: usize, indices: &Arc<[usize]>) -> Result<Self, Error>;

    /// Adds slice `i` into zeros at `indices[i]` along `axis`, for an axis
    /// of `size`.
    fn index_add(&self, axis: usize, indices: &Arc<[usize]>, size: usize) -> Result<Self, Error>;

    /// `mask ? self : other`, with broadcasting; `mask` is a constant.
    fn select(&self, mask: &Self, other: &Self) -> Result<Self, Error>;

    /// Runs the rule of a custom op on this kind of value. Internal: it
    /// routes a type-erased rule to the right instance of its generic
    /// backward.
    #[doc(hidden)]
    fn custom_backward(
        op: &CustomFn<F>,
        inputs: &[&Self],
        out: &Self,
        grad_out: &Self,
    ) -> Result<Vec<Option<Self>>, Error>;
}

/// The gradients of one node's inputs: `None` for an input that needs none.
pub(crate) type InputGrads<T> = SmallVec<[Option<T>; 2]>;

/// Applies the backward rule of `op`: maps `grad_out`, the gradient of the
/// node's output `out`, to the gradients of its `inputs`. `needs[i]` tells
/// whether input `i` needs a gradient; a rule skips the work of the others.
#[inline]
pub(crate) fn backward<F: Float, T: Ops<F>>(
    op: &Op<F>,
    inputs: &[&T],
    out: &T,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let mut grads: InputGrads<T> = inputs.iter().map(|_| None).collect();
    backward_each(op, inputs, out, grad_out, needs, |k, grad| {
        grads[k] = Some(grad)
    })?;
    Ok(grads)
}

/// Applies the backward rule of `op` as [`backward`] does, and hands each
/// input's gradient to `each` with the input's position.
///
/// Handing them over inside each op's arm, rather than collecting them
/// first, lets the compiler fit the hand-over to the op (two gradients
/// for `mul`, one for `tanh`), which is most of the cost of a scalar node.
#[inline(always)]
pub(crate) fn backward_each<F: Float, T: Ops<F>>(
    op: &Op<F>,
    inputs: &[&T],
    out: &T,
    grad_out: &T,
    needs: &[bool],
    mut each: impl FnMut(usize, T),
) -> Result<(), Error> {
    let each = &mut each;
    match op {
        Op::Leaf => {}
        Op::Add => hand(
            arith::add_backward(inputs[0], inputs[1], grad_out, needs)?,
            each,
        ),
        Op::Sub => hand(
            arith::sub_backward(inputs[0], inputs[1], grad_out, needs)?,
            each,
        ),
        Op::Mul => hand(
            arith::mul_backward(inputs[0], inputs[1], grad_out, needs)?,
            each,
        ),
        Op::Div => hand(
            arith::div_backward(inputs[0], inputs[1], out, grad_out, needs)?,
            each,
        ),
        Op::Neg => each(0, grad_out.neg()),
        Op::AddScalar(_) => each(0, grad_out.clone()),
        Op::MulScalar(c) => each(0, grad_out.mul_scalar(*c)),
        Op::Powf(p) => each(0, arith::powf_backward(inputs[0], *p, grad_out)?),
        Op::Exp => each(0, grad_out.mul(out)?),
        Op::Log => each(0, grad_out.div(inputs[0])?),
        Op::Sqrt => each(0, grad_out.div(&out.mul_scalar(F::from_f64(2.0)))?),
        Op::Sin => each(0, grad_out.mul(&inputs[0].cos())?),
        Op::Cos => each(0, grad_out.mul(&inputs[0].sin())?.neg()),
        Op::Tanh => each(0, unary::tanh_backward(out, grad_out)?),
        Op::Sigmoid => each(0, unary::sigmoid_backward(out, grad_out)?),
        Op::Relu => each(0, unary::relu_backward(inputs[0], grad_out)?),
        Op::Abs => each(0, unary::abs_backward(inputs[0], grad_out)?),
        Op::Clamp(lo, hi) => each(0, unary::clamp_backward(inputs[0], *lo, *hi, grad_out)?),
        Op::Sum { axes, keepdims } => each(
            0,
            reduce::sum_backward(inputs[0], *axes, *keepdims, grad_out)?,
        ),
        Op::Max { axes, keepdims } => each(
            0,
            reduce::max_backward(inputs[0], out, *axes, *keepdims, grad_out)?,
        ),
        Op::SumTo => each(0, grad_out.broadcast_to(&inputs[0].shape())?),
        Op::BroadcastTo => each(0, grad_out.sum_to(&inputs[0].shape())?),
        Op::Reshape => each(0, grad_out.reshape(&inputs[0].shape())?),
        Op::Permute(order) => each(0, layout::permute_backward(order, grad_out)?),
        Op::MatMul {
            trans_lhs,
            trans_rhs,
        } => hand(
            matmul::backward(
                inputs[0], inputs[1], *trans_lhs, *trans_rhs, grad_out, needs,
            )?,
            each,
        ),
        Op::Concat { axis } => hand(
            layout::concat_backward(inputs, *axis as usize, grad_out, needs)?,
            each,
        ),
        Op::Slice { axis, start, end } => {
            let axis = *axis as usize;
            let size = inputs[0].shape()[axis];
            each(0, grad_out.pad(axis, *start, size - end)?)
        }
        Op::Pad { axis, before, .. } => {
            let axis = *axis as usize;
            let size = inputs[0].shape()[axis];
            each(0, grad_out.slice(axis, *before, before + size)?)
        }
        Op::IndexSelect { axis, indices } => {
            let axis = *axis as usize;
            let size = inputs[0].shape()[axis];
            each(0, grad_out.index_add(axis, indices, size)?)
        }
        Op::IndexAdd { axis, indices } => each(0, grad_out.index_select(*axis as usize, indices)?),
        Op::Where => hand(select::where_backward(inputs, grad_out, needs)?, each),
        Op::Custom(op) => hand(custom::backward(op, inputs, out, grad_out)?, each),
        Op::LogSoftmax { axis } => each(
            0,
            softmax::log_softmax_backward(out, *axis as usize, grad_out)?,
        ),
        Op::LogSumExp { axis, keepdims } => each(
            0,
            softmax::logsumexp_backward(inputs[0], *axis as usize, *keepdims, grad_out)?,
        ),
    }
    Ok(())
}

/// Hands the gradients of a rule of several inputs to `each`, skipping the
/// inputs that got none.
#[inline(always)]
fn hand<T>(grads: InputGrads<T>, each: &mut impl FnMut(usize, T)) {
    for (k, grad) in grads.into_iter().enumerate() {
        if let Some(grad) = grad {
            each(k, grad);
        }
    }
}

/// Resolves a list of possibly negative axes into a bit mask, for `rank`.
pub(crate) fn axes_mask(op: &'static str, axes: &[isize], rank: usize) -> Result<u64, Error> {
    let mut mask = 0u64;
    for &axis in axes {
        let axis = crate::shape::resolve_axis(op, axis, rank)?;
        if axis >= 64 {
            return Err(Error::Axis {
                op,
                axis: axis as isize,
                rank: 64,
            });
        }
        mask |= 1 << axis;
    }
    Ok(mask)
}

/// Returns the mask of every axis of a tensor of `rank`.
pub(crate) fn all_axes(rank: usize) -> u64 {
    if rank >= 64 {
        u64::MAX
    } else {
        (1u64 << rank) - 1
    }
}

impl<F: Float> Ops<F> for Tensor<F> {
    fn shape(&self) -> Shape {
        Tensor::shape(self).clone()
    }

    fn value(&self) -> Tensor<F> {
        self.clone()
    }

    fn constant(&self, value: Tensor<F>) -> Self {
        value
    }

    fn add(&self, rhs: &Self) -> Result<Self, Error> {
        Tensor::add(self, rhs)
    }

    fn sub(&self, rhs: &Self) -> Result<Self, Error> {
        Tensor::sub(self, rhs)
    }

    fn mul(&self, rhs: &Self) -> Result<Self, Error> {
        Tensor::mul(self, rhs)
    }

    fn div(&self, rhs: &Self) -> Result<Self, Error> {
        Tensor::div(self, rhs)
    }

    fn neg(&self) -> Self {
        Tensor::neg(self)
    }

    fn add_scalar(&self, c: F) -> Self {
        Tensor::add_scalar(self, c)
    }

    fn mul_scalar(&self, c: F) -> Self {
        Tensor::mul_scalar(self, c)
    }

    fn powf(&self, p: F) -> Self {
        Tensor::powf(self, p)
    }

    fn exp(&self) -> Self {
        Tensor::exp(self)
    }

    fn sin(&self) -> Self {
        Tensor::sin(self)
    }

    fn cos(&self) -> Self {
        Tensor::cos(self)
    }

    fn sum_axes(&self, axes: u64, keepdims: bool) -> Result<Self, Error> {
        Ok(self.sum_mask(axes, keepdims))
    }

    fn sum_to(&self, shape: &Shape) -> Result<Self, Error> {
        Tensor::sum_to(self, shape)
    }

    fn broadcast_to(&self, shape: &Shape) -> Result<Self, Error> {
        Tensor::broadcast_to(self, shape)
    }

    fn reshape(&self, shape: &Shape) -> Result<Self, Error> {
        Tensor::reshape(self, shape)
    }

    fn permute(&self, order: &[usize]) -> Result<Self, Error> {
        Tensor::permute(self, order)
    }

    fn matmul_t(&self, rhs: &Self, trans_lhs: bool, trans_rhs: bool) -> Result<Self, Error> {
        Tensor::matmul_t(self, rhs, trans_lhs, trans_rhs)
    }

    fn slice(&self, axis: usize, start: usize, end: usize) -> Result<Self, Error> {
        self.slice_axis(axis, start, end)
    }

    fn pad(&self, axis: usize, before: usize, after: usize) -> Result<Self, Error> {
        Ok(self.pad_axis(axis, before, after))
    }

    fn index_select(&self, axis: usize, indices: &Arc<[usize]>) -> Result<Self, Error> {
        Ok(self.index_select_axis(axis, indices))
    }

    fn index_add(&self, axis: usize, indices: &Arc<[usize]>, size: usize) -> Result<Self, Error> {
        Ok(self.index_add_axis(axis, indices, size))
    }

    fn select(&self, mask: &Self, other: &Self) -> Result<Self, Error> {
        Tensor::where_(mask, self, other)
    }

    fn custom_backward(
        op: &CustomFn<F>,
        inputs: &[&Self],
        out: &Self,
        grad_out: &Self,
    ) -> Result<Vec<Option<Self>>, Error> {
        op.0.backward_tensor(inputs, out, grad_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of every variant. The match below has no wildcard, so a
    /// new variant does not compile until it is added here, and then the
    /// test checks that `NAMES` lists it.
    fn every_variant() -> Vec<Op<f64>> {
        let all = vec![
            Op::Leaf,
            Op::Add,
            Op::Sub,
            Op::Mul,
            Op::Div,
            Op::Neg,
            Op::AddScalar(1.0),
            Op::MulScalar(1.0),
            Op::Powf(2.0),
            Op::Exp,
            Op::Log,
            Op::Sqrt,
            Op::Sin,
            Op::Cos,
            Op::Tanh,
            Op::Sigmoid,
            Op::Relu,
            Op::Abs,
            Op::Clamp(0.0, 1.0),
            Op::Sum {
                axes: 1,
                keepdims: false,
            },
            Op::Max {
                axes: 1,
                keepdims: false,
            },
            Op::SumTo,
            Op::BroadcastTo,
            Op::Reshape,
            Op::Permute(Arc::from([0usize])),
            Op::MatMul {
                trans_lhs: false,
                trans_rhs: false,
            },
            Op::Concat { axis: 0 },
            Op::Slice {
                axis: 0,
                start: 0,
                end: 1,
            },
            Op::Pad {
                axis: 0,
                before: 0,
                after: 1,
            },
            Op::IndexSelect {
                axis: 0,
                indices: Arc::from([0usize]),
            },
            Op::IndexAdd {
                axis: 0,
                indices: Arc::from([0usize]),
            },
            Op::Where,
            Op::LogSoftmax { axis: 0 },
            Op::LogSumExp {
                axis: 0,
                keepdims: false,
            },
        ];
        for op in &all {
            match op {
                Op::Leaf
                | Op::Add
                | Op::Sub
                | Op::Mul
                | Op::Div
                | Op::Neg
                | Op::AddScalar(_)
                | Op::MulScalar(_)
                | Op::Powf(_)
                | Op::Exp
                | Op::Log
                | Op::Sqrt
                | Op::Sin
                | Op::Cos
                | Op::Tanh
                | Op::Sigmoid
                | Op::Relu
                | Op::Abs
                | Op::Clamp(..)
                | Op::Sum { .. }
                | Op::Max { .. }
                | Op::SumTo
                | Op::BroadcastTo
                | Op::Reshape
                | Op::Permute(_)
                | Op::MatMul { .. }
                | Op::Concat { .. }
                | Op::Slice { .. }
                | Op::Pad { .. }
                | Op::IndexSelect { .. }
                | Op::IndexAdd { .. }
                | Op::Where
                | Op::LogSoftmax { .. }
                | Op::LogSumExp { .. }
                | Op::Custom(_) => {}
            }
        }
        all
    }

    #[test]
    fn names_lists_every_builtin_primitive_once() {
        let names: Vec<&str> = every_variant()
            .iter()
            .filter(|op| !matches!(op, Op::Leaf))
            .map(Op::name)
            .collect();
        assert_eq!(names, Op::<f64>::NAMES);
    }
}
