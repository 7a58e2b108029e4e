//! The gradient of every differentiable op: against central finite
//! differences at random inputs, on several shapes (broadcasting and
//! scalars included), and against hand-derived values with the derivative
//! written beside them. The conventions at kinks and ties are pinned here.

mod support;

use support::{away_from, check_grad, check_grad_at_random, func, tensor, uniform, uniforms};
use zengrad_core::{Error, Tape, Tensor, Var};

/// The tolerance of hand-derived values that go through `exp`, `log`,
/// `tanh` or a fractional power: a few rounding errors of `f64` on values
/// near 1.
const ROUNDING_TOL: f64 = 1e-15;

/// Returns the gradient of `loss` with respect to `x`, as a vector.
fn grad_of(loss: Var<'_, f64>, x: Var<'_, f64>) -> Result<Vec<f64>, Error> {
    Ok(loss.backward()?.get(x).expect("x has a gradient").to_vec())
}

/// Asserts that two slices agree within `tol`, element by element.
fn assert_near(got: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(got.len(), expected.len(), "lengths differ: {got:?}");
    for (j, (a, b)) in got.iter().zip(expected).enumerate() {
        assert!(
            (a - b).abs() <= tol,
            "element {j}: got {a}, expected {b}; got {got:?}"
        );
    }
}

// Elementwise binary ops.

#[test]
fn add_grad_matches_finite_difference_on_equal_shapes() {
    check_grad_at_random(|xs| xs[0].add(xs[1]), &[&[2, 3], &[2, 3]], -1.0, 1.0, 1);
}

#[test]
fn add_grad_matches_finite_difference_when_both_operands_broadcast() {
    check_grad_at_random(|xs| xs[0].add(xs[1]), &[&[2, 1, 3], &[4, 1]], -1.0, 1.0, 2);
}

#[test]
fn add_grad_matches_finite_difference_with_a_scalar_operand() {
    check_grad_at_random(|xs| xs[0].add(xs[1]), &[&[], &[2, 3]], -1.0, 1.0, 3);
    check_grad_at_random(|xs| xs[0].add(xs[1]), &[&[], &[]], -1.0, 1.0, 4);
}

#[test]
fn add_grad_is_one_and_sums_over_broadcast_axes() -> Result<(), Error> {
    // d(x + b)/dx = 1; b is broadcast over three elements, so its
    // gradient is 1 + 1 + 1 = 3.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    let b = tape.var(Tensor::scalar(10.0));
    let grads = x.add(b)?.sum_all().backward()?;

    assert_eq!(grads.get(x).unwrap().to_vec(), [1.0, 1.0, 1.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [3.0]);
    assert_eq!(grads.get(b).unwrap().dims(), [] as [usize; 0]);
    Ok(())
}

#[test]
fn sub_grad_matches_finite_difference_on_several_shapes() {
    check_grad_at_random(|xs| xs[0].sub(xs[1]), &[&[2, 3], &[2, 3]], -1.0, 1.0, 5);
    check_grad_at_random(|xs| xs[0].sub(xs[1]), &[&[3, 1], &[1, 4]], -1.0, 1.0, 6);
    check_grad_at_random(|xs| xs[0].sub(xs[1]), &[&[2, 3], &[]], -1.0, 1.0, 7);
}

#[test]
fn sub_grad_is_minus_one_for_rhs_summed_over_broadcast_axes() -> Result<(), Error> {
    // d(x - y)/dx = 1 and d(x - y)/dy = -1; y [2, 1] repeats over 3 columns.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let y = tape.var(Tensor::from([[1.0], [2.0]]));
    let grads = x.sub(y)?.sum_all().backward()?;

    assert_eq!(grads.get(x).unwrap().to_vec(), [1.0; 6]);
    assert_eq!(grads.get(y).unwrap().to_vec(), [-3.0, -3.0]);
    Ok(())
}

#[test]
fn mul_grad_matches_finite_difference_on_several_shapes() {
    check_grad_at_random(|xs| xs[0].mul(xs[1]), &[&[2, 3], &[2, 3]], -1.0, 1.0, 8);
    check_grad_at_random(|xs| xs[0].mul(xs[1]), &[&[3, 4], &[1, 4]], -1.0, 1.0, 9);
    check_grad_at_random(|xs| xs[0].mul(xs[1]), &[&[2, 1, 3], &[4, 1]], -1.0, 1.0, 10);
    check_grad_at_random(|xs| xs[0].mul(xs[1]), &[&[], &[3]], -1.0, 1.0, 11);
}

#[test]
fn mul_grad_matches_finite_difference_when_both_operands_are_one_var() {
    // x * x: the two uses of x add up to 2x.
    check_grad_at_random(|xs| xs[0].mul(xs[0]), &[&[2, 3]], -1.0, 1.0, 12);
}

#[test]
fn mul_grad_is_the_other_input() -> Result<(), Error> {
    // d(x * y)/dx = y and d(x * y)/dy = x
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([2.0, -1.0]));
    let y = tape.var(Tensor::from([5.0, 3.0]));
    let grads = x.mul(y)?.sum_all().backward()?;

    assert_eq!(grads.get(x).unwrap().to_vec(), [5.0, 3.0]);
    assert_eq!(grads.get(y).unwrap().to_vec(), [2.0, -1.0]);
    Ok(())
}

#[test]
fn div_grad_matches_finite_difference_on_several_shapes() {
    // The divisors stay in [0.5, 2), away from the pole at 0.
    let divide = func(|xs| xs[0].div(xs[1]));
    let [x, y] = [
        uniform([2, 3], -1.0, 1.0, 13),
        uniform([2, 3], 0.5, 2.0, 14),
    ];
    check_grad(divide, &[x, y]);
    let [x, y] = [
        uniform([2, 1, 3], -1.0, 1.0, 15),
        uniform([4, 1], 0.5, 2.0, 16),
    ];
    check_grad(divide, &[x, y]);
    let [x, y] = [uniform([], -1.0, 1.0, 17), uniform([3], -2.0, -0.5, 18)];
    check_grad(divide, &[x, y]);
}

