//! Matrix products, through the `gemm` crate.
//!
//! Forward: `out = op(a) @ op(b)`, where `op` optionally swaps the last two
//! axes (read through strides, never copied), over batch axes that
//! broadcast.
//! Backward, for `out = a @ b`: `grad_a = g @ b^T` and `grad_b = a^T @ g`,
//! each summed back over broadcast batch axes. The transposed forms follow
//! by transposing these.

use gemm::Parallelism;

use crate::ops::{InputGrads, Ops};
use crate::{Error, Float, Shape, Tensor};
use crate::{buffer, kernels};

/// Below this many multiply-adds a product runs on the calling thread: at
/// that size waking the pool costs more than it saves.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// Below this many rows or columns of output a product runs on the calling
/// thread, whatever its size.
const PARALLEL_MIN_SIDE: usize = 64;

impl<F: Float> Tensor<F> {
    /// Multiplies matrices: `[.., m, k] @ [.., k, n]` gives `[.., m, n]`,
    /// where the batch axes `..` broadcast. As in NumPy, a 1-D left operand
    /// `[k]` is read as `[1, k]` and a 1-D right operand `[k]` as `[k, 1]`,
    /// and the added axis is removed from the result.
    ///
    /// The product runs in the `gemm` crate, in parallel on the rayon pool
    /// when it is large.
    ///
    /// # Errors
    ///
    /// Returns [`Error::MatMul`] when the inner sizes differ, the batch
    /// axes do not broadcast, or an operand is a scalar.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tensor};
    /// let a = Tensor::from([[1.0, 2.0], [3.0, 4.0]]);
    /// let b = Tensor::from([[5.0], [6.0]]);
    /// assert_eq!(a.matmul(&b)?.to_vec(), [17.0, 39.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn matmul(&self, rhs: &Tensor<F>) -> Result<Tensor<F>, Error> {
        let (lhs_shape, rhs_shape, out_shape) = vector_shapes(self.shape(), rhs.shape())?;
        let lhs = self.clone().with_shape(lhs_shape);
        let rhs = rhs.clone().with_shape(rhs_shape);
        Ok(lhs.matmul_t(&rhs, false, false)?.with_shape(out_shape))
    }

    /// Multiplies matrices with either operand read transposed (its last
    /// two axes swapped) without copying it: `matmul_t(b, false, true)` is
    /// `self @ b^T`. Both operands need rank 2 or more.
    ///
    /// # Errors
    ///
    /// Returns [`Error::MatMul`] as [`Tensor::matmul`] does.
    pub fn matmul_t(
        &self,
        rhs: &Tensor<F>,
        trans_lhs: bool,
        trans_rhs: bool,
    ) -> Result<Tensor<F>, Error> {
        let plan = Plan::new(self.shape(), rhs.shape(), trans_lhs, trans_rhs)?;
        let out = plan.run(self.data(), rhs.data());
        Ok(Tensor::new(out, plan.out))
    }
}

/// The matrix shapes that a product with 1-D operands reads, and the shape
/// of its result.
pub(crate) fn vector_shapes(lhs: &Shape, rhs: &Shape) -> Result<(Shape, Shape, Shape), Error> {
    if lhs.rank() == 0 || rhs.rank() == 0 {
        return Err(Error::MatMul {
            lhs: lhs.clone(),
            rhs: rhs.clone(),
        });
    }
    let lhs_2d = if lhs.rank() == 1 {
        Shape::from([1, lhs[0]])
    } else {
        lhs.clone()
    };
    let rhs_2d = if rhs.rank() == 1 {
        Shape::from([rhs[0], 1])
    } else {
        rhs.clone()
    };
    let plan = Plan::new(&lhs_2d, &rhs_2d, false, false).map_err(|_| Error::MatMul {
        lhs: lhs.clone(),
        rhs: rhs.clone(),
    })?;
    let mut out: Vec<usize> = plan.out.to_vec();
    if rhs.rank() == 1 {
        out.pop();
    }
    if lhs.rank() == 1 {
        out.remove(out.len() - 1 - usize::from(rhs.rank() != 1));
    }
    Ok((lhs_2d, rhs_2d, Shape::from(out)))
}

/// The sizes and strides of one batched product.
struct Plan {
    m: usize,
    n: usize,
    k: usize,
    /// Row and column strides of `op(lhs)` and `op(rhs)`, in elements.
    lhs_strides: (isize, isize),
    rhs_strides: (isize, isize),
    /// The batch shape with a trailing 1, and each operand's batch strides
    /// (in elements, 0 on broadcast axes) with a trailing 0, as
    /// `kernels::for_each_row` walks them.
    batch: Shape,
    lhs_batch: Shape,
    rhs_batch: Shape,
    out_batch: Shape,
    out: Shape,
}

