//! Operations that move values without arithmetic: reshape, permute,
//! concat, slice and its dual pad, index_select and its dual index_add.
//!
//! | forward                      | backward (`g` is `grad_out`)              |
//! |------------------------------|-------------------------------------------|
//! | `reshape(x, shape)`          | `reshape(g, shape of x)`                  |
//! | `permute(x, order)`          | `permute(g, inverse of order)`            |
//! | `concat([x0, x1, ..], axis)` | `grad_xi` = the slice of `g` that was `xi` |
//! | `slice(x, axis, a..b)`       | `pad(g)` with zeros back to `x`'s shape   |
//! | `pad(x, axis, before, after)`| `slice(g)` of `x`'s range                 |
//! | `index_select(x, axis, idx)` | `index_add(g, axis, idx)`                 |
//! | `index_add(x, axis, idx)`    | `index_select(g, axis, idx)`              |
//!
//! Each pair of duals is its own backward, so these gradients can be
//! differentiated again to any order.

use std::ops::Range;

use crate::ops::{InputGrads, Ops};
use crate::shape::resolve_axis;
use crate::{Error, Float, Shape, Tensor};
use crate::{buffer, kernels};

impl<F: Float> Tensor<F> {
    /// Returns the same values in another shape with as many elements.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Reshape`] when the numbers of elements differ.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::arange(0.0f32, 6.0, 1.0)?.reshape([2, 3])?;
    /// assert_eq!(x.get(&[1, 0]), Some(3.0));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Tensor<F>, Error> {
        let shape = shape.into();
        if shape.numel() != self.numel() {
            return Err(Error::Reshape {
                from: self.shape().clone(),
                to: shape,
            });
        }
        Ok(self.clone().with_shape(shape))
    }

    /// Inserts an axis of size 1 at `axis` (in `-(rank+1)..=rank`).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when `axis` is out of range.
    pub fn unsqueeze(&self, axis: isize) -> Result<Tensor<F>, Error> {
        let shape = unsqueezed("unsqueeze", self.shape(), axis)?;
        Ok(self.clone().with_shape(shape))
    }

    /// Reorders the axes: axis `i` of the result is axis `order[i]` of
    /// this tensor. The values are copied into the new order.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Permutation`] when `order` is not a permutation of
    /// `0..rank`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::<f32>::zeros([2, 3, 4]);
    /// assert_eq!(x.permute(&[2, 0, 1])?.dims(), [4, 2, 3]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn permute(&self, order: &[usize]) -> Result<Tensor<F>, Error> {
        check_permutation(order, self.rank())?;
        let strides = self.shape().strides();
        let shape: Shape = order.iter().map(|&axis| self.dims()[axis]).collect();
        let read: Vec<usize> = order.iter().map(|&axis| strides[axis]).collect();
        Ok(Tensor::new(
            kernels::gather(self.data(), 0, &read, &shape),
            shape,
        ))
    }

    /// Swaps two axes (negative axes count from the end).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when an axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 2.0, 3.0]]);
    /// assert_eq!(x.transpose(0, 1)?.dims(), [3, 1]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn transpose(&self, axis0: isize, axis1: isize) -> Result<Tensor<F>, Error> {
        let order = swap_order("transpose", self.rank(), axis0, axis1)?;
        self.permute(&order)
    }

    /// Returns the elements `range` along `axis`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] for an axis out of range, and
    /// [`Error::Range`] when `range` does not fit inside the axis.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(x.slice(1, 1..3)?.to_vec(), [2.0, 3.0, 5.0, 6.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn slice(&self, axis: isize, range: Range<usize>) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("slice", axis, self.rank())?;
        self.slice_axis(axis, range.start, range.end)
    }

    /// `slice` on a resolved axis.
    pub(crate) fn slice_axis(
        &self,
        axis: usize,
        start: usize,
        end: usize,
    ) -> Result<Tensor<F>, Error> {
        check_range("slice", self.shape(), axis, start, end)?;
        let strides = self.shape().strides();
        let shape = self.shape().with_dim(axis, end - start);
        let data = kernels::gather(self.data(), start * strides[axis], &strides, &shape);
        Ok(Tensor::new(data, shape))
    }

    /// Surrounds the values with `before` zeros and `after` zeros along
    /// `axis`: the dual of [`Tensor::slice`].
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] when `axis` is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([1.0, 2.0]);
    /// assert_eq!(x.pad(0, 1, 2)?.to_vec(), [0.0, 1.0, 2.0, 0.0, 0.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pad(&self, axis: isize, before: usize, after: usize) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("pad", axis, self.rank())?;
        Ok(self.pad_axis(axis, before, after))
    }

    /// `pad` on a resolved axis.
    pub(crate) fn pad_axis(&self, axis: usize, before: usize, after: usize) -> Tensor<F> {
        let shape = self
            .shape()
            .with_dim(axis, before + self.dims()[axis] + after);
        let mut out = buffer::zeros(shape.numel());
        let out_strides = shape.strides();
        let in_strides = self.shape().strides();
        let base = before * out_strides[axis];
        let inner = self.dims().last().copied().unwrap_or(1);
        let data = self.data();
        kernels::for_each_row(self.shape(), [&in_strides, &out_strides], |[i, o]| {
            out[base + o..base + o + inner].copy_from_slice(&data[i..i + inner]);
        });
        Tensor::new(out, shape)
    }

    /// Joins tensors along `axis`; all other sizes must agree.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Empty`] for no tensors, [`Error::Axis`] for an axis
    /// out of range, and [`Error::ShapeMismatch`] when the shapes differ
    /// off `axis`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let a = Tensor::from([[1.0, 2.0]]);
    /// let b = Tensor::from([[3.0, 4.0], [5.0, 6.0]]);
    /// assert_eq!(Tensor::concat(&[&a, &b], 0)?.dims(), [3, 2]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn concat(tensors: &[&Tensor<F>], axis: isize) -> Result<Tensor<F>, Error> {
        let shapes: Vec<&Shape> = tensors.iter().map(|t| t.shape()).collect();
        let (axis, shape) = concat_shape(&shapes, axis)?;
        let outer: usize = shape[..axis].iter().product();
        let mut out = buffer::take(shape.numel());
        for row in 0..outer {
            for tensor in tensors {
                let block: usize = tensor.dims()[axis..].iter().product();
                out.extend_from_slice(&tensor.data()[row * block..(row + 1) * block]);
            }
        }
        Ok(Tensor::new(out, shape))
    }

    /// Stacks tensors of one shape along a new axis at `axis`.
    ///
    /// # Errors
    ///
    /// As [`Tensor::concat`], with [`Error::ShapeMismatch`] when the
    /// shapes differ at all.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let a = Tensor::from([1.0, 2.0]);
    /// let b = Tensor::from([3.0, 4.0]);
    /// assert_eq!(Tensor::stack(&[&a, &b], 1)?.to_vec(), [1.0, 3.0, 2.0, 4.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn stack(tensors: &[&Tensor<F>], axis: isize) -> Result<Tensor<F>, Error> {
        let first = tensors.first().ok_or(Error::Empty { op: "stack" })?;
        check_same_shapes("stack", tensors.iter().map(|t| t.shape()))?;
        let shape = unsqueezed("stack", first.shape(), axis)?;
        // Resolve the new axis itself: comparing the shapes cannot find it
        // when an axis of size 1 sits beside it ([1, 3] at 0 is [1, 1, 3]).
        let axis = resolve_axis("stack", axis, first.rank() + 1)?;
        let parts: Vec<Tensor<F>> = tensors
            .iter()
            .map(|t| (*t).clone().with_shape(shape.clone()))
            .collect();
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), axis as isize)
    }

    /// Gathers the slices at `indices` along `axis`, in order (an index may
    /// repeat).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] for an axis out of range and
    /// [`Error::Index`] for an index past the end of the axis.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// assert_eq!(x.index_select(0, &[2, 0])?.to_vec(), [5.0, 6.0, 1.0, 2.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("index_select", axis, self.rank())?;
        check_indices("index_select", indices, axis, self.dims()[axis])?;
        Ok(self.index_select_axis(axis, indices))
    }

    /// `index_select` on a resolved axis with checked indices.
    pub(crate) fn index_select_axis(&self, axis: usize, indices: &[usize]) -> Tensor<F> {
        let outer: usize = self.dims()[..axis].iter().product();
        let inner: usize = self.dims()[axis + 1..].iter().product();
        let size = self.dims()[axis];
        let shape = self.shape().with_dim(axis, indices.len());
        let mut out = buffer::take(shape.numel());
        let data = self.data();
        for row in 0..outer {
            for &index in indices {
                let start = (row * size + index) * inner;
                out.extend_from_slice(&data[start..start + inner]);
            }
        }
        Tensor::new(out, shape)
    }

    /// Adds slice `i` of this tensor (along `axis`) into a tensor of zeros
    /// at index `indices[i]`, where the result's `axis` has `size`
    /// elements: the dual of [`Tensor::index_select`]. Repeated indices
    /// add up.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Axis`] for an axis out of range,
    /// [`Error::IndexCount`] when the axis does not have one slice per
    /// index, and [`Error::Index`] for an index not below `size`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from([1.0, 2.0, 3.0]);
    /// assert_eq!(x.index_add(0, &[1, 0, 1], 3)?.to_vec(), [2.0, 4.0, 0.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn index_add(
        &self,
        axis: isize,
        indices: &[usize],
        size: usize,
    ) -> Result<Tensor<F>, Error> {
        let axis = resolve_axis("index_add", axis, self.rank())?;
        if self.dims()[axis] != indices.len() {
            return Err(Error::IndexCount {
                op: "index_add",
                axis,
                expected: self.dims()[axis],
                got: indices.len(),
            });
        }
        check_indices("index_add", indices, axis, size)?;
        Ok(self.index_add_axis(axis, indices, size))
    }

    /// `index_add` on a resolved axis with checked indices.
    pub(crate) fn index_add_axis(&self, axis: usize, indices: &[usize], size: usize) -> Tensor<F> {
        let outer: usize = self.dims()[..axis].iter().product();
        let inner: usize = self.dims()[axis + 1..].iter().product();
        let shape = self.shape().with_dim(axis, size);
        let mut out = buffer::zeros(shape.numel());
        let data = self.data();
        for row in 0..outer {
            for (i, &index) in indices.iter().enumerate() {
                let from = (row * indices.len() + i) * inner;
                let to = (row * size + index) * inner;
                for (acc, &x) in out[to..to + inner]
                    .iter_mut()
                    .zip(&data[from..from + inner])
                {
                    *acc += x;
                }
            }
        }
        Tensor::new(out, shape)
    }
}

