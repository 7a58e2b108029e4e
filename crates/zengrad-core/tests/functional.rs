//! The functional API against closed forms and central differences: every
//! function of `zengrad_core::functional`, the agreements between them
//! (`jacfwd` and `jacobian`, `jvp` and `J v`, `hvp` and `H v`), nesting to
//! third derivatives, and the error of every misuse.

use zengrad_core::functional::{
    self, grad, grad_fn, grads, hessian, hvp, jacfwd, jacobian, jvp, value_and_grad,
    value_and_grads, vjp,
};
use zengrad_core::{Error, Tape, Tensor, Var, seeded_rng};

/// Closed forms are evaluated in f64 with a few roundings per element, and
/// reverse mode rounds a few more times: they agree to about 1e-15
/// relative, so 1e-12 leaves room and still catches any wrong rule.
const CLOSED_FORM_RTOL: f64 = 1e-12;

/// The step of the central differences. In f64 the truncation error is
/// about `eps^2 |f'''| / 6`, near 1e-12 here, and the rounding error about
/// `1e-16 |f| / eps`, below 1e-7 for the `|f| < 1000` of these tests.
const FD_EPS: f64 = 1e-6;

/// The tolerance between a derivative and its central difference: 10 times
/// the error of the differences at [`FD_EPS`], and 1e5 times smaller than
/// the error of a wrong rule.
const FD_ATOL: f64 = 1e-6;

/// The relative part of that tolerance, for the derivatives of Rosenbrock,
/// which reach a few thousand.
const FD_RTOL: f64 = 1e-6;

/// Draws `shape` uniformly from `[lo, hi)` with a fixed seed.
fn uniform(shape: impl Into<zengrad_core::Shape>, lo: f64, hi: f64, seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, lo, hi, &mut seeded_rng(seed)).expect("uniform: valid bounds")
}

/// Asserts that `got` and `want` have one shape and agree to `rtol`,
/// relative to the largest element of `want` (at least 1).
fn assert_close(what: &str, got: &Tensor<f64>, want: &Tensor<f64>, rtol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    let scale = want.data().iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (&g, &w)) in got.data().iter().zip(want.data()).enumerate() {
        assert!(
            (g - w).abs() <= rtol * scale,
            "{what}: element {i} is {g}, expected {w} (tolerance {:e})",
            rtol * scale
        );
    }
}

/// Asserts that `got` agrees with the central-difference estimate `want`.
fn assert_near_fd(what: &str, got: &Tensor<f64>, want: &Tensor<f64>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    for (i, (&g, &w)) in got.data().iter().zip(want.data()).enumerate() {
        let tolerance = FD_ATOL + FD_RTOL * w.abs();
        assert!(
            (g - w).abs() <= tolerance,
            "{what}: element {i} is {g}, central difference {w} (tolerance {tolerance:e})"
        );
    }
}

/// Evaluates `f` at `x` on a fresh tape.
fn eval<G>(f: &G, x: &Tensor<f64>) -> Tensor<f64>
where
    G: for<'t> Fn(Var<'t, f64>) -> Result<Var<'t, f64>, Error>,
{
    let tape = Tape::new();
    f(tape.var(x.clone())).expect("f evaluates").value()
}

/// Estimates the Jacobian of `g` at `x` by central differences, as a
/// `[m, n]` matrix: column `j` is `(g(x + eps e_j) - g(x - eps e_j)) / 2 eps`.
fn fd_jacobian(g: impl Fn(&Tensor<f64>) -> Tensor<f64>, x: &Tensor<f64>) -> Tensor<f64> {
    let n = x.numel();
    let m = g(x).numel();
    let mut data = vec![0.0; m * n];
    for j in 0..n {
        let (mut plus, mut minus) = (x.clone(), x.clone());
        plus.data_mut()[j] += FD_EPS;
        minus.data_mut()[j] -= FD_EPS;
        let (plus, minus) = (g(&plus), g(&minus));
        for i in 0..m {
            data[i * n + j] = (plus.data()[i] - minus.data()[i]) / (2.0 * FD_EPS);
        }
    }
    Tensor::from_vec(data, [m, n]).expect("m n elements")
}

