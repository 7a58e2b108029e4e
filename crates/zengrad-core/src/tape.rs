//! `Tape`: the append-only record of every operation, and `Var`, a handle
//! to a value on it.

use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ops::Op;
use crate::{Error, Float, Param, ParamId, Shape, Tensor, spare};

/// The position of a node on its tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// Returns the position as an index into the tape, from 0.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The nodes of a tape, kept as parallel arrays indexed by node id.
///
/// A node's op and input ids are read once, in order, by the backward walk.
/// Its value is read again by the rule of every later node that uses it,
/// and its flags when such a node is recorded, in no fixed order. Keeping
/// those in small dense arrays of their own (16 bytes and 1 byte a node)
/// means that a graph of scalars touches a few cache lines per hundred
/// nodes rather than one per node.
///
/// Returned by [`Tape::nodes`] for inspection.
pub struct Nodes<F: Float> {
    pub(crate) links: Vec<Link<F>>,
    pub(crate) values: Vec<Value<F>>,
    pub(crate) flags: Vec<Flags>,
    /// The number of nodes that fit without growing: at most the capacity
    /// of each of the three vectors.
    room: usize,
    /// Whether no node owns memory on the heap, so that clearing need not
    /// visit the nodes (the common case of a graph of scalars).
    plain: bool,
}

/// A node's op and the ids of its inputs.
#[derive(Clone, Debug)]
pub(crate) struct Link<F: Float> {
    pub(crate) op: Op<F>,
    pub(crate) inputs: Inputs,
}

impl<F: Float> Default for Nodes<F> {
    fn default() -> Nodes<F> {
        Nodes::with_capacity(0)
    }
}

impl<F: Float> Nodes<F> {
    fn with_capacity(capacity: usize) -> Nodes<F> {
        let mut nodes = Nodes {
            links: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            flags: Vec::with_capacity(capacity),
            room: 0,
            plain: true,
        };
        nodes.room = nodes.capacity();
        nodes
    }

    /// Returns the bytes held by the three vectors.
    fn bytes(&self) -> usize {
        self.links.capacity() * std::mem::size_of::<Link<F>>()
            + self.values.capacity() * std::mem::size_of::<Value<F>>()
            + self.flags.capacity()
    }

    fn capacity(&self) -> usize {
        self.links
            .capacity()
            .min(self.values.capacity())
            .min(self.flags.capacity())
    }

    fn clear(&mut self) {
        if self.plain {
            // SAFETY: a shorter length is always sound. The nodes are not
            // dropped, which frees nothing that they own: none owns any.
            unsafe {
                self.links.set_len(0);
                self.values.set_len(0);
            }
        } else {
            self.links.clear();
            self.values.clear();
        }
        self.flags.clear();
        self.plain = true;
    }

    /// Returns the number of nodes.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Returns whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Returns the node at `index` (the [`NodeId::index`] of a var), if
    /// there is one.
    pub fn get(&self, index: usize) -> Option<Node<'_, F>> {
        (index < self.len()).then(|| self.node(index))
    }

    /// Returns the nodes in the order they were recorded.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Node<'_, F>> + '_ {
        (0..self.len()).map(|index| self.node(index))
    }

    /// Returns the node at `index`, which must be below the length.
    fn node(&self, index: usize) -> Node<'_, F> {
        Node {
            link: &self.links[index],
            value: &self.values[index],
            flags: self.flags[index],
        }
    }

    /// Returns the value of node `id`.
    #[inline]
    pub(crate) fn value(&self, id: NodeId) -> &Value<F> {
        &self.values[id.index()]
    }

    /// Returns the flags of node `id`.
    #[inline]
    pub(crate) fn flags(&self, id: NodeId) -> Flags {
        self.flags[id.index()]
    }

    /// Appends an op node of the inputs `ids` whose value is `value`, and
    /// returns its id. `op` makes the op only as the node is written (see
    /// [`push`](Nodes::push)).
    #[inline(always)]
    pub(crate) fn record(
        &mut self,
        op: impl FnOnce() -> Op<F>,
        ids: &[NodeId],
        value: Value<F>,
    ) -> NodeId {
        let flags = Flags::of(self, ids, &value);
        self.push(op, Inputs::new(ids), value, flags)
    }

    /// Appends a node and returns its id.
    ///
    /// The three parts are written straight into the vectors' free space,
    /// after one check of the room left: pushed one by one, each would be
    /// checked, and a link built first and then pushed is assembled on the
    /// stack and copied, which costs a scalar op a good part of its time.
    #[inline(always)]
    fn push(
        &mut self,
        op: impl FnOnce() -> Op<F>,
        inputs: Inputs,
        value: Value<F>,
        flags: Flags,
    ) -> NodeId {
        let len = self.links.len();
        let id = NodeId(u32::try_from(len).expect("internal error: over 2^32 nodes on a tape"));
        if len == self.room {
            self.grow();
        }
        let plain = matches!(inputs, Inputs::Few { .. }) && matches!(value, Value::Scalar(_));
        // SAFETY: the three vectors have the same length `len`, and each
        // has a capacity of at least `room`, which is above `len`: the
        // element at `len` of each is free space, written here before the
        // lengths are raised.
        unsafe {
            let link = self.links.as_mut_ptr().add(len);
            (&raw mut (*link).op).write(op());
            (&raw mut (*link).inputs).write(inputs);
            self.plain &= plain && !(*link).op.owns_heap();
            self.values.as_mut_ptr().add(len).write(value);
            self.flags.as_mut_ptr().add(len).write(flags);
            self.links.set_len(len + 1);
            self.values.set_len(len + 1);
            self.flags.set_len(len + 1);
        }
        id
    }

    /// Makes room for `nodes` nodes in all.
    fn reserve(&mut self, nodes: usize) {
        let more = nodes.saturating_sub(self.len());
        self.links.reserve(more);
        self.values.reserve(more);
        self.flags.reserve(more);
        self.room = self.capacity();
    }

    /// Makes room for more nodes (out of line: it is rarely called).
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let len = self.len();
        self.reserve(len + len.max(16));
    }
}