#[test]
fn div_grad_is_one_over_rhs_and_minus_quotient_over_rhs() -> Result<(), Error> {
    // d(x / y)/dx = 1 / y = [1/2, 1/4]
    // d(x / y)/dy = -x / y^2 = [-1/4, -6/16]
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 6.0]));
    let y = tape.var(Tensor::from([2.0, 4.0]));
    let grads = x.div(y)?.sum_all().backward()?;

    assert_eq!(grads.get(x).unwrap().to_vec(), [0.5, 0.25]);
    assert_eq!(grads.get(y).unwrap().to_vec(), [-0.25, -0.375]);
    Ok(())
}

#[test]
fn binary_operators_on_vars_match_finite_difference() {
    let [x, y] = [uniform([2, 3], -1.0, 1.0, 19), uniform([3], 0.5, 2.0, 20)];
    check_grad(|xs| Ok(xs[0] + xs[1]), &[x.clone(), y.clone()]);
    check_grad(|xs| Ok(xs[0] - xs[1]), &[x.clone(), y.clone()]);
    check_grad(|xs| Ok(xs[0] * xs[1]), &[x.clone(), y.clone()]);
    check_grad(|xs| Ok(xs[0] / xs[1]), &[x.clone(), y.clone()]);
    check_grad(|xs| Ok(-xs[0]), &[x]);
}

// Negation and the scalar forms.

#[test]
fn neg_grad_is_minus_one() -> Result<(), Error> {
    // d(-x)/dx = -1
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([3.0, -2.0]));
    assert_eq!(grad_of(x.neg().sum_all(), x)?, [-1.0, -1.0]);
    check_grad_at_random(|xs| Ok(xs[0].neg()), &[&[2, 3]], -1.0, 1.0, 21);
    check_grad_at_random(|xs| Ok(xs[0].neg()), &[&[]], -1.0, 1.0, 22);
    Ok(())
}

#[test]
fn scalar_methods_grad_matches_finite_difference() {
    let shapes: &[&[usize]] = &[&[2, 3]];
    check_grad_at_random(|xs| Ok(xs[0].add_scalar(1.5)), shapes, -1.0, 1.0, 23);
    check_grad_at_random(|xs| Ok(xs[0].sub_scalar(1.5)), shapes, -1.0, 1.0, 24);
    check_grad_at_random(|xs| Ok(xs[0].mul_scalar(-2.5)), shapes, -1.0, 1.0, 25);
    check_grad_at_random(|xs| Ok(xs[0].div_scalar(3.0)), shapes, -1.0, 1.0, 26);
    check_grad_at_random(|xs| Ok(xs[0].mul_scalar(-2.5)), &[&[]], -1.0, 1.0, 27);
}

#[test]
fn scalar_methods_grad_is_one_or_the_constant() -> Result<(), Error> {
    // d(x + c)/dx = 1, d(x - c)/dx = 1, d(x * c)/dx = c, d(x / c)/dx = 1 / c
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));

    assert_eq!(grad_of(x.add_scalar(3.0).sum_all(), x)?, [1.0, 1.0]);
    assert_eq!(grad_of(x.sub_scalar(3.0).sum_all(), x)?, [1.0, 1.0]);
    assert_eq!(grad_of(x.mul_scalar(3.0).sum_all(), x)?, [3.0, 3.0]);
    assert_eq!(grad_of(x.div_scalar(4.0).sum_all(), x)?, [0.25, 0.25]);
    Ok(())
}

#[test]
fn scalar_operators_grad_matches_finite_difference_on_either_side() {
    let inputs = [uniform([2, 3], 0.5, 2.0, 28)];
    let check = |f: fn(Var<'_, f64>) -> Var<'_, f64>| check_grad(|xs| Ok(f(xs[0])), &inputs);
    check(|x| x + 2.0);
    check(|x| 2.0 + x);
    check(|x| x - 2.0);
    check(|x| 2.0 - x);
    check(|x| x * 2.0);
    check(|x| 2.0 * x);
    check(|x| x / 2.0);
    check(|x| 2.0 / x);
}

#[test]
fn scalar_operators_grad_matches_hand_derivatives() -> Result<(), Error> {
    // d(x + 2)/dx = d(2 + x)/dx = d(x - 2)/dx = 1, d(2 - x)/dx = -1,
    // d(2x)/dx = 2, d(x / 2)/dx = 1/2, d(2 / x)/dx = -2 / x^2.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 4.0]));

    assert_eq!(grad_of((x + 2.0).sum_all(), x)?, [1.0; 3]);
    assert_eq!(grad_of((2.0 + x).sum_all(), x)?, [1.0; 3]);
    assert_eq!(grad_of((x - 2.0).sum_all(), x)?, [1.0; 3]);
    assert_eq!(grad_of((2.0 - x).sum_all(), x)?, [-1.0; 3]);
    assert_eq!(grad_of((x * 2.0).sum_all(), x)?, [2.0; 3]);
    assert_eq!(grad_of((2.0 * x).sum_all(), x)?, [2.0; 3]);
    assert_eq!(grad_of((x / 2.0).sum_all(), x)?, [0.5; 3]);
    assert_eq!(grad_of((2.0 / x).sum_all(), x)?, [-2.0, -0.5, -0.125]);
    Ok(())
}

// Powers and the elementwise functions.

#[test]
fn powf_grad_matches_finite_difference_for_several_exponents() {
    for (seed, p) in [
        (30, 2.0),
        (31, 3.0),
        (32, 0.5),
        (33, -1.0),
        (34, 1.5),
        (35, -2.5),
    ] {
        check_grad_at_random(move |xs| Ok(xs[0].powf(p)), &[&[2, 3]], 0.5, 2.0, seed);
    }
    check_grad_at_random(|xs| Ok(xs[0].powf(3.0)), &[&[]], 0.5, 2.0, 36);
    check_grad_at_random(|xs| Ok(xs[0].square()), &[&[4]], -2.0, 2.0, 37);
}

#[test]
fn powf_grad_is_p_times_x_to_the_p_minus_one() -> Result<(), Error> {
    // d(x^p)/dx = p x^(p - 1)
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([2.0, 4.0]));

    assert_eq!(grad_of(x.powf(2.0).sum_all(), x)?, [4.0, 8.0]); // 2x
    assert_eq!(grad_of(x.powf(3.0).sum_all(), x)?, [12.0, 48.0]); // 3x^2
    let grad = grad_of(x.powf(0.5).sum_all(), x)?; // 1/(2 sqrt x)
    assert_near(&grad, &[0.5 / 2f64.sqrt(), 0.25], ROUNDING_TOL);
    assert_eq!(grad_of(x.powf(-1.0).sum_all(), x)?, [-0.25, -0.0625]); // -1/x^2
    Ok(())
}

