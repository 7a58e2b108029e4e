//! The normalizations and the logistic function at inputs where a naive
//! formula overflows (`e^1000` is `inf` in `f32` and `f64` alike): their
//! values and gradients must be finite and match closed forms, in `f32`
//! and `f64`.

use zengrad_core::{Error, Float, Tape, Tensor, Var};

/// How many units in the last place a result may be off, relative to
/// values of at least 1: each closed form here is `exp` or `ln` of an
/// exact difference, within 1 ulp, plus up to four roundings of the
/// subtractions and products around it.
const ULPS: f64 = 8.0;

/// Rows that overflow a naive `exp`: all large, all very negative, and
/// both extremes around 0.
const ROWS: [f64; 9] = [
    1000.0, 1000.0, 1000.0, //
    -1000.0, -1000.0, -1000.0, //
    -1000.0, 0.0, 1000.0,
];

/// A seed for each row of [`ROWS`], to weight the outputs unevenly.
const SEED: [f64; 9] = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0];

/// Builds a tensor of `F` from `f64` values and dims.
fn t<F: Float>(values: &[f64], dims: &[usize]) -> Tensor<F> {
    let data = values.iter().map(|&v| F::from_f64(v)).collect();
    Tensor::from_vec(data, dims).expect("values fit the dims")
}

/// Asserts that every value of `got` is finite and within [`ULPS`] units in
/// the last place of `expected` (absolute below 1, relative above).
fn assert_close<F: Float>(got: &Tensor<F>, dims: &[usize], expected: &[f64]) {
    assert_eq!(got.dims(), dims, "dims in {}", F::NAME);
    assert_eq!(got.numel(), expected.len(), "numel in {}", F::NAME);
    let ulp = F::epsilon().as_f64();
    for (j, (&a, &b)) in got.data().iter().zip(expected).enumerate() {
        let tolerance = ULPS * ulp * b.abs().max(1.0);
        assert!(
            a.is_finite() && (a.as_f64() - b).abs() <= tolerance,
            "element {j} in {}: got {a}, expected {b}",
            F::NAME,
        );
    }
}

/// Returns the gradient of `x` for the output `out` seeded with `seed`.
fn grad_with<F: Float>(out: Var<'_, F>, x: Var<'_, F>, seed: &Tensor<F>) -> Tensor<F> {
    let grads = out
        .backward_with(seed)
        .expect("the seed has the output's shape");
    grads.get(x).expect("x has a gradient").clone()
}

/// Runs a generic case in `f32`, then in `f64`.
fn in_both(case32: fn() -> Result<(), Error>, case64: fn() -> Result<(), Error>) {
    case32().expect("the f32 case returns no error");
    case64().expect("the f64 case returns no error");
}

fn logsumexp_case<F: Float>() -> Result<(), Error> {
    // lse(c, c, c) = c + ln 3; lse(-1000, 0, 1000) = 1000 + ln(1 + e^-1000
    // + e^-2000), which is 1000 to far below an ulp.
    let ln3 = 3f64.ln();
    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&ROWS, &[3, 3]));
    let lse = x.logsumexp(-1, false)?;
    assert_close(&lse.value(), &[3], &[1000.0 + ln3, -1000.0 + ln3, 1000.0]);
    let kept = x.logsumexp(1, true)?;
    assert_close(
        &kept.value(),
        &[3, 1],
        &[1000.0 + ln3, -1000.0 + ln3, 1000.0],
    );

    // d lse / dx = softmax(x): [1/3, 1/3, 1/3] twice, then [0, 0, 1]
    // (e^-2000 and e^-1000 are below the smallest float).
    let third = 1.0 / 3.0;
    let softmax = [third, third, third, third, third, third, 0.0, 0.0, 1.0];
    let grad = grad_with(lse, x, &t::<F>(&[1.0, 1.0, 1.0], &[3]));
    assert_close(&grad, &[3, 3], &softmax);
    let grad = grad_with(kept, x, &t::<F>(&[1.0, 1.0, 1.0], &[3, 1]));
    assert_close(&grad, &[3, 3], &softmax);
    Ok(())
}

#[test]
fn logsumexp_and_its_grad_are_finite_and_exact_at_plus_and_minus_1000() {
    in_both(logsumexp_case::<f32>, logsumexp_case::<f64>);
}