impl Plan {
    fn new(lhs: &Shape, rhs: &Shape, trans_lhs: bool, trans_rhs: bool) -> Result<Plan, Error> {
        let error = || Error::MatMul {
            lhs: transposed(lhs, trans_lhs),
            rhs: transposed(rhs, trans_rhs),
        };
        if lhs.rank() < 2 || rhs.rank() < 2 {
            return Err(error());
        }
        let (lr, lc) = (lhs[lhs.rank() - 2], lhs[lhs.rank() - 1]);
        let (rr, rc) = (rhs[rhs.rank() - 2], rhs[rhs.rank() - 1]);
        let (m, k, lhs_strides) = if trans_lhs {
            (lc, lr, (1, lc as isize))
        } else {
            (lr, lc, (lc as isize, 1))
        };
        let (k2, n, rhs_strides) = if trans_rhs {
            (rc, rr, (1, rc as isize))
        } else {
            (rr, rc, (rc as isize, 1))
        };
        if k != k2 {
            return Err(error());
        }

        let lhs_b = Shape::from(&lhs[..lhs.rank() - 2]);
        let rhs_b = Shape::from(&rhs[..rhs.rank() - 2]);
        let batch = Shape::broadcast("matmul", &lhs_b, &rhs_b).map_err(|_| error())?;
        let scaled = |shape: &Shape, size: usize| -> Shape {
            let strides = shape.broadcast_strides(&batch);
            strides.iter().map(|s| s * size).chain([0]).collect()
        };
        let out: Shape = batch.iter().copied().chain([m, n]).collect();
        Ok(Plan {
            m,
            n,
            k,
            lhs_strides,
            rhs_strides,
            lhs_batch: scaled(&lhs_b, lr * lc),
            rhs_batch: scaled(&rhs_b, rr * rc),
            out_batch: scaled(&batch, m * n),
            batch: batch.iter().copied().chain([1]).collect(),
            out,
        })
    }

    /// Returns `op(lhs) @ op(rhs)` in a new buffer.
    fn run<F: Float>(&self, lhs: &[F], rhs: &[F]) -> Vec<F> {
        let (m, n, k) = (self.m, self.n, self.k);
        let len = self.out.numel();
        if m == 0 || n == 0 || k == 0 {
            return buffer::zeros(len);
        }
        // Only a product large in both output sizes is worth the pool: a
        // thin one ([128, 512] @ [512, 10], say) runs slower split in two.
        let big = m * n * k >= PARALLEL_MIN_FLOPS && m.min(n) >= PARALLEL_MIN_SIDE;
        let parallelism = if big && rayon::current_num_threads() > 1 {
            Parallelism::Rayon(rayon::current_num_threads())
        } else {
            Parallelism::None
        };

        // The buffer is not zeroed first: gemm overwrites every element of
        // each output matrix (read_dst is false), and filling it with
        // zeros cost 1 to 2 % of a training step.
        let mut out: Vec<F> = buffer::take(len);
        let strides = [&self.lhs_batch[..], &self.rhs_batch, &self.out_batch];
        let dst = out.as_mut_ptr();
        kernels::for_each_row(&self.batch, strides, |[a, b, c]| {
            // SAFETY: the plan's sizes and strides describe matrices that
            // lie inside `lhs`, `rhs` and the `len` elements of `out`
            // (checked against their shapes in `Plan::new`); `out` is a new
            // buffer, so the destination aliases neither operand. With
            // `read_dst` false gemm only writes the destination.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    dst.add(c),
                    1,
                    n as isize,
                    false,
                    lhs[a..].as_ptr(),
                    self.lhs_strides.1,
                    self.lhs_strides.0,
                    rhs[b..].as_ptr(),
                    self.rhs_strides.1,
                    self.rhs_strides.0,
                    F::zero(),
                    F::one(),
                    false,
                    false,
                    false,
                    parallelism,
                );
            }
        });
        // SAFETY: the batch loop visits every output matrix once (the
        // output batch shape is the broadcast of both operands'), and each
        // gemm call wrote all m * n of its elements, so all `len` elements
        // are initialized.
        unsafe { out.set_len(len) };
        out
    }
}

/// The shape with its last two axes swapped when `trans` is set.
fn transposed(shape: &Shape, trans: bool) -> Shape {
    let mut dims = shape.to_vec();
    if trans && dims.len() >= 2 {
        let r = dims.len();
        dims.swap(r - 2, r - 1);
    }
    Shape::from(dims)
}

/// Backward rule of `matmul_t`. With `A = op(a)` and `B = op(b)`:
/// `grad_A = g @ B^T` and `grad_B = A^T @ g`, transposed back when the
/// operand was read transposed, and summed over broadcast batch axes.
pub(crate) fn backward<F: Float, T: Ops<F>>(
    lhs: &T,
    rhs: &T,
    trans_lhs: bool,
    trans_rhs: bool,
    grad_out: &T,
    needs: &[bool],
) -> Result<InputGrads<T>, Error> {
    let grad_lhs = needs[0]
        .then(|| {
            let grad = if trans_lhs {
                rhs.matmul_t(grad_out, trans_rhs, true)?
            } else {
                grad_out.matmul_t(rhs, false, !trans_rhs)?
            };
            grad.sum_to(&lhs.shape())
        })
        .transpose()?;

    let grad_rhs = needs[1]
        .then(|| {
            let grad = if trans_rhs {
                grad_out.matmul_t(lhs, true, trans_lhs)?
            } else {
                lhs.matmul_t(grad_out, !trans_lhs, false)?
            };
            grad.sum_to(&rhs.shape())
        })
        .transpose()?;

    Ok(InputGrads::from_buf([grad_lhs, grad_rhs]))
}
