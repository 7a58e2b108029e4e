//! Training through the public API of the `zengrad` crate: a tiny MLP
//! whose loss falls, and single gradient descent steps checked against
//! gradients derived by hand.

use zengrad::{Error, Grads, Param, Tape, Tensor, seeded_rng};

/// Tolerance for f64 results that a hand computation reaches by a different
/// order of the same operations: a few units in the last place.
const F64_TOLERANCE: f64 = 1e-14;

/// Moves every parameter against its gradient: `p := p - lr * grad`.
fn sgd_step<const N: usize>(params: [&mut Param<f64>; N], grads: &Grads<f64>, lr: f64) {
    for param in params {
        let grad = grads.param(param).expect("every parameter feeds the loss");
        let value = param.value() - &(grad * lr);
        param.set(value);
    }
}

fn assert_close(got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{got:?} vs {expected:?}");
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() <= F64_TOLERANCE, "{got:?} vs {expected:?}");
    }
}

#[test]
fn tiny_mlp_loss_falls() -> Result<(), Error> {
    // Fits sin(3x) on 16 points of [-1, 1] with a 1-8-1 tanh network.
    let x = Tensor::linspace(-1.0f64, 1.0, 16).reshape([16, 1])?;
    let y = x.mul_scalar(3.0).sin();
    let rng = &mut seeded_rng(1);
    let mut w1 = Param::new(Tensor::uniform([1, 8], -1.0, 1.0, rng)?);
    let mut b1 = Param::new(Tensor::uniform([8], -1.0, 1.0, rng)?);
    let mut w2 = Param::new(Tensor::uniform([8, 1], -0.35, 0.35, rng)?);
    let mut b2 = Param::new(Tensor::zeros([1]));

    let mut losses = Vec::new();
    for _ in 0..2000 {
        let tape = Tape::new();
        let hidden = (tape.constant(x.clone()).matmul(tape.param(&w1))? + tape.param(&b1)).tanh();
        let pred = hidden.matmul(tape.param(&w2))? + tape.param(&b2);
        let loss = (pred - tape.constant(y.clone())).square().mean_all();
        losses.push(loss.item()?);

        let grads = loss.backward()?;
        sgd_step([&mut w1, &mut b1, &mut w2, &mut b2], &grads, 0.2);
    }

    // The loss starts at 0.73 and ends at 0.0018; the bounds leave room
    // for another machine's rounding.
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(first > 0.2, "first loss {first}");
    assert!(last < 0.01, "last loss {last}");
    assert!(last < first / 20.0, "loss went from {first} to {last}");
    Ok(())
}

#[test]
fn sigmoid_neuron_step_matches_the_hand_computation() -> Result<(), Error> {
    // One row x = [1, 2] with label y = 1, p = sigmoid(x . w + b), loss
    // -log p. With w = [0.5, -0.25] and b = 0, z = 0 and p = 1/2, so
    // loss = ln 2 and dloss/dz = p - y = -1/2:
    // dloss/dw = (p - y) x = [-0.5, -1.0], dloss/db = p - y = -0.5.
    let mut w = Param::new(Tensor::from([[0.5f64], [-0.25]]));
    let mut b = Param::new(Tensor::from([0.0f64]));
    let x = Tensor::from([[1.0f64, 2.0]]);

    let tape = Tape::new();
    let p = (tape.constant(x).matmul(tape.param(&w))? + tape.param(&b)).sigmoid();
    let loss = -p.log().mean_all();
    assert_eq!(loss.item()?, std::f64::consts::LN_2);

    let grads = loss.backward()?;
    assert_eq!(grads.param(&w).unwrap().to_vec(), [-0.5, -1.0]);
    assert_eq!(grads.param(&b).unwrap().to_vec(), [-0.5]);

    // w := w - 0.1 dloss/dw = [0.55, -0.15]; b := 0 - 0.1 (-0.5) = 0.05.
    drop(tape);
    sgd_step([&mut w, &mut b], &grads, 0.1);
    assert_close(&w.value().to_vec(), &[0.55, -0.15]);
    assert_close(&b.value().to_vec(), &[0.05]);
    Ok(())
}

#[test]
fn two_layer_step_matches_backprop_written_out() -> Result<(), Error> {
    // A 2-2-1 network, h = tanh(x W1 + b1), out = h . w2 + b2, with loss
    // (out - y)^2 on one row, differentiated by hand below in scalars.
    let (x, y) = ([0.3, -0.7], 0.25);
    let w1_init = [[0.1, -0.4], [0.6, 0.2]];
    let b1_init = [0.05, -0.1];
    let w2_init = [0.7, -0.3];
    let b2_init = 0.2;
    let lr = 0.5;

    // Forward and backward by hand: dloss/dout = 2 (out - y); the hidden
    // unit j gets dout/dh_j = w2_j and dh_j/da_j = 1 - h_j^2.
    let a: Vec<f64> = (0..2)
        .map(|j| x[0] * w1_init[0][j] + x[1] * w1_init[1][j] + b1_init[j])
        .collect();
    let h: Vec<f64> = a.iter().map(|a| a.tanh()).collect();
    let out = h[0] * w2_init[0] + h[1] * w2_init[1] + b2_init;
    let d_out = 2.0 * (out - y);
    let d_w2 = [d_out * h[0], d_out * h[1]];
    let d_b2 = d_out;
    let d_a: Vec<f64> = (0..2)
        .map(|j| d_out * w2_init[j] * (1.0 - h[j] * h[j]))
        .collect();
    let d_w1 = [
        [x[0] * d_a[0], x[0] * d_a[1]],
        [x[1] * d_a[0], x[1] * d_a[1]],
    ];
    let d_b1 = [d_a[0], d_a[1]];

    // The same step through the tape.
    let mut w1 = Param::new(Tensor::from(w1_init));
    let mut b1 = Param::new(Tensor::from(b1_init));
    let mut w2 = Param::new(Tensor::from([[w2_init[0]], [w2_init[1]]]));
    let mut b2 = Param::new(Tensor::from([b2_init]));
    let tape = Tape::new();
    let input = tape.constant(Tensor::from([x]));
    let hidden = (input.matmul(tape.param(&w1))? + tape.param(&b1)).tanh();
    let pred = hidden.matmul(tape.param(&w2))? + tape.param(&b2);
    let loss = (pred - y).square().sum_all();
    assert_close(&[loss.item()?], &[(out - y) * (out - y)]);

    let grads = loss.backward()?;
    drop(tape);
    sgd_step([&mut w1, &mut b1, &mut w2, &mut b2], &grads, lr);

    let step = |p: f64, g: f64| p - lr * g;
    assert_close(
        &w1.value().to_vec(),
        &[
            step(w1_init[0][0], d_w1[0][0]),
            step(w1_init[0][1], d_w1[0][1]),
            step(w1_init[1][0], d_w1[1][0]),
            step(w1_init[1][1], d_w1[1][1]),
        ],
    );
    assert_close(
        &b1.value().to_vec(),
        &[step(b1_init[0], d_b1[0]), step(b1_init[1], d_b1[1])],
    );
    assert_close(
        &w2.value().to_vec(),
        &[step(w2_init[0], d_w2[0]), step(w2_init[1], d_w2[1])],
    );
    assert_close(&b2.value().to_vec(), &[step(b2_init, d_b2)]);
    Ok(())
}