fn logsumexp_columns_case<F: Float>() -> Result<(), Error> {
    // The same rows as columns, reduced along axis 0.
    let ln3 = 3f64.ln();
    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&ROWS, &[3, 3]).transpose(0, 1)?);
    let lse = x.logsumexp(0, false)?;
    assert_close(&lse.value(), &[3], &[1000.0 + ln3, -1000.0 + ln3, 1000.0]);

    let third = 1.0 / 3.0;
    let softmax = [third, third, 0.0, third, third, 0.0, third, third, 1.0];
    let grad = grad_with(lse, x, &t::<F>(&[1.0, 1.0, 1.0], &[3]));
    assert_close(&grad, &[3, 3], &softmax);
    Ok(())
}

#[test]
fn logsumexp_is_stable_along_a_leading_axis() {
    in_both(logsumexp_columns_case::<f32>, logsumexp_columns_case::<f64>);
}

fn log_softmax_case<F: Float>() -> Result<(), Error> {
    // log_softmax = x - lse(x): -ln 3 for the even rows, and
    // [-2000, -1000, 0] for the mixed one.
    let ln3 = 3f64.ln();
    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&ROWS, &[3, 3]));
    let y = x.log_softmax(-1)?;
    let logs = [-ln3, -ln3, -ln3, -ln3, -ln3, -ln3, -2000.0, -1000.0, 0.0];
    assert_close(&y.value(), &[3, 3], &logs);

    // grad = g - softmax * sum(g), with g = [1, 2, 3] (sum 6) per row:
    // [1 - 2, 2 - 2, 3 - 2] for the even rows, [1, 2, 3 - 6] for the mixed.
    let grad = grad_with(y, x, &t::<F>(&SEED, &[3, 3]));
    let expected = [-1.0, 0.0, 1.0, -1.0, 0.0, 1.0, 1.0, 2.0, -3.0];
    assert_close(&grad, &[3, 3], &expected);
    Ok(())
}

#[test]
fn log_softmax_and_its_grad_are_finite_and_exact_at_plus_and_minus_1000() {
    in_both(log_softmax_case::<f32>, log_softmax_case::<f64>);
}

fn softmax_case<F: Float>() -> Result<(), Error> {
    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&ROWS, &[3, 3]));
    let y = x.softmax(1)?;
    let third = 1.0 / 3.0;
    let probabilities = [third, third, third, third, third, third, 0.0, 0.0, 1.0];
    assert_close(&y.value(), &[3, 3], &probabilities);

    // grad = s * (g - s.g), with g = [1, 2, 3]: s.g = 2 for the even rows,
    // giving [-1/3, 0, 1/3]; s.g = 3 for the mixed row, giving 0.
    let grad = grad_with(y, x, &t::<F>(&SEED, &[3, 3]));
    let expected = [-third, 0.0, third, -third, 0.0, third, 0.0, 0.0, 0.0];
    assert_close(&grad, &[3, 3], &expected);
    Ok(())
}

#[test]
fn softmax_and_its_grad_are_finite_and_exact_at_plus_and_minus_1000() {
    in_both(softmax_case::<f32>, softmax_case::<f64>);
}

fn softmax_offset_case<F: Float>() -> Result<(), Error> {
    // Rows [-1000, -999] and [1000, 999] differ by 1, far out: softmax
    // [1, e] / (1 + e) and [e, 1] / (1 + e).
    let e = std::f64::consts::E;
    let (p, q) = (1.0 / (1.0 + e), e / (1.0 + e));
    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&[-1000.0, -999.0, 1000.0, 999.0], &[2, 2]));
    let y = x.softmax(-1)?;
    assert_close(&y.value(), &[2, 2], &[p, q, q, p]);

    // With seed [1, 0]: grad = s * (g - s0) = [s0 s1, -s0 s1].
    let grad = grad_with(y, x, &t::<F>(&[1.0, 0.0, 1.0, 0.0], &[2, 2]));
    assert_close(&grad, &[2, 2], &[p * q, -p * q, p * q, -p * q]);

    // The same through log_softmax: g - s * sum(g) = [1 - s0, -s1].
    let y = x.log_softmax(-1)?;
    assert_close(&y.value(), &[2, 2], &[p.ln(), q.ln(), q.ln(), p.ln()]);
    let grad = grad_with(y, x, &t::<F>(&[1.0, 0.0, 1.0, 0.0], &[2, 2]));
    assert_close(&grad, &[2, 2], &[1.0 - p, -q, 1.0 - q, -p]);
    Ok(())
}

#[test]
fn softmax_keeps_its_shape_far_from_zero() {
    in_both(softmax_offset_case::<f32>, softmax_offset_case::<f64>);
}

