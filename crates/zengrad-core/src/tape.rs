//! `Tape`: the append-only record of every operation, and `Var`, a handle
//! to a value on it.

use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ops::Op;
use crate::{Error, Float, Param, ParamId, Shape, Tensor};

/// The position of a node on its tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// Returns the position as an index into the tape, from 0.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One entry of a tape: the op that made it, the ids of its inputs, and its
/// value.
#[derive(Clone, Debug)]
pub struct Node<F: Float> {
    pub(crate) op: Op<F>,
    pub(crate) inputs: Inputs,
    pub(crate) value: Value<F>,
    pub(crate) requires_grad: bool,
}

/// The ids of a node's inputs: up to three inline, more (a concatenation)
/// behind one pointer, so that the list takes 16 bytes.
#[derive(Clone, Debug)]
pub(crate) enum Inputs {
    Few {
        len: u8,
        ids: [NodeId; 3],
    },
    // A boxed vector is one thin pointer, where a vector or a boxed slice
    // would be two or three words and make every node larger.
    #[allow(clippy::box_collection)]
    Many(Box<Vec<NodeId>>),
}

impl Inputs {
    #[inline]
    pub(crate) fn new(ids: &[NodeId]) -> Inputs {
        match ids.len() {
            len @ 0..=3 => {
                let mut few = [NodeId(0); 3];
                few[..len].copy_from_slice(ids);
                Inputs::Few {
                    len: len as u8,
                    ids: few,
                }
            }
            _ => Inputs::Many(Box::new(ids.to_vec())),
        }
    }
}

impl std::ops::Deref for Inputs {
    type Target = [NodeId];

    #[inline]
    fn deref(&self) -> &[NodeId] {
        match self {
            Inputs::Few { len, ids } => &ids[..*len as usize],
            Inputs::Many(ids) => ids,
        }
    }
}

/// A node's value: a bare number for shape `[]`, a boxed tensor otherwise.
///
/// Keeping a scalar unboxed and a tensor behind one pointer keeps a node
/// small (a few dozen bytes), which is what a graph of scalars costs in
/// memory traffic.
#[derive(Clone, Debug)]
pub(crate) enum Value<F: Float> {
    Scalar(F),
    Tensor(Box<Tensor<F>>),
}

impl<F: Float> Value<F> {
    #[inline]
    pub(crate) fn new(tensor: Tensor<F>) -> Value<F> {
        if tensor.rank() == 0 {
            Value::Scalar(tensor.data()[0])
        } else {
            Value::Tensor(Box::new(tensor))
        }
    }

    /// Returns the value as a tensor (a cheap clone: buffers are shared).
    pub(crate) fn to_tensor(&self) -> Tensor<F> {
        match self {
            Value::Scalar(value) => Tensor::scalar(*value),
            Value::Tensor(tensor) => (**tensor).clone(),
        }
    }

    /// Returns the number, for a value of shape `[]`.
    #[inline]
    pub(crate) fn scalar(&self) -> Option<F> {
        match self {
            Value::Scalar(value) => Some(*value),
            Value::Tensor(_) => None,
        }
    }

    pub(crate) fn shape(&self) -> Shape {
        match self {
            Value::Scalar(_) => Shape::scalar(),
            Value::Tensor(tensor) => tensor.shape().clone(),
        }
    }
}

impl<F: Float> Node<F> {
    /// Returns the op that produced this node ([`Op::Leaf`] for inputs,
    /// parameters and constants).
    pub fn op(&self) -> &Op<F> {
        &self.op
    }

    /// Returns the ids of the node's inputs, in the op's order.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// Returns the node's value (a cheap clone: buffers are shared).
    pub fn value(&self) -> Tensor<F> {
        self.value.to_tensor()
    }

    /// Returns the shape of the node's value.
    pub fn shape(&self) -> Shape {
        self.value.shape()
    }

    /// Returns whether a gradient flows into this node: it is a var or a
    /// parameter, or depends on one.
    pub fn requires_grad(&self) -> bool {
        self.requires_grad
    }
}

