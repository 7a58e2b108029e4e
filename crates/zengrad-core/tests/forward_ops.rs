//! The forward values of every op against hand-computed results, in `f32`
//! and `f64`, on small tensors: exact where the arithmetic is exact, and
//! within a few units in the last place where it goes through `exp`, `log`
//! or a trigonometric function. Each op's recorded form on a `Var` must
//! give the same value as its eager form on a `Tensor`.

use zengrad_core::{Error, Float, Tape, Tensor, Var};

/// How many units in the last place a transcendental result may be off:
/// the standard library's `exp`, `ln`, `sin`, ... are within 1 ulp, the
/// reference rounded from `f64` within 0.5 ulp, and the composites
/// (softmax is `exp(x - logsumexp(x))`) chain up to three such roundings.
const ULPS: f64 = 8.0;

/// Builds a tensor of `F` from `f64` values and dims.
fn t<F: Float>(values: &[f64], dims: &[usize]) -> Tensor<F> {
    let data = values.iter().map(|&v| F::from_f64(v)).collect();
    Tensor::from_vec(data, dims).expect("values fit the dims")
}

/// Asserts the dims and the exact values of `got`.
fn assert_exact<F: Float>(got: &Tensor<F>, dims: &[usize], expected: &[f64]) {
    assert_eq!(got.dims(), dims, "dims of {got:?} in {}", F::NAME);
    let expected: Vec<F> = expected.iter().map(|&v| F::from_f64(v)).collect();
    assert_eq!(got.to_vec(), expected, "values in {}", F::NAME);
}

/// Asserts the dims of `got`, and its values within [`ULPS`] units in the
/// last place of `F` (relative to values of at least 1).
fn assert_near<F: Float>(got: &Tensor<F>, dims: &[usize], expected: &[f64]) {
    assert_eq!(got.dims(), dims, "dims of {got:?} in {}", F::NAME);
    assert_eq!(got.numel(), expected.len(), "numel in {}", F::NAME);
    let ulp = F::epsilon().as_f64();
    for (j, (&a, &b)) in got.data().iter().zip(expected).enumerate() {
        let tolerance = ULPS * ulp * b.abs().max(1.0);
        assert!(
            (a.as_f64() - b).abs() <= tolerance,
            "element {j} in {}: got {a}, expected {b}",
            F::NAME,
        );
    }
}

/// Asserts that the recorded form gave the eager form's value, exactly.
fn assert_same<F: Float>(recorded: Var<'_, F>, eager: &Tensor<F>) {
    assert_eq!(
        &recorded.value(),
        eager,
        "Var and Tensor differ in {}",
        F::NAME
    );
}

/// Runs a generic case in `f32`, then in `f64`.
fn in_both(case32: fn() -> Result<(), Error>, case64: fn() -> Result<(), Error>) {
    case32().expect("the f32 case returns no error");
    case64().expect("the f64 case returns no error");
}

// Constructors.

fn constructors_case<F: Float>() -> Result<(), Error> {
    assert_exact(&Tensor::<F>::scalar(F::from_f64(2.5)), &[], &[2.5]);
    assert_exact(
        &Tensor::<F>::full([2, 2], F::from_f64(7.0)),
        &[2, 2],
        &[7.0; 4],
    );
    assert_exact(&Tensor::<F>::zeros([3]), &[3], &[0.0; 3]);
    assert_exact(&Tensor::<F>::ones([1, 2]), &[1, 2], &[1.0; 2]);
    assert_exact(&Tensor::<F>::eye(2), &[2, 2], &[1.0, 0.0, 0.0, 1.0]);
    let (zero, half, two) = (F::zero(), F::from_f64(0.5), F::from_f64(2.0));
    assert_exact(
        &Tensor::arange(zero, two, half)?,
        &[4],
        &[0.0, 0.5, 1.0, 1.5],
    );
    assert_exact(
        &Tensor::linspace(zero, two, 5),
        &[5],
        &[0.0, 0.5, 1.0, 1.5, 2.0],
    );
    assert_exact(
        &t::<F>(&[1.0, 2.0, 3.0, 4.0], &[2, 2]),
        &[2, 2],
        &[1.0, 2.0, 3.0, 4.0],
    );
    Ok(())
}

#[test]
fn constructors_give_the_values_asked_for() {
    in_both(constructors_case::<f32>, constructors_case::<f64>);
}

// Elementwise binary ops.

fn arithmetic_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let y = t::<F>(&[2.0, 4.0, 8.0], &[3]);

    assert_exact(&x.add(&y)?, &[2, 3], &[3.0, 6.0, 11.0, 6.0, 9.0, 14.0]);
    assert_exact(&x.sub(&y)?, &[2, 3], &[-1.0, -2.0, -5.0, 2.0, 1.0, -2.0]);
    assert_exact(&x.mul(&y)?, &[2, 3], &[2.0, 8.0, 24.0, 8.0, 20.0, 48.0]);
    assert_exact(&x.div(&y)?, &[2, 3], &[0.5, 0.5, 0.375, 2.0, 1.25, 0.75]);

    let tape = Tape::<F>::new();
    let (xv, yv) = (tape.var(x.clone()), tape.var(y.clone()));
    assert_same(xv.add(yv)?, &x.add(&y)?);
    assert_same(xv.sub(yv)?, &x.sub(&y)?);
    assert_same(xv.mul(yv)?, &x.mul(&y)?);
    assert_same(xv.div(yv)?, &x.div(&y)?);
    Ok(())
}