#[test]
fn powf_grad_at_zero_is_exact_for_exponents_zero_and_one() -> Result<(), Error> {
    // d(x^0)/dx = 0 and d(x^1)/dx = 1, even at x = 0 where p x^(p - 1)
    // would read 0 * 0^-1 = NaN and 1 * 0^0 = 1.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 3.0]));

    assert_eq!(grad_of(x.powf(0.0).sum_all(), x)?, [0.0, 0.0]);
    assert_eq!(grad_of(x.powf(1.0).sum_all(), x)?, [1.0, 1.0]);
    assert_eq!(grad_of(x.powf(2.0).sum_all(), x)?, [0.0, 6.0]);
    Ok(())
}

#[test]
fn exp_log_sqrt_grad_matches_finite_difference() {
    check_grad_at_random(|xs| Ok(xs[0].exp()), &[&[2, 3]], -2.0, 2.0, 40);
    check_grad_at_random(|xs| Ok(xs[0].exp()), &[&[]], -2.0, 2.0, 41);
    check_grad_at_random(|xs| Ok(xs[0].log()), &[&[2, 3]], 0.5, 3.0, 42);
    check_grad_at_random(|xs| Ok(xs[0].log()), &[&[]], 0.5, 3.0, 43);
    check_grad_at_random(|xs| Ok(xs[0].sqrt()), &[&[2, 3]], 0.5, 3.0, 44);
    check_grad_at_random(|xs| Ok(xs[0].sqrt()), &[&[]], 0.5, 3.0, 45);
}

#[test]
fn trigonometric_and_squashing_grad_matches_finite_difference() {
    for (seed, shape) in [(46, &[2, 3][..]), (47, &[][..])] {
        check_grad_at_random(|xs| Ok(xs[0].sin()), &[shape], -3.0, 3.0, seed);
        check_grad_at_random(|xs| Ok(xs[0].cos()), &[shape], -3.0, 3.0, seed);
        check_grad_at_random(|xs| Ok(xs[0].tanh()), &[shape], -3.0, 3.0, seed);
        check_grad_at_random(|xs| Ok(xs[0].sigmoid()), &[shape], -5.0, 5.0, seed);
    }
}

#[test]
fn unary_grad_matches_hand_derivatives() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let zero = tape.var(Tensor::scalar(0.0));
    let one = tape.var(Tensor::scalar(1.0));
    let two = tape.var(Tensor::scalar(2.0));
    let four = tape.var(Tensor::scalar(4.0));
    let half_pi = tape.var(Tensor::scalar(std::f64::consts::FRAC_PI_2));

    assert_eq!(grad_of(zero.exp(), zero)?, [1.0]); // exp'(0) = e^0 = 1
    assert_eq!(grad_of(one.exp(), one)?, [std::f64::consts::E]); // exp'(1) = e
    assert_eq!(grad_of(two.log(), two)?, [0.5]); // log'(2) = 1/2
    assert_eq!(grad_of(four.sqrt(), four)?, [0.25]); // sqrt'(4) = 1/(2 * 2)
    assert_eq!(grad_of(zero.sin(), zero)?, [1.0]); // sin'(0) = cos(0) = 1
    assert_eq!(grad_of(zero.cos(), zero)?, [0.0]); // cos'(0) = -sin(0) = 0
    assert_eq!(grad_of(half_pi.cos(), half_pi)?, [-1.0]); // cos'(pi/2) = -1
    assert_eq!(grad_of(zero.tanh(), zero)?, [1.0]); // tanh'(0) = 1 - 0^2
    assert_eq!(grad_of(zero.sigmoid(), zero)?, [0.25]); // s(0) (1 - s(0)) = 1/4

    // tanh'(1) = 1 - tanh(1)^2 and sigmoid'(2) = s(2) (1 - s(2))
    let tanh1 = 1f64.tanh();
    assert_near(
        &grad_of(one.tanh(), one)?,
        &[1.0 - tanh1 * tanh1],
        ROUNDING_TOL,
    );
    let s2 = 1.0 / (1.0 + (-2f64).exp());
    assert_near(
        &grad_of(two.sigmoid(), two)?,
        &[s2 * (1.0 - s2)],
        ROUNDING_TOL,
    );
    Ok(())
}

// The piecewise-linear functions, away from and at their kinks.

#[test]
fn relu_and_abs_grad_match_finite_difference_away_from_zero() {
    // The finite differences step by 1e-6; 0.05 keeps them off the kink.
    for (seed, shape) in [(50, &[3, 4][..]), (51, &[][..])] {
        let inputs = [away_from(&uniform(shape, -1.0, 1.0, seed), &[0.0], 0.05)];
        check_grad(|xs| Ok(xs[0].relu()), &inputs);
        check_grad(|xs| Ok(xs[0].abs()), &inputs);
    }
}

#[test]
fn relu_grad_is_zero_at_zero() -> Result<(), Error> {
    // relu'(x) = [x > 0]: 0 for -1 and at the kink 0, 1 for 2.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([-1.0, 0.0, 2.0]));
    assert_eq!(grad_of(x.relu().sum_all(), x)?, [0.0, 0.0, 1.0]);
    Ok(())
}

#[test]
fn abs_grad_is_zero_at_zero() -> Result<(), Error> {
    // abs'(x) = sign(x): -1 for -2, 0 at the kink 0, 1 for 3.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([-2.0, 0.0, 3.0]));
    assert_eq!(grad_of(x.abs().sum_all(), x)?, [-1.0, 0.0, 1.0]);
    Ok(())
}

