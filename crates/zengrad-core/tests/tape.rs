//! The tape, backward and parameters, through the public API.

use zengrad_core::{Error, Op, Param, Shape, Tape, Tensor, Var};

#[test]
fn backward_walks_a_chain_of_100_000_nodes_without_recursion() -> Result<(), Error> {
    let tape = Tape::<f64>::with_capacity(100_001);
    let x = tape.var(Tensor::scalar(0.5));
    let mut y = x;
    for _ in 0..100_000 {
        y = y.mul_scalar(1.0);
    }
    assert_eq!(tape.len(), 100_001);

    let grads = y.backward()?;

    assert_eq!(grads.get(x).unwrap().item()?, 1.0);
    Ok(())
}

#[test]
fn differentiable_grad_walks_a_long_chain_too() -> Result<(), Error> {
    // y = x + 100_000 * 1, so dy/dx = 1 and the second derivative is 0.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(2.0));
    let mut y = x;
    for _ in 0..100_000 {
        y = y.add_scalar(1.0);
    }

    let dy = y.grad(&[x])?[0];

    assert_eq!(dy.item()?, 1.0);
    Ok(())
}

#[test]
fn a_var_used_twice_accumulates_its_gradients() -> Result<(), Error> {
    // y = x * x + 3 x, dy/dx = 2 x + 3 = 7 at x = 2
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(2.0));
    let y = x * x + x * 3.0;

    let grads = y.backward()?;

    assert_eq!(grads.get(x).unwrap().item()?, 7.0);
    Ok(())
}

#[test]
fn constants_and_detached_vars_get_no_gradient() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let c = tape.constant(Tensor::from([3.0, 4.0]));
    let d = x.detach();
    let y = (x * c + d * x).sum_all(); // dy/dx = c + d = [4, 6]

    let grads = y.backward()?;

    assert_eq!(grads.get(x).unwrap().to_vec(), [4.0, 6.0]);
    assert!(grads.get(c).is_none());
    assert!(grads.get(d).is_none());
    assert!(!d.requires_grad());
    Ok(())
}

#[test]
fn backward_with_a_seed_computes_a_vector_jacobian_product() -> Result<(), Error> {
    // y = W x with W [2, 3]: the VJP with seed s is W^T s for x.
    let tape = Tape::<f64>::new();
    let w = tape.constant(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let x = tape.var(Tensor::from([1.0, 1.0, 1.0]));
    let y = w.matmul(x)?;

    let grads = y.backward_with(&Tensor::from([1.0, -1.0]))?;

    assert_eq!(grads.get(x).unwrap().to_vec(), [-3.0, -3.0, -3.0]);
    Ok(())
}

#[test]
fn backward_can_run_twice_on_one_tape() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(3.0));
    let y = x.square();

    let first = y.backward()?;
    let second = y.backward()?;

    assert_eq!(first.get(x).unwrap().item()?, 6.0);
    assert_eq!(second.get(x).unwrap().item()?, 6.0);
    Ok(())
}

#[test]
fn a_parameter_is_recorded_once_per_tape_and_finds_its_gradient() -> Result<(), Error> {
    let w = Param::new(Tensor::from([1.0f64, 2.0]));
    let tape = Tape::new();
    let a = tape.param(&w);
    let b = tape.param(&w);
    assert_eq!(a.id(), b.id());

    let loss = (a * b).sum_all(); // sum(w^2), gradient 2 w
    let grads = loss.backward()?;

    assert_eq!(grads.param(&w).unwrap().to_vec(), [2.0, 4.0]);
    assert_eq!(grads.params().count(), 1);
    Ok(())
}

#[test]
fn a_parameter_is_recorded_on_a_fresh_tape_each_step() -> Result<(), Error> {
    // Three steps of w := w - 0.25 * d(w^2)/dw = w / 2.
    let mut w = Param::new(Tensor::scalar(8.0f64));
    for _ in 0..3 {
        let tape = Tape::new();
        let grads = tape.param(&w).square().backward()?;
        drop(tape);
        let step = grads.param(&w).unwrap().mul_scalar(0.25);
        w.value_mut().data_mut()[0] -= step.item()?;
    }
    assert_eq!(w.value().item()?, 1.0);
    Ok(())
}

