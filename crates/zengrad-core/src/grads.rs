//! `Grads`: what backward returns.

use crate::{Float, NodeId, Param, ParamId, Tensor, Var};

/// The gradients of a loss with respect to the leaves of its tape: the
/// inputs made with [`Tape::var`](crate::Tape::var) and the parameters
/// recorded with [`Tape::param`](crate::Tape::param).
///
/// It belongs to the caller: nothing is stored on tensors or parameters,
/// so there is nothing to zero between steps. For the gradient with respect
/// to an intermediate var, use [`Var::grad`].
#[derive(Clone, Debug)]
pub struct Grads<F: Float = f32> {
    tape: u64,
    /// The leaves' gradients, by ascending node id.
    leaves: Vec<(NodeId, Tensor<F>)>,
    /// The recorded parameters with their leaves, by ascending id.
    params: Vec<(ParamId, NodeId)>,
}

impl<F: Float> Grads<F> {
    pub(crate) fn new(
        tape: u64,
        leaves: Vec<(NodeId, Tensor<F>)>,
        params: Vec<(ParamId, NodeId)>,
    ) -> Grads<F> {
        Grads {
            tape,
            leaves,
            params,
        }
    }

    /// Returns the gradient of a leaf var, or `None` when the loss does not
    /// depend on it, it is a constant, or it belongs to another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([1.0, 2.0]));
    /// let unused = tape.var(Tensor::scalar(0.0));
    /// let grads = x.square().sum_all().backward()?;
    /// assert_eq!(grads.get(x).unwrap().to_vec(), [2.0, 4.0]);
    /// assert!(grads.get(unused).is_none());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn get(&self, var: Var<'_, F>) -> Option<&Tensor<F>> {
        if var.tape().id() != self.tape {
            return None;
        }
        self.by_node(var.id())
    }

    /// Returns the gradient of a parameter recorded on the tape, or `None`
    /// when it was not recorded or the loss does not depend on it.
    pub fn param(&self, param: &Param<F>) -> Option<&Tensor<F>> {
        self.param_by_id(param.id())
    }

    /// Returns the gradient of the parameter with identity `id`.
    pub fn param_by_id(&self, id: ParamId) -> Option<&Tensor<F>> {
        let at = self
            .params
            .binary_search_by_key(&id, |(param, _)| *param)
            .ok()?;
        let node = self.params[at].1;
        self.by_node(node)
    }

    /// Returns the parameters that have a gradient, with it, by ascending
    /// [`ParamId`].
    pub fn params(&self) -> impl Iterator<Item = (ParamId, &Tensor<F>)> {
        self.params
            .iter()
            .filter_map(|&(id, node)| Some((id, self.by_node(node)?)))
    }

    /// Returns the number of leaves with a gradient.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Returns whether no leaf has a gradient.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    fn by_node(&self, node: NodeId) -> Option<&Tensor<F>> {
        let at = self
            .leaves
            .binary_search_by_key(&node, |(id, _)| *id)
            .ok()?;
        Some(&self.leaves[at].1)
    }
}
