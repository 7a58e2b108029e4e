//! `Param`: a value that outlives a tape, such as a model's weight.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Float, Tensor};

/// The stable identity of a [`Param`], unique in the process.
///
/// Optimizers key their state (momentum, running averages) by it, and
/// [`Grads`](crate::Grads) finds a parameter's gradient by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParamId(u64);

impl ParamId {
    /// Returns the identity as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

static NEXT_PARAM: AtomicU64 = AtomicU64::new(0);

/// A tensor that outlives tapes: recorded as an input on a fresh tape at
/// every step with [`Tape::param`](crate::Tape::param), and updated in place
/// between steps.
///
/// Recording shares the value's buffer with the tape; once the tape is
/// dropped, [`value_mut`](Param::value_mut) writes to the buffer in place
/// without copying it.
///
/// A `Param` is deliberately not `Clone`: two copies would share one
/// identity, and the gradient of one would be credited to the other.
///
/// # Examples: one step of gradient descent
///
/// ```
/// # use zengrad_core::{Error, Param, Tape, Tensor};
/// let mut w = Param::new(Tensor::from([1.0f64, -2.0]));
/// let lr = 0.1;
///
/// let grads = {
///     let tape = Tape::new();
///     let loss = tape.param(&w).square().sum_all(); // |w|^2
///     loss.backward()?
/// };
///
/// let grad = grads.param(&w).unwrap(); // 2 w
/// let update = grad.mul_scalar(lr);
/// for (v, g) in w.value_mut().data_mut().iter_mut().zip(update.data()) {
///     *v -= g;
/// }
/// assert_eq!(w.value().to_vec(), [0.8, -1.6]);
/// # Ok::<(), Error>(())
/// ```
pub struct Param<F: Float = f32> {
    id: ParamId,
    value: Tensor<F>,
}

impl<F: Float> Param<F> {
    /// Wraps a value as a parameter with a new identity.
    pub fn new(value: Tensor<F>) -> Param<F> {
        Param {
            id: ParamId(NEXT_PARAM.fetch_add(1, Ordering::Relaxed)),
            value,
        }
    }

    /// Returns the identity.
    pub fn id(&self) -> ParamId {
        self.id
    }

    /// Returns the current value.
    pub fn value(&self) -> &Tensor<F> {
        &self.value
    }

    /// Returns the value for updating in place.
    pub fn value_mut(&mut self) -> &mut Tensor<F> {
        &mut self.value
    }

    /// Replaces the value, keeping the identity.
    pub fn set(&mut self, value: Tensor<F>) {
        self.value = value;
    }
}

impl<F: Float> std::fmt::Debug for Param<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Param(#{}, {:?})", self.id.0, self.value)
    }
}