#[test]
fn arithmetic_matches_hand_computed_values_with_a_broadcast_rhs() {
    in_both(arithmetic_case::<f32>, arithmetic_case::<f64>);
}

fn broadcast_arithmetic_case<F: Float>() -> Result<(), Error> {
    // [2, 1] against [3]: both operands repeat, to [2, 3].
    let column = t::<F>(&[1.0, 2.0], &[2, 1]);
    let row = t::<F>(&[10.0, 20.0, 30.0], &[3]);
    assert_exact(
        &column.add(&row)?,
        &[2, 3],
        &[11.0, 21.0, 31.0, 12.0, 22.0, 32.0],
    );
    assert_exact(
        &row.sub(&column)?,
        &[2, 3],
        &[9.0, 19.0, 29.0, 8.0, 18.0, 28.0],
    );

    // A scalar against any shape, on either side.
    let scalar = t::<F>(&[4.0], &[]);
    assert_exact(&scalar.mul(&row)?, &[3], &[40.0, 80.0, 120.0]);
    assert_exact(&row.div(&scalar)?, &[3], &[2.5, 5.0, 7.5]);
    assert_exact(&scalar.add(&scalar)?, &[], &[8.0]);

    let tape = Tape::<F>::new();
    let (cv, rv) = (tape.var(column.clone()), tape.var(row.clone()));
    assert_same(cv.add(rv)?, &column.add(&row)?);
    assert_same(rv.sub(cv)?, &row.sub(&column)?);
    Ok(())
}

#[test]
fn arithmetic_matches_hand_computed_values_when_both_operands_broadcast() {
    in_both(
        broadcast_arithmetic_case::<f32>,
        broadcast_arithmetic_case::<f64>,
    );
}

fn scalar_methods_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, -2.0, 4.0], &[3]);
    let c = F::from_f64(2.0);

    assert_exact(&x.neg(), &[3], &[-1.0, 2.0, -4.0]);
    assert_exact(&x.add_scalar(c), &[3], &[3.0, 0.0, 6.0]);
    assert_exact(&x.sub_scalar(c), &[3], &[-1.0, -4.0, 2.0]);
    assert_exact(&x.mul_scalar(c), &[3], &[2.0, -4.0, 8.0]);
    assert_exact(&x.div_scalar(c), &[3], &[0.5, -1.0, 2.0]);

    let tape = Tape::<F>::new();
    let xv = tape.var(x.clone());
    assert_same(xv.neg(), &x.neg());
    assert_same(xv.add_scalar(c), &x.add_scalar(c));
    assert_same(xv.sub_scalar(c), &x.sub_scalar(c));
    assert_same(xv.mul_scalar(c), &x.mul_scalar(c));
    assert_same(xv.div_scalar(c), &x.div_scalar(c));
    Ok(())
}

#[test]
fn negation_and_scalar_methods_match_hand_computed_values() {
    in_both(scalar_methods_case::<f32>, scalar_methods_case::<f64>);
}

/// The operators take concrete scalars, so this case is written per type.
macro_rules! operators_case {
    ($name:ident, $float:ty) => {
        fn $name() -> Result<(), Error> {
            let x = t::<$float>(&[1.0, 2.0, 4.0], &[3]);
            let y = t::<$float>(&[4.0, 4.0, 2.0], &[3]);

            assert_exact(&(&x + &y), &[3], &[5.0, 6.0, 6.0]);
            assert_exact(&(&x - &y), &[3], &[-3.0, -2.0, 2.0]);
            assert_exact(&(&x * &y), &[3], &[4.0, 8.0, 8.0]);
            assert_exact(&(&x / &y), &[3], &[0.25, 0.5, 2.0]);
            assert_exact(&(-&x), &[3], &[-1.0, -2.0, -4.0]);
            assert_exact(&(&x + 2.0), &[3], &[3.0, 4.0, 6.0]);
            assert_exact(&(2.0 + &x), &[3], &[3.0, 4.0, 6.0]);
            assert_exact(&(&x - 2.0), &[3], &[-1.0, 0.0, 2.0]);
            assert_exact(&(2.0 - &x), &[3], &[1.0, 0.0, -2.0]);
            assert_exact(&(&x * 2.0), &[3], &[2.0, 4.0, 8.0]);
            assert_exact(&(2.0 * &x), &[3], &[2.0, 4.0, 8.0]);
            assert_exact(&(&x / 2.0), &[3], &[0.5, 1.0, 2.0]);
            assert_exact(&(2.0 / &x), &[3], &[2.0, 1.0, 0.5]);

            let tape = Tape::<$float>::new();
            let (xv, yv) = (tape.var(x.clone()), tape.var(y.clone()));
            assert_same(xv + yv, &(&x + &y));
            assert_same(xv - yv, &(&x - &y));
            assert_same(xv * yv, &(&x * &y));
            assert_same(xv / yv, &(&x / &y));
            assert_same(-xv, &(-&x));
            assert_same(xv + 2.0, &(&x + 2.0));
            assert_same(2.0 + xv, &(2.0 + &x));
            assert_same(xv - 2.0, &(&x - 2.0));
            assert_same(2.0 - xv, &(2.0 - &x));
            assert_same(xv * 2.0, &(&x * 2.0));
            assert_same(2.0 * xv, &(2.0 * &x));
            assert_same(xv / 2.0, &(&x / 2.0));
            assert_same(2.0 / xv, &(2.0 / &x));
            Ok(())
        }
    };
}

