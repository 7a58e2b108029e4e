//! `Tensor`: an n-dimensional array of `f32` or `f64` values.

use std::sync::Arc;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::buffer::{self, Buffer};
use crate::{Error, Float, Shape};

/// An n-dimensional array of values in row-major order, with a [`Shape`].
///
/// A tensor knows nothing of tapes or gradients: it is the value that a
/// [`Var`](crate::Var) holds and that [`Grads`](crate::Grads) returns.
/// Every operation has an eager form on `Tensor` (this type) and a recorded
/// form on `Var`, with the same name and the same shape rules.
///
/// Cloning is cheap: a tensor of one element is stored inline, and a larger
/// one shares its buffer until one of the clones is written to.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{Error, Tensor};
/// let x = Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// assert_eq!(x.dims(), [2, 3]);
/// assert_eq!(x.get(&[1, 2]), Some(6.0));
///
/// let y = x.sum_all().sqrt();
/// assert_eq!(y.item()?, 21f64.sqrt());
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor<F: Float = f32> {
    shape: Shape,
    storage: Storage<F>,
}

/// A tensor's values: inline when there is one, shared otherwise.
#[derive(Clone)]
enum Storage<F: Float> {
    One(F),
    Many(Arc<Buffer<F>>),
}

impl<F: Float> Tensor<F> {
    /// Builds a tensor from a buffer whose length must be the shape's
    /// number of elements. Internal: callers guarantee the length.
    pub(crate) fn new(data: Vec<F>, shape: Shape) -> Tensor<F> {
        debug_assert_eq!(data.len(), shape.numel(), "internal error: buffer length");
        let storage = if data.len() == 1 {
            Storage::One(data[0])
        } else {
            Storage::Many(Arc::new(Buffer::new(data)))
        };
        Tensor { shape, storage }
    }

    /// Builds a one-element tensor of the given shape without allocating.
    pub(crate) fn one(value: F, shape: Shape) -> Tensor<F> {
        debug_assert_eq!(shape.numel(), 1, "internal error: one-element shape");
        Tensor {
            shape,
            storage: Storage::One(value),
        }
    }