#[test]
fn clamp_grad_matches_finite_difference_away_from_its_bounds() {
    let x = away_from(&uniform([3, 4], -1.0, 1.0, 52), &[-0.5, 0.5], 0.05);
    check_grad(|xs| Ok(xs[0].clamp(-0.5, 0.5)), &[x]);
    let x = away_from(&uniform([], -1.0, 1.0, 53), &[-0.5, 0.5], 0.05);
    check_grad(|xs| Ok(xs[0].clamp(-0.5, 0.5)), &[x]);
}

#[test]
fn clamp_grad_passes_only_strictly_inside_its_bounds() -> Result<(), Error> {
    // clamp'(x) = [lo < x < hi]: 0 below, on the bounds -1 and 1, above.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([-2.0, -1.0, 0.0, 1.0, 2.0]));
    let grad = grad_of(x.clamp(-1.0, 1.0).sum_all(), x)?;
    assert_eq!(grad, [0.0, 0.0, 1.0, 0.0, 0.0]);
    Ok(())
}

#[test]
fn kink_conventions_hold_on_scalar_nodes() -> Result<(), Error> {
    // A node of shape [] runs its rule on a bare number; the conventions
    // must be those of the tensor rules.
    let tape = Tape::<f64>::new();
    let zero = tape.var(Tensor::scalar(0.0));
    let one = tape.var(Tensor::scalar(1.0));

    assert_eq!(grad_of(zero.relu(), zero)?, [0.0]); // relu'(0) = 0
    assert_eq!(grad_of(zero.abs(), zero)?, [0.0]); // abs'(0) = 0
    assert_eq!(grad_of(one.clamp(-1.0, 1.0), one)?, [0.0]); // on the bound
    assert_eq!(grad_of(zero.clamp(-1.0, 1.0), zero)?, [1.0]); // inside
    assert_eq!(grad_of(zero.powf(0.0), zero)?, [0.0]); // d(x^0)/dx = 0
    assert_eq!(grad_of(zero.max_all()?, zero)?, [1.0]); // its own maximum
    Ok(())
}

#[test]
fn scalar_graph_grad_matches_finite_difference() {
    // Every node has shape [], so backward takes the bare-number path,
    // while Var::grad records tensors: the checker compares both.
    let f = func(|xs| {
        let (x, y) = (xs[0], xs[1]);
        let z = x.mul(y)?.add(x.sin().div(y)?)?.sub(x.neg().exp())?;
        let mask = Tensor::scalar(1.0);
        let w = Var::where_(&mask, z.tanh(), y)?.sigmoid();
        Ok(w.add(y.clamp(-2.0, 2.0).relu().abs())?
            .powf(1.5)
            .add_scalar(0.5))
    });
    check_grad(f, &uniforms(&[&[], &[]], 0.5, 1.5, 59));
}

// Reductions.

#[test]
fn sum_grad_matches_finite_difference_over_chosen_axes() {
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    for keepdims in [false, true] {
        check_grad_at_random(|xs| xs[0].sum(&[0], keepdims), shapes, -1.0, 1.0, 60);
        check_grad_at_random(|xs| xs[0].sum(&[1], keepdims), shapes, -1.0, 1.0, 61);
        check_grad_at_random(|xs| xs[0].sum(&[0, 2], keepdims), shapes, -1.0, 1.0, 62);
        check_grad_at_random(|xs| xs[0].sum(&[-1], keepdims), shapes, -1.0, 1.0, 63);
        check_grad_at_random(|xs| xs[0].sum(&[-3, -2], keepdims), shapes, -1.0, 1.0, 64);
        check_grad_at_random(|xs| xs[0].sum(&[0, 1, 2], keepdims), shapes, -1.0, 1.0, 65);
        check_grad_at_random(|xs| xs[0].sum(&[], keepdims), shapes, -1.0, 1.0, 66);
    }
}

#[test]
fn sum_all_grad_matches_finite_difference_including_a_scalar() {
    check_grad_at_random(|xs| Ok(xs[0].sum_all()), &[&[2, 3]], -1.0, 1.0, 67);
    check_grad_at_random(|xs| Ok(xs[0].sum_all()), &[&[]], -1.0, 1.0, 68);
}

#[test]
fn sum_grad_is_one_for_every_summed_element() -> Result<(), Error> {
    // d(sum_j x_ij)/dx_ij = 1, so with seed w the gradient is w_i per row.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let grads = x
        .sum(&[1], false)?
        .backward_with(&Tensor::from([10.0, 20.0]))?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [10.0, 10.0, 10.0, 20.0, 20.0, 20.0]
    );

    let grads = x
        .sum(&[0], true)?
        .backward_with(&Tensor::from([[1.0, 2.0, 3.0]]))?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    );
    Ok(())
}

#[test]
fn mean_grad_matches_finite_difference_over_chosen_axes() {
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    for keepdims in [false, true] {
        check_grad_at_random(|xs| xs[0].mean(&[1], keepdims), shapes, -1.0, 1.0, 70);
        check_grad_at_random(|xs| xs[0].mean(&[0, -1], keepdims), shapes, -1.0, 1.0, 71);
    }
    check_grad_at_random(|xs| Ok(xs[0].mean_all()), shapes, -1.0, 1.0, 72);
    check_grad_at_random(|xs| Ok(xs[0].mean_all()), &[&[]], -1.0, 1.0, 73);
}

#[test]
fn mean_grad_is_one_over_the_count() -> Result<(), Error> {
    // d(mean_j x_ij)/dx_ij = 1/4 for rows of 4
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]));
    assert_eq!(grad_of(x.mean(&[1], false)?.sum_all(), x)?, [0.25; 8]);
    assert_eq!(grad_of(x.mean_all(), x)?, [0.125; 8]);
    Ok(())
}

