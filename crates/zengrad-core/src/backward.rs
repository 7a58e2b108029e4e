//! The reverse walk: from an output back over the tape, applying each
//! node's backward rule.
//!
//! Both walks visit the nodes in reverse creation order with a loop (never
//! recursion, so a chain of any length is fine). Since a node's inputs are
//! always older than the node, every gradient is complete before it is
//! passed on.

use smallvec::SmallVec;

use crate::ops::{self, scalar::Scalar};
use crate::tape::{Flags, Inputs, Link, Nodes, Value};
use crate::{Error, Float, Grads, NodeId, Tensor, Var, spare};

impl<'t, F: Float> Var<'t, F> {
    /// Computes the gradients of this scalar loss with respect to every
    /// leaf it depends on: the inputs and the parameters of its tape.
    ///
    /// Nothing is recorded: the gradients are plain tensors. The tape is
    /// left as it was, so backward can run again.
    ///
    /// # Errors
    ///
    /// Returns [`Error::NotScalar`] when the loss has more than one element
    /// (use [`Var::backward_with`] to seed it).
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let w = tape.var(Tensor::from([[1.0, 2.0], [3.0, 4.0]]));
    /// let x = tape.constant(Tensor::from([[1.0], [1.0]]));
    /// let loss = w.matmul(x)?.square().sum_all(); // (1+2)^2 + (3+4)^2
    /// assert_eq!(loss.item()?, 58.0);
    ///
    /// let grads = loss.backward()?;
    /// assert_eq!(grads.get(w).unwrap().to_vec(), [6.0, 6.0, 14.0, 14.0]);
    /// assert!(grads.get(x).is_none()); // a constant has no gradient
    /// # Ok::<(), Error>(())
    /// ```
    pub fn backward(self) -> Result<Grads<F>, Error> {
        let shape = self.shape();
        if shape.numel() != 1 {
            return Err(Error::NotScalar {
                op: "backward",
                what: "loss",
                shape,
            });
        }
        self.backward_from(Tensor::one(F::one(), shape))
    }

