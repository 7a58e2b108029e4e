//! Gradients of gradients against closed forms: the backward rules record
//! on the tape when asked, so a gradient is a function that can be
//! differentiated again.

use zengrad_core::{Error, Tape, Tensor};

/// Closed forms are computed in f64 with a few roundings.
const TOLERANCE: f64 = 1e-12;

#[test]
fn second_derivative_of_x_cubed_at_2_is_12() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(2.0));

    let dy = x.powf(3.0).grad(&[x])?[0]; // 3 x^2 = 12
    let d2y = dy.grad(&[x])?[0]; // 6 x = 12
    let d3y = d2y.grad(&[x])?[0]; // 6

    assert_eq!(dy.item()?, 12.0);
    assert_eq!(d2y.item()?, 12.0);
    assert_eq!(d3y.item()?, 6.0);
    Ok(())
}

#[test]
fn hessian_of_a_quadratic_form_is_its_symmetric_matrix() -> Result<(), Error> {
    // f(x) = 1/2 x^T A x with A symmetric: grad f = A x and the Hessian is A.
    let a = Tensor::from([[3.0, 1.0], [1.0, 2.0]]);
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.7, -1.3]));
    let ax = tape.constant(a.clone()).matmul(x)?;
    let f = x.mul(ax)?.sum_all().mul_scalar(0.5);

    let g = f.grad(&[x])?[0];
    assert!(
        g.value()
            .allclose(&a.matmul(&x.value())?, TOLERANCE, TOLERANCE)
    );

    let mut rows = Vec::new();
    for i in 0..2 {
        let row = g.slice(0, i..i + 1)?.sum_all().grad(&[x])?[0];
        rows.extend(row.value().to_vec());
    }
    assert_eq!(rows, a.to_vec());
    Ok(())
}

#[test]
fn gradient_of_the_squared_gradient_norm_matches_its_closed_form() -> Result<(), Error> {
    // f(x, y) = x^2 y, grad f = (2 x y, x^2),
    // |grad f|^2 = 4 x^2 y^2 + x^4, whose gradient is
    // (8 x y^2 + 4 x^3, 8 x^2 y) = (36, 16) at (1, 2).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(1.0));
    let y = tape.var(Tensor::scalar(2.0));
    let f = x.square() * y;

    let g = f.grad(&[x, y])?;
    let norm = g[0].square() + g[1].square();
    let grads = norm.backward()?;

    assert_eq!(norm.item()?, 17.0);
    assert_eq!(grads.get(x).unwrap().item()?, 36.0);
    assert_eq!(grads.get(y).unwrap().item()?, 16.0);
    Ok(())
}

#[test]
fn hessian_vector_product_through_a_seeded_grad() -> Result<(), Error> {
    // f(x) = sum(x^3): grad = 3 x^2, H = diag(6 x), H v = 6 x v.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, -2.0, 0.5]));
    let v = tape.constant(Tensor::from([1.0, 1.0, 2.0]));
    let g = x.powf(3.0).sum_all().grad(&[x])?[0];

    let hv = g.mul(v)?.sum_all().grad(&[x])?[0];

    assert_eq!(hv.value().to_vec(), [6.0, -12.0, 6.0]);
    Ok(())
}

#[test]
fn second_derivatives_flow_through_softmax_and_matmul() -> Result<(), Error> {
    // f(x) = logsumexp(x): its Hessian is diag(p) - p p^T with p = softmax(x).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.3, -1.0, 2.0]));
    let g = x.logsumexp(0, false)?.grad(&[x])?[0];
    let p = x.value().softmax(0)?.to_vec();

    for i in 0..3 {
        let row = g.slice(0, i..i + 1)?.sum_all().grad(&[x])?[0]
            .value()
            .to_vec();
        for j in 0..3 {
            let expected = if i == j {
                p[i] - p[i] * p[j]
            } else {
                -p[i] * p[j]
            };
            assert!(
                (row[j] - expected).abs() < TOLERANCE,
                "H[{i}][{j}] = {}",
                row[j]
            );
        }
    }
    Ok(())
}

#[test]
fn first_order_backward_records_nothing() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let loss = x.tanh().sum_all();
    let before = tape.len();

    loss.backward()?;

    assert_eq!(tape.len(), before);
    Ok(())
}