#[test]
fn max_grad_matches_finite_difference_without_ties() {
    // Uniform draws are distinct far beyond the step 1e-6 of the differences.
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    for keepdims in [false, true] {
        check_grad_at_random(|xs| xs[0].max(&[1], keepdims), shapes, -1.0, 1.0, 80);
        check_grad_at_random(|xs| xs[0].max(&[0, 2], keepdims), shapes, -1.0, 1.0, 81);
        check_grad_at_random(|xs| xs[0].max(&[-1], keepdims), shapes, -1.0, 1.0, 82);
    }
    check_grad_at_random(|xs| xs[0].max_all(), shapes, -1.0, 1.0, 83);
    check_grad_at_random(|xs| xs[0].max_all(), &[&[]], -1.0, 1.0, 84);
}

#[test]
fn max_grad_goes_to_the_largest_element() -> Result<(), Error> {
    // d(max x)/dx_i = [x_i is the maximum]
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]));
    let grads = x
        .max(&[1], false)?
        .backward_with(&Tensor::from([10.0, 20.0]))?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [0.0, 10.0, 0.0, 20.0, 0.0, 0.0]
    );
    Ok(())
}

#[test]
fn max_grad_is_shared_equally_among_tied_elements() -> Result<(), Error> {
    // Two elements tie at 3: each gets half.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 3.0, 3.0]));
    assert_eq!(grad_of(x.max_all()?, x)?, [0.0, 0.5, 0.5]);

    // Per row: one maximum in the first row, a three-way tie in the second.
    let y = tape.var(Tensor::from([[1.0, 4.0, 2.0], [2.0, 2.0, 2.0]]));
    let third = 1.0 / 3.0;
    let grad = grad_of(y.max(&[1], true)?.sum_all(), y)?;
    assert_eq!(grad, [0.0, 1.0, 0.0, third, third, third]);

    // Over all axes, ties across rows share too.
    let z = tape.var(Tensor::from([[4.0, 1.0], [4.0, 4.0]]));
    assert_eq!(grad_of(z.max_all()?, z)?, [third, 0.0, third, third]);
    Ok(())
}

// Matrix products.

#[test]
fn matmul_grad_matches_finite_difference_for_matrices_and_batches() {
    let matmul = func(|xs| xs[0].matmul(xs[1]));
    check_grad_at_random(matmul, &[&[2, 3], &[3, 4]], -1.0, 1.0, 90);
    check_grad_at_random(matmul, &[&[3, 2, 4], &[3, 4, 2]], -1.0, 1.0, 91);
    check_grad_at_random(matmul, &[&[2, 1, 3, 4], &[5, 4, 2]], -1.0, 1.0, 92);
    check_grad_at_random(matmul, &[&[2, 3, 4], &[4, 2]], -1.0, 1.0, 93);
    check_grad_at_random(matmul, &[&[3, 4], &[2, 4, 2]], -1.0, 1.0, 94);
}

#[test]
fn matmul_grad_matches_finite_difference_for_vector_operands() {
    let matmul = func(|xs| xs[0].matmul(xs[1]));
    check_grad_at_random(matmul, &[&[4], &[4, 3]], -1.0, 1.0, 95);
    check_grad_at_random(matmul, &[&[3, 4], &[4]], -1.0, 1.0, 96);
    check_grad_at_random(matmul, &[&[4], &[4]], -1.0, 1.0, 97);
    check_grad_at_random(matmul, &[&[4], &[2, 4, 3]], -1.0, 1.0, 98);
    check_grad_at_random(matmul, &[&[2, 3, 4], &[4]], -1.0, 1.0, 99);
}

#[test]
fn matmul_grad_is_grad_out_times_the_other_transposed() -> Result<(), Error> {
    // out = a @ b: grad_a = g @ b^T, grad_b = a^T @ g. With g all ones,
    // grad_a[i][k] = sum_j b[k][j] and grad_b[k][j] = sum_i a[i][k].
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([[1.0, 2.0], [3.0, 4.0]]));
    let b = tape.var(Tensor::from([[5.0, 6.0], [7.0, 8.0]]));
    let grads = a.matmul(b)?.sum_all().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [11.0, 15.0, 11.0, 15.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [4.0, 4.0, 6.0, 6.0]);
    Ok(())
}

#[test]
fn matmul_t_grad_matches_finite_difference_for_all_transpose_combinations() {
    let cases: [(bool, bool, &[usize], &[usize]); 4] = [
        (false, false, &[2, 3], &[3, 4]),
        (true, false, &[3, 2], &[3, 4]),
        (false, true, &[2, 3], &[4, 3]),
        (true, true, &[3, 2], &[4, 3]),
    ];
    for (seed, (ta, tb, a, b)) in (100..).zip(cases) {
        check_grad_at_random(
            move |xs| xs[0].matmul_t(xs[1], ta, tb),
            &[a, b],
            -1.0,
            1.0,
            seed,
        );
    }
}

#[test]
fn matmul_t_grad_matches_finite_difference_when_batch_axes_broadcast() {
    // op(a) is [2, 1, 3, 4] and op(b) is [5, 4, 2], for every combination.
    let cases: [(bool, bool, &[usize], &[usize]); 4] = [
        (false, false, &[2, 1, 3, 4], &[5, 4, 2]),
        (true, false, &[2, 1, 4, 3], &[5, 4, 2]),
        (false, true, &[2, 1, 3, 4], &[5, 2, 4]),
        (true, true, &[2, 1, 4, 3], &[5, 2, 4]),
    ];
    for (seed, (ta, tb, a, b)) in (110..).zip(cases) {
        check_grad_at_random(
            move |xs| xs[0].matmul_t(xs[1], ta, tb),
            &[a, b],
            -1.0,
            1.0,
            seed,
        );
    }
}

// Layout ops.

#[test]
fn reshape_and_unsqueeze_grad_matches_finite_difference() {
    check_grad_at_random(|xs| xs[0].reshape([6, 4]), &[&[2, 3, 4]], -1.0, 1.0, 120);
    check_grad_at_random(|xs| xs[0].reshape([3, 2]), &[&[2, 3]], -1.0, 1.0, 121);
    check_grad_at_random(|xs| xs[0].reshape([1, 1]), &[&[]], -1.0, 1.0, 122);
    check_grad_at_random(|xs| xs[0].reshape([]), &[&[1]], -1.0, 1.0, 123);
    check_grad_at_random(|xs| xs[0].unsqueeze(0), &[&[2, 3]], -1.0, 1.0, 124);
    check_grad_at_random(|xs| xs[0].unsqueeze(1), &[&[2, 3]], -1.0, 1.0, 125);
    check_grad_at_random(|xs| xs[0].unsqueeze(-1), &[&[2, 3]], -1.0, 1.0, 126);
}