    /// Computes the vector-Jacobian product of this output with `seed`:
    /// the gradients of `sum(seed * self)` with respect to every leaf.
    ///
    /// # Errors
    ///
    /// Returns [`Error::ShapeMismatch`] when `seed` does not have this
    /// var's shape.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([1.0, 2.0]));
    /// let y = x.square(); // Jacobian diag(2x)
    /// let grads = y.backward_with(&Tensor::from([1.0, 10.0]))?;
    /// assert_eq!(grads.get(x).unwrap().to_vec(), [2.0, 40.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn backward_with(self, seed: &Tensor<F>) -> Result<Grads<F>, Error> {
        let shape = self.shape();
        if seed.shape() != &shape {
            return Err(Error::ShapeMismatch {
                op: "backward",
                expected: shape,
                got: seed.shape().clone(),
            });
        }
        self.backward_from(seed.clone())
    }

    fn backward_from(self, seed: Tensor<F>) -> Result<Grads<F>, Error> {
        let nodes = self.tape.nodes.borrow();
        let count = self.id.index() + 1;
        // Slices, not the vectors: their lengths then stay in registers
        // while the walk writes gradients.
        let links: &[Link<F>] = &nodes.links[..count];
        let values: &[Value<F>] = &nodes.values[..count];
        let flags: &[Flags] = &nodes.flags[..count];
        // The slots of the last walk on this thread are reused: a loop that
        // runs backward at every step then allocates them once.
        let mut grads: Vec<Slot<F>> = spare::take().unwrap_or_default();
        grads.resize_with(count, || Slot::Empty);
        if flags[count - 1].requires_grad() {
            grads[count - 1] = Slot::Tensor(Box::new(seed));
        }

        let mut leaves = Vec::new();
        for i in (0..count).rev() {
            // A number is read in place; a tensor is taken out, so that no
            // slot holds a tensor once the walk is over.
            let grad_out = match &grads[i] {
                Slot::Empty => continue,
                Slot::Scalar(grad) if flags[i].scalar_rule() => *grad,
                _ => {
                    let slot = std::mem::replace(&mut grads[i], Slot::Empty);
                    match slot {
                        Slot::Tensor(grad) if flags[i].scalar_rule() => grad.data()[0],
                        slot => {
                            general_step(i, slot, &nodes, &mut grads, &mut leaves)?;
                            continue;
                        }
                    }
                }
            };

            // A node whose values all have shape [] runs its rule on bare
            // numbers: the same rule, without shapes or buffers.
            let link = &links[i];
            let Inputs::Few { len, ids } = &link.inputs else {
                unreachable!("internal error: a scalar node with over three inputs");
            };
            let n = usize::from(*len);
            let mut inputs = [Scalar(F::zero()); 3];
            for (input, id) in inputs.iter_mut().zip(&ids[..n]) {
                *input = Scalar(values[id.index()].scalar_or_zero());
            }
            let needs = [0, 1, 2].map(|k| flags[i].needs(k));
            let refs = [&inputs[0], &inputs[1], &inputs[2]];
            let out = Scalar(values[i].scalar_or_zero());
            let grad_out = Scalar(grad_out);
            ops::backward_each(
                &link.op,
                &refs[..n],
                &out,
                &grad_out,
                &needs[..n],
                |k, grad| {
                    grads[ids[k].index()].add_scalar(grad.0);
                },
            )?;
        }

        // SAFETY: a shorter length is always sound. The walk took every
        // tensor out of its slot, so the slots own nothing to free.
        unsafe { grads.set_len(0) };
        let bytes = grads.capacity() * std::mem::size_of::<Slot<F>>();
        spare::keep(grads, bytes);

        leaves.reverse();
        let mut params: Vec<_> = self
            .tape
            .params
            .borrow()
            .iter()
            .map(|(&p, &n)| (p, n))
            .collect();
        params.sort_unstable();
        Ok(Grads::new(self.tape.id(), leaves, params))
    }

    /// Computes the gradients of this scalar output with respect to `wrt`,
    /// as vars recorded on the tape: they can be differentiated again, to
    /// any order (`torch.autograd.grad` with `create_graph=True`).
    ///
    /// The vars in `wrt` may be leaves or intermediate results. One that
    /// the output does not depend on gets a zero gradient. The walk records
    /// gradients only along paths that lead to a var of `wrt`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::NotScalar`] when the output has more than one
    /// element, and [`Error::ForeignVar`] when a var of `wrt` is on another
    /// tape.
    ///
    /// # Examples: the second derivative of x^3
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(2.0));
    /// let y = x.powf(3.0);
    ///
    /// let dy = y.grad(&[x])?[0]; // 3 x^2, a var on the tape
    /// assert_eq!(dy.item()?, 12.0);
    ///
    /// let d2y = dy.backward()?; // 6 x
    /// assert_eq!(d2y.get(x).unwrap().item()?, 12.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn grad(self, wrt: &[Var<'t, F>]) -> Result<Vec<Var<'t, F>>, Error> {
        let shape = self.shape();
        if shape.numel() != 1 {
            return Err(Error::NotScalar {
                op: "grad",
                what: "output",
                shape,
            });
        }
        let seed = self.tape.constant(Tensor::one(F::one(), shape));
        self.grad_with(seed, wrt)
    }

    /// Computes the vector-Jacobian product of this output with `seed`
    /// with respect to `wrt`, as vars recorded on the tape. The seed is a
    /// var, so the product is differentiable in it too (a
    /// Hessian-vector product differentiates through it).
    ///
    /// # Errors
    ///
    /// Returns [`Error::ShapeMismatch`] when `seed` does not have this
    /// var's shape, and [`Error::ForeignVar`] when `seed` or a var of
    /// `wrt` is on another tape.
    ///
    /// # Examples: a Hessian-vector product
    ///
    /// ```
    /// # use zengrad_core::{Error, Tape, Tensor};
    /// // f(x) = sum(x^3): grad f = 3 x^2, H = diag(6 x), H v = 6 x v.
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from([1.0, 2.0]));
    /// let v = tape.constant(Tensor::from([1.0, -1.0]));
    /// let g = x.powf(3.0).sum_all().grad(&[x])?[0];
    ///
    /// // v^T (d g / d x) is H v, H being symmetric.
    /// let hv = g.grad_with(v, &[x])?[0];
    /// assert_eq!(hv.value().to_vec(), [6.0, -12.0]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn grad_with(self, seed: Var<'t, F>, wrt: &[Var<'t, F>]) -> Result<Vec<Var<'t, F>>, Error> {
        self.same_tape("grad", seed)?;
        for &var in wrt {
            self.same_tape("grad", var)?;
        }
        let shape = self.shape();
        if seed.shape() != shape {
            return Err(Error::ShapeMismatch {
                op: "grad",
                expected: shape,
                got: seed.shape(),
            });
        }

        let count = self.id.index() + 1;
        let mut grads: Vec<Option<Var<'t, F>>> = vec![None; count];
        let mut found: Vec<Option<Var<'t, F>>> = vec![None; wrt.len()];
        if self.requires_grad() || wrt.contains(&self) {
            grads[count - 1] = Some(seed);
        }

        // Only the nodes from which some var of `wrt` can be reached need a
        // gradient: the walk records nothing for the others. (The gradient
        // of a jvp's second pass, say, flows back to its seed alone.)
        let leads = self.leads_to(count, wrt);

        for i in (0..count).rev() {
            let Some(grad_out) = grads[i].take() else {
                continue;
            };
            for (slot, var) in found.iter_mut().zip(wrt) {
                if var.id.index() == i {
                    *slot = Some(grad_out);
                }
            }
            let (op, inputs, needs) = {
                let nodes = self.tape.nodes.borrow();
                let link = &nodes.links[i];
                let needs: SmallVec<[bool; 3]> = link
                    .inputs
                    .iter()
                    .map(|&id| nodes.flags(id).requires_grad() && leads[id.index()])
                    .collect();
                (link.op.clone(), link.inputs.clone(), needs)
            };
            if inputs.is_empty() {
                continue;
            }
            let inputs: SmallVec<[Var<'t, F>; 3]> = inputs
                .iter()
                .map(|&id| Var {
                    tape: self.tape,
                    id,
                })
                .collect();
            let refs: SmallVec<[&Var<'t, F>; 3]> = inputs.iter().collect();
            let out = Var {
                tape: self.tape,
                id: NodeId(i as u32),
            };
            let input_grads = ops::backward(&op, &refs, &out, &grad_out, &needs)?;
            for (input, grad) in inputs.iter().zip(input_grads) {
                if let Some(grad) = grad {
                    let slot = &mut grads[input.id.index()];
                    *slot = Some(match slot.take() {
                        Some(sum) => sum.add(grad)?,
                        None => grad,
                    });
                }
            }
        }

        let zeros = |var: &Var<'t, F>| self.tape.constant(Tensor::zeros(var.shape()));
        Ok(found
            .iter()
            .zip(wrt)
            .map(|(grad, var)| grad.unwrap_or_else(|| zeros(var)))
            .collect())
    }

    /// Marks the first `count` nodes from which some var of `wrt` can be
    /// reached (the vars themselves included), in one forward sweep: a
    /// node's inputs come before it.
    fn leads_to(self, count: usize, wrt: &[Var<'t, F>]) -> Vec<bool> {
        let nodes = self.tape.nodes.borrow();
        let mut leads = vec![false; count];
        for var in wrt {
            if var.id.index() < count {
                leads[var.id.index()] = true;
            }
        }
        for i in 0..count {
            if !leads[i] {
                leads[i] = nodes.links[i].inputs.iter().any(|id| leads[id.index()]);
            }
        }
        leads
    }
}

impl<F: Float> PartialEq for Var<'_, F> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tape, other.tape) && self.id == other.id
    }
}