/// One node of a tape, as [`Nodes`] shows it: the op that made it, the ids
/// of its inputs, and its value.
#[derive(Clone, Copy)]
pub struct Node<'a, F: Float> {
    link: &'a Link<F>,
    value: &'a Value<F>,
    flags: Flags,
}

/// What the backward walk needs to know of a node without reading its
/// inputs: whether a gradient flows into it, which of its inputs need one,
/// and whether its rule can run on bare numbers.
///
/// Worked out once, when the node is recorded, from the inputs' flags; the
/// walk then reads an input's node only for its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    /// A gradient flows into the node.
    const REQUIRES_GRAD: u8 = 1;
    /// The node's value has shape `[]`.
    const SCALAR_VALUE: u8 = 2;
    /// The node's value and all its inputs' values (three at most) have
    /// shape `[]`.
    const SCALAR_RULE: u8 = 4;
    /// Input `k` needs a gradient: bit `NEEDS << k`.
    const NEEDS: u8 = 8;

    /// The flags of a leaf.
    #[inline]
    fn leaf<F: Float>(value: &Value<F>, requires_grad: bool) -> Flags {
        let grad = if requires_grad {
            Flags::REQUIRES_GRAD
        } else {
            0
        };
        let scalar = if value.is_scalar() {
            Flags::SCALAR_VALUE
        } else {
            0
        };
        Flags(grad | scalar)
    }

    /// The flags of an op node whose value is `value` and whose inputs are
    /// `inputs`, all on `nodes`.
    #[inline(always)]
    fn of<F: Float>(nodes: &Nodes<F>, inputs: &[NodeId], value: &Value<F>) -> Flags {
        // Without branches: this runs for every op recorded.
        let mut any = 0;
        let mut all = Flags::SCALAR_VALUE;
        for (k, &id) in inputs.iter().enumerate() {
            let input = nodes.flags(id).0;
            let grad = input & Flags::REQUIRES_GRAD;
            any |= grad;
            if k < 3 {
                any |= grad * (Flags::NEEDS << k);
            }
            all &= input;
        }
        if inputs.len() > 3 {
            all = 0;
        }
        let scalar = if value.is_scalar() {
            Flags::SCALAR_VALUE
        } else {
            0
        };
        // SCALAR_RULE is SCALAR_VALUE shifted by one.
        Flags(any | scalar | ((scalar & all) << 1))
    }

    /// Returns whether a gradient flows into the node.
    #[inline]
    pub(crate) fn requires_grad(self) -> bool {
        self.0 & Flags::REQUIRES_GRAD != 0
    }

    /// Returns whether the node's rule can run on bare numbers: its value
    /// and its inputs' values all have shape `[]`.
    #[inline]
    pub(crate) fn scalar_rule(self) -> bool {
        self.0 & Flags::SCALAR_RULE != 0
    }

    /// Returns whether input `k`, one of the first three, needs a gradient.
    #[inline]
    pub(crate) fn needs(self, k: usize) -> bool {
        self.0 & (Flags::NEEDS << k) != 0
    }
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

    /// Returns whether the value has shape `[]`.
    #[inline]
    pub(crate) fn is_scalar(&self) -> bool {
        matches!(self, Value::Scalar(_))
    }

    /// Returns the number, for a value of shape `[]`, and 0 for a tensor.
    #[inline]
    pub(crate) fn scalar_or_zero(&self) -> F {
        match self {
            Value::Scalar(value) => *value,
            Value::Tensor(_) => F::zero(),
        }
    }

    pub(crate) fn shape(&self) -> Shape {
        match self {
            Value::Scalar(_) => Shape::scalar(),
            Value::Tensor(tensor) => tensor.shape().clone(),
        }
    }
}