/// `sum(sin(x) x^2)`, whose gradient is `cos(x) x^2 + 2 x sin(x)`.
fn sin_times_square<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    Ok((x.sin() * x.square()).sum_all())
}

/// Rosenbrock's function of `n >= 2` variables, written with slices:
/// `sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)`.
fn rosenbrock<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    let n = x.shape()[0];
    let (head, tail) = (x.slice(0, 0..n - 1)?, x.slice(0, 1..n)?);
    Ok(((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum_all())
}

/// The closed-form gradient of [`rosenbrock`].
fn rosenbrock_grad(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut g = vec![0.0; n];
    for j in 0..n - 1 {
        g[j] += -400.0 * x[j] * (x[j + 1] - x[j] * x[j]) - 2.0 * (1.0 - x[j]);
        g[j + 1] += 200.0 * (x[j + 1] - x[j] * x[j]);
    }
    g
}

/// The closed-form Hessian of [`rosenbrock`], tridiagonal, as an `[n, n]`
/// row-major buffer.
fn rosenbrock_hessian(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut h = vec![0.0; n * n];
    for j in 0..n - 1 {
        h[j * n + j] += 1200.0 * x[j] * x[j] - 400.0 * x[j + 1] + 2.0;
        h[(j + 1) * n + j + 1] += 200.0;
        h[j * n + j + 1] = -400.0 * x[j];
        h[(j + 1) * n + j] = -400.0 * x[j];
    }
    h
}

/// A map from R^3 to R^4 with a hand-derived Jacobian:
/// `f(x) = (x0^2 x1, 5 x0 + sin x1, x1 x2^2, exp(x0) - x2)`.
fn vector_map<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    let (x0, x1, x2) = (x.slice(0, 0..1)?, x.slice(0, 1..2)?, x.slice(0, 2..3)?);
    Var::concat(
        &[
            x0.square() * x1,
            x0 * 5.0 + x1.sin(),
            x1 * x2.square(),
            x0.exp() - x2,
        ],
        0,
    )
}

/// The Jacobian of [`vector_map`], `[4, 3]`:
///
/// ```text
/// [ 2 x0 x1   x0^2     0        ]
/// [ 5         cos x1   0        ]
/// [ 0         x2^2     2 x1 x2  ]
/// [ exp x0    0        -1       ]
/// ```
fn vector_map_jacobian(x: &[f64]) -> Tensor<f64> {
    let [x0, x1, x2] = [x[0], x[1], x[2]];
    Tensor::from([
        [2.0 * x0 * x1, x0 * x0, 0.0],
        [5.0, x1.cos(), 0.0],
        [0.0, x2 * x2, 2.0 * x1 * x2],
        [x0.exp(), 0.0, -1.0],
    ])
}

/// A map of matrices: `f(w) = tanh(w a)` for a constant `a`, `[2, 3]` to
/// `[2, 4]`, so that its Jacobian has shape `[2, 4, 2, 3]`.
fn matrix_map<'t>(w: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    let a = w.tape().constant(uniform([3, 4], -1.0, 1.0, 11));
    Ok(w.matmul(a)?.tanh())
}

#[test]
fn grad_of_sum_of_sin_times_square_matches_its_closed_form() -> Result<(), Error> {
    // d/dx sin(x) x^2 = cos(x) x^2 + 2 x sin(x), elementwise.
    let x = uniform([5], -3.0, 3.0, 1);
    let want = x.map(|x| x.cos() * x * x + 2.0 * x * x.sin());

    let g = grad(sin_times_square, &x)?;

    assert_close("grad", &g, &want, CLOSED_FORM_RTOL);
    Ok(())
}

#[test]
fn grad_matches_central_differences() -> Result<(), Error> {
    let x = uniform([2, 3], -2.0, 2.0, 2);

    let g = grad(sin_times_square, &x)?;
    let fd = fd_jacobian(|x| eval(&sin_times_square, x), &x).reshape([2, 3])?;

    assert_near_fd("grad", &g, &fd);
    Ok(())
}

