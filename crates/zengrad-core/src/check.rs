//! Gradient checking: analytic derivatives against central finite
//! differences, for any function of tensors.
//!
//! [`gradcheck`] compares the Jacobian that backward computes with the one
//! that central differences estimate, element by element, in `f64`.
//! [`gradgradcheck`] does the same for the gradient itself, so it tests
//! that every backward rule is differentiable and its derivative right.
//! Both return `Result`, so they work in plain tests and inside proptest.
//!
//! # Example: checking a composite function
//!
//! ```
//! use zengrad_core::check::{gradcheck, gradgradcheck, CheckOptions};
//! use zengrad_core::{Error, Tensor, Var};
//!
//! // A function of vars; a `fn` item (or a closure written inline in the
//! // call) takes vars of any tape.
//! fn f<'t>(xs: &[Var<'t, f64>]) -> Result<Var<'t, f64>, Error> {
//!     xs[0].tanh().mul(xs[1])?.sum(&[0], false)
//! }
//!
//! let inputs = [Tensor::from([[0.3, -0.2], [1.1, 0.5]]), Tensor::from([0.7, -1.5])];
//! gradcheck(f, &inputs, &CheckOptions::default())?;
//! gradgradcheck(f, &inputs, &CheckOptions::default())?;
//! # Ok::<(), Error>(())
//! ```

use std::fmt;

use crate::{Error, Grads, Shape, Tape, Tensor, Var, seeded_rng};

/// The tolerances of a check, with PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckOptions {
    /// The step of the central differences: `(f(x + eps) - f(x - eps)) /
    /// (2 eps)`.
    pub eps: f64,
    /// The absolute tolerance.
    pub atol: f64,
    /// The relative tolerance: an entry passes when
    /// `|analytic - numeric| <= atol + rtol * |numeric|`.
    pub rtol: f64,
}

impl Default for CheckOptions {
    /// `eps = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`, as
    /// `torch.autograd.gradcheck`.
    fn default() -> CheckOptions {
        CheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Where an analytic derivative and its finite-difference estimate part,
/// with the worst errors of the whole Jacobian.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// `gradcheck` or `gradgradcheck`.
    pub check: &'static str,
    /// Which input the derivative is taken with respect to.
    pub input: usize,
    /// The element of that input, as a multi-index.
    pub element: Vec<usize>,
    /// The element of the output, as a multi-index.
    pub output: Vec<usize>,
    /// The derivative that backward computed.
    pub analytic: f64,
    /// The derivative that central differences estimate.
    pub numeric: f64,
    /// The largest `|analytic - numeric|` over the Jacobian.
    pub worst_abs: f64,
    /// The largest `|analytic - numeric| / |numeric|` over the Jacobian.
    pub worst_rel: f64,
    /// The tolerances the check used.
    pub options: CheckOptions,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected the analytic derivative to match finite differences, got \
             d output{:?} / d input {}{:?}: analytic {:e}, numeric {:e} \
             (worst absolute error {:e}, worst relative error {:e}; \
             atol {:e}, rtol {:e}, eps {:e})",
            self.check,
            self.output,
            self.input,
            self.element,
            self.analytic,
            self.numeric,
            self.worst_abs,
            self.worst_rel,
            self.options.atol,
            self.options.rtol,
            self.options.eps,
        )
    }
}

