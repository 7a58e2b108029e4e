//! Custom operations: a forward and a backward rule supplied by the user,
//! recorded on the tape like any built-in op.
//!
//! A custom rule is written as the built-in rules are: once, generic over
//! [`Ops`]. First-order backward runs it on tensors; [`Var::grad`] runs it
//! on vars, so a rule made of `Ops` operations can be differentiated again.
//! Whatever a rule computes from [`Ops::value`] and wraps with
//! [`Ops::constant`] counts as a constant of the gradient, as a mask does.

use std::fmt;
use std::sync::Arc;

use crate::ops::scalar::Scalar;
use crate::ops::{InputGrads, Op, Ops};
use crate::tape::Value;
use crate::{Error, Float, Tensor, Var};

/// An operation defined by its user: its forward on tensors and its
/// backward rule, as `torch.autograd.Function` and `jax.custom_vjp` offer.
///
/// # Examples: a cube with its own derivative
///
/// ```
/// use std::sync::Arc;
/// use zengrad_core::{CustomOp, Error, Tape, Tensor, Var, ops::Ops};
///
/// struct Cube;
///
/// impl CustomOp<f64> for Cube {
///     fn name(&self) -> &'static str {
///         "cube"
///     }
///
///     fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
///         Ok(inputs[0].powf(3.0))
///     }
///
///     // d(x^3)/dx = 3 x^2, written over `Ops` so that it is differentiable.
///     fn backward<T: Ops<f64>>(
///         &self,
///         inputs: &[&T],
///         _out: &T,
///         grad_out: &T,
///     ) -> Result<Vec<Option<T>>, Error> {
///         let slope = inputs[0].mul(inputs[0])?.mul_scalar(3.0);
///         Ok(vec![Some(grad_out.mul(&slope)?)])
///     }
/// }
///
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::scalar(2.0));
/// let y = Var::custom(&Arc::new(Cube), &[x])?;
/// let dy = y.grad(&[x])?[0];
/// assert_eq!(dy.item()?, 12.0); // 3 x^2
/// assert_eq!(dy.backward()?.get(x).unwrap().item()?, 12.0); // 6 x
/// # Ok::<(), Error>(())
/// ```
pub trait CustomOp<F: Float>: Send + Sync + 'static {
    /// Returns the op's name, used in errors and when the tape is printed.
    fn name(&self) -> &'static str;

    /// Computes the output from the inputs' values.
    ///
    /// # Errors
    ///
    /// Whatever the op finds wrong with its inputs, typically
    /// [`Error::ShapeMismatch`] naming [`CustomOp::name`].
    fn forward(&self, inputs: &[&Tensor<F>]) -> Result<Tensor<F>, Error>;

    /// Maps `grad_out`, the gradient of the output `out`, to one gradient
    /// per input, each of its input's shape; `None` stands for zero.
    ///
    /// # Errors
    ///
    /// Whatever the operations of the rule return.
    fn backward<T: Ops<F>>(
        &self,
        inputs: &[&T],
        out: &T,
        grad_out: &T,
    ) -> Result<Vec<Option<T>>, Error>;
}

/// The rule of a [`CustomOp`] with its type erased, so that a node can
/// hold it: one entry per kind of value the walks run rules on.
pub(crate) trait ErasedCustom<F: Float>: Send + Sync {
    fn name(&self) -> &'static str;

    fn forward(&self, inputs: &[&Tensor<F>]) -> Result<Tensor<F>, Error>;

    fn backward_tensor(
        &self,
        inputs: &[&Tensor<F>],
        out: &Tensor<F>,
        grad_out: &Tensor<F>,
    ) -> Result<Vec<Option<Tensor<F>>>, Error>;

    fn backward_var<'t>(
        &self,
        inputs: &[&Var<'t, F>],
        out: &Var<'t, F>,
        grad_out: &Var<'t, F>,
    ) -> Result<Vec<Option<Var<'t, F>>>, Error>;
}

