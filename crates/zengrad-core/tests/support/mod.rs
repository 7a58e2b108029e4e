//! Helpers shared by the integration tests: seeded random inputs, and a
//! checker of gradients against central finite differences.
//!
//! The checker reduces an output of any shape to a number with a fixed
//! random weighting, `sum(out * w)`, so that every entry of the Jacobian
//! takes part: with all-ones weights, a softmax (whose rows always sum to 1)
//! would have a zero gradient whatever its rule said.

// Each test file includes this module and uses a different part of it.
#![allow(dead_code)]

use zengrad_core::{Error, Shape, Tape, Tensor, Var, seeded_rng};

/// The step of the central differences.
///
/// In `f64` the truncation error of a central difference is about
/// `eps^2 * |f'''| / 6`, near 1e-12 for the inputs here, and the rounding
/// error about `1e-16 * |f| / eps`, below 1e-8 for the `|f| < 100` of these
/// tests: 1e-6 keeps both small.
pub const FD_EPS: f64 = 1e-6;

/// The absolute part of the tolerance between analytic and numeric
/// gradients: 100 times the error of the differences at [`FD_EPS`], and
/// still 1e5 times smaller than the error of a wrong rule (a missing factor
/// or sign is off by 1e-1 or more).
pub const GRAD_ATOL: f64 = 1e-6;

/// The relative part of that tolerance, for the larger gradients (up to
/// about 100 here), whose rounding error grows with their size.
pub const GRAD_RTOL: f64 = 1e-6;

/// The tolerance between the gradients of `backward` (tensors) and of
/// `Var::grad` (vars): both apply the same rules to the same numbers, so
/// they agree to within a few rounding errors of `f64`.
pub const SAME_RULE_RTOL: f64 = 1e-12;

/// The seed of the weighting `w` in `sum(out * w)`.
const WEIGHT_SEED: u64 = 0x5eed;

/// Returns a tensor of values drawn uniformly from `[lo, hi)` with the
/// generator seeded by `seed`.
pub fn uniform(shape: impl Into<Shape>, lo: f64, hi: f64, seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, lo, hi, &mut seeded_rng(seed)).expect("uniform: valid bounds")
}

/// Returns one tensor per shape, drawn uniformly from `[lo, hi)`, each from
/// its own seed derived from `seed`.
pub fn uniforms(shapes: &[&[usize]], lo: f64, hi: f64, seed: u64) -> Vec<Tensor<f64>> {
    shapes
        .iter()
        .enumerate()
        .map(|(i, &shape)| uniform(shape, lo, hi, seed.wrapping_mul(31).wrapping_add(i as u64)))
        .collect()
}

/// Moves every value closer than `margin` to one of `kinks` out to
/// `margin` away from it, on its own side (up, for a value on the kink),
/// so that finite differences never straddle a kink.
pub fn away_from(x: &Tensor<f64>, kinks: &[f64], margin: f64) -> Tensor<f64> {
    x.map(|mut v| {
        for &kink in kinks {
            if (v - kink).abs() < margin {
                v = if v < kink {
                    kink - margin
                } else {
                    kink + margin
                };
            }
        }
        v
    })
}

/// Builds a tensor from values and a shape, panicking on a wrong length.
pub fn tensor(values: &[f64], shape: impl Into<Shape>) -> Tensor<f64> {
    Tensor::from_slice(values, shape).expect("tensor: values fit the shape")
}

/// Returns `f` unchanged. A closure kept in a variable, unlike one passed
/// straight to [`check_grad`], needs this hint to accept vars of any tape.
pub fn func<G>(f: G) -> G
where
    G: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    f
}