#[test]
fn reshape_grad_takes_the_shape_of_the_input() -> Result<(), Error> {
    // reshape moves no value, so the gradient is the seed in x's shape.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let seed = Tensor::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let grads = x.reshape([3, 2])?.backward_with(&seed)?;
    assert_eq!(grads.get(x).unwrap().dims(), [2, 3]);
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
    Ok(())
}

#[test]
fn transpose_and_permute_grad_matches_finite_difference() {
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    check_grad_at_random(|xs| xs[0].transpose(0, 2), shapes, -1.0, 1.0, 130);
    check_grad_at_random(|xs| xs[0].transpose(-1, -2), shapes, -1.0, 1.0, 131);
    check_grad_at_random(|xs| xs[0].permute(&[2, 0, 1]), shapes, -1.0, 1.0, 132);
    check_grad_at_random(|xs| xs[0].permute(&[1, 2, 0]), shapes, -1.0, 1.0, 133);
    check_grad_at_random(|xs| xs[0].permute(&[1, 0]), &[&[3, 2]], -1.0, 1.0, 134);
}

#[test]
fn permute_grad_is_the_seed_permuted_back() -> Result<(), Error> {
    // out[j][i] = x[i][j], so grad_x[i][j] = seed[j][i].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let seed = Tensor::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let grads = x.transpose(0, 1)?.backward_with(&seed)?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
    );
    Ok(())
}

#[test]
fn broadcast_to_and_sum_to_grad_matches_finite_difference() {
    check_grad_at_random(
        |xs| xs[0].broadcast_to([2, 3, 4]),
        &[&[3, 1]],
        -1.0,
        1.0,
        140,
    );
    check_grad_at_random(|xs| xs[0].broadcast_to([2, 3]), &[&[]], -1.0, 1.0, 141);
    check_grad_at_random(|xs| xs[0].broadcast_to([3, 4]), &[&[1, 4]], -1.0, 1.0, 142);
    check_grad_at_random(|xs| xs[0].sum_to([3, 1]), &[&[2, 3, 4]], -1.0, 1.0, 143);
    check_grad_at_random(|xs| xs[0].sum_to([2, 1, 4]), &[&[2, 3, 4]], -1.0, 1.0, 144);
    check_grad_at_random(|xs| xs[0].sum_to([4]), &[&[2, 3, 4]], -1.0, 1.0, 145);
    check_grad_at_random(|xs| xs[0].sum_to([]), &[&[2, 3]], -1.0, 1.0, 146);
}

#[test]
fn broadcast_to_grad_sums_over_the_repeats() -> Result<(), Error> {
    // x [2, 1] repeats over 3 columns: grad_x[i] = sum_j seed[i][j].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0], [2.0]]));
    let seed = Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let grads = x.broadcast_to([2, 3])?.backward_with(&seed)?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [6.0, 15.0]);
    Ok(())
}

#[test]
fn concat_grad_matches_finite_difference() {
    let concat = |axis| func(move |xs| Var::concat(xs, axis));
    check_grad_at_random(
        concat(1),
        &[&[2, 1, 3], &[2, 2, 3], &[2, 3, 3]],
        -1.0,
        1.0,
        150,
    );
    check_grad_at_random(concat(-1), &[&[2, 2], &[2, 3]], -1.0, 1.0, 151);
    check_grad_at_random(concat(0), &[&[2], &[3], &[1]], -1.0, 1.0, 152);
    check_grad_at_random(concat(0), &[&[2, 3]], -1.0, 1.0, 153);
}

#[test]
fn concat_grad_is_each_inputs_part_of_the_seed() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([1.0, 2.0]));
    let b = tape.var(Tensor::from([3.0]));
    let grads = Var::concat(&[a, b], 0)?.backward_with(&Tensor::from([10.0, 20.0, 30.0]))?;
    assert_eq!(grads.get(a).unwrap().to_vec(), [10.0, 20.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [30.0]);
    Ok(())
}

#[test]
fn stack_grad_matches_finite_difference() {
    let stack = |axis| func(move |xs| Var::stack(xs, axis));
    check_grad_at_random(stack(0), &[&[2, 3], &[2, 3]], -1.0, 1.0, 160);
    check_grad_at_random(stack(1), &[&[2, 3], &[2, 3], &[2, 3]], -1.0, 1.0, 161);
    check_grad_at_random(stack(-1), &[&[2, 3], &[2, 3]], -1.0, 1.0, 162);
    check_grad_at_random(stack(0), &[&[], &[], &[]], -1.0, 1.0, 163);
}

#[test]
fn stack_grad_matches_finite_difference_when_inputs_have_axes_of_size_one() {
    let stack = |axis| func(move |xs| Var::stack(xs, axis));
    check_grad_at_random(stack(0), &[&[1, 3], &[1, 3]], -1.0, 1.0, 164);
    check_grad_at_random(stack(1), &[&[2, 1], &[2, 1], &[2, 1]], -1.0, 1.0, 165);
}