/// Checks the gradient of `f` at `inputs`: every entry of the Jacobian
/// that backward computes against central finite differences.
///
/// `f` may return any shape: row `j` of the Jacobian is the gradient of
/// output element `j`, computed by a backward pass seeded with the `j`-th
/// unit vector. The numeric column of input element `i` is
/// `(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`. An entry passes when
/// `|analytic - numeric| <= atol + rtol * |numeric|`; a NaN never passes.
/// An input that the output does not reach has a zero analytic gradient,
/// which passes when the output indeed does not change with it.
///
/// # Errors
///
/// Returns [`Error::GradCheck`] for the first entry out of tolerance, with
/// the worst errors of the whole Jacobian; and whatever `f` returns.
///
/// # Examples: catching a wrong derivative
///
/// ```
/// use std::sync::Arc;
/// use zengrad_core::check::{gradcheck, CheckOptions};
/// use zengrad_core::{CustomOp, Error, Tensor, Var, ops::Ops};
///
/// /// sin, with the derivative of cos by mistake.
/// struct WrongSin;
///
/// impl CustomOp<f64> for WrongSin {
///     fn name(&self) -> &'static str {
///         "wrong_sin"
///     }
///
///     fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
///         Ok(inputs[0].sin())
///     }
///
///     fn backward<T: Ops<f64>>(
///         &self,
///         inputs: &[&T],
///         _out: &T,
///         grad_out: &T,
///     ) -> Result<Vec<Option<T>>, Error> {
///         Ok(vec![Some(grad_out.mul(&inputs[0].sin().neg())?)])
///     }
/// }
///
/// let op = Arc::new(WrongSin);
/// let inputs = [Tensor::from([0.5])];
/// let err = gradcheck(|xs| Var::custom(&op, xs), &inputs, &CheckOptions::default());
/// assert!(matches!(err, Err(Error::GradCheck(_))));
/// ```
pub fn gradcheck<Fun>(f: Fun, inputs: &[Tensor<f64>], options: &CheckOptions) -> Result<(), Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    compare("gradcheck", &f, inputs, options)
}

/// Checks the derivative of the gradient of `f` at `inputs`, as
/// `torch.autograd.gradgradcheck` does.
///
/// It runs [`gradcheck`] first: a second derivative means little when the
/// first is wrong. Then it draws a fixed random cotangent `v` of the output's shape and runs
/// [`gradcheck`] on `g(inputs, v) = v^T J_f(inputs)`, the vector-Jacobian
/// product recorded on the tape by [`Var::grad_with`]: so every backward
/// rule that `f` uses must itself be differentiable, with the right
/// derivative, both in the inputs and in `v`.
///
/// # Errors
///
/// As [`gradcheck`]: a failure of the first-order check names `gradcheck`,
/// one of the second-order check `gradgradcheck`, where the input index
/// `inputs.len()` stands for `v`.
pub fn gradgradcheck<Fun>(
    f: Fun,
    inputs: &[Tensor<f64>],
    options: &CheckOptions,
) -> Result<(), Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    gradcheck(&f, inputs, options)?;

    let shape = output_shape(&f, inputs)?;
    let cotangent = Tensor::uniform(shape, -1.0, 1.0, &mut seeded_rng(COTANGENT_SEED))?;

    let vjp = over_vars(|xs| {
        let (args, seed) = xs.split_at(xs.len() - 1);
        let grads = f(args)?.grad_with(seed[0], args)?;
        let flat = grads
            .iter()
            .map(|g| g.reshape([g.shape().numel()]))
            .collect::<Result<Vec<_>, _>>()?;
        Var::concat(&flat, 0)
    });
    let mut all = inputs.to_vec();
    all.push(cotangent);
    compare("gradgradcheck", &vjp, &all, options)
}

/// Returns `f`: passing a closure through this bound makes the compiler
/// type it for vars of any tape.
fn over_vars<Fun>(f: Fun) -> Fun
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    f
}

/// The seed of the cotangent that `gradgradcheck` draws, fixed so that a
/// failure repeats.
const COTANGENT_SEED: u64 = 0x5eed;

/// Runs `f` on a fresh tape and returns its output's shape.
fn output_shape<Fun>(f: &Fun, inputs: &[Tensor<f64>]) -> Result<Shape, Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    Ok(f(&vars)?.shape())
}

/// Evaluates `f` at `inputs` on a tape of its own and returns its value.
/// The inputs are vars, not constants: `f` may take gradients inside.
fn evaluate<Fun>(f: &Fun, inputs: &[Tensor<f64>]) -> Result<Tensor<f64>, Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    Ok(f(&vars)?.value())
}