/// The shape with an axis of size 1 inserted at `axis`.
pub(crate) fn unsqueezed(op: &'static str, shape: &Shape, axis: isize) -> Result<Shape, Error> {
    let axis = resolve_axis(op, axis, shape.rank() + 1)?;
    let mut dims = shape.to_vec();
    dims.insert(axis, 1);
    Ok(Shape::from(dims))
}

/// The order of `rank` axes with two of them swapped.
pub(crate) fn swap_order(
    op: &'static str,
    rank: usize,
    axis0: isize,
    axis1: isize,
) -> Result<Vec<usize>, Error> {
    let (a, b) = (
        resolve_axis(op, axis0, rank)?,
        resolve_axis(op, axis1, rank)?,
    );
    let mut order: Vec<usize> = (0..rank).collect();
    order.swap(a, b);
    Ok(order)
}

/// Checks that `order` is a permutation of `0..rank`.
pub(crate) fn check_permutation(order: &[usize], rank: usize) -> Result<(), Error> {
    let mut seen = vec![false; rank];
    let valid = order.len() == rank
        && order
            .iter()
            .all(|&axis| axis < rank && !std::mem::replace(&mut seen[axis], true));
    if !valid {
        return Err(Error::Permutation {
            order: order.to_vec(),
            rank,
        });
    }
    Ok(())
}