#[test]
fn stack_puts_the_new_axis_where_asked_when_inputs_have_axes_of_size_one() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([[1.0, 2.0, 3.0]]));
    let b = tape.var(Tensor::from([[4.0, 5.0, 6.0]]));

    // Stacking two [1, 3] along a new axis 0 gives [2, 1, 3].
    let y = Var::stack(&[a, b], 0)?;
    assert_eq!(y.shape().dims(), [2, 1, 3]);
    assert_eq!(y.value().to_vec(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

    // The gradient of each input is its slice of the seed along axis 0.
    let seed = Tensor::from([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]);
    let grads = y.backward_with(&seed)?;
    assert_eq!(grads.get(a).unwrap().to_vec(), [1.0, 2.0, 3.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [4.0, 5.0, 6.0]);
    Ok(())
}

#[test]
fn slice_and_pad_grad_matches_finite_difference() {
    let shapes: &[&[usize]] = &[&[2, 4, 3]];
    check_grad_at_random(|xs| xs[0].slice(1, 1..3), shapes, -1.0, 1.0, 170);
    check_grad_at_random(|xs| xs[0].slice(-1, 0..2), shapes, -1.0, 1.0, 171);
    check_grad_at_random(|xs| xs[0].slice(0, 0..2), shapes, -1.0, 1.0, 172);
    check_grad_at_random(|xs| xs[0].slice(2, 1..1), shapes, -1.0, 1.0, 173);
    check_grad_at_random(|xs| xs[0].pad(0, 1, 2), shapes, -1.0, 1.0, 174);
    check_grad_at_random(|xs| xs[0].pad(-1, 2, 1), shapes, -1.0, 1.0, 175);
    check_grad_at_random(|xs| xs[0].pad(1, 0, 0), shapes, -1.0, 1.0, 176);
    check_grad_at_random(|xs| xs[0].pad(0, 2, 0), &[&[3]], -1.0, 1.0, 177);
}

#[test]
fn slice_grad_is_the_seed_padded_with_zeros() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0, 4.0]));
    let grads = x
        .slice(0, 1..3)?
        .backward_with(&Tensor::from([10.0, 20.0]))?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [0.0, 10.0, 20.0, 0.0]);
    Ok(())
}

#[test]
fn pad_grad_is_the_seed_without_the_padding() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let seed = Tensor::from([1.0, 2.0, 3.0, 4.0, 5.0]);
    let grads = x.pad(0, 1, 2)?.backward_with(&seed)?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [2.0, 3.0]);
    Ok(())
}

#[test]
fn index_select_grad_matches_finite_difference_with_repeated_indices() {
    let shapes: &[&[usize]] = &[&[3, 4]];
    check_grad_at_random(
        |xs| xs[0].index_select(0, &[2, 0, 2, 1]),
        shapes,
        -1.0,
        1.0,
        180,
    );
    check_grad_at_random(
        |xs| xs[0].index_select(1, &[3, 3, 0]),
        shapes,
        -1.0,
        1.0,
        181,
    );
    check_grad_at_random(|xs| xs[0].index_select(-1, &[1]), shapes, -1.0, 1.0, 182);
    check_grad_at_random(
        |xs| xs[0].index_select(1, &[0, 2, 0]),
        &[&[2, 3, 2]],
        -1.0,
        1.0,
        183,
    );
}

#[test]
fn index_select_grad_counts_each_repeat() -> Result<(), Error> {
    // Index 2 is picked twice and index 1 never: grads 2 and 0.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    assert_eq!(
        grad_of(x.index_select(0, &[2, 0, 2])?.sum_all(), x)?,
        [1.0, 0.0, 2.0]
    );
    Ok(())
}

#[test]
fn index_add_grad_matches_finite_difference_with_repeated_indices() {
    let shapes: &[&[usize]] = &[&[4, 2]];
    check_grad_at_random(
        |xs| xs[0].index_add(0, &[1, 0, 1, 2], 3),
        shapes,
        -1.0,
        1.0,
        190,
    );
    check_grad_at_random(|xs| xs[0].index_add(-1, &[4, 4], 5), shapes, -1.0, 1.0, 191);
    check_grad_at_random(
        |xs| xs[0].index_add(1, &[0, 1], 2),
        &[&[2, 2, 3]],
        -1.0,
        1.0,
        192,
    );
}

#[test]
fn index_add_grad_reads_the_seed_at_each_index() -> Result<(), Error> {
    // out[idx[i]] += x[i], so grad_x[i] = seed[idx[i]].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    let grads = x
        .index_add(0, &[1, 0, 1], 3)?
        .backward_with(&Tensor::from([10.0, 20.0, 30.0]))?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [20.0, 10.0, 20.0]);
    Ok(())
}

// Selection by a mask.

#[test]
fn where_grad_matches_finite_difference_when_the_mask_broadcasts() {
    let mask = tensor(&[1.0, 0.0, 1.0], [3]);
    check_grad_at_random(
        |xs| Var::where_(&mask, xs[0], xs[1]),
        &[&[2, 3], &[2, 3]],
        -1.0,
        1.0,
        200,
    );

    let column = tensor(&[0.0, 1.0], [2, 1]);
    let where_column = func(|xs| Var::where_(&column, xs[0], xs[1]));
    check_grad_at_random(where_column, &[&[3], &[2, 3]], -1.0, 1.0, 201);
    check_grad_at_random(where_column, &[&[], &[1, 3]], -1.0, 1.0, 202);

    let scalar = Tensor::scalar(1.0);
    check_grad_at_random(
        |xs| Var::where_(&scalar, xs[0], xs[1]),
        &[&[2], &[2]],
        -1.0,
        1.0,
        203,
    );
}

#[test]
fn where_grad_goes_to_the_branch_taken() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    let b = tape.var(Tensor::from([4.0, 5.0, 6.0]));
    let mask = Tensor::from([1.0, 0.0, 1.0]);
    let grads = Var::where_(&mask, a, b)?.sum_all().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [1.0, 0.0, 1.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [0.0, 1.0, 0.0]);
    Ok(())
}

#[test]
fn where_gives_the_branch_not_taken_exactly_zero_when_the_grad_is_infinite() -> Result<(), Error> {
    // out = [a0, b1] = [0, 9], and sqrt'(0) = inf: the incoming gradient
    // is [inf, 1/6]. The branch taken gets it; the one not taken gets
    // exactly 0, not 0 * inf = NaN.
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([0.0, 4.0]));
    let b = tape.var(Tensor::from([1.0, 9.0]));
    let mask = Tensor::from([1.0, 0.0]);
    let grads = Var::where_(&mask, a, b)?.sqrt().sum_all().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [f64::INFINITY, 0.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [0.0, 1.0 / 6.0]);
    Ok(())
}

#[test]
fn where_on_scalar_nodes_gives_the_branch_not_taken_exactly_zero() -> Result<(), Error> {
    // As above with shape []: sqrt'(0) = inf reaches a, and b gets 0.
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::scalar(0.0));
    let b = tape.var(Tensor::scalar(1.0));
    let grads = Var::where_(&Tensor::scalar(1.0), a, b)?.sqrt().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [f64::INFINITY]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [0.0]);
    Ok(())
}

