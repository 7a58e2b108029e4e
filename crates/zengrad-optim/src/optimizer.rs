//! `Optimizer`, what every optimizer does; `LrGroups`, what a schedule sets;
//! and `GradSource`, where a step reads the gradients.

use std::path::Path;

use zengrad_core::{Error, Float, Grads, Param, ParamId, Tensor};

use crate::checkpoint;

/// Gives the gradient of a parameter by its identity: [`Grads`] as
/// `backward` returns it, or [`ParamGrads`](crate::ParamGrads) after
/// clipping.
pub trait GradSource<F: Float> {
    /// Returns the gradient of the parameter with identity `id`, or `None`
    /// when it has none, which a step treats as PyTorch treats a `grad`
    /// of `None`: it leaves the parameter and its state alone.
    fn grad(&self, id: ParamId) -> Option<&Tensor<F>>;
}

impl<F: Float> GradSource<F> for Grads<F> {
    fn grad(&self, id: ParamId) -> Option<&Tensor<F>> {
        self.param_by_id(id)
    }
}

/// The learning rates of an optimizer's parameter groups, which a schedule
/// reads and sets. Every [`Optimizer`] has them.
pub trait LrGroups {
    /// Returns the number of parameter groups.
    fn group_count(&self) -> usize;

    /// Returns the learning rate of a group, or `None` when there is no
    /// such group.
    fn lr(&self, group: usize) -> Option<f64>;

    /// Sets the learning rate of a group, as a schedule does.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Group`] when there is no such group, and
    /// [`Error::Argument`] when `lr` is negative or NaN.
    fn set_lr(&mut self, group: usize, lr: f64) -> Result<(), Error>;
}

/// Updates parameters from their gradients, with the update rule, options
/// and defaults of the `torch.optim` class of the same name.
///
/// An optimizer is built from the parameters it updates, in one or more
/// groups, each with its own options (a learning rate, a weight decay, and
/// so on). Its state (momentum buffers, running averages, step counts) is
/// kept per parameter, by [`ParamId`], and allocated on the first step that
/// gives the parameter a gradient; later steps allocate nothing.
///
/// [`save`](Optimizer::save) and [`load`](Optimizer::load) write and read
/// that state, the options of every group included, so that a run resumes
/// bit for bit. Parameters are matched by position, as in PyTorch's
/// `state_dict`: the optimizer that loads must hold parameters of the same
/// shapes, in the same groups and order, as the one that saved.
pub trait Optimizer<F: Float>: LrGroups {
    /// Updates each parameter in `params` that has a gradient in `grads`,
    /// and skips the others.
    ///
    /// Each parameter must be one the optimizer holds. The values are
    /// written in place: drop the tape first, or its copy of each value
    /// makes the write copy the buffer.
    ///
    /// # Errors
    ///
    /// Returns [`Error::UnknownParam`] for a parameter the optimizer does
    /// not hold, and [`Error::ShapeMismatch`] when a value or gradient no
    /// longer has the shape the parameter had when it was added. Every
    /// parameter is checked before any is changed, so an error leaves all
    /// of them, and the state, as they were.
    fn step(
        &mut self,
        params: &mut [&mut Param<F>],
        grads: &dyn GradSource<F>,
    ) -> Result<(), Error>;

    /// Returns the optimizer's state as a checkpoint: the options of each
    /// group, the shapes of the parameters, and each parameter's state.
    fn to_bytes(&self) -> Vec<u8>;

    /// Replaces the optimizer's options and state with those of a
    /// checkpoint made by [`to_bytes`](Optimizer::to_bytes).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Checkpoint`] when the bytes are truncated or
    /// corrupt, or hold the state of another optimizer, of another element
    /// type, or of parameters of other groups or shapes; and
    /// [`Error::Argument`] when an option in it is out of its range. On an
    /// error nothing changes.
    fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), Error>;

    /// Writes the state to a file, whole or not at all: to `<path>.tmp`
    /// first, then renamed to `path`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Io`] when the file cannot be written or renamed;
    /// `path` is then as it was.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        checkpoint::write_file(path.as_ref(), &self.to_bytes())
    }

    /// Reads the state from a file written by [`save`](Optimizer::save).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Io`] when the file cannot be read, and the errors
    /// of [`load_bytes`](Optimizer::load_bytes). On an error nothing
    /// changes.
    fn load(&mut self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        let bytes = checkpoint::read_file(path.as_ref())?;
        self.load_bytes(&bytes)
    }
}