#[test]
fn updating_a_parameter_after_the_tape_is_gone_does_not_copy() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64, 2.0, 3.0]));
    let before = w.value().data().as_ptr();
    {
        let tape = Tape::new();
        let shared = tape.param(&w).value();
        assert_eq!(shared.data().as_ptr(), before);
    }
    w.value_mut().data_mut()[0] = 5.0;
    assert_eq!(w.value().data().as_ptr(), before);
    Ok(())
}

#[test]
fn clearing_a_tape_releases_the_values_it_shared() -> Result<(), Error> {
    // The tape keeps its memory when cleared, but must drop what its nodes
    // held: here the parameter's buffer, shared by a leaf and a permute.
    let mut w = Param::new(Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]));
    let before = w.value().data().as_ptr();
    let mut tape = Tape::new();
    let loss = tape.param(&w).transpose(0, 1)?.square().sum_all();
    assert_eq!(
        loss.backward()?.param(&w).unwrap().to_vec(),
        [2.0, 4.0, 6.0, 8.0]
    );

    tape.clear();
    w.value_mut().data_mut()[0] = 5.0;
    assert_eq!(w.value().data().as_ptr(), before);

    let x = tape.var(Tensor::scalar(2.0));
    assert_eq!((x * x).backward()?.get(x).unwrap().item()?, 4.0);
    Ok(())
}

#[test]
fn grads_of_another_tape_do_not_answer_for_a_var() -> Result<(), Error> {
    let one = Tape::<f64>::new();
    let two = Tape::<f64>::new();
    let x = one.var(Tensor::scalar(1.0));
    let z = two.var(Tensor::scalar(1.0));

    let grads = x.square().backward()?;

    assert!(grads.get(z).is_none());
    Ok(())
}

#[test]
fn vars_of_two_tapes_cannot_be_combined() {
    let one = Tape::<f64>::new();
    let two = Tape::<f64>::new();
    let x = one.var(Tensor::scalar(1.0));
    let y = two.var(Tensor::scalar(2.0));

    let err = x.add(y).unwrap_err();

    assert_eq!(err, Error::ForeignVar { op: "add" });
    assert_eq!(
        err.to_string(),
        "add: expected vars of one tape, got vars of two tapes"
    );
}

#[test]
fn grad_rejects_a_var_of_another_tape() {
    let one = Tape::<f64>::new();
    let two = Tape::<f64>::new();
    let x = one.var(Tensor::scalar(1.0));
    let z = two.var(Tensor::scalar(1.0));

    let err = x.square().grad(&[z]).unwrap_err();

    assert_eq!(
        err.to_string(),
        "grad: expected vars of one tape, got vars of two tapes"
    );
}

#[test]
fn backward_from_a_non_scalar_needs_a_seed() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([4]));

    let err = x.exp().backward().unwrap_err();

    assert_eq!(
        err.to_string(),
        "backward: expected a scalar loss (shape []), got [4]"
    );
}

#[test]
fn backward_rejects_a_seed_of_another_shape() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([4]));

    let err = x.exp().backward_with(&Tensor::zeros([2, 2])).unwrap_err();

    assert_eq!(err.to_string(), "backward: expected shape [4], got [2, 2]");
}