operators_case!(operators_case_f32, f32);
operators_case!(operators_case_f64, f64);

#[test]
fn operators_match_hand_computed_values_with_scalars_on_either_side() {
    in_both(operators_case_f32, operators_case_f64);
}

// Powers and the elementwise functions.

fn powf_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 4.0], &[3]);
    let p = F::from_f64;

    assert_exact(&x.powf(p(2.0)), &[3], &[1.0, 4.0, 16.0]);
    assert_exact(&x.square(), &[3], &[1.0, 4.0, 16.0]);
    assert_exact(&x.powf(p(3.0)), &[3], &[1.0, 8.0, 64.0]);
    assert_exact(&x.powf(p(-1.0)), &[3], &[1.0, 0.5, 0.25]);
    assert_exact(&x.powf(p(0.0)), &[3], &[1.0, 1.0, 1.0]);
    assert_near(&x.powf(p(0.5)), &[3], &[1.0, 2f64.sqrt(), 2.0]);
    assert_near(&x.powf(p(1.5)), &[3], &[1.0, 8f64.sqrt(), 8.0]);

    let tape = Tape::<F>::new();
    let xv = tape.var(x.clone());
    for exponent in [2.0, 3.0, -1.0, 0.5] {
        assert_same(xv.powf(p(exponent)), &x.powf(p(exponent)));
    }
    assert_same(xv.square(), &x.square());
    Ok(())
}

#[test]
fn powf_matches_hand_computed_values() {
    in_both(powf_case::<f32>, powf_case::<f64>);
}

fn exp_log_sqrt_case<F: Float>() -> Result<(), Error> {
    let e = std::f64::consts::E;
    let x = t::<F>(&[0.0, 1.0, -1.0], &[3]);
    assert_near(&x.exp(), &[3], &[1.0, e, 1.0 / e]);

    let y = t::<F>(&[1.0, 0.5, 8.0], &[3]);
    assert_near(&y.log(), &[3], &[0.0, -(2f64.ln()), 3.0 * 2f64.ln()]);
    let zero = t::<F>(&[0.0], &[1]);
    assert_exact(&zero.log(), &[1], &[f64::NEG_INFINITY]);

    // sqrt is correctly rounded, so exact squares give exact roots.
    let z = t::<F>(&[0.0, 1.0, 4.0, 2.25], &[4]);
    assert_exact(&z.sqrt(), &[4], &[0.0, 1.0, 2.0, 1.5]);

    let tape = Tape::<F>::new();
    assert_same(tape.var(x.clone()).exp(), &x.exp());
    assert_same(tape.var(y.clone()).log(), &y.log());
    assert_same(tape.var(z.clone()).sqrt(), &z.sqrt());
    Ok(())
}

#[test]
fn exp_log_sqrt_match_hand_computed_values() {
    in_both(exp_log_sqrt_case::<f32>, exp_log_sqrt_case::<f64>);
}

fn trigonometric_case<F: Float>() -> Result<(), Error> {
    let (pi, half_pi) = (std::f64::consts::PI, std::f64::consts::FRAC_PI_2);
    let x = t::<F>(&[0.0, half_pi, pi / 6.0], &[3]);
    assert_near(&x.sin(), &[3], &[0.0, 1.0, 0.5]);
    assert_near(&x.cos(), &[3], &[1.0, 0.0, 3f64.sqrt() / 2.0]);

    let y = t::<F>(&[0.0, 0.5, -1000.0, 1000.0], &[4]);
    let tanh_half = (1.0 - (-1f64).exp()) / (1.0 + (-1f64).exp()); // (1 - e^-2x) / (1 + e^-2x)
    assert_near(&y.tanh(), &[4], &[0.0, tanh_half, -1.0, 1.0]);

    let tape = Tape::<F>::new();
    assert_same(tape.var(x.clone()).sin(), &x.sin());
    assert_same(tape.var(x.clone()).cos(), &x.cos());
    assert_same(tape.var(y.clone()).tanh(), &y.tanh());
    Ok(())
}

#[test]
fn sin_cos_tanh_match_hand_computed_values() {
    in_both(trigonometric_case::<f32>, trigonometric_case::<f64>);
}