impl<F: Float, C: CustomOp<F>> ErasedCustom<F> for C {
    fn name(&self) -> &'static str {
        CustomOp::name(self)
    }

    fn forward(&self, inputs: &[&Tensor<F>]) -> Result<Tensor<F>, Error> {
        CustomOp::forward(self, inputs)
    }

    fn backward_tensor(
        &self,
        inputs: &[&Tensor<F>],
        out: &Tensor<F>,
        grad_out: &Tensor<F>,
    ) -> Result<Vec<Option<Tensor<F>>>, Error> {
        CustomOp::backward(self, inputs, out, grad_out)
    }

    fn backward_var<'t>(
        &self,
        inputs: &[&Var<'t, F>],
        out: &Var<'t, F>,
        grad_out: &Var<'t, F>,
    ) -> Result<Vec<Option<Var<'t, F>>>, Error> {
        CustomOp::backward(self, inputs, out, grad_out)
    }
}

/// A custom op as a node holds it: shared, compared by identity.
#[derive(Clone)]
pub struct CustomFn<F: Float>(pub(crate) Arc<dyn ErasedCustom<F>>);

impl<F: Float> CustomFn<F> {
    /// Returns the op's name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl<F: Float> fmt::Debug for CustomFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomFn({})", self.name())
    }
}

impl<F: Float> PartialEq for CustomFn<F> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Runs a custom rule on any kind of value, checking what it returns.
pub(crate) fn backward<F: Float, T: Ops<F>>(
    op: &CustomFn<F>,
    inputs: &[&T],
    out: &T,
    grad_out: &T,
) -> Result<InputGrads<T>, Error> {
    let grads = T::custom_backward(op, inputs, out, grad_out)?;
    if grads.len() != inputs.len() {
        return Err(Error::CustomGrads {
            op: op.name(),
            expected: inputs.len(),
            got: grads.len(),
        });
    }
    for (input, grad) in inputs.iter().zip(&grads) {
        if let Some(grad) = grad
            && grad.shape() != input.shape()
        {
            return Err(Error::ShapeMismatch {
                op: op.name(),
                expected: input.shape(),
                got: grad.shape(),
            });
        }
    }
    Ok(grads.into_iter().collect())
}

/// Runs a custom rule on bare numbers by way of tensors of shape `[]`.
pub(crate) fn scalar_backward<F: Float>(
    op: &CustomFn<F>,
    inputs: &[&Scalar<F>],
    out: &Scalar<F>,
    grad_out: &Scalar<F>,
) -> Result<Vec<Option<Scalar<F>>>, Error> {
    let tensors: Vec<Tensor<F>> = inputs.iter().map(|x| Tensor::scalar(x.0)).collect();
    let refs: Vec<&Tensor<F>> = tensors.iter().collect();
    let (out, grad_out) = (Tensor::scalar(out.0), Tensor::scalar(grad_out.0));
    let grads = op.0.backward_tensor(&refs, &out, &grad_out)?;
    Ok(grads
        .into_iter()
        .map(|grad| grad.map(|g| Scalar(g.data()[0])))
        .collect())
}

impl<'t, F: Float> Var<'t, F> {
    /// Applies a custom op to `inputs`, recording it on their tape.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Empty`] for no inputs, [`Error::ForeignVar`] when
    /// the inputs are on different tapes, and whatever the op's forward
    /// returns.
    pub fn custom<C: CustomOp<F>>(op: &Arc<C>, inputs: &[Var<'t, F>]) -> Result<Var<'t, F>, Error> {
        let first = *inputs.first().ok_or(Error::Empty { op: op.name() })?;
        for &input in inputs {
            first.same_tape(op.name(), input)?;
        }
        let tape = first.tape;
        let erased: Arc<dyn ErasedCustom<F>> = op.clone();
        let ids: Vec<_> = inputs.iter().map(|v| v.id).collect();

        let value = {
            let nodes = tape.nodes.borrow();
            let values: Vec<Tensor<F>> =
                ids.iter().map(|&id| nodes.value(id).to_tensor()).collect();
            let refs: Vec<&Tensor<F>> = values.iter().collect();
            Value::new(erased.forward(&refs)?)
        };

        let op = Op::Custom(CustomFn(erased));
        let id = tape.nodes.borrow_mut().record(|| op, &ids, value);
        Ok(Var { tape, id })
    }
}