#[test]
fn value_and_grad_returns_the_value_of_f() -> Result<(), Error> {
    let x = Tensor::from([1.0, -0.5]);

    let (value, g) = value_and_grad(sin_times_square, &x)?;

    assert_eq!(value, eval(&sin_times_square, &x).item()?);
    assert_eq!(g, grad(sin_times_square, &x)?);
    Ok(())
}

#[test]
fn grads_of_a_least_squares_loss_match_their_closed_forms() -> Result<(), Error> {
    // L(w, b) = sum((x w + b - y)^2): dL/dw = 2 x^T r, dL/db = 2 sum(r),
    // with the residual r = x w + b - y.
    let x = Tensor::from([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]);
    let y = Tensor::from([[1.0], [0.0], [2.0]]);
    let w = Tensor::from([[0.3], [-0.2]]);
    let b = Tensor::from([0.1]);
    let r = x.matmul(&w)?.add(&b)?.sub(&y)?;
    let want_w = x.transpose(0, 1)?.matmul(&r)?.mul_scalar(2.0);
    let want_b = r.sum(&[0], false)?.mul_scalar(2.0);

    let (value, g) = value_and_grads(
        |p: &[Var<'_, f64>]| {
            let x = p[0].tape().constant(x.clone());
            let y = p[0].tape().constant(y.clone());
            Ok((x.matmul(p[0])? + p[1] - y).square().sum_all())
        },
        &[w.clone(), b.clone()],
    )?;

    assert_eq!(value, r.square().sum_all().item()?);
    assert_eq!(g.len(), 2);
    assert_close("dL/dw", &g[0], &want_w, CLOSED_FORM_RTOL);
    assert_close("dL/db", &g[1], &want_b, CLOSED_FORM_RTOL);
    Ok(())
}