fn piecewise_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[-2.0, -0.0, 0.0, 0.5, 3.0], &[5]);
    let (lo, hi) = (F::from_f64(-1.0), F::from_f64(1.0));

    assert_exact(&x.relu(), &[5], &[0.0, 0.0, 0.0, 0.5, 3.0]);
    assert_exact(&x.abs(), &[5], &[2.0, 0.0, 0.0, 0.5, 3.0]);
    assert_exact(&x.clamp(lo, hi), &[5], &[-1.0, -0.0, 0.0, 0.5, 1.0]);

    // sigmoid(0) = 1/2, and it saturates to exactly 0 and 1 far out.
    let y = t::<F>(&[0.0, -1000.0, 1000.0, 2.0], &[4]);
    let s2 = 1.0 / (1.0 + (-2f64).exp());
    assert_near(&y.sigmoid(), &[4], &[0.5, 0.0, 1.0, s2]);
    assert_exact(&y.sigmoid().slice(0, 0..3)?, &[3], &[0.5, 0.0, 1.0]);

    let tape = Tape::<F>::new();
    let xv = tape.var(x.clone());
    assert_same(xv.relu(), &x.relu());
    assert_same(xv.abs(), &x.abs());
    assert_same(xv.clamp(lo, hi), &x.clamp(lo, hi));
    assert_same(tape.var(y.clone()).sigmoid(), &y.sigmoid());
    Ok(())
}

#[test]
fn relu_abs_clamp_sigmoid_match_hand_computed_values() {
    in_both(piecewise_case::<f32>, piecewise_case::<f64>);
}

// Reductions.

fn sum_mean_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);

    assert_exact(&x.sum(&[0], false)?, &[3], &[5.0, 7.0, 9.0]);
    assert_exact(&x.sum(&[0], true)?, &[1, 3], &[5.0, 7.0, 9.0]);
    assert_exact(&x.sum(&[-1], false)?, &[2], &[6.0, 15.0]);
    assert_exact(&x.sum(&[1], true)?, &[2, 1], &[6.0, 15.0]);
    assert_exact(&x.sum(&[0, 1], false)?, &[], &[21.0]);
    assert_exact(&x.sum(&[0, 1], true)?, &[1, 1], &[21.0]);
    assert_exact(
        &x.sum(&[], false)?,
        &[2, 3],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    );
    assert_exact(&x.sum_all(), &[], &[21.0]);
    assert_exact(&t::<F>(&[7.0], &[]).sum_all(), &[], &[7.0]);

    let cube = Tensor::arange(F::zero(), F::from_f64(8.0), F::one())?.reshape([2, 2, 2])?;
    assert_exact(&cube.sum(&[0, 2], false)?, &[2], &[10.0, 18.0]);
    assert_exact(&cube.sum(&[0, -1], true)?, &[1, 2, 1], &[10.0, 18.0]);

    let y = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &[2, 4]);
    assert_exact(&y.mean(&[1], false)?, &[2], &[2.5, 6.5]);
    assert_exact(&y.mean(&[0], true)?, &[1, 4], &[3.0, 4.0, 5.0, 6.0]);
    assert_exact(&y.mean_all(), &[], &[4.5]);

    let tape = Tape::<F>::new();
    let (xv, yv) = (tape.var(x.clone()), tape.var(y.clone()));
    assert_same(xv.sum(&[0], true)?, &x.sum(&[0], true)?);
    assert_same(xv.sum(&[-1], false)?, &x.sum(&[-1], false)?);
    assert_same(xv.sum_all(), &x.sum_all());
    assert_same(yv.mean(&[1], false)?, &y.mean(&[1], false)?);
    assert_same(yv.mean_all(), &y.mean_all());
    Ok(())
}

#[test]
fn sum_and_mean_match_hand_computed_values() {
    in_both(sum_mean_case::<f32>, sum_mean_case::<f64>);
}

fn max_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 5.0, 2.0, 7.0, 0.0, 3.0], &[2, 3]);
    assert_exact(&x.max(&[1], false)?, &[2], &[5.0, 7.0]);
    assert_exact(&x.max(&[1], true)?, &[2, 1], &[5.0, 7.0]);
    assert_exact(&x.max(&[0], false)?, &[3], &[7.0, 5.0, 3.0]);
    assert_exact(&x.max(&[-2, -1], false)?, &[], &[7.0]);
    assert_exact(&x.max_all()?, &[], &[7.0]);

    let negative = t::<F>(&[-3.0, -1.0, -2.0, -5.0], &[2, 2]);
    assert_exact(&negative.max(&[1], false)?, &[2], &[-1.0, -2.0]);
    assert_exact(&t::<F>(&[4.0], &[]).max_all()?, &[], &[4.0]);

    let tape = Tape::<F>::new();
    let xv = tape.var(x.clone());
    assert_same(xv.max(&[1], true)?, &x.max(&[1], true)?);
    assert_same(xv.max(&[0], false)?, &x.max(&[0], false)?);
    assert_same(xv.max_all()?, &x.max_all()?);
    Ok(())
}

#[test]
fn max_matches_hand_computed_values() {
    in_both(max_case::<f32>, max_case::<f64>);
}

// Matrix products.