/// Runs the backward rule of node `i` on tensors, or records the gradient
/// of a leaf: the walk's path for every node that is not all scalars, kept
/// out of line so that the scalar loop stays small.
#[inline(never)]
fn general_step<F: Float>(
    i: usize,
    slot: Slot<F>,
    nodes: &Nodes<F>,
    grads: &mut [Slot<F>],
    leaves: &mut Vec<(NodeId, Tensor<F>)>,
) -> Result<(), Error> {
    let id = NodeId(i as u32);
    let ids: &[NodeId] = &nodes.links[i].inputs;
    if ids.is_empty() {
        leaves.push((id, slot.into_tensor()));
        return Ok(());
    }

    let grad_out = slot.into_tensor();
    let inputs: SmallVec<[Tensor<F>; 3]> =
        ids.iter().map(|&id| nodes.value(id).to_tensor()).collect();
    let refs: SmallVec<[&Tensor<F>; 3]> = inputs.iter().collect();
    let needs: SmallVec<[bool; 3]> = ids
        .iter()
        .map(|&id| nodes.flags(id).requires_grad())
        .collect();
    let out = nodes.value(id).to_tensor();
    ops::backward_each(
        &nodes.links[i].op,
        &refs,
        &out,
        &grad_out,
        &needs,
        |k, grad| {
            grads[ids[k].index()].add_tensor(grad);
        },
    )
}

/// A gradient being summed during the walk: none yet, a bare number for a
/// value of shape `[]`, or a tensor.
///
/// A tensor is boxed to keep a slot small: the walk keeps one per node.
enum Slot<F: Float> {
    Empty,
    Scalar(F),
    Tensor(Box<Tensor<F>>),
}

impl<F: Float> Slot<F> {
    /// Adds a gradient of shape `[]`.
    #[inline]
    fn add_scalar(&mut self, grad: F) {
        match self {
            Slot::Empty => *self = Slot::Scalar(grad),
            Slot::Scalar(sum) => *sum += grad,
            Slot::Tensor(sum) => sum.data_mut()[0] += grad,
        }
    }

    /// Adds a gradient tensor, in place when the sum is a tensor already.
    fn add_tensor(&mut self, grad: Tensor<F>) {
        match self {
            Slot::Empty => *self = Slot::Tensor(Box::new(grad)),
            Slot::Scalar(sum) => *self = Slot::Tensor(Box::new(grad.add_scalar(*sum))),
            Slot::Tensor(sum) => {
                debug_assert_eq!(sum.shape(), grad.shape(), "internal error: gradient shape");
                for (acc, &g) in sum.data_mut().iter_mut().zip(grad.data()) {
                    *acc += g;
                }
            }
        }
    }

    fn into_tensor(self) -> Tensor<F> {
        match self {
            Slot::Empty => Tensor::scalar(F::zero()),
            Slot::Scalar(value) => Tensor::scalar(value),
            Slot::Tensor(tensor) => *tensor,
        }
    }
}
