//! Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and
//! `clip_grad_value_`, on [`ParamGrads`]: the parameters' gradients copied
//! out of [`Grads`] so that they can be changed before a step.

use zengrad_core::{Error, Float, Grads, ParamId, Tensor};

use crate::GradSource;

/// The gradients of parameters, by [`ParamId`], copied out of a [`Grads`]
/// so that they can be changed (clipped) in place before a step.
///
/// A step reads them as it reads a [`Grads`]. [`copy_from`] reuses the
/// buffers of the previous copy when the parameters are the same, so a
/// training loop that keeps one `ParamGrads` allocates for it only once.
///
/// [`copy_from`]: ParamGrads::copy_from
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{clip_grad_value, GradSource, ParamGrads};
///
/// let w = Param::new(Tensor::from([1.0f64, -4.0]));
/// let grads = {
///     let tape = Tape::new();
///     tape.param(&w).square().sum_all().backward()?
/// };
/// let mut clipped = ParamGrads::from(&grads);
/// clip_grad_value(&mut clipped, 3.0)?;
/// assert_eq!(clipped.grad(w.id()).unwrap().to_vec(), [2.0, -3.0]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ParamGrads<F: Float = f32> {
    grads: Vec<(ParamId, Tensor<F>)>,
}

impl<F: Float> ParamGrads<F> {
    /// Returns an empty set of gradients.
    pub fn new() -> ParamGrads<F> {
        ParamGrads { grads: Vec::new() }
    }

    /// Replaces the gradients with copies of those of the parameters in
    /// `grads`, writing into the current buffers when the parameters and
    /// shapes are the same as before.
    pub fn copy_from(&mut self, grads: &Grads<F>) {
        let same = self.grads.len() == grads.params().count()
            && self
                .grads
                .iter()
                .zip(grads.params())
                .all(|((id, own), (other_id, other))| {
                    *id == other_id && own.shape() == other.shape()
                });
        if same {
            for ((_, own), (_, other)) in self.grads.iter_mut().zip(grads.params()) {
                own.data_mut().copy_from_slice(other.data());
            }
            return;
        }

        // A copy of the values, not a clone of the tensor: a clone would
        // share the buffer with `grads`, and the first write would copy it.
        self.grads = grads
            .params()
            .map(|(id, grad)| {
                let copy = Tensor::from_slice(grad.data(), grad.shape().clone())
                    .expect("internal error: a tensor's data fits its shape");
                (id, copy)
            })
            .collect();
    }

    /// Returns the gradient of a parameter for changing in place, or `None`
    /// when it has none.
    pub fn get_mut(&mut self, id: ParamId) -> Option<&mut Tensor<F>> {
        let (_, grad) = self.grads.iter_mut().find(|(own, _)| *own == id)?;
        Some(grad)
    }

    /// Returns the parameters with a gradient, with it.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Tensor<F>)> {
        self.grads.iter().map(|(id, grad)| (*id, grad))
    }

    /// Returns the number of parameters with a gradient.
    pub fn len(&self) -> usize {
        self.grads.len()
    }

    /// Returns whether no parameter has a gradient.
    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }
}

impl<F: Float> From<&Grads<F>> for ParamGrads<F> {
    fn from(grads: &Grads<F>) -> ParamGrads<F> {
        let mut own = ParamGrads::new();
        own.copy_from(grads);
        own
    }
}

impl<F: Float> GradSource<F> for ParamGrads<F> {
    fn grad(&self, id: ParamId) -> Option<&Tensor<F>> {
        let (_, grad) = self.grads.iter().find(|(own, _)| *own == id)?;
        Some(grad)
    }
}