fn matmul_case<F: Float>() -> Result<(), Error> {
    // [[1, 2, 3], [4, 5, 6]] @ [[7, 8], [9, 10], [11, 12]]
    let a = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t::<F>(&[7.0, 8.0, 9.0, 10.0, 11.0, 12.0], &[3, 2]);
    let product = [58.0, 64.0, 139.0, 154.0];
    assert_exact(&a.matmul(&b)?, &[2, 2], &product);

    // The same product with either operand stored transposed.
    let (at, bt) = (a.transpose(0, 1)?, b.transpose(0, 1)?);
    assert_exact(&a.matmul_t(&b, false, false)?, &[2, 2], &product);
    assert_exact(&at.matmul_t(&b, true, false)?, &[2, 2], &product);
    assert_exact(&a.matmul_t(&bt, false, true)?, &[2, 2], &product);
    assert_exact(&at.matmul_t(&bt, true, true)?, &[2, 2], &product);

    let tape = Tape::<F>::new();
    let (av, bv, atv, btv) = (
        tape.var(a.clone()),
        tape.var(b.clone()),
        tape.var(at),
        tape.var(bt),
    );
    assert_same(av.matmul(bv)?, &a.matmul(&b)?);
    assert_same(atv.matmul_t(bv, true, false)?, &a.matmul(&b)?);
    assert_same(av.matmul_t(btv, false, true)?, &a.matmul(&b)?);
    assert_same(atv.matmul_t(btv, true, true)?, &a.matmul(&b)?);
    Ok(())
}

#[test]
fn matmul_matches_hand_computed_values_with_either_operand_transposed() {
    in_both(matmul_case::<f32>, matmul_case::<f64>);
}

fn batched_matmul_case<F: Float>() -> Result<(), Error> {
    // A batch of I and 2I times one matrix.
    let eyes = t::<F>(&[1.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 2.0], &[2, 2, 2]);
    let m = t::<F>(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let out = [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0];
    assert_exact(&eyes.matmul(&m)?, &[2, 2, 2], &out);

    // Batch axes [2, 1] and [3] broadcast to [2, 3]: rows [1, 2] and
    // [3, 4] times the columns [1, 1], [2, 0] and [0, 3].
    let rows = t::<F>(&[1.0, 2.0, 3.0, 4.0], &[2, 1, 1, 2]);
    let columns = t::<F>(&[1.0, 1.0, 2.0, 0.0, 0.0, 3.0], &[3, 2, 1]);
    let dots = [3.0, 2.0, 6.0, 7.0, 6.0, 12.0];
    assert_exact(&rows.matmul(&columns)?, &[2, 3, 1, 1], &dots);

    let tape = Tape::<F>::new();
    let (ev, mv) = (tape.var(eyes.clone()), tape.var(m.clone()));
    assert_same(ev.matmul(mv)?, &eyes.matmul(&m)?);
    let (rv, cv) = (tape.var(rows.clone()), tape.var(columns.clone()));
    assert_same(rv.matmul(cv)?, &rows.matmul(&columns)?);
    Ok(())
}

#[test]
fn matmul_matches_hand_computed_values_over_broadcast_batches() {
    in_both(batched_matmul_case::<f32>, batched_matmul_case::<f64>);
}

fn vector_matmul_case<F: Float>() -> Result<(), Error> {
    let a = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t::<F>(&[7.0, 8.0, 9.0, 10.0, 11.0, 12.0], &[3, 2]);
    let v = t::<F>(&[1.0, 2.0, 3.0], &[3]);
    let w = t::<F>(&[4.0, 5.0, 6.0], &[3]);
    let eyes = t::<F>(&[1.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 2.0], &[2, 2, 2]);
    let u = t::<F>(&[1.0, 2.0], &[2]);

    // A 1-D operand is a row on the left, a column on the right, and its
    // axis leaves the result.
    assert_exact(&v.matmul(&b)?, &[2], &[58.0, 64.0]);
    assert_exact(&a.matmul(&v)?, &[2], &[14.0, 32.0]);
    assert_exact(&v.matmul(&w)?, &[], &[32.0]);
    assert_exact(&u.matmul(&eyes)?, &[2, 2], &[1.0, 2.0, 2.0, 4.0]);
    assert_exact(&eyes.matmul(&u)?, &[2, 2], &[1.0, 2.0, 2.0, 4.0]);

    let tape = Tape::<F>::new();
    let [av, bv, vv, wv, ev, uv] = [&a, &b, &v, &w, &eyes, &u].map(|x| tape.var(x.clone()));
    assert_same(vv.matmul(bv)?, &v.matmul(&b)?);
    assert_same(av.matmul(vv)?, &a.matmul(&v)?);
    assert_same(vv.matmul(wv)?, &v.matmul(&w)?);
    assert_same(uv.matmul(ev)?, &u.matmul(&eyes)?);
    assert_same(ev.matmul(uv)?, &eyes.matmul(&u)?);
    Ok(())
}

#[test]
fn matmul_matches_hand_computed_values_for_vector_operands() {
    in_both(vector_matmul_case::<f32>, vector_matmul_case::<f64>);
}

// Layout ops.

fn reshape_permute_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];

    assert_exact(&x.reshape([3, 2])?, &[3, 2], &values);
    assert_exact(&x.reshape([6])?, &[6], &values);
    assert_exact(&t::<F>(&[5.0], &[1, 1]).reshape([])?, &[], &[5.0]);
    assert_exact(&x.unsqueeze(0)?, &[1, 2, 3], &values);
    assert_exact(&x.unsqueeze(-1)?, &[2, 3, 1], &values);
    assert_exact(&x.unsqueeze(1)?, &[2, 1, 3], &values);
    assert_exact(
        &x.transpose(0, 1)?,
        &[3, 2],
        &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0],
    );
    assert_exact(
        &x.transpose(-1, -2)?,
        &[3, 2],
        &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0],
    );
    assert_exact(&x.permute(&[0, 1])?, &[2, 3], &values);

    // out[k][i][j] = cube[i][j][k]
    let cube = Tensor::arange(F::zero(), F::from_f64(8.0), F::one())?.reshape([2, 2, 2])?;
    let permuted = [0.0, 2.0, 4.0, 6.0, 1.0, 3.0, 5.0, 7.0];
    assert_exact(&cube.permute(&[2, 0, 1])?, &[2, 2, 2], &permuted);

    let tape = Tape::<F>::new();
    let (xv, cv) = (tape.var(x.clone()), tape.var(cube.clone()));
    assert_same(xv.reshape([3, 2])?, &x.reshape([3, 2])?);
    assert_same(xv.unsqueeze(-1)?, &x.unsqueeze(-1)?);
    assert_same(xv.transpose(0, 1)?, &x.transpose(0, 1)?);
    assert_same(cv.permute(&[2, 0, 1])?, &cube.permute(&[2, 0, 1])?);
    Ok(())
}

