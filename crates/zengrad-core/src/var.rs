//! The operations on [`Var`]: each computes its value with the tensor op of
//! the same name and records a node on the tape.

use std::ops::Range;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::ops::layout::{check_indices, check_permutation, check_range, swap_order, unsqueezed};
use crate::ops::matmul::vector_shapes;
use crate::ops::reduce::reduced_count;
use crate::ops::{CustomFn, Op, Ops, all_axes, arith, axes_mask, unary};
use crate::shape::resolve_axis;
use crate::tape::Value;
use crate::{Error, Float, NodeId, Shape, Tensor, Var};

// The fallible `add`, `sub`, `mul`, `div` stand beside the operators on
// purpose: the operators panic on bad shapes, these return the error.
#[allow(clippy::should_implement_trait)]
impl<'t, F: Float> Var<'t, F> {
    /// Records an elementwise op of one input, computed by `f` on each
    /// element; a scalar is computed without making a tensor.
    ///
    /// `op` makes the op only when the node is written (here and in
    /// [`zip`](Var::zip)): an op made earlier must be kept on the stack in
    /// case of a panic, and copying it from there stalls a scalar op.
    #[inline(always)]
    fn map(self, op: impl FnOnce() -> Op<F>, f: impl Fn(F) -> F) -> Var<'t, F> {
        let mut nodes = self.tape.nodes.borrow_mut();
        let ids = [self.id];
        let value = match nodes.value(self.id) {
            Value::Scalar(x) => Value::Scalar(f(*x)),
            Value::Tensor(x) => Value::new(x.map(f)),
        };
        let id = nodes.record(op, &ids, value);
        Var {
            tape: self.tape,
            id,
        }
    }

    /// Records an elementwise op of two inputs with broadcasting, computed
    /// by `f` on each pair; two scalars are combined without tensors.
    #[inline(always)]
    fn zip(
        self,
        name: &'static str,
        rhs: Var<'t, F>,
        op: impl FnOnce() -> Op<F>,
        f: impl Fn(F, F) -> F,
    ) -> Result<Var<'t, F>, Error> {
        self.same_tape(name, rhs)?;
        let mut nodes = self.tape.nodes.borrow_mut();
        let ids = [self.id, rhs.id];
        let value = match (nodes.value(self.id), nodes.value(rhs.id)) {
            (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(f(*x, *y)),
            (x, y) => Value::new(x.to_tensor().zip_with(&y.to_tensor(), name, f)?),
        };
        let id = nodes.record(op, &ids, value);
        Ok(Var {
            tape: self.tape,
            id,
        })
    }

    /// Records an op of one input whose forward cannot fail.
    fn unary(self, op: Op<F>, forward: impl FnOnce(&Tensor<F>) -> Tensor<F>) -> Var<'t, F> {
        self.try_unary(op, |x| Ok(forward(x)))
            .expect("internal error: an infallible forward failed")
    }

    /// Records an op of one input.
    fn try_unary(
        self,
        op: Op<F>,
        forward: impl FnOnce(&Tensor<F>) -> Result<Tensor<F>, Error>,
    ) -> Result<Var<'t, F>, Error> {
        Var::record(self.tape, op, &[self.id], |inputs| forward(inputs[0]))
    }

    /// Records an op of several inputs, all on this var's tape.
    fn record(
        tape: &'t crate::Tape<F>,
        op: Op<F>,
        inputs: &[NodeId],
        forward: impl FnOnce(&[&Tensor<F>]) -> Result<Tensor<F>, Error>,
    ) -> Result<Var<'t, F>, Error> {
        let value = {
            let nodes = tape.nodes.borrow();
            let values: SmallVec<[Tensor<F>; 3]> = inputs
                .iter()
                .map(|&id| nodes.value(id).to_tensor())
                .collect();
            let refs: SmallVec<[&Tensor<F>; 3]> = values.iter().collect();
            Value::new(forward(&refs)?)
        };
        let id = tape.nodes.borrow_mut().record(|| op, inputs, value);
        Ok(Var { tape, id })
    }

    /// Records an op of two inputs.
    fn binary(
        self,
        name: &'static str,
        rhs: Var<'t, F>,
        op: Op<F>,
        forward: impl FnOnce(&Tensor<F>, &Tensor<F>) -> Result<Tensor<F>, Error>,
    ) -> Result<Var<'t, F>, Error> {
        self.same_tape(name, rhs)?;
        Var::record(self.tape, op, &[self.id, rhs.id], |v| forward(v[0], v[1]))
    }

    /// Adds element by element with broadcasting; see [`Tensor::add`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast, and
    /// [`Error::ForeignVar`] when `rhs` is on another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([1.0, 2.0]));
    /// let b = tape.var(Tensor::scalar(10.0));
    /// let y = x.add(b)?.sum_all();
    /// let grads = y.backward()?;
    /// assert_eq!(grads.get(b).unwrap().item()?, 2.0); // b was broadcast twice
    /// # Ok::<(), Error>(())
    /// ```
    pub fn add(self, rhs: Var<'t, F>) -> Result<Var<'t, F>, Error> {
        self.zip("add", rhs, || Op::Add, |a, b| a + b)
    }

    /// Subtracts element by element with broadcasting; see [`Tensor::sub`].
    ///
    /// # Errors
    ///
    /// As [`Var::add`].
    pub fn sub(self, rhs: Var<'t, F>) -> Result<Var<'t, F>, Error> {
        self.zip("sub", rhs, || Op::Sub, |a, b| a - b)
    }

    /// Multiplies element by element with broadcasting; see [`Tensor::mul`].
    ///
    /// # Errors
    ///
    /// As [`Var::add`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(2.0));
    /// let y = tape.var(Tensor::scalar(5.0));
    /// let grads = x.mul(y)?.backward()?;
    /// assert_eq!(grads.get(x).unwrap().item()?, 5.0);
    /// assert_eq!(grads.get(y).unwrap().item()?, 2.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn mul(self, rhs: Var<'t, F>) -> Result<Var<'t, F>, Error> {
        self.zip("mul", rhs, || Op::Mul, |a, b| a * b)
    }

    /// Divides element by element with broadcasting; see [`Tensor::div`].
    ///
    /// # Errors
    ///
    /// As [`Var::add`].
    pub fn div(self, rhs: Var<'t, F>) -> Result<Var<'t, F>, Error> {
        self.zip("div", rhs, || Op::Div, |a, b| a / b)
    }

    /// Negates every element.
    pub fn neg(self) -> Var<'t, F> {
        self.map(|| Op::Neg, |x| -x)
    }

    /// Adds the constant `c` to every element.
    pub fn add_scalar(self, c: F) -> Var<'t, F> {
        self.map(|| Op::AddScalar(c), |x| x + c)
    }

    /// Subtracts the constant `c` from every element.
    pub fn sub_scalar(self, c: F) -> Var<'t, F> {
        self.add_scalar(-c)
    }

    /// Multiplies every element by the constant `c`.
    pub fn mul_scalar(self, c: F) -> Var<'t, F> {
        self.map(|| Op::MulScalar(c), |x| x * c)
    }

    /// Divides every element by the constant `c` (as a product with
    /// `1 / c`).
    pub fn div_scalar(self, c: F) -> Var<'t, F> {
        self.mul_scalar(c.recip())
    }

    /// Raises every element to the constant power `p`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(2.0));
    /// let grads = x.powf(3.0).backward()?;
    /// assert_eq!(grads.get(x).unwrap().item()?, 12.0); // 3 x^2
    /// # Ok::<(), Error>(())
    /// ```
    pub fn powf(self, p: F) -> Var<'t, F> {
        self.map(|| Op::Powf(p), |x| arith::power(x, p))
    }

    /// Squares every element: `powf(2)`.
    pub fn square(self) -> Var<'t, F> {
        self.powf(F::from_f64(2.0))
    }

    /// Computes `e ^ x`; the gradient is `grad_out * e ^ x`.
    pub fn exp(self) -> Var<'t, F> {
        self.map(|| Op::Exp, F::exp)
    }

    /// Computes the natural logarithm; the gradient is `grad_out / x`.
    pub fn log(self) -> Var<'t, F> {
        self.map(|| Op::Log, F::ln)
    }

    /// Computes the square root; the gradient is `grad_out / (2 sqrt(x))`.
    pub fn sqrt(self) -> Var<'t, F> {
        self.map(|| Op::Sqrt, F::sqrt)
    }

    /// Computes the sine; the gradient is `grad_out * cos(x)`.
    pub fn sin(self) -> Var<'t, F> {
        self.map(|| Op::Sin, F::sin)
    }

    /// Computes the cosine; the gradient is `-grad_out * sin(x)`.
    pub fn cos(self) -> Var<'t, F> {
        self.map(|| Op::Cos, F::cos)
    }

    /// Computes the hyperbolic tangent; the gradient is
    /// `grad_out * (1 - tanh(x)^2)`.
    pub fn tanh(self) -> Var<'t, F> {
        self.map(|| Op::Tanh, F::tanh)
    }

    /// Computes the logistic function without overflow (see
    /// [`Tensor::sigmoid`]); the gradient is `grad_out * s * (1 - s)` with
    /// `s = sigmoid(x)`, finite at any input.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([-1000.0, 0.0, 1000.0]));
    /// let grads = x.sigmoid().sum_all().backward()?;
    /// assert_eq!(grads.get(x).unwrap().to_vec(), [0.0, 0.25, 0.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sigmoid(self) -> Var<'t, F> {
        self.map(|| Op::Sigmoid, unary::sigmoid)
    }

    /// Computes `max(x, 0)`; the gradient is `grad_out` where `x > 0` and 0
    /// elsewhere, including at `x = 0` (as PyTorch).
    pub fn relu(self) -> Var<'t, F> {
        self.map(|| Op::Relu, unary::relu)
    }

    /// Computes `|x|`; the gradient is `grad_out * sign(x)`, 0 at `x = 0`
    /// (as PyTorch).
    pub fn abs(self) -> Var<'t, F> {
        self.map(|| Op::Abs, F::abs)
    }

    /// Limits every element to `[lo, hi]`; the gradient passes only where
    /// `lo < x < hi` strictly, and is 0 on and beyond the bounds.
    pub fn clamp(self, lo: F, hi: F) -> Var<'t, F> {
        self.map(|| Op::Clamp(lo, hi), |x| unary::clamp(x, lo, hi))
    }

    /// Sums over `axes`; see [`Tensor::sum`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range.
    pub fn sum(self, axes: &[isize], keepdims: bool) -> Result<Var<'t, F>, Error> {
        let axes = axes_mask("sum", axes, self.shape().rank())?;
        Ok(self.sum_mask(axes, keepdims))
    }

    /// Sums every element into a scalar.
    pub fn sum_all(self) -> Var<'t, F> {
        self.sum_mask(all_axes(self.shape().rank()), false)
    }

    fn sum_mask(self, axes: u64, keepdims: bool) -> Var<'t, F> {
        self.unary(Op::Sum { axes, keepdims }, |x| x.sum_mask(axes, keepdims))
    }

    /// Averages over `axes`: a sum times `1 / count`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range.
    pub fn mean(self, axes: &[isize], keepdims: bool) -> Result<Var<'t, F>, Error> {
        let shape = self.shape();
        let axes = axes_mask("mean", axes, shape.rank())?;
        let count = reduced_count(&shape, axes);
        Ok(self
            .sum_mask(axes, keepdims)
            .div_scalar(F::from_usize(count)))
    }

    /// Averages every element into a scalar.
    pub fn mean_all(self) -> Var<'t, F> {
        let count = self.shape().numel();
        self.sum_all().div_scalar(F::from_usize(count))
    }

    /// Takes the maximum over `axes`; tied maxima share the gradient
    /// equally, as `torch.amax`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range and
    /// [`Error::EmptyAxis`] when a reduced axis has size 0.
    pub fn max(self, axes: &[isize], keepdims: bool) -> Result<Var<'t, F>, Error> {
        let axes = axes_mask("max", axes, self.shape().rank())?;
        self.try_unary(Op::Max { axes, keepdims }, |x| x.max_mask(axes, keepdims))
    }

    /// Takes the maximum of every element.
    ///
    /// # Errors
    ///
    /// Returns [`Error::EmptyAxis`] when the var has no elements.
    pub fn max_all(self) -> Result<Var<'t, F>, Error> {
        let axes = all_axes(self.shape().rank());
        self.try_unary(
            Op::Max {
                axes,
                keepdims: false,
            },
            |x| x.max_mask(axes, false),
        )
    }

    /// Multiplies matrices; see [`Tensor::matmul`] for shapes, batching and
    /// 1-D operands.
    ///
    /// # Errors
    ///
    /// Returns [`Error::MatMul`] when the shapes do not fit, and
    /// [`Error::ForeignVar`] when `rhs` is on another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::from([[1.0, 2.0]]));
    /// let b = tape.var(Tensor::from([[3.0], [4.0]]));
    /// let grads = a.matmul(b)?.sum_all().backward()?;
    /// assert_eq!(grads.get(a).unwrap().to_vec(), [3.0, 4.0]); // b^T
    /// # Ok::<(), Error>(())
    /// ```
    pub fn matmul(self, rhs: Var<'t, F>) -> Result<Var<'t, F>, Error> {
        self.same_tape("matmul", rhs)?;
        let (lhs_shape, rhs_shape, out_shape) = vector_shapes(&self.shape(), &rhs.shape())?;
        let lhs = self.reshape(lhs_shape)?;
        let rhs = rhs.reshape(rhs_shape)?;
        lhs.matmul_t(rhs, false, false)?.reshape(out_shape)
    }

    /// Multiplies matrices with either operand read transposed; see
    /// [`Tensor::matmul_t`].
    ///
    /// # Errors
    ///
    /// As [`Var::matmul`].
    pub fn matmul_t(
        self,
        rhs: Var<'t, F>,
        trans_lhs: bool,
        trans_rhs: bool,
    ) -> Result<Var<'t, F>, Error> {
        let op = Op::MatMul {
            trans_lhs,
            trans_rhs,
        };
        self.binary("matmul", rhs, op, |a, b| {
            a.matmul_t(b, trans_lhs, trans_rhs)
        })
    }

    /// Returns the same values in another shape; see [`Tensor::reshape`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Reshape`] when the numbers of elements differ.
    pub fn reshape(self, shape: impl Into<Shape>) -> Result<Var<'t, F>, Error> {
        let shape = shape.into();
        if shape == self.shape() {
            return Ok(self);
        }
        self.try_unary(Op::Reshape, |x| x.reshape(shape))
    }

    /// Inserts an axis of size 1 at `axis`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when `axis` is out of range.
    pub fn unsqueeze(self, axis: isize) -> Result<Var<'t, F>, Error> {
        let shape = unsqueezed("unsqueeze", &self.shape(), axis)?;
        self.reshape(shape)
    }

    /// Reorders the axes; see [`Tensor::permute`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Permutation`] when `order` is not a permutation.
    pub fn permute(self, order: &[usize]) -> Result<Var<'t, F>, Error> {
        check_permutation(order, self.shape().rank())?;
        self.try_unary(Op::Permute(Arc::from(order)), |x| x.permute(order))
    }

    /// Swaps two axes.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range.
    pub fn transpose(self, axis0: isize, axis1: isize) -> Result<Var<'t, F>, Error> {
        let order = swap_order("transpose", self.shape().rank(), axis0, axis1)?;
        self.permute(&order)
    }

    /// Repeats along axes of size 1 up to `shape`; the gradient sums back.
    ///
    /// # Errors
    ///
    /// Returns [`Error::BroadcastTo`] when the shape does not broadcast.
    pub fn broadcast_to(self, shape: impl Into<Shape>) -> Result<Var<'t, F>, Error> {
        let shape = shape.into();
        if shape == self.shape() {
            return Ok(self);
        }
        self.try_unary(Op::BroadcastTo, |x| x.broadcast_to(shape))
    }

    /// Sums down to `shape`, the dual of [`Var::broadcast_to`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::BroadcastTo`] when `shape` does not broadcast to
    /// this var's shape.
    pub fn sum_to(self, shape: impl Into<Shape>) -> Result<Var<'t, F>, Error> {
        let shape = shape.into();
        if shape == self.shape() {
            return Ok(self);
        }
        self.try_unary(Op::SumTo, |x| x.sum_to(shape))
    }

    /// Returns the elements `range` along `axis`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] or [`Error::Range`] as [`Tensor::slice`].
    pub fn slice(self, axis: isize, range: Range<usize>) -> Result<Var<'t, F>, Error> {
        let axis = resolve_axis("slice", axis, self.shape().rank())?;
        self.slice_axis(axis, range.start, range.end)
    }

    fn slice_axis(self, axis: usize, start: usize, end: usize) -> Result<Var<'t, F>, Error> {
        check_range("slice", &self.shape(), axis, start, end)?;
        self.try_unary(
            Op::Slice {
                axis: axis as u32,
                start,
                end,
            },
            |x| x.slice_axis(axis, start, end),
        )
    }

    /// Surrounds with zeros along `axis`; see [`Tensor::pad`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when `axis` is out of range.
    pub fn pad(self, axis: isize, before: usize, after: usize) -> Result<Var<'t, F>, Error> {
        let axis = resolve_axis("pad", axis, self.shape().rank())?;
        Ok(self.pad_axis(axis, before, after))
    }

    fn pad_axis(self, axis: usize, before: usize, after: usize) -> Var<'t, F> {
        let op = Op::Pad {
            axis: axis as u32,
            before,
            after,
        };
        self.unary(op, |x| x.pad_axis(axis, before, after))
    }

    /// Joins vars along `axis`; see [`Tensor::concat`].
    ///
    /// # Errors
    ///
    /// As [`Tensor::concat`], and [`Error::ForeignVar`] when the vars are
    /// on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor, Var};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::from([1.0]));
    /// let b = tape.var(Tensor::from([2.0, 3.0]));
    /// let y = Var::concat(&[a, b], 0)?;
    /// assert_eq!(y.value().to_vec(), [1.0, 2.0, 3.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn concat(vars: &[Var<'t, F>], axis: isize) -> Result<Var<'t, F>, Error> {
        let first = *vars.first().ok_or(Error::Empty { op: "concat" })?;
        for &var in vars {
            first.same_tape("concat", var)?;
        }
        let shapes: Vec<Shape> = vars.iter().map(|v| v.shape()).collect();
        let (axis, _) = crate::ops::layout::concat_shape(&shapes.iter().collect::<Vec<_>>(), axis)?;
        let inputs: Vec<NodeId> = vars.iter().map(|v| v.id).collect();
        Var::record(
            first.tape,
            Op::Concat { axis: axis as u32 },
            &inputs,
            |values| Tensor::concat(values, axis as isize),
        )
    }

    /// Stacks vars of one shape along a new axis; see [`Tensor::stack`].
    ///
    /// # Errors
    ///
    /// As [`Tensor::stack`], and [`Error::ForeignVar`] when the vars are on
    /// different tapes.
    pub fn stack(vars: &[Var<'t, F>], axis: isize) -> Result<Var<'t, F>, Error> {
        let first = *vars.first().ok_or(Error::Empty { op: "stack" })?;
        let shape = first.shape();
        for &var in vars {
            first.same_tape("stack", var)?;
            if var.shape() != shape {
                return Err(Error::ShapeMismatch {
                    op: "stack",
                    expected: shape,
                    got: var.shape(),
                });
            }
        }
        let expanded = unsqueezed("stack", &shape, axis)?;
        let axis = resolve_axis("stack", axis, shape.rank() + 1)?;
        let parts = vars
            .iter()
            .map(|&v| Var::reshape(v, expanded.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Var::concat(&parts, axis as isize)
    }

    /// Gathers the slices at `indices` along `axis`; see
    /// [`Tensor::index_select`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] or [`Error::Index`] as
    /// [`Tensor::index_select`].
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Result<Var<'t, F>, Error> {
        let shape = self.shape();
        let axis = resolve_axis("index_select", axis, shape.rank())?;
        check_indices("index_select", indices, axis, shape[axis])?;
        self.index_select_axis(axis, &Arc::from(indices))
    }

    fn index_select_axis(self, axis: usize, indices: &Arc<[usize]>) -> Result<Var<'t, F>, Error> {
        let op = Op::IndexSelect {
            axis: axis as u32,
            indices: indices.clone(),
        };
        Ok(self.unary(op, |x| x.index_select_axis(axis, indices)))
    }

    /// Adds slices into zeros at `indices`; see [`Tensor::index_add`].
    ///
    /// # Errors
    ///
    /// As [`Tensor::index_add`].
    pub fn index_add(
        self,
        axis: isize,
        indices: &[usize],
        size: usize,
    ) -> Result<Var<'t, F>, Error> {
        let axis = resolve_axis("index_add", axis, self.shape().rank())?;
        self.index_add_axis(axis, &Arc::from(indices), size)
    }

    fn index_add_axis(
        self,
        axis: usize,
        indices: &Arc<[usize]>,
        size: usize,
    ) -> Result<Var<'t, F>, Error> {
        let op = Op::IndexAdd {
            axis: axis as u32,
            indices: indices.clone(),
        };
        self.try_unary(op, |x| x.index_add(axis as isize, indices, size))
    }

    /// Picks `on_true` where `mask` is nonzero and `on_false` elsewhere; see
    /// [`Tensor::where_`]. The branch not taken gets exactly zero gradient.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] when the shapes do not broadcast, and
    /// [`Error::ForeignVar`] when the vars are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor, Var};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([1.0, 4.0]));
    /// let mask = Tensor::from([1.0, 0.0]);
    /// let y = Var::where_(&mask, x.log(), x.sqrt())?;
    /// let grads = y.sum_all().backward()?;
    /// assert_eq!(grads.get(x).unwrap().to_vec(), [1.0, 0.25]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn where_(
        mask: &Tensor<F>,
        on_true: Var<'t, F>,
        on_false: Var<'t, F>,
    ) -> Result<Var<'t, F>, Error> {
        on_true.same_tape("where", on_false)?;
        let mask = on_true.tape.constant(mask.clone());
        mask.select_var(on_true, on_false)
    }

    /// `self ? on_true : on_false`, with `self` a constant mask.
    fn select_var(self, on_true: Var<'t, F>, on_false: Var<'t, F>) -> Result<Var<'t, F>, Error> {
        self.same_tape("where", on_true)?;
        self.same_tape("where", on_false)?;
        let inputs = [self.id, on_true.id, on_false.id];
        Var::record(self.tape, Op::Where, &inputs, |v| {
            Tensor::where_(v[0], v[1], v[2])
        })
    }

    /// Computes `log(sum(exp(x)))` along `axis` without overflow; the
    /// gradient is the softmax.
    ///
    /// # Errors
    ///
    /// As [`Tensor::logsumexp`].
    pub fn logsumexp(self, axis: isize, keepdims: bool) -> Result<Var<'t, F>, Error> {
        let axis = resolve_axis("logsumexp", axis, self.shape().rank())?;
        let op = Op::LogSumExp {
            axis: axis as u32,
            keepdims,
        };
        self.try_unary(op, |x| x.logsumexp(axis as isize, keepdims))
    }

    /// Computes `x - logsumexp(x)` along `axis` without overflow.
    ///
    /// # Errors
    ///
    /// As [`Tensor::log_softmax`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([-1000.0, 1000.0]));
    /// let y = x.log_softmax(0)?;
    /// assert_eq!(y.value().to_vec(), [-2000.0, 0.0]);
    /// let grads = y.slice(0, 0..1)?.sum_all().backward()?;
    /// assert_eq!(grads.get(x).unwrap().to_vec(), [1.0, -1.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn log_softmax(self, axis: isize) -> Result<Var<'t, F>, Error> {
        let axis = resolve_axis("log_softmax", axis, self.shape().rank())?;
        self.try_unary(Op::LogSoftmax { axis: axis as u32 }, |x| {
            x.log_softmax(axis as isize)
        })
    }

    /// Computes the softmax along `axis`, as `exp(log_softmax(x))`.
    ///
    /// # Errors
    ///
    /// As [`Tensor::log_softmax`].
    pub fn softmax(self, axis: isize) -> Result<Var<'t, F>, Error> {
        let axis = resolve_axis("softmax", axis, self.shape().rank())?;
        let op = Op::LogSoftmax { axis: axis as u32 };
        let log_softmax = self.try_unary(op, |x| x.log_softmax_axis("softmax", axis))?;
        Ok(log_softmax.exp())
    }
}