#[test]
fn where_sends_exactly_zero_into_an_untaken_sqrt_at_zero() -> Result<(), Error> {
    // y = where(x > 0, sqrt(x), 0) at x = [0, 4]: the sqrt branch is not
    // taken at 0, so its gradient there is exactly 0 (1 at 4).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 4.0]));
    let root = x.sqrt();
    let zero = tape.constant(Tensor::scalar(0.0));
    let mask = x.value().gt(&Tensor::scalar(0.0))?;
    let y = Var::where_(&mask, root, zero)?.sum_all();

    let grad_root = y.grad(&[root])?[0].value();
    assert_eq!(grad_root.to_vec(), [0.0, 1.0]);
    Ok(())
}

#[test]
fn where_leaves_the_nan_of_sqrt_at_zero_in_the_input_gradient() -> Result<(), Error> {
    // sqrt's own rule, grad_out / (2 sqrt(x)), reads 0 / 0 = NaN at x = 0
    // even when where sends it exactly 0: as in PyTorch and JAX, the
    // untaken branch must itself be safe (see the next test).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 4.0]));
    let zero = tape.constant(Tensor::scalar(0.0));
    let mask = x.value().gt(&Tensor::scalar(0.0))?;
    let grad = grad_of(Var::where_(&mask, x.sqrt(), zero)?.sum_all(), x)?;

    assert!(grad[0].is_nan(), "expected NaN, got {}", grad[0]);
    assert_eq!(grad[1], 0.25); // 1 / (2 sqrt(4))
    Ok(())
}

#[test]
fn where_of_a_safe_input_keeps_the_gradient_of_sqrt_finite_at_zero() -> Result<(), Error> {
    // where(x > 0, sqrt(where(x > 0, x, 1)), 0): the inner where keeps
    // sqrt off 0, and the outer one sends exactly 0 there.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 4.0]));
    let one = tape.constant(Tensor::scalar(1.0));
    let zero = tape.constant(Tensor::scalar(0.0));
    let mask = x.value().gt(&Tensor::scalar(0.0))?;
    let safe = Var::where_(&mask, x, one)?;
    let y = Var::where_(&mask, safe.sqrt(), zero)?.sum_all();

    assert_eq!(grad_of(y, x)?, [0.0, 0.25]);
    Ok(())
}

// Normalizations.

#[test]
fn softmax_and_log_softmax_grad_match_finite_difference() {
    for (seed, axis) in [(210, -1), (211, 0)] {
        check_grad_at_random(|xs| xs[0].softmax(axis), &[&[3, 4]], -2.0, 2.0, seed);
        check_grad_at_random(|xs| xs[0].log_softmax(axis), &[&[3, 4]], -2.0, 2.0, seed);
    }
    check_grad_at_random(|xs| xs[0].softmax(1), &[&[2, 3, 2]], -2.0, 2.0, 212);
    check_grad_at_random(|xs| xs[0].log_softmax(1), &[&[2, 3, 2]], -2.0, 2.0, 213);
    check_grad_at_random(|xs| xs[0].softmax(0), &[&[5]], -2.0, 2.0, 214);
    check_grad_at_random(|xs| xs[0].log_softmax(0), &[&[5]], -2.0, 2.0, 215);
}

#[test]
fn logsumexp_grad_matches_finite_difference_with_and_without_keepdims() {
    for keepdims in [false, true] {
        let shapes: &[&[usize]] = &[&[2, 3, 4]];
        check_grad_at_random(|xs| xs[0].logsumexp(0, keepdims), shapes, -2.0, 2.0, 220);
        check_grad_at_random(|xs| xs[0].logsumexp(1, keepdims), shapes, -2.0, 2.0, 221);
        check_grad_at_random(|xs| xs[0].logsumexp(-1, keepdims), shapes, -2.0, 2.0, 222);
        check_grad_at_random(|xs| xs[0].logsumexp(0, keepdims), &[&[4]], -2.0, 2.0, 223);
    }
}

#[test]
fn softmax_family_grad_matches_hand_derivatives() -> Result<(), Error> {
    // At x = [0, 0]: s = [1/2, 1/2].
    // logsumexp: grad = s = [1/2, 1/2].
    // log_softmax with seed [1, 0]: g - s * sum(g) = [1/2, -1/2].
    // softmax with seed [1, 0]: s * (g - s.g) = [1/4, -1/4].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 0.0]));
    let seed = Tensor::from([1.0, 0.0]);

    let grad = grad_of(x.logsumexp(0, false)?, x)?;
    assert_near(&grad, &[0.5, 0.5], ROUNDING_TOL);
    let grads = x.log_softmax(0)?.backward_with(&seed)?;
    assert_near(&grads.get(x).unwrap().to_vec(), &[0.5, -0.5], ROUNDING_TOL);
    let grads = x.softmax(0)?.backward_with(&seed)?;
    assert_near(
        &grads.get(x).unwrap().to_vec(),
        &[0.25, -0.25],
        ROUNDING_TOL,
    );
    Ok(())
}

// Compositions.

#[test]
fn composed_ops_grad_matches_finite_difference_when_inputs_are_reused() {
    // Each input feeds several ops, so its gradients from every use add up.
    let f = func(|xs| {
        let (x, w) = (xs[0], xs[1]);
        let h = x.matmul(w)?.tanh();
        let gate = x.sum(&[1], true)?.sigmoid();
        h.mul(gate)?.add(x.slice(1, 0..2)?.exp())?.log_softmax(-1)
    });
    check_grad(f, &uniforms(&[&[3, 4], &[4, 2]], -1.0, 1.0, 230));
}

#[test]
fn a_var_used_twice_gets_the_sum_of_both_gradients() -> Result<(), Error> {
    // y = x * x + sin(x): dy/dx = 2x + cos(x), at x = 0: 1.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(0.0));
    let y = x.mul(x)?.add(x.sin())?;
    assert_eq!(grad_of(y, x)?, [1.0]);
    Ok(())
}