#[test]
fn reshape_unsqueeze_transpose_permute_match_hand_computed_values() {
    in_both(reshape_permute_case::<f32>, reshape_permute_case::<f64>);
}

fn broadcast_case<F: Float>() -> Result<(), Error> {
    let row = t::<F>(&[1.0, 2.0], &[2]);
    assert_exact(&row.broadcast_to([2, 2])?, &[2, 2], &[1.0, 2.0, 1.0, 2.0]);
    let column = t::<F>(&[1.0, 2.0, 3.0], &[3, 1]);
    let repeated = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0];
    assert_exact(&column.broadcast_to([2, 3, 2])?, &[2, 3, 2], &repeated);
    assert_exact(&t::<F>(&[4.0], &[]).broadcast_to([3])?, &[3], &[4.0; 3]);

    let x = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_exact(&x.sum_to([3])?, &[3], &[5.0, 7.0, 9.0]);
    assert_exact(&x.sum_to([2, 1])?, &[2, 1], &[6.0, 15.0]);
    assert_exact(&x.sum_to([1, 3])?, &[1, 3], &[5.0, 7.0, 9.0]);
    assert_exact(&x.sum_to([])?, &[], &[21.0]);
    assert_exact(&x.sum_to([2, 3])?, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

    let tape = Tape::<F>::new();
    let (cv, xv) = (tape.var(column.clone()), tape.var(x.clone()));
    assert_same(
        cv.broadcast_to([2, 3, 2])?,
        &column.broadcast_to([2, 3, 2])?,
    );
    assert_same(xv.sum_to([2, 1])?, &x.sum_to([2, 1])?);
    assert_same(xv.sum_to([])?, &x.sum_to([])?);
    Ok(())
}

#[test]
fn broadcast_to_and_sum_to_match_hand_computed_values() {
    in_both(broadcast_case::<f32>, broadcast_case::<f64>);
}