fn sigmoid_case<F: Float>() -> Result<(), Error> {
    // s(x) = 1 / (1 + e^-x) and s'(x) = s(x) (1 - s(x)) = e^-x / (1 + e^-x)^2.
    let inputs = [-1000.0, -30.0, 0.0, 30.0, 1000.0];
    let closed = |x: f64| 1.0 / (1.0 + (-x).exp());
    let slope = |x: f64| (-x.abs()).exp() / (1.0 + (-x.abs()).exp()).powi(2);

    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&inputs, &[5]));
    let y = x.sigmoid();
    assert_close(&y.value(), &[5], &inputs.map(closed));
    assert_close(&y.value().slice(0, 0..1)?, &[1], &[0.0]);
    assert_close(&y.value().slice(0, 4..5)?, &[1], &[1.0]);

    let grad = grad_with(y, x, &t::<F>(&[1.0; 5], &[5]));
    assert_close(&grad, &[5], &inputs.map(slope));
    Ok(())
}

#[test]
fn sigmoid_and_its_grad_are_finite_and_exact_at_plus_and_minus_1000() {
    in_both(sigmoid_case::<f32>, sigmoid_case::<f64>);
}

fn cross_entropy_case<F: Float>() -> Result<(), Error> {
    // loss = -log_softmax(x)[0] at x = [-1000, 0, 1000] is 2000, and its
    // gradient softmax(x) - onehot(0) = [-1, 0, 1].
    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&[-1000.0, 0.0, 1000.0], &[3]));
    let loss = x.log_softmax(0)?.index_select(0, &[0])?.sum_all().neg();
    assert_close(&loss.value(), &[], &[2000.0]);

    let grad = grad_with(loss, x, &t::<F>(&[1.0], &[]));
    assert_close(&grad, &[3], &[-1.0, 0.0, 1.0]);
    Ok(())
}

#[test]
fn cross_entropy_through_log_softmax_is_finite_at_plus_and_minus_1000() {
    in_both(cross_entropy_case::<f32>, cross_entropy_case::<f64>);
}

fn negative_infinity_case<F: Float>() -> Result<(), Error> {
    // A row of -inf has logsumexp -inf (not NaN from -inf - -inf); a row
    // with one -inf gives it probability 0 and a gradient of 0.
    let inf = f64::INFINITY;
    let all = t::<F>(&[-inf, -inf], &[2]);
    assert_eq!(all.logsumexp(0, false)?.item()?, F::neg_infinity());

    let tape = Tape::<F>::new();
    let x = tape.var(t::<F>(&[-inf, 0.0], &[2]));
    let lse = x.logsumexp(0, false)?;
    assert_close(&lse.value(), &[], &[0.0]);
    assert_close(&grad_with(lse, x, &t::<F>(&[1.0], &[])), &[2], &[0.0, 1.0]);

    let p = x.softmax(0)?;
    assert_close(&p.value(), &[2], &[0.0, 1.0]);
    assert_close(
        &grad_with(p, x, &t::<F>(&[1.0, 2.0], &[2])),
        &[2],
        &[0.0, 0.0],
    );

    let y = x.log_softmax(0)?;
    assert_eq!(y.value().to_vec(), [F::neg_infinity(), F::zero()]);
    assert_close(
        &grad_with(y, x, &t::<F>(&[0.0, 1.0], &[2])),
        &[2],
        &[0.0, 0.0],
    );
    Ok(())
}

#[test]
fn normalizations_handle_minus_infinity_without_nan() {
    in_both(negative_infinity_case::<f32>, negative_infinity_case::<f64>);
}

#[test]
fn logsumexp_second_derivative_is_finite_at_1000() -> Result<(), Error> {
    // The Hessian of logsumexp is diag(s) - s s^T. At [1000, 1000],
    // s = [1/2, 1/2] and H [1, 0] = [1/4, -1/4]; at [-1000, 0, 1000],
    // s = [0, 0, 1] and H = 0.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1000.0, 1000.0]));
    let grad = x.logsumexp(0, false)?.grad(&[x])?[0];
    let hv = grad_with(grad, x, &Tensor::from([1.0, 0.0]));
    assert_close(&hv, &[2], &[0.25, -0.25]);

    let x = tape.var(Tensor::from([-1000.0, 0.0, 1000.0]));
    let grad = x.logsumexp(0, false)?.grad(&[x])?[0];
    let hv = grad_with(grad, x, &Tensor::from([1.0, 2.0, 3.0]));
    assert_close(&hv, &[3], &[0.0, 0.0, 0.0]);
    Ok(())
}