/// Checks the gradients of `f` at `inputs` against central differences.
///
/// The analytic gradient of `sum(f(inputs) * w)`, for a fixed random `w`,
/// comes from [`Var::backward_with`]; every element of every input is then
/// moved by `+-FD_EPS` to estimate the same gradient numerically. The
/// gradients that [`Var::grad`] records on the tape are checked too: they
/// must equal those of `backward`, since both run the same rules.
///
/// # Panics
///
/// Panics when `f` fails, when a gradient has another shape than its input
/// or is not finite, or when a gradient disagrees with its estimate; the
/// message names the input, the element, and both values.
pub fn check_grad<G>(f: G, inputs: &[Tensor<f64>])
where
    G: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&vars).unwrap_or_else(|error| panic!("check_grad: f failed: {error}"));
    let weights = uniform(out.shape(), -1.0, 1.0, WEIGHT_SEED);
    let grads = out
        .backward_with(&weights)
        .unwrap_or_else(|error| panic!("check_grad: backward failed: {error}"));

    // The same gradients, recorded on the tape as vars.
    let recorded = out
        .mul(tape.constant(weights.clone()))
        .and_then(|weighted| weighted.sum_all().grad(&vars))
        .unwrap_or_else(|error| panic!("check_grad: Var::grad failed: {error}"));

    for (i, (input, var)) in inputs.iter().zip(&vars).enumerate() {
        let analytic = grads
            .get(*var)
            .cloned()
            .unwrap_or_else(|| Tensor::zeros(input.shape()));
        assert_eq!(
            analytic.shape(),
            input.shape(),
            "gradient of input {i} has the wrong shape"
        );
        assert_eq!(
            recorded[i].shape(),
            *input.shape(),
            "Var::grad of input {i} has the wrong shape"
        );
        check_same_rule(i, &analytic, &recorded[i].value());

        for (j, &a) in analytic.data().iter().enumerate() {
            let n = numeric_grad(&f, inputs, &weights, i, j);
            let difference = (a - n).abs();
            let tolerance = GRAD_ATOL + GRAD_RTOL * a.abs().max(n.abs());
            assert!(
                a.is_finite() && difference <= tolerance,
                "gradient of input {i} (shape {}) at element {j}: analytic {a}, numeric {n}, \
                 difference {difference:e} exceeds {tolerance:e}",
                input.shape(),
            );
        }
    }
}

/// Draws inputs of `shapes` uniformly from `[lo, hi)` and checks the
/// gradients of `f` there; see [`check_grad`].
pub fn check_grad_at_random<G>(f: G, shapes: &[&[usize]], lo: f64, hi: f64, seed: u64)
where
    G: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    check_grad(f, &uniforms(shapes, lo, hi, seed));
}

/// Asserts that the gradient of input `i` from `Var::grad` equals the one
/// from `backward`.
fn check_same_rule(i: usize, backward: &Tensor<f64>, recorded: &Tensor<f64>) {
    for (j, (&a, &b)) in backward.data().iter().zip(recorded.data()).enumerate() {
        let tolerance = SAME_RULE_RTOL * a.abs().max(b.abs()).max(1.0);
        assert!(
            (a - b).abs() <= tolerance,
            "gradient of input {i} at element {j}: backward gives {a}, Var::grad gives {b}",
        );
    }
}

/// Estimates the derivative of `sum(f(inputs) * weights)` with respect to
/// element `j` of input `i` by a central difference.
fn numeric_grad<G>(f: &G, inputs: &[Tensor<f64>], weights: &Tensor<f64>, i: usize, j: usize) -> f64
where
    G: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let mut moved = inputs.to_vec();
    let at = moved[i].data()[j];

    moved[i].data_mut()[j] = at + FD_EPS;
    let plus = weighted_sum(f, &moved, weights);

    moved[i].data_mut()[j] = at - FD_EPS;
    let minus = weighted_sum(f, &moved, weights);

    (plus - minus) / (2.0 * FD_EPS)
}

/// Evaluates `sum(f(inputs) * weights)` on a fresh tape.
fn weighted_sum<G>(f: &G, inputs: &[Tensor<f64>], weights: &Tensor<f64>) -> f64
where
    G: for<'t> Fn(&[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&vars).unwrap_or_else(|error| panic!("check_grad: f failed: {error}"));
    let value = out.value();
    value
        .data()
        .iter()
        .zip(weights.data())
        .map(|(v, w)| v * w)
        .sum()
}

/// The tolerance of hand-derived values that go through `exp`, `log`,
/// `tanh` or a fractional power: a few rounding errors of `f64` on values
/// near 1.
pub const ROUNDING_TOL: f64 = 1e-15;

/// Returns the gradient of `loss` with respect to `x`, as a vector.
pub fn grad_of(loss: Var<'_, f64>, x: Var<'_, f64>) -> Result<Vec<f64>, Error> {
    Ok(loss.backward()?.get(x).expect("x has a gradient").to_vec())
}

/// Asserts that two slices agree within `tol`, element by element.
pub fn assert_near(got: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(got.len(), expected.len(), "lengths differ: {got:?}");
    for (j, (a, b)) in got.iter().zip(expected).enumerate() {
        assert!(
            (a - b).abs() <= tol,
            "element {j}: got {a}, expected {b}; got {got:?}"
        );
    }
}