impl<'t, F: Float> Ops<F> for Var<'t, F> {
    fn shape(&self) -> Shape {
        Var::shape(*self)
    }

    fn value(&self) -> Tensor<F> {
        Var::value(*self)
    }

    fn constant(&self, value: Tensor<F>) -> Self {
        self.tape.constant(value)
    }

    fn add(&self, rhs: &Self) -> Result<Self, Error> {
        Var::add(*self, *rhs)
    }

    fn sub(&self, rhs: &Self) -> Result<Self, Error> {
        Var::sub(*self, *rhs)
    }

    fn mul(&self, rhs: &Self) -> Result<Self, Error> {
        Var::mul(*self, *rhs)
    }

    fn div(&self, rhs: &Self) -> Result<Self, Error> {
        Var::div(*self, *rhs)
    }

    fn neg(&self) -> Self {
        Var::neg(*self)
    }

    fn add_scalar(&self, c: F) -> Self {
        Var::add_scalar(*self, c)
    }

    fn mul_scalar(&self, c: F) -> Self {
        Var::mul_scalar(*self, c)
    }

    fn powf(&self, p: F) -> Self {
        Var::powf(*self, p)
    }

    fn exp(&self) -> Self {
        Var::exp(*self)
    }

    fn sin(&self) -> Self {
        Var::sin(*self)
    }