fn concat_case<F: Float>() -> Result<(), Error> {
    let a = t::<F>(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = t::<F>(&[5.0, 6.0], &[2, 1]);
    let c = t::<F>(&[7.0, 8.0], &[1, 2]);

    assert_exact(
        &Tensor::concat(&[&a, &b], 1)?,
        &[2, 3],
        &[1.0, 2.0, 5.0, 3.0, 4.0, 6.0],
    );
    assert_exact(
        &Tensor::concat(&[&a, &b], -1)?,
        &[2, 3],
        &[1.0, 2.0, 5.0, 3.0, 4.0, 6.0],
    );
    let rows = [1.0, 2.0, 3.0, 4.0, 7.0, 8.0];
    assert_exact(&Tensor::concat(&[&a, &c], 0)?, &[3, 2], &rows);
    assert_exact(&Tensor::concat(&[&a], 0)?, &[2, 2], &[1.0, 2.0, 3.0, 4.0]);

    let tape = Tape::<F>::new();
    let [av, bv, cv] = [&a, &b, &c].map(|x| tape.var(x.clone()));
    assert_same(Var::concat(&[av, bv], 1)?, &Tensor::concat(&[&a, &b], 1)?);
    assert_same(Var::concat(&[av, cv], 0)?, &Tensor::concat(&[&a, &c], 0)?);
    Ok(())
}

#[test]
fn concat_matches_hand_computed_values() {
    in_both(concat_case::<f32>, concat_case::<f64>);
}

fn stack_case<F: Float>() -> Result<(), Error> {
    let a = t::<F>(&[1.0, 2.0], &[2]);
    let b = t::<F>(&[3.0, 4.0], &[2]);
    assert_exact(
        &Tensor::stack(&[&a, &b], 0)?,
        &[2, 2],
        &[1.0, 2.0, 3.0, 4.0],
    );
    assert_exact(
        &Tensor::stack(&[&a, &b], 1)?,
        &[2, 2],
        &[1.0, 3.0, 2.0, 4.0],
    );
    assert_exact(
        &Tensor::stack(&[&a, &b], -1)?,
        &[2, 2],
        &[1.0, 3.0, 2.0, 4.0],
    );
    let (s, r) = (t::<F>(&[1.0], &[]), t::<F>(&[2.0], &[]));
    assert_exact(&Tensor::stack(&[&s, &r], 0)?, &[2], &[1.0, 2.0]);

    let tape = Tape::<F>::new();
    let [av, bv] = [&a, &b].map(|x| tape.var(x.clone()));
    assert_same(Var::stack(&[av, bv], 0)?, &Tensor::stack(&[&a, &b], 0)?);
    assert_same(Var::stack(&[av, bv], 1)?, &Tensor::stack(&[&a, &b], 1)?);
    Ok(())
}

#[test]
fn stack_matches_hand_computed_values() {
    in_both(stack_case::<f32>, stack_case::<f64>);
}

fn stack_size_one_case<F: Float>() -> Result<(), Error> {
    // The new axis goes where asked even beside an axis of size 1.
    let a = t::<F>(&[1.0, 2.0, 3.0], &[1, 3]);
    let b = t::<F>(&[4.0, 5.0, 6.0], &[1, 3]);
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    assert_exact(&Tensor::stack(&[&a, &b], 0)?, &[2, 1, 3], &values);
    assert_exact(&Tensor::stack(&[&a, &b], 1)?, &[1, 2, 3], &values);
    let interleaved = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    assert_exact(&Tensor::stack(&[&a, &b], 2)?, &[1, 3, 2], &interleaved);

    let c = t::<F>(&[1.0, 2.0], &[2, 1]);
    let d = t::<F>(&[3.0, 4.0], &[2, 1]);
    assert_exact(
        &Tensor::stack(&[&c, &d], 1)?,
        &[2, 2, 1],
        &[1.0, 3.0, 2.0, 4.0],
    );

    let tape = Tape::<F>::new();
    let [av, bv, cv, dv] = [&a, &b, &c, &d].map(|x| tape.var(x.clone()));
    assert_same(Var::stack(&[av, bv], 0)?, &Tensor::stack(&[&a, &b], 0)?);
    assert_same(Var::stack(&[cv, dv], 1)?, &Tensor::stack(&[&c, &d], 1)?);
    Ok(())
}

#[test]
fn stack_puts_the_new_axis_where_asked_beside_an_axis_of_size_one() {
    in_both(stack_size_one_case::<f32>, stack_size_one_case::<f64>);
}

fn slice_pad_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_exact(&x.slice(1, 1..3)?, &[2, 2], &[2.0, 3.0, 5.0, 6.0]);
    assert_exact(&x.slice(-1, 0..1)?, &[2, 1], &[1.0, 4.0]);
    assert_exact(&x.slice(0, 1..2)?, &[1, 3], &[4.0, 5.0, 6.0]);
    assert_exact(&x.slice(1, 2..2)?, &[2, 0], &[]);

    let v = t::<F>(&[1.0, 2.0], &[2]);
    assert_exact(&v.pad(0, 1, 2)?, &[5], &[0.0, 1.0, 2.0, 0.0, 0.0]);
    let left = [0.0, 1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 6.0];
    assert_exact(&x.pad(1, 1, 0)?, &[2, 4], &left);
    let below = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0];
    assert_exact(&x.pad(-2, 0, 1)?, &[3, 3], &below);

    let tape = Tape::<F>::new();
    let xv = tape.var(x.clone());
    assert_same(xv.slice(1, 1..3)?, &x.slice(1, 1..3)?);
    assert_same(xv.slice(-1, 0..1)?, &x.slice(-1, 0..1)?);
    assert_same(xv.pad(1, 1, 0)?, &x.pad(1, 1, 0)?);
    assert_same(xv.pad(-2, 0, 1)?, &x.pad(-2, 0, 1)?);
    Ok(())
}

#[test]
fn slice_and_pad_match_hand_computed_values() {
    in_both(slice_pad_case::<f32>, slice_pad_case::<f64>);
}