    /// Creates a tensor from row-major values and a shape.
    ///
    /// # Errors
    ///
    /// Returns [`Error::DataLength`] when `data.len()` is not the number of
    /// elements of `shape`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    /// assert_eq!(x.get(&[1, 0]), Some(4.0));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_vec(data: Vec<F>, shape: impl Into<Shape>) -> Result<Tensor<F>, Error> {
        Tensor::checked("from_vec", data, shape.into())
    }

    fn checked(op: &'static str, data: Vec<F>, shape: Shape) -> Result<Tensor<F>, Error> {
        if data.len() != shape.numel() {
            return Err(Error::DataLength {
                op,
                expected: shape.numel(),
                got: data.len(),
                shape,
            });
        }
        Ok(Tensor::new(data, shape))
    }

    /// Creates a tensor of the given shape from a slice of values.
    ///
    /// # Errors
    ///
    /// Returns [`Error::DataLength`] when the slice's length is not the
    /// number of elements of `shape`.
    pub fn from_slice(data: &[F], shape: impl Into<Shape>) -> Result<Tensor<F>, Error> {
        Tensor::checked("from_slice", data.to_vec(), shape.into())
    }

    /// Creates a tensor of shape `[]` holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let x = Tensor::scalar(2.5f64);
    /// assert_eq!(x.rank(), 0);
    /// assert_eq!(x.item()?, 2.5);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn scalar(value: F) -> Tensor<F> {
        Tensor::one(value, Shape::scalar())
    }

    /// Creates a tensor of the given shape filled with `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::full([2, 2], 7.0f32).to_vec(), [7.0; 4]);
    /// ```
    pub fn full(shape: impl Into<Shape>, value: F) -> Tensor<F> {
        let shape = shape.into();
        let mut data = buffer::take(shape.numel());
        data.resize(shape.numel(), value);
        Tensor::new(data, shape)
    }

    /// Creates a tensor of the given shape filled with zeros.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// let x = Tensor::<f64>::zeros([2, 3]);
    /// assert_eq!(x.to_vec(), [0.0; 6]);
    /// ```
    pub fn zeros(shape: impl Into<Shape>) -> Tensor<F> {
        Tensor::full(shape, F::zero())
    }

    /// Creates a tensor of the given shape filled with ones.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::<f32>::ones([3]).to_vec(), [1.0, 1.0, 1.0]);
    /// ```
    pub fn ones(shape: impl Into<Shape>) -> Tensor<F> {
        Tensor::full(shape, F::one())
    }

    /// Creates the vector `start, start + step, ...` of the values below
    /// `end` (above it for a negative step), as NumPy's `arange`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `step` is zero or not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// assert_eq!(Tensor::arange(0.0f32, 2.0, 0.5)?.to_vec(), [0.0, 0.5, 1.0, 1.5]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn arange(start: F, end: F, step: F) -> Result<Tensor<F>, Error> {
        if step == F::zero() || !step.is_finite() {
            return Err(Error::Argument {
                op: "arange",
                expected: "a finite, nonzero step",
                got: step.as_f64(),
            });
        }
        let count = ((end - start) / step).ceil().as_f64().max(0.0) as usize;
        let data = (0..count)
            .map(|i| start + F::from_usize(i) * step)
            .collect::<Vec<_>>();
        Ok(Tensor::new(data, Shape::from([count])))
    }

    /// Creates the vector of `count` evenly spaced values from `start` to
    /// `end`, both included, as NumPy's `linspace`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::linspace(0.0f64, 1.0, 5).to_vec(), [0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: F, end: F, count: usize) -> Tensor<F> {
        let step = if count > 1 {
            (end - start) / F::from_usize(count - 1)
        } else {
            F::zero()
        };
        let mut data = (0..count)
            .map(|i| start + F::from_usize(i) * step)
            .collect::<Vec<_>>();
        if count > 1 {
            data[count - 1] = end;
        }
        Tensor::new(data, Shape::from([count]))
    }

    /// Creates the `n` by `n` identity matrix.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// assert_eq!(Tensor::<f32>::eye(2).to_vec(), [1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize) -> Tensor<F> {
        let mut data = vec![F::zero(); n * n];
        for i in 0..n {
            data[i * n + i] = F::one();
        }
        Tensor::new(data, Shape::from([n, n]))
    }

    /// Creates a tensor of values drawn uniformly from `[lo, hi)`.
    ///
    /// Pass a seeded generator, such as [`seeded_rng`](crate::seeded_rng),
    /// for results that repeat from run to run.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Bounds`] when `hi < lo` or a bound is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{seeded_rng, Error, Tensor};
    /// let x = Tensor::<f64>::uniform([100], -1.0, 1.0, &mut seeded_rng(7))?;
    /// assert!(x.to_vec().iter().all(|v| (-1.0..1.0).contains(v)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn uniform<R: Rng + ?Sized>(
        shape: impl Into<Shape>,
        lo: F,
        hi: F,
        rng: &mut R,
    ) -> Result<Tensor<F>, Error> {
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::Bounds {
                op: "uniform",
                lo: lo.as_f64(),
                hi: hi.as_f64(),
            });
        }
        let shape = shape.into();
        let (lo, width) = (lo.as_f64(), (hi - lo).as_f64());
        let data = (0..shape.numel())
            .map(|_| {
                let value = F::from_f64(lo + width * rng.random::<f64>());
                // Rounding to f32 can land on `hi`; keep the interval open.
                if value >= hi && width > 0.0 {
                    F::from_f64(lo)
                } else {
                    value
                }
            })
            .collect();
        Ok(Tensor::new(data, shape))
    }

    /// Creates a tensor of values drawn from the normal distribution with
    /// the given mean and standard deviation.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `std` is negative or not finite, or
    /// `mean` is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{seeded_rng, Error, Tensor};
    /// let x = Tensor::<f64>::normal([10_000], 3.0, 0.5, &mut seeded_rng(1))?;
    /// assert!((x.mean_all().item()? - 3.0).abs() < 0.05);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn normal<R: Rng + ?Sized>(
        shape: impl Into<Shape>,
        mean: F,
        std: F,
        rng: &mut R,
    ) -> Result<Tensor<F>, Error> {
        if !mean.is_finite() {
            return Err(Error::Argument {
                op: "normal",
                expected: "a finite mean",
                got: mean.as_f64(),
            });
        }
        if !(std.is_finite() && std >= F::zero()) {
            return Err(Error::Argument {
                op: "normal",
                expected: "a finite std >= 0",
                got: std.as_f64(),
            });
        }
        let shape = shape.into();
        let (mean, std) = (mean.as_f64(), std.as_f64());
        let data = (0..shape.numel())
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                F::from_f64(mean + std * z)
            })
            .collect();
        Ok(Tensor::new(data, shape))
    }

    /// Returns the shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Returns the sizes of the axes.
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Returns the number of axes: 0 for a scalar.
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    /// Returns the number of elements.
    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    /// Returns the values in row-major order.
    pub fn data(&self) -> &[F] {
        match &self.storage {
            Storage::One(value) => std::slice::from_ref(value),
            Storage::Many(data) => data,
        }
    }

    /// Returns the values for writing, copying them first if another clone
    /// shares them.
    pub fn data_mut(&mut self) -> &mut [F] {
        match &mut self.storage {
            Storage::One(value) => std::slice::from_mut(value),
            Storage::Many(data) => Arc::make_mut(data).as_mut_slice(),
        }
    }

    /// Returns the values in row-major order, as a new vector.
    pub fn to_vec(&self) -> Vec<F> {
        self.data().to_vec()
    }

    /// Returns the value of a one-element tensor, such as a loss.
    ///
    /// # Errors
    ///
    /// Returns [`Error::NotScalar`] when the tensor has more than one
    /// element, or none.
    pub fn item(&self) -> Result<F, Error> {
        match &self.storage {
            Storage::One(value) => Ok(*value),
            Storage::Many(_) => Err(Error::NotScalar {
                op: "item",
                what: "tensor",
                shape: self.shape.clone(),
            }),
        }
    }

    /// Returns the element at a multi-index, or `None` when the index has
    /// the wrong length or is out of bounds.
    pub fn get(&self, index: &[usize]) -> Option<F> {
        if index.len() != self.rank() || index.iter().zip(self.dims()).any(|(&i, &d)| i >= d) {
            return None;
        }
        let offset = index
            .iter()
            .zip(self.shape.strides())
            .map(|(i, s)| i * s)
            .sum::<usize>();
        Some(self.data()[offset])
    }

    /// Returns a tensor of the same shape with `f` applied to each element.
    pub fn map(&self, f: impl Fn(F) -> F) -> Tensor<F> {
        match &self.storage {
            Storage::One(value) => Tensor::one(f(*value), self.shape.clone()),
            Storage::Many(data) => {
                let mut out = buffer::take(data.len());
                out.extend(data.iter().map(|&v| f(v)));
                Tensor::new(out, self.shape.clone())
            }
        }
    }

    /// Converts the elements to another float type.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::Tensor;
    /// let x = Tensor::from([0.5f32, 1.5]);
    /// assert_eq!(x.cast::<f64>().to_vec(), [0.5, 1.5]);
    /// ```
    pub fn cast<G: Float>(&self) -> Tensor<G> {
        let data = self
            .data()
            .iter()
            .map(|v| G::from_f64(v.as_f64()))
            .collect();
        Tensor::new(data, self.shape.clone())
    }

    /// Returns whether the two tensors have the same shape and every pair of
    /// elements is within `atol + rtol * |other|`, as NumPy's `allclose`.
    pub fn allclose(&self, other: &Tensor<F>, rtol: F, atol: F) -> bool {
        self.shape == other.shape
            && self
                .data()
                .iter()
                .zip(other.data())
                .all(|(&a, &b)| (a - b).abs() <= atol + rtol * b.abs() || a == b)
    }

    /// Replaces the shape without touching the values. Internal: callers
    /// guarantee the number of elements.
    pub(crate) fn with_shape(mut self, shape: Shape) -> Tensor<F> {
        debug_assert_eq!(
            shape.numel(),
            self.numel(),
            "internal error: reshape length"
        );
        self.shape = shape;
        self
    }
}