    fn cos(&self) -> Self {
        Var::cos(*self)
    }

    fn sum_axes(&self, axes: u64, keepdims: bool) -> Result<Self, Error> {
        Ok(self.sum_mask(axes, keepdims))
    }

    fn sum_to(&self, shape: &Shape) -> Result<Self, Error> {
        Var::sum_to(*self, shape)
    }

    fn broadcast_to(&self, shape: &Shape) -> Result<Self, Error> {
        Var::broadcast_to(*self, shape)
    }

    fn reshape(&self, shape: &Shape) -> Result<Self, Error> {
        Var::reshape(*self, shape)
    }

    fn permute(&self, order: &[usize]) -> Result<Self, Error> {
        Var::permute(*self, order)
    }

    fn matmul_t(&self, rhs: &Self, trans_lhs: bool, trans_rhs: bool) -> Result<Self, Error> {
        Var::matmul_t(*self, *rhs, trans_lhs, trans_rhs)
    }

    fn slice(&self, axis: usize, start: usize, end: usize) -> Result<Self, Error> {
        self.slice_axis(axis, start, end)
    }

    fn pad(&self, axis: usize, before: usize, after: usize) -> Result<Self, Error> {
        Ok(self.pad_axis(axis, before, after))
    }

    fn index_select(&self, axis: usize, indices: &Arc<[usize]>) -> Result<Self, Error> {
        self.index_select_axis(axis, indices)
    }

    fn index_add(&self, axis: usize, indices: &Arc<[usize]>, size: usize) -> Result<Self, Error> {
        self.index_add_axis(axis, indices, size)
    }

    fn select(&self, mask: &Self, other: &Self) -> Result<Self, Error> {
        mask.select_var(*self, *other)
    }

    fn custom_backward(
        op: &CustomFn<F>,
        inputs: &[&Self],
        out: &Self,
        grad_out: &Self,
    ) -> Result<Vec<Option<Self>>, Error> {
        op.0.backward_var(inputs, out, grad_out)
    }
}