impl<'a, F: Float> Node<'a, F> {
    /// Returns the op that produced this node ([`Op::Leaf`] for inputs,
    /// parameters and constants).
    pub fn op(&self) -> &'a Op<F> {
        &self.link.op
    }

    /// Returns the ids of the node's inputs, in the op's order.
    pub fn inputs(&self) -> &'a [NodeId] {
        &self.link.inputs
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
        self.flags.requires_grad()
    }
}

impl<F: Float> fmt::Debug for Node<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("op", self.op())
            .field("inputs", &self.inputs())
            .field("value", self.value)
            .field("requires_grad", &self.requires_grad())
            .finish()
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
    pub(crate) nodes: RefCell<Nodes<F>>,
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
    ///
    /// The memory of the last tape of the same float type dropped on this
    /// thread is reused, so that a loop that records a graph at every step
    /// allocates it once.
    pub fn with_capacity(nodes: usize) -> Tape<F> {
        let storage = match spare::take::<Nodes<F>>() {
            Some(mut spare) => {
                spare.reserve(nodes);
                spare
            }
            None => Nodes::with_capacity(nodes),
        };
        Tape {
            id: NEXT_TAPE.fetch_add(1, Ordering::Relaxed),
            nodes: RefCell::new(storage),
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Op, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(2.0));
    /// let y = x.exp() * x;
    ///
    /// let nodes = tape.nodes();
    /// let node = nodes.get(y.id().index()).unwrap();
    /// assert_eq!(node.op(), &Op::Mul);
    /// assert_eq!(node.inputs().len(), 2);
    /// assert_eq!(nodes.iter().filter(|n| n.inputs().is_empty()).count(), 1);
    /// ```
    pub fn nodes(&self) -> Ref<'_, Nodes<F>> {
        self.nodes.borrow()
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
        let value = Value::new(value);
        let flags = Flags::leaf(&value, requires_grad);
        let id = self
            .nodes
            .borrow_mut()
            .push(|| Op::Leaf, Inputs::new(&[]), value, flags);
        Var { tape: self, id }
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

/// Keeps the emptied storage for the next tape on this thread.
impl<F: Float> Drop for Tape<F> {
    fn drop(&mut self) {
        let nodes = self.nodes.get_mut();
        nodes.clear();
        let bytes = nodes.bytes();
        spare::keep(std::mem::take(nodes), bytes);
    }
}

/// Lists the nodes, one a line: id, op, input ids and shape.
impl<F: Float> fmt::Display for Tape<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, node) in self.nodes.borrow().iter().enumerate() {
            let inputs: Vec<String> = node
                .inputs()
                .iter()
                .map(|id| format!("%{}", id.0))
                .collect();
            let grad = if node.requires_grad() {
                ""
            } else {
                " (no grad)"
            };
            writeln!(
                f,
                "%{i} = {}({}) : {}{grad}",
                node.op().name(),
                inputs.join(", "),
                node.shape()
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
        self.tape.nodes.borrow().value(self.id).to_tensor()
    }

    /// Returns the shape of the value.
    pub fn shape(self) -> Shape {
        self.tape.nodes.borrow().value(self.id).shape()
    }

    /// Returns the value of a one-element var, such as a loss.
    ///
    /// # Errors
    ///
    /// Returns [`Error::NotScalar`] when the var has more than one element.
    pub fn item(self) -> Result<F, Error> {
        match self.tape.nodes.borrow().value(self.id) {
            Value::Scalar(value) => Ok(*value),
            Value::Tensor(tensor) => tensor.item(),
        }
    }

    /// Returns whether a gradient flows into this var.
    pub fn requires_grad(self) -> bool {
        self.tape.nodes.borrow().flags(self.id).requires_grad()
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
        write!(
            f,
            "Var(%{} = {}, {:?})",
            self.id.0,
            nodes.links[self.id.index()].op.name(),
            nodes.value(self.id)
        )
    }
}