fn index_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    assert_exact(&x.index_select(0, &[2, 0])?, &[2, 2], &[5.0, 6.0, 1.0, 2.0]);
    let columns = [2.0, 2.0, 1.0, 4.0, 4.0, 3.0, 6.0, 6.0, 5.0];
    assert_exact(&x.index_select(-1, &[1, 1, 0])?, &[3, 3], &columns);

    // Repeated indices add up; index 2 receives nothing.
    let v = t::<F>(&[1.0, 2.0, 3.0], &[3]);
    assert_exact(&v.index_add(0, &[1, 0, 1], 3)?, &[3], &[2.0, 4.0, 0.0]);
    let sums = [0.0, 0.0, 8.0, 10.0, 0.0, 0.0]; // [3, 4] + [5, 6] into row 1
    assert_exact(
        &x.index_add(0, &[1, 1, 1], 3)?,
        &[3, 2],
        &[0.0, 0.0, 9.0, 12.0, 0.0, 0.0],
    );
    assert_exact(&x.slice(0, 1..3)?.index_add(0, &[1, 1], 3)?, &[3, 2], &sums);

    let tape = Tape::<F>::new();
    let (xv, vv) = (tape.var(x.clone()), tape.var(v.clone()));
    assert_same(xv.index_select(0, &[2, 0])?, &x.index_select(0, &[2, 0])?);
    assert_same(
        xv.index_select(-1, &[1, 1, 0])?,
        &x.index_select(-1, &[1, 1, 0])?,
    );
    assert_same(
        vv.index_add(0, &[1, 0, 1], 3)?,
        &v.index_add(0, &[1, 0, 1], 3)?,
    );
    Ok(())
}

#[test]
fn index_select_and_index_add_match_hand_computed_values() {
    in_both(index_case::<f32>, index_case::<f64>);
}

fn where_compare_case<F: Float>() -> Result<(), Error> {
    let x = t::<F>(&[1.0, 2.0, 3.0], &[3]);
    let two = t::<F>(&[2.0], &[]);
    assert_exact(&x.gt(&two)?, &[3], &[0.0, 0.0, 1.0]);
    assert_exact(&x.ge(&two)?, &[3], &[0.0, 1.0, 1.0]);
    assert_exact(&x.lt(&two)?, &[3], &[1.0, 0.0, 0.0]);
    assert_exact(&x.le(&two)?, &[3], &[1.0, 1.0, 0.0]);

    // Any nonzero mask element picks `on_true`.
    let mask = t::<F>(&[1.0, 0.0, -0.5], &[3]);
    let zero = t::<F>(&[0.0], &[]);
    assert_exact(&Tensor::where_(&mask, &x, &zero)?, &[3], &[1.0, 0.0, 3.0]);

    // A [2, 1] mask over a [3] branch and a [2, 3] branch.
    let column = t::<F>(&[1.0, 0.0], &[2, 1]);
    let other = t::<F>(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0], &[2, 3]);
    let picked = [1.0, 2.0, 3.0, 40.0, 50.0, 60.0];
    assert_exact(&Tensor::where_(&column, &x, &other)?, &[2, 3], &picked);

    let tape = Tape::<F>::new();
    let (xv, zv, ov) = (
        tape.var(x.clone()),
        tape.var(zero.clone()),
        tape.var(other.clone()),
    );
    assert_same(
        Var::where_(&mask, xv, zv)?,
        &Tensor::where_(&mask, &x, &zero)?,
    );
    assert_same(
        Var::where_(&column, xv, ov)?,
        &Tensor::where_(&column, &x, &other)?,
    );
    Ok(())
}

#[test]
fn where_and_comparisons_match_hand_computed_values() {
    in_both(where_compare_case::<f32>, where_compare_case::<f64>);
}

// Normalizations.

fn softmax_case<F: Float>() -> Result<(), Error> {
    // Rows [0, ln 2] and [ln 3, 0]: softmax [1/3, 2/3] and [3/4, 1/4].
    let (ln2, ln3) = (2f64.ln(), 3f64.ln());
    let x = t::<F>(&[0.0, ln2, ln3, 0.0], &[2, 2]);

    let probabilities = [1.0 / 3.0, 2.0 / 3.0, 0.75, 0.25];
    assert_near(&x.softmax(-1)?, &[2, 2], &probabilities);
    let logs = [-ln3, ln2 - ln3, ln3 - 4f64.ln(), -(4f64.ln())];
    assert_near(&x.log_softmax(1)?, &[2, 2], &logs);
    assert_near(&x.logsumexp(1, false)?, &[2], &[ln3, 4f64.ln()]);
    assert_near(&x.logsumexp(-1, true)?, &[2, 1], &[ln3, 4f64.ln()]);

    // Down the columns: [0, ln 3] and [ln 2, 0].
    let columns = [0.25, 2.0 / 3.0, 0.75, 1.0 / 3.0];
    assert_near(&x.softmax(0)?, &[2, 2], &columns);
    assert_near(&x.logsumexp(0, false)?, &[2], &[4f64.ln(), ln3]);

    let tape = Tape::<F>::new();
    let xv = tape.var(x.clone());
    assert_same(xv.softmax(-1)?, &x.softmax(-1)?);
    assert_same(xv.softmax(0)?, &x.softmax(0)?);
    assert_same(xv.log_softmax(1)?, &x.log_softmax(1)?);
    assert_same(xv.logsumexp(1, false)?, &x.logsumexp(1, false)?);
    assert_same(xv.logsumexp(-1, true)?, &x.logsumexp(-1, true)?);
    Ok(())
}

#[test]
fn softmax_log_softmax_logsumexp_match_hand_computed_values() {
    in_both(softmax_case::<f32>, softmax_case::<f64>);
}
