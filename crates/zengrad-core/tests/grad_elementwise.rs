//! The gradient of every elementwise op: against central finite
//! differences at random inputs, on several shapes (broadcasting and
//! scalars included), and against hand-derived values with the derivative
//! written beside them. The conventions at kinks are pinned here.

mod support;

use support::{
    ROUNDING_TOL, assert_near, away_from, check_grad, check_grad_at_random, func, grad_of, uniform,
    uniforms,
};
use zengrad_core::{Error, Tape, Tensor, Var};

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