#[test]
fn the_tape_lists_its_nodes() -> Result<(), Error> {
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let c = tape.constant(Tensor::scalar(2.0));
    let _ = (x * c).sum_all();

    assert_eq!(
        tape.to_string(),
        "%0 = leaf() : [2]\n\
         %1 = leaf() : [] (no grad)\n\
         %2 = mul(%0, %1) : [2]\n\
         %3 = sum(%2) : []\n"
    );
    let nodes = tape.nodes();
    assert_eq!(nodes.len(), 4);
    let mul = nodes.get(2).unwrap();
    assert_eq!(mul.op(), &Op::Mul);
    assert_eq!(mul.inputs(), [x.id(), c.id()]);
    assert_eq!(mul.shape(), Shape::from([2]));
    assert!(mul.requires_grad());
    assert_eq!(nodes.get(3).unwrap().inputs().len(), 1);
    assert!(nodes.get(1).is_some_and(|c| !c.requires_grad()));
    assert!(nodes.get(4).is_none());
    Ok(())
}

#[test]
fn clearing_a_tape_starts_a_new_computation() -> Result<(), Error> {
    let mut tape = Tape::<f64>::new();
    let old = {
        let x = tape.var(Tensor::scalar(1.0));
        x.square().backward()?
    };
    tape.clear();
    assert!(tape.is_empty());

    let x = tape.var(Tensor::scalar(3.0));
    let grads = x.square().backward()?;

    assert_eq!(grads.get(x).unwrap().item()?, 6.0);
    assert!(old.get(x).is_none());
    Ok(())
}

#[test]
fn the_gradient_of_an_unused_input_is_zero_in_grad() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let unused = tape.var(Tensor::from([[1.0, 2.0]]));

    let grads: Vec<Var<'_, f64>> = x.square().sum_all().grad(&[x, unused])?;

    assert_eq!(grads[0].value().to_vec(), [2.0, 4.0]);
    assert_eq!(grads[1].value(), Tensor::zeros([1, 2]));
    Ok(())
}

/// Builds `sum_k x^k / k` for `k` in 1..=n, one scalar op at a time.
fn power_series(x: Var<'_, f64>, n: usize) -> Var<'_, f64> {
    let mut sum = x;
    let mut power = x;
    for k in 2..=n {
        power = power * x;
        sum = sum + power * (1.0 / k as f64);
    }
    sum
}

#[test]
fn a_tape_made_after_a_dropped_one_starts_empty() -> Result<(), Error> {
    // The second tape of each type reuses the first one's memory: it must
    // still start with no nodes, and number its nodes from 0.
    for round in 0..3 {
        let tape = Tape::<f64>::new();
        let small = Tape::<f32>::new();
        assert!(tape.is_empty() && small.is_empty());

        let x = tape.var(Tensor::scalar(0.5));
        assert_eq!(x.id().index(), 0);
        let n = 200 * (round + 1);
        let y = power_series(x, n);
        assert_eq!(tape.len(), 1 + 3 * (n - 1));

        // d/dx sum_k x^k / k = sum_k x^(k-1) = (1 - x^n) / (1 - x).
        let expected = (1.0 - 0.5f64.powi(n as i32)) / 0.5;
        let grads = y.backward()?;
        assert!((grads.get(x).unwrap().item()? - expected).abs() < 1e-12);

        let z = small.var(Tensor::scalar(3.0f32));
        assert_eq!(z.id().index(), 0);
        assert_eq!((z * z).backward()?.get(z).unwrap().item()?, 6.0);
    }
    Ok(())
}

#[test]
fn a_scalar_node_takes_gradients_from_tensor_ops() -> Result<(), Error> {
    // y = x^2 is a node of scalars, but its gradient arrives from a tensor
    // op as well as from a scalar one:
    // z = sum(y * t) + sin(y), dz/dx = 2x (sum(t) + cos(y)).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(0.7));
    let t = tape.constant(Tensor::from([1.0, 2.0, 3.0]));
    let y = x * x;
    let z = y.mul(t)?.sum_all() + y.sin();

    let grads = z.backward()?;

    let y0 = 0.7f64 * 0.7;
    let expected = 2.0 * 0.7 * (6.0 + y0.cos());
    assert!((grads.get(x).unwrap().item()? - expected).abs() < 1e-12);
    assert_eq!(grads.get(x).unwrap().shape(), &Shape::scalar());
    Ok(())
}