#[test]
fn grads_gives_zeros_to_an_unused_input() -> Result<(), Error> {
    let g = grads(
        |p: &[Var<'_, f64>]| Ok(p[0].square().sum_all()),
        &[Tensor::from([3.0]), Tensor::from([[1.0, 2.0]])],
    )?;

    assert_eq!(g[0].to_vec(), [6.0]);
    assert_eq!(g[1], Tensor::zeros([1, 2]));
    Ok(())
}

#[test]
fn grad_of_a_constant_function_is_zero() -> Result<(), Error> {
    let x = Tensor::from([1.0, 2.0]);

    let g = grad(|x| Ok(x.tape().constant(Tensor::scalar(4.0))), &x)?;
    let h = hessian(|x| Ok(x.sum_all() * 3.0), &x)?; // linear: H = 0

    assert_eq!(g, Tensor::zeros([2]));
    assert_eq!(h, Tensor::zeros([2, 2]));
    Ok(())
}

#[test]
fn jacobian_of_a_vector_map_is_the_hand_derived_matrix() -> Result<(), Error> {
    let x = Tensor::from([0.7, -1.2, 2.0]);

    let j = jacobian(vector_map, &x)?;

    assert_close(
        "jacobian",
        &j,
        &vector_map_jacobian(&x.to_vec()),
        CLOSED_FORM_RTOL,
    );
    Ok(())
}

#[test]
fn jacobian_matches_central_differences() -> Result<(), Error> {
    let x = uniform([3], -1.5, 1.5, 3);

    let j = jacobian(vector_map, &x)?;

    assert_near_fd("jacobian", &j, &fd_jacobian(|x| eval(&vector_map, x), &x));
    Ok(())
}

#[test]
fn jacfwd_equals_jacobian() -> Result<(), Error> {
    let x = Tensor::from([0.7, -1.2, 2.0]);
    let w = uniform([2, 3], -1.0, 1.0, 4);

    let (fwd, rev) = (jacfwd(vector_map, &x)?, jacobian(vector_map, &x)?);
    let (fwd_matrix, rev_matrix) = (jacfwd(matrix_map, &w)?, jacobian(matrix_map, &w)?);

    assert_close("jacfwd", &fwd, &rev, CLOSED_FORM_RTOL);
    assert_eq!(fwd_matrix.dims(), [2, 4, 2, 3]);
    assert_close(
        "jacfwd of a matrix map",
        &fwd_matrix,
        &rev_matrix,
        CLOSED_FORM_RTOL,
    );
    Ok(())
}

#[test]
fn jacobian_of_a_matrix_map_matches_central_differences() -> Result<(), Error> {
    let w = uniform([2, 3], -1.0, 1.0, 5);

    let j = jacobian(matrix_map, &w)?;
    let fd = fd_jacobian(|w| eval(&matrix_map, w), &w).reshape([2, 4, 2, 3])?;

    assert_near_fd("jacobian of a matrix map", &j, &fd);
    Ok(())
}

#[test]
fn jacobian_of_a_scalar_function_is_its_gradient() -> Result<(), Error> {
    let x = uniform([4], -1.0, 1.0, 6);

    let j = jacobian(sin_times_square, &x)?;
    let fwd = jacfwd(sin_times_square, &x)?;

    assert_eq!(j.dims(), [4]);
    assert_close(
        "jacobian",
        &j,
        &grad(sin_times_square, &x)?,
        CLOSED_FORM_RTOL,
    );
    assert_close("jacfwd", &fwd, &j, CLOSED_FORM_RTOL);
    Ok(())
}

#[test]
fn jvp_is_the_jacobian_times_v() -> Result<(), Error> {
    let x = Tensor::from([0.7, -1.2, 2.0]);
    let v = Tensor::from([0.5, -2.0, 1.5]);
    let want = vector_map_jacobian(&x.to_vec()).matmul(&v)?;

    let (y, jv) = jvp(vector_map, &x, &v)?;

    assert_eq!(y, eval(&vector_map, &x));
    assert_close("jvp", &jv, &want, CLOSED_FORM_RTOL);
    Ok(())
}

#[test]
fn jvp_matches_a_central_difference_along_v() -> Result<(), Error> {
    // J v = (f(x + eps v) - f(x - eps v)) / (2 eps).
    let x = uniform([2, 3], -1.0, 1.0, 7);
    let v = uniform([2, 3], -1.0, 1.0, 8);
    let plus = eval(&matrix_map, &x.add(&v.mul_scalar(FD_EPS))?);
    let minus = eval(&matrix_map, &x.sub(&v.mul_scalar(FD_EPS))?);
    let fd = plus.sub(&minus)?.div_scalar(2.0 * FD_EPS);

    let (_, jv) = jvp(matrix_map, &x, &v)?;

    assert_near_fd("jvp", &jv, &fd);
    Ok(())
}

#[test]
fn vjp_is_u_transposed_times_the_jacobian() -> Result<(), Error> {
    let x = Tensor::from([0.7, -1.2, 2.0]);
    let u = Tensor::from([1.0, -0.5, 2.0, 0.25]);
    let want = u.matmul(&vector_map_jacobian(&x.to_vec()))?;

    let (y, ut_j) = vjp(vector_map, &x, &u)?;

    assert_eq!(y, eval(&vector_map, &x));
    assert_close("vjp", &ut_j, &want, CLOSED_FORM_RTOL);
    Ok(())
}

#[test]
fn hessian_of_rosenbrock_in_two_dimensions_matches_its_closed_form() -> Result<(), Error> {
    // f = (1 - x)^2 + 100 (y - x^2)^2:
    // H = [[1200 x^2 - 400 y + 2, -400 x], [-400 x, 200]].
    for (x, y) in [(-1.2, 1.0), (1.0, 1.0), (0.3, -0.7)] {
        let want = Tensor::from([
            [1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x],
            [-400.0 * x, 200.0],
        ]);

        let h = hessian(rosenbrock, &Tensor::from([x, y]))?;

        assert_close("hessian", &h, &want, CLOSED_FORM_RTOL);
    }
    Ok(())
}

#[test]
fn hessian_of_rosenbrock_matches_the_tridiagonal_closed_form() -> Result<(), Error> {
    let x = uniform([6], -2.0, 2.0, 9);
    let want = Tensor::from_vec(rosenbrock_hessian(&x.to_vec()), [6, 6])?;

    let h = hessian(rosenbrock, &x)?;

    assert_close("hessian", &h, &want, CLOSED_FORM_RTOL);
    assert_close(
        "gradient",
        &grad(rosenbrock, &x)?,
        &{ Tensor::from_vec(rosenbrock_grad(&x.to_vec()), [6])? },
        CLOSED_FORM_RTOL,
    );
    Ok(())
}

#[test]
fn hessian_matches_central_differences_of_the_gradient() -> Result<(), Error> {
    let x = uniform([2, 2], -1.5, 1.5, 10);
    let grad_at = |x: &Tensor<f64>| grad(sin_times_square, x).expect("grad evaluates");

    let h = hessian(sin_times_square, &x)?;
    let fd = fd_jacobian(grad_at, &x).reshape([2, 2, 2, 2])?;

    assert_near_fd("hessian", &h, &fd);
    Ok(())
}

#[test]
fn hvp_of_rosenbrock_is_the_hessian_times_v() -> Result<(), Error> {
    let x = uniform([7], -2.0, 2.0, 12);
    let v = uniform([7], -1.0, 1.0, 13);
    let h = Tensor::from_vec(rosenbrock_hessian(&x.to_vec()), [7, 7])?;

    let hv = hvp(rosenbrock, &x, &v)?;

    assert_close("hvp", &hv, &h.matmul(&v)?, CLOSED_FORM_RTOL);
    assert_close(
        "hvp",
        &hv,
        &hessian(rosenbrock, &x)?.matmul(&v)?,
        CLOSED_FORM_RTOL,
    );
    Ok(())
}

#[test]
fn third_derivative_by_nesting_var_grad_inside_grad() -> Result<(), Error> {
    // f(x) = x^2 sin x:
    // f'   = x^2 cos x + 2 x sin x
    // f''  = -x^2 sin x + 4 x cos x + 2 sin x
    // f''' = -x^2 cos x - 6 x sin x + 6 cos x
    let x = Tensor::from([0.4f64, -1.3, 2.5]);
    let want = x.map(|x| -x * x * x.cos() - 6.0 * x * x.sin() + 6.0 * x.cos());

    // The closure returns sum(f''(x)); each element depends on its own x.
    let d3 = grad(
        |x| {
            let d1 = sin_times_square(x)?.grad(&[x])?[0];
            let d2 = d1.sum_all().grad(&[x])?[0];
            Ok(d2.sum_all())
        },
        &x,
    )?;

    assert_close("third derivative", &d3, &want, CLOSED_FORM_RTOL);
    Ok(())
}

#[test]
fn third_derivative_by_composing_grad_fn() -> Result<(), Error> {
    // f(x) = x^2 sin x at a scalar: f''' as in the test above.
    let f = |x: f64| -x * x * x.cos() - 6.0 * x * x.sin() + 6.0 * x.cos();
    let d2 = grad_fn(grad_fn(sin_times_square));

    for x in [0.4, -1.3, 2.5] {
        let d3 = grad(&d2, &Tensor::scalar(x))?.item()?;

        assert!(
            (d3 - f(x)).abs() <= CLOSED_FORM_RTOL * f(x).abs().max(1.0),
            "{d3} at {x}"
        );
    }
    Ok(())
}

#[test]
fn derivatives_of_all_orders_of_exp_are_exp() -> Result<(), Error> {
    let d4 = grad_fn(grad_fn(grad_fn(functional::function(|x| Ok(x.exp())))));

    let x = Tensor::scalar(0.5f64);

    assert_eq!(grad(&d4, &x)?.item()?, 0.5f64.exp());
    Ok(())
}

#[test]
fn every_function_works_in_f32() -> Result<(), Error> {
    // f(x) = sum(x^3): grad 3 x^2, H = diag(6 x).
    let x = Tensor::from([1.0f32, -2.0]);
    let v = Tensor::from([1.0f32, 1.0]);
    let cube = functional::function(|x| Ok(x.powf(3.0).sum_all()));

    assert_eq!(grad(cube, &x)?.to_vec(), [3.0, 12.0]);
    assert_eq!(hessian(cube, &x)?.to_vec(), [6.0, 0.0, 0.0, -12.0]);
    assert_eq!(hvp(cube, &x, &v)?.to_vec(), [6.0, -12.0]);
    assert_eq!(jvp(cube, &x, &v)?.1.item()?, 15.0);
    assert_eq!(
        jacfwd(|x| Ok(x.square()), &x)?.to_vec(),
        [2.0, 0.0, 0.0, -4.0]
    );
    Ok(())
}

#[test]
fn grad_rejects_a_function_with_several_outputs() {
    let err = grad(|x| Ok(x.square()), &Tensor::from([1.0f64, 2.0])).unwrap_err();

    assert_eq!(
        err,
        Error::NotScalar {
            op: "grad",
            what: "output",
            shape: [2].into()
        }
    );
    assert_eq!(
        err.to_string(),
        "grad: expected a scalar output (shape []), got [2]"
    );
}

#[test]
fn value_and_grad_and_grads_reject_a_function_with_several_outputs() {
    let x = Tensor::from([[1.0f64, 2.0]]);

    let one = value_and_grad(|x| Ok(x.square()), &x).unwrap_err();
    let several = grads(
        |p: &[Var<'_, f64>]| Ok(p[0].square()),
        std::slice::from_ref(&x),
    )
    .unwrap_err();
    let both = value_and_grads(|p: &[Var<'_, f64>]| Ok(p[0] * 2.0), &[x]).unwrap_err();

    assert_eq!(
        one.to_string(),
        "value_and_grad: expected a scalar output (shape []), got [1, 2]"
    );
    assert_eq!(
        several.to_string(),
        "grads: expected a scalar output (shape []), got [1, 2]"
    );
    assert_eq!(
        both.to_string(),
        "value_and_grads: expected a scalar output (shape []), got [1, 2]"
    );
}

#[test]
fn hessian_and_hvp_reject_a_function_with_several_outputs() {
    let x = Tensor::from([1.0f64, 2.0, 3.0]);

    let h = hessian(|x| Ok(x.exp()), &x).unwrap_err();
    let hv = hvp(|x| Ok(x.exp()), &x, &x).unwrap_err();
    let nested = grad(grad_fn(|x| Ok(x.exp())), &x).unwrap_err();

    assert_eq!(
        h.to_string(),
        "hessian: expected a scalar output (shape []), got [3]"
    );
    assert_eq!(
        hv.to_string(),
        "hvp: expected a scalar output (shape []), got [3]"
    );
    assert_eq!(
        nested.to_string(),
        "grad: expected a scalar output (shape []), got [3]"
    );
}

#[test]
fn hvp_and_jvp_reject_a_vector_of_another_shape() {
    let x = Tensor::from([1.0f64, 2.0]);

    let hv = hvp(rosenbrock, &x, &Tensor::from([1.0, 2.0, 3.0])).unwrap_err();
    let jv = jvp(vector_map, &Tensor::from([1.0, 2.0, 3.0]), &x).unwrap_err();

    assert_eq!(
        hv,
        Error::ShapeMismatch {
            op: "hvp",
            expected: [2].into(),
            got: [3].into()
        }
    );
    assert_eq!(hv.to_string(), "hvp: expected shape [2], got [3]");
    assert_eq!(jv.to_string(), "jvp: expected shape [3], got [2]");
}

#[test]
fn vjp_rejects_a_vector_without_the_shape_of_the_output() {
    let u = Tensor::from([[1.0f64, 2.0, 3.0, 4.0]]);

    let err = vjp(vector_map, &Tensor::from([1.0, 2.0, 3.0]), &u).unwrap_err();

    assert_eq!(err.to_string(), "vjp: expected shape [4], got [1, 4]");
}

#[test]
fn an_error_of_f_is_returned_unchanged() {
    let x = Tensor::from([1.0f64, 2.0]);
    let bad = functional::function(|x| x.reshape([3]));

    let err = jacobian(bad, &x).unwrap_err();

    assert_eq!(
        err.to_string(),
        "reshape: expected a shape of 2 elements like [2], got [3]"
    );
    assert_eq!(jacfwd(bad, &x).unwrap_err(), err);
    assert_eq!(jvp(bad, &x, &x).unwrap_err(), err);
}