/// The append-only list of the nodes of a computation, in the order they
/// were made.
///
/// Every operation on a [`Var`] appends a node holding its result, and
/// [`Var::backward`] walks the nodes in reverse to compute gradients. A tape
/// serves one computation (one training step, say): make a new one, or
/// [`clear`](Tape::clear) it, for the next.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{Error, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::scalar(3.0));
/// let y = x * x + x; // y = x^2 + x
///
/// let grads = y.backward()?;
/// assert_eq!(grads.get(x).unwrap().item()?, 7.0); // dy/dx = 2x + 1
/// assert_eq!(tape.len(), 3);
/// # Ok::<(), Error>(())
/// ```
pub struct Tape<F: Float = f32> {
    id: u64,
    pub(crate) nodes: RefCell<Vec<Node<F>>>,
    /// The parameters recorded, each with its leaf: a map, so that
    /// recording many parameters stays linear.
    pub(crate) params: RefCell<HashMap<ParamId, NodeId>>,
}

/// Gives every tape an identity, so that vars of two tapes are told apart.
static NEXT_TAPE: AtomicU64 = AtomicU64::new(0);

impl<F: Float> Tape<F> {
    /// Creates an empty tape.
    pub fn new() -> Tape<F> {
        Tape::with_capacity(0)
    }

    /// Creates an empty tape with room for `nodes` nodes.
    pub fn with_capacity(nodes: usize) -> Tape<F> {
        Tape {
            id: NEXT_TAPE.fetch_add(1, Ordering::Relaxed),
            nodes: RefCell::new(Vec::with_capacity(nodes)),
            params: RefCell::new(HashMap::new()),
        }
    }

    /// Removes every node, keeping the memory for the next computation.
    ///
    /// Taking `&mut self` guarantees that no var of the old computation is
    /// still in use; [`Grads`](crate::Grads) computed earlier stay valid but
    /// no longer match this tape's new vars.
    pub fn clear(&mut self) {
        self.nodes.get_mut().clear();
        self.params.get_mut().clear();
        self.id = NEXT_TAPE.fetch_add(1, Ordering::Relaxed);
    }

    /// Returns the number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Returns whether the tape has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.borrow().is_empty()
    }

    /// Returns the nodes, for inspection (drawing the graph, say). The tape
    /// cannot record while the returned guard lives.
    pub fn nodes(&self) -> Ref<'_, [Node<F>]> {
        Ref::map(self.nodes.borrow(), |nodes| nodes.as_slice())
    }

    /// Records an input that gradients flow into.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::from([1.0, 2.0]));
    /// assert!(x.requires_grad());
    /// ```
    pub fn var(&self, value: impl Into<Tensor<F>>) -> Var<'_, F> {
        self.leaf(value.into(), true)
    }

    /// Records a constant: a value that no gradient flows into.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let c = tape.constant(Tensor::from([1.0, 2.0]));
    /// assert!(!c.requires_grad());
    /// ```
    pub fn constant(&self, value: impl Into<Tensor<F>>) -> Var<'_, F> {
        self.leaf(value.into(), false)
    }

    /// Records a parameter's current value as an input, so that after
    /// backward its gradient is found with
    /// [`Grads::param`](crate::Grads::param). Recording the same parameter
    /// twice returns the same var. The value is shared, not copied.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Param, Tape, Tensor};
    /// let w = Param::new(Tensor::from([2.0f64]));
    /// let tape = Tape::new();
    /// let loss = (tape.param(&w) * 3.0).sum_all();
    /// let grads = loss.backward()?;
    /// assert_eq!(grads.param(&w).unwrap().to_vec(), [3.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn param(&self, param: &Param<F>) -> Var<'_, F> {
        let known = self.params.borrow().get(&param.id()).copied();
        if let Some(id) = known {
            return Var { tape: self, id };
        }
        let var = self.leaf(param.value().clone(), true);
        self.params.borrow_mut().insert(param.id(), var.id);
        var
    }

    fn leaf(&self, value: Tensor<F>, requires_grad: bool) -> Var<'_, F> {
        let id = self.push(Op::Leaf, Inputs::new(&[]), Value::new(value), requires_grad);
        Var { tape: self, id }
    }

    /// Appends a node and returns its id.
    #[inline(always)]
    pub(crate) fn push(
        &self,
        op: Op<F>,
        inputs: Inputs,
        value: Value<F>,
        requires_grad: bool,
    ) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        let id =
            NodeId(u32::try_from(nodes.len()).expect("internal error: over 2^32 nodes on a tape"));
        nodes.push(Node {
            op,
            inputs,
            value,
            requires_grad,
        });
        id
    }

    /// Returns the tape's identity.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl<F: Float> Default for Tape<F> {
    fn default() -> Tape<F> {
        Tape::new()
    }
}