impl<F: Float> From<F> for Tensor<F> {
    fn from(value: F) -> Tensor<F> {
        Tensor::scalar(value)
    }
}

impl<F: Float, const N: usize> From<[F; N]> for Tensor<F> {
    fn from(values: [F; N]) -> Tensor<F> {
        Tensor::new(values.to_vec(), Shape::from([N]))
    }
}

impl<F: Float, const N: usize, const M: usize> From<[[F; N]; M]> for Tensor<F> {
    fn from(rows: [[F; N]; M]) -> Tensor<F> {
        let data = rows.iter().flatten().copied().collect();
        Tensor::new(data, Shape::from([M, N]))
    }
}

impl<F: Float, const N: usize, const M: usize, const K: usize> From<[[[F; N]; M]; K]>
    for Tensor<F>
{
    fn from(blocks: [[[F; N]; M]; K]) -> Tensor<F> {
        let data = blocks.iter().flatten().flatten().copied().collect();
        Tensor::new(data, Shape::from([K, M, N]))
    }
}

impl<F: Float> PartialEq for Tensor<F> {
    fn eq(&self, other: &Tensor<F>) -> bool {
        self.shape == other.shape && self.data() == other.data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded_rng;

    #[test]
    fn from_vec_rejects_a_wrong_length() {
        let err = Tensor::<f32>::from_vec(vec![1.0; 5], [2, 3]).err().unwrap();
        assert_eq!(
            err.to_string(),
            "from_vec: expected 6 elements for shape [2, 3], got 5"
        );
    }

    #[test]
    fn nested_arrays_give_row_major_tensors() {
        let x = Tensor::from([[[1.0f64, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]);
        assert_eq!(x.dims(), [2, 2, 2]);
        assert_eq!(x.get(&[1, 0, 1]), Some(6.0));
        assert_eq!(x.get(&[2, 0, 0]), None);
    }

    #[test]
    fn arange_counts_to_below_end() {
        assert_eq!(
            Tensor::arange(0.0f64, 1.0, 0.25).unwrap().to_vec(),
            [0.0, 0.25, 0.5, 0.75]
        );
        assert_eq!(
            Tensor::arange(3.0f64, 0.0, -1.0).unwrap().to_vec(),
            [3.0, 2.0, 1.0]
        );
        assert_eq!(Tensor::arange(1.0f64, 0.0, 1.0).unwrap().numel(), 0);
        let err = Tensor::arange(0.0f64, 1.0, 0.0).err().unwrap();
        assert_eq!(
            err.to_string(),
            "arange: expected a finite, nonzero step, got 0"
        );
    }

    #[test]
    fn linspace_includes_both_ends() {
        let x = Tensor::linspace(-1.0f32, 1.0, 3);
        assert_eq!(x.to_vec(), [-1.0, 0.0, 1.0]);
        assert_eq!(Tensor::linspace(2.0f32, 5.0, 1).to_vec(), [2.0]);
    }

    #[test]
    fn seeded_generators_repeat() {
        let a = Tensor::<f32>::normal([5], 0.0, 1.0, &mut seeded_rng(3)).unwrap();
        let b = Tensor::<f32>::normal([5], 0.0, 1.0, &mut seeded_rng(3)).unwrap();
        assert_eq!(a, b);
        let err = Tensor::<f32>::normal([5], 0.0, -1.0, &mut seeded_rng(3))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "normal: expected a finite std >= 0, got -1"
        );
        let err = Tensor::<f32>::uniform([5], 1.0, 0.0, &mut seeded_rng(3))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "uniform: expected finite bounds with lo <= hi, got lo 1 and hi 0"
        );
    }

    #[test]
    fn item_needs_one_element() {
        let err = Tensor::<f32>::zeros([2]).item().unwrap_err();
        assert_eq!(
            err.to_string(),
            "item: expected a scalar tensor (shape []), got [2]"
        );
    }

    #[test]
    fn writing_a_clone_leaves_the_original() {
        let a = Tensor::from([1.0f32, 2.0]);
        let mut b = a.clone();
        b.data_mut()[0] = 9.0;
        assert_eq!(a.to_vec(), [1.0, 2.0]);
        assert_eq!(b.to_vec(), [9.0, 2.0]);
    }
}