/// Scales the gradients down so that their total norm is at most
/// `max_norm`, and returns the total norm before scaling, as
/// `torch.nn.utils.clip_grad_norm_` does.
///
/// The total norm is the `norm_type`-norm of the gradients taken as one
/// vector: the norm of each gradient, then the norm of those norms. With
/// `norm_type` infinite it is the largest absolute value. Every gradient is
/// then multiplied by `min(1, max_norm / (total + 1e-6))`.
///
/// # Errors
///
/// Returns [`Error::Argument`] when `max_norm` is negative or NaN, or
/// `norm_type` is not above 0.
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tape, Tensor};
/// use zengrad_optim::{clip_grad_norm, GradSource, ParamGrads};
///
/// let w = Param::new(Tensor::from([1.5f64, 2.0]));
/// let grads = {
///     let tape = Tape::new();
///     tape.param(&w).square().sum_all().backward()? // [3, 4], norm 5
/// };
/// let mut clipped = ParamGrads::from(&grads);
///
/// let norm = clip_grad_norm(&mut clipped, 1.0, 2.0)?;
///
/// assert_eq!(norm, 5.0);
/// let grad = clipped.grad(w.id()).unwrap();
/// assert!(grad.allclose(&Tensor::from([0.6, 0.8]), 1e-6, 0.0));
/// # Ok::<(), Error>(())
/// ```
pub fn clip_grad_norm<F: Float>(
    grads: &mut ParamGrads<F>,
    max_norm: f64,
    norm_type: f64,
) -> Result<F, Error> {
    if max_norm.is_nan() || max_norm < 0.0 {
        return Err(Error::Argument {
            op: "clip_grad_norm",
            expected: "max_norm >= 0",
            got: max_norm,
        });
    }
    if norm_type.is_nan() || norm_type <= 0.0 {
        return Err(Error::Argument {
            op: "clip_grad_norm",
            expected: "norm_type > 0",
            got: norm_type,
        });
    }
    if grads.is_empty() {
        return Ok(F::zero());
    }

    // The norm of the norms, as PyTorch computes it (in another order than
    // the norm of all values at once, which rounds differently).
    let norms = grads
        .iter()
        .map(|(_, g)| norm(g.data().iter().copied(), norm_type));
    let total = norm(norms, norm_type);

    // PyTorch scales even when the coefficient clamps to 1, a no-op.
    let coef = F::from_f64(max_norm) / (total + F::from_f64(1e-6));
    let coef = if coef < F::one() { coef } else { F::one() };
    for (_, grad) in &mut grads.grads {
        for g in grad.data_mut() {
            *g *= coef;
        }
    }
    Ok(total)
}

/// Returns the `p`-norm of `values`.
fn norm<F: Float>(values: impl Iterator<Item = F>, p: f64) -> F {
    if p == f64::INFINITY {
        values
            .map(|v| v.abs())
            .fold(F::zero(), |a, b| if b > a || b.is_nan() { b } else { a })
    } else if p == 2.0 {
        values.map(|v| v * v).sum::<F>().sqrt()
    } else if p == 1.0 {
        values.map(|v| v.abs()).sum()
    } else {
        let p = F::from_f64(p);
        values
            .map(|v| v.abs().powf(p))
            .sum::<F>()
            .powf(F::one() / p)
    }
}

/// Clamps every gradient to `[-clip_value, clip_value]`, as
/// `torch.nn.utils.clip_grad_value_` does.
///
/// # Errors
///
/// Returns [`Error::Argument`] when `clip_value` is negative or NaN.
///
/// # Examples
///
/// See [`ParamGrads`].
pub fn clip_grad_value<F: Float>(grads: &mut ParamGrads<F>, clip_value: f64) -> Result<(), Error> {
    if clip_value.is_nan() || clip_value < 0.0 {
        return Err(Error::Argument {
            op: "clip_grad_value",
            expected: "clip_value >= 0",
            got: clip_value,
        });
    }

    let (lo, hi) = (F::from_f64(-clip_value), F::from_f64(clip_value));
    for (_, grad) in &mut grads.grads {
        for g in grad.data_mut() {
            // NaN stays NaN, as in torch.clamp.
            *g = if *g < lo {
                lo
            } else if *g > hi {
                hi
            } else {
                *g
            };
        }
    }
    Ok(())
}