/// Checks that `start..end` lies inside `axis` of `shape`.
pub(crate) fn check_range(
    op: &'static str,
    shape: &Shape,
    axis: usize,
    start: usize,
    end: usize,
) -> Result<(), Error> {
    let size = shape[axis];
    if start > end || end > size {
        return Err(Error::Range {
            op,
            axis,
            start,
            end,
            size,
        });
    }
    Ok(())
}

/// Checks that every index is below `size`.
pub(crate) fn check_indices(
    op: &'static str,
    indices: &[usize],
    axis: usize,
    size: usize,
) -> Result<(), Error> {
    match indices.iter().find(|&&index| index >= size) {
        Some(&index) => Err(Error::Index {
            op,
            axis,
            index,
            size,
        }),
        None => Ok(()),
    }
}

/// Checks that all shapes are equal.
fn check_same_shapes<'a>(
    op: &'static str,
    mut shapes: impl Iterator<Item = &'a Shape>,
) -> Result<(), Error> {
    let Some(first) = shapes.next() else {
        return Err(Error::Empty { op });
    };
    match shapes.find(|shape| *shape != first) {
        Some(other) => Err(Error::ShapeMismatch {
            op,
            expected: first.clone(),
            got: other.clone(),
        }),
        None => Ok(()),
    }
}

/// The resolved axis and the shape of a concatenation.
pub(crate) fn concat_shape(shapes: &[&Shape], axis: isize) -> Result<(usize, Shape), Error> {
    let first = shapes.first().ok_or(Error::Empty { op: "concat" })?;
    let axis = resolve_axis("concat", axis, first.rank())?;
    let mut total = 0;
    for shape in shapes {
        let agrees = shape.rank() == first.rank()
            && (0..first.rank()).all(|i| i == axis || shape[i] == first[i]);
        if !agrees {
            return Err(Error::ShapeMismatch {
                op: "concat",
                expected: first.with_dim(axis, shape.get(axis).copied().unwrap_or(0)),
                got: (*shape).clone(),
            });
        }
        total += shape[axis];
    }
    Ok((axis, first.with_dim(axis, total)))
}

/// Backward rule of `permute`: permute back by the inverse order.
pub(crate) fn permute_backward<F: Float, T: Ops<F>>(
    order: &[usize],
    grad_out: &T,
) -> Result<T, Error> {
    let mut inverse = vec![0; order.len()];
    for (i, &axis) in order.iter().enumerate() {
        inverse[axis] = i;
    }
    grad_out.permute(&inverse)
}

/// Backward rule of `concat`: each input's gradient is its slice of
/// `grad_out`.
pub(crate) fn concat_backward<F: Float, T: Ops<F>>(
    inputs: &[&T],
    axis: usize,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let mut start = 0;
    let mut grads = InputGrads::new();
    for (input, &need) in inputs.iter().zip(needs) {
        let end = start + input.shape()[axis];
        grads.push(need.then(|| grad_out.slice(axis, start, end)).transpose()?);
        start = end;
    }
    Ok(grads)
}