/// A Jacobian by rows: one gradient per input for each output element.
type Rows = Vec<Vec<Tensor<f64>>>;

/// The analytic Jacobian, with the output's shape: `rows[j][i]` is the
/// gradient of output element `j` with respect to input `i` (zeros when
/// backward does not reach it).
fn analytic_rows<Fun>(f: &Fun, inputs: &[Tensor<f64>]) -> Result<(Rows, Shape), Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&vars)?;
    let shape = out.shape();
    let mut rows = Vec::with_capacity(shape.numel());
    for j in 0..shape.numel() {
        let mut seed = Tensor::zeros(shape.clone());
        seed.data_mut()[j] = 1.0;
        let grads: Grads<f64> = out.backward_with(&seed)?;
        let row = vars
            .iter()
            .zip(inputs)
            .map(|(&var, x)| {
                grads
                    .get(var)
                    .cloned()
                    .unwrap_or_else(|| Tensor::zeros(x.shape()))
            })
            .collect();
        rows.push(row);
    }
    Ok((rows, shape))
}

/// Compares the analytic Jacobian of `f` with central differences.
fn compare<Fun>(
    check: &'static str,
    f: &Fun,
    inputs: &[Tensor<f64>],
    options: &CheckOptions,
) -> Result<(), Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let (rows, out_shape) = analytic_rows(f, inputs)?;

    let mut first: Option<Mismatch> = None;
    let (mut worst_abs, mut worst_rel) = (0.0f64, 0.0f64);
    for (i, input) in inputs.iter().enumerate() {
        for k in 0..input.numel() {
            let numeric = numeric_column(f, inputs, i, k, options.eps)?;
            for (j, row) in rows.iter().enumerate() {
                let analytic = row[i].data()[k];
                let numeric = numeric.data()[j];
                let abs = (analytic - numeric).abs();
                let passes = abs <= options.atol + options.rtol * numeric.abs();
                worst_abs = worst_abs.max(if abs.is_nan() { f64::INFINITY } else { abs });
                if numeric != 0.0 {
                    worst_rel = worst_rel.max(abs / numeric.abs());
                }
                if !passes && first.is_none() {
                    first = Some(Mismatch {
                        check,
                        input: i,
                        element: multi_index(input.shape(), k),
                        output: multi_index(&out_shape, j),
                        analytic,
                        numeric,
                        worst_abs: 0.0,
                        worst_rel: 0.0,
                        options: *options,
                    });
                }
            }
        }
    }

    match first {
        Some(mut mismatch) => {
            mismatch.worst_abs = worst_abs;
            mismatch.worst_rel = worst_rel;
            Err(Error::GradCheck(Box::new(mismatch)))
        }
        None => Ok(()),
    }
}

/// The central difference of `f` in element `k` of input `i`.
fn numeric_column<Fun>(
    f: &Fun,
    inputs: &[Tensor<f64>],
    i: usize,
    k: usize,
    eps: f64,
) -> Result<Tensor<f64>, Error>
where
    Fun: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let mut shifted = inputs.to_vec();
    shifted[i].data_mut()[k] += eps;
    let plus = evaluate(f, &shifted)?;
    shifted[i].data_mut()[k] -= 2.0 * eps;
    let minus = evaluate(f, &shifted)?;
    Ok(plus.sub(&minus)?.mul_scalar(0.5 / eps))
}

/// The multi-index of the row-major offset `offset` in `shape`.
fn multi_index(shape: &Shape, mut offset: usize) -> Vec<usize> {
    let mut index = vec![0; shape.rank()];
    for axis in (0..shape.rank()).rev() {
        index[axis] = offset % shape[axis];
        offset /= shape[axis];
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_index_is_row_major() {
        assert_eq!(multi_index(&Shape::from([2, 3]), 5), [1, 2]);
        assert_eq!(multi_index(&Shape::scalar(), 0), [] as [usize; 0]);
    }
}