/// Lists the nodes, one a line: id, op, input ids and shape.
impl<F: Float> fmt::Display for Tape<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, node) in self.nodes.borrow().iter().enumerate() {
            let inputs: Vec<String> = node.inputs.iter().map(|id| format!("%{}", id.0)).collect();
            let grad = if node.requires_grad { "" } else { " (no grad)" };
            writeln!(
                f,
                "%{i} = {}({}) : {}{grad}",
                node.op.name(),
                inputs.join(", "),
                node.value.shape()
            )?;
        }
        Ok(())
    }
}

impl<F: Float> fmt::Debug for Tape<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tape({} nodes)", self.len())
    }
}

/// A handle to a value recorded on a [`Tape`]: an input, a parameter, a
/// constant, or the result of an operation.
///
/// A var is `Copy`: using it twice records nothing extra, and gradients
/// from every use add up. Operations on vars compute their value at once
/// (eagerly) and record a node for backward.
#[derive(Clone, Copy)]
pub struct Var<'t, F: Float = f32> {
    pub(crate) tape: &'t Tape<F>,
    pub(crate) id: NodeId,
}

impl<'t, F: Float> Var<'t, F> {
    /// Returns the var's node id on its tape.
    pub fn id(self) -> NodeId {
        self.id
    }

    /// Returns the tape the var is recorded on.
    pub fn tape(self) -> &'t Tape<F> {
        self.tape
    }

    /// Returns the value (a cheap clone: the buffer is shared).
    pub fn value(self) -> Tensor<F> {
        self.tape.nodes.borrow()[self.id.index()].value.to_tensor()
    }

    /// Returns the shape of the value.
    pub fn shape(self) -> Shape {
        self.tape.nodes.borrow()[self.id.index()].value.shape()
    }

    /// Returns the value of a one-element var, such as a loss.
    ///
    /// # Errors
    ///
    /// Returns [`Error::NotScalar`] when the var has more than one element.
    pub fn item(self) -> Result<F, Error> {
        let nodes = self.tape.nodes.borrow();
        match &nodes[self.id.index()].value {
            Value::Scalar(value) => Ok(*value),
            Value::Tensor(tensor) => tensor.item(),
        }
    }

    /// Returns whether a gradient flows into this var.
    pub fn requires_grad(self) -> bool {
        self.tape.nodes.borrow()[self.id.index()].requires_grad
    }

    /// Returns a constant with the same value: a var that cuts the graph,
    /// so that no gradient flows back through it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(3.0));
    /// let y = x * x.detach(); // the detached factor counts as a constant
    /// assert_eq!(y.backward()?.get(x).unwrap().item()?, 3.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn detach(self) -> Var<'t, F> {
        self.tape.constant(self.value())
    }

    /// Checks that `other` lives on the same tape.
    pub(crate) fn same_tape(self, op: &'static str, other: Var<'t, F>) -> Result<(), Error> {
        if std::ptr::eq(self.tape, other.tape) {
            Ok(())
        } else {
            Err(Error::ForeignVar { op })
        }
    }
}

impl<F: Float> fmt::Debug for Var<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.tape.nodes.borrow();
        let node = &nodes[self.id.index()];
        write!(
            f,
            "Var(%{} = {}, {:?})",
            self.id.0,
            node.op.name(),
            node.value
        )
    }
}
