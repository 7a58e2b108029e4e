//! Derivatives of functions, as JAX computes them: the gradient, the
//! Jacobian, the Hessian, and their products with a vector, of a closure
//! over vars.
//!
//! Each function takes a closure `f` that computes with [`Var`]s and a
//! point `x`, records `f` on a tape of its own, differentiates, drops the
//! tape and returns plain [`Tensor`]s. The closure's type is higher-ranked
//! over the tape's lifetime,
//! `for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>`, so it works on
//! whatever tape the call makes, and returning a var of another tape does
//! not compile.
//!
//! | function | computes | passes over the tape |
//! |---|---|---|
//! | [`grad`], [`value_and_grad`] | `∇f(x)` for a scalar `f` | forward, 1 reverse |
//! | [`grads`], [`value_and_grads`] | the same, for several inputs | forward, 1 reverse |
//! | [`vjp`] | `f(x)` and `uᵀ J` | forward, 1 reverse |
//! | [`jvp`] | `f(x)` and `J v` | forward, 1 recorded reverse, 1 recorded reverse over it |
//! | [`jacobian`] | `J`, a row per output element | forward, `m` reverse |
//! | [`jacfwd`] | `J`, a column per input element | forward, 1 recorded reverse, `n` reverse |
//! | [`hvp`] | `H v` for a scalar `f` | forward, 1 recorded reverse, 1 reverse |
//! | [`hessian`] | `H` for a scalar `f` | forward, 1 recorded reverse, `n` reverse |
//! | [`grad_fn`] | the function `x ↦ ∇f(x)` over vars | (on the caller's tape) |
//!
//! A "recorded reverse" is [`Var::grad`] or [`Var::grad_with`]: the backward
//! rules run on vars and record the gradient on the tape, so that it can be
//! differentiated again. The other reverse passes are [`Var::backward`] and
//! [`Var::backward_with`], which record nothing.
//!
//! A closure written inline in the call, or a `fn` item, has the type the
//! functions need; one first bound with `let` does not, unless it is
//! wrapped in [`function`].
//!
//! # Forward mode from two reverse passes
//!
//! zengrad has no forward mode of its own. [`jvp`] gets `J v` with the
//! "double-vjp trick": `w(u) = uᵀ J` is recorded for a var `u` (its value
//! does not matter, since `w` is linear in `u`), and the gradient of
//! `<w(u), v>` with respect to `u` is `J v`. That second pass walks only
//! the nodes from which `u` can be reached (the recorded first pass, not
//! the forward), so a jvp costs a vjp and a little more, where true forward
//! mode would cost about one vjp: measured on W4's Rosenbrock terms
//! (`n = 100,000`, f64, one thread, `cargo bench --bench w4_hvp`), a vjp
//! takes 1.2 ms and a jvp 1.9 ms, 1.6 times as long.
//!
//! # Several inputs
//!
//! [`grads`] and [`value_and_grads`] take a slice of tensors and a closure
//! over a slice of vars. The other functions take one input; to
//! differentiate with respect to several, pass their concatenation and
//! slice it inside `f`.
//!
//! # Example: Newton's step on a quadratic lands on its minimum
//!
//! ```
//! use zengrad_core::{functional, Error, Tensor, Var};
//!
//! // f(x) = (x0 - 1)^2 + 3 (x1 + 2)^2, minimal at (1, -2).
//! fn f<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
//!     let shift = x.tape().constant(Tensor::from([-1.0, 2.0]));
//!     let scale = x.tape().constant(Tensor::from([1.0, 3.0]));
//!     Ok((x + shift).square().mul(scale)?.sum_all())
//! }
//!
//! let x = Tensor::from([5.0, 7.0]);
//! let g = functional::grad(f, &x)?; // (2 (x0 - 1), 6 (x1 + 2))
//! let h = functional::hessian(f, &x)?; // diag(2, 6)
//! assert_eq!(g.to_vec(), [8.0, 54.0]);
//! assert_eq!(h.to_vec(), [2.0, 0.0, 0.0, 6.0]);
//!
//! let step = Tensor::from([8.0 / 2.0, 54.0 / 6.0]); // H^-1 g
//! assert_eq!(x.sub(&step)?.to_vec(), [1.0, -2.0]);
//! # Ok::<(), Error>(())
//! ```

use crate::{Error, Float, Grads, Shape, Tape, Tensor, Var};

/// Computes the gradient of the scalar function `f` at `x`.
///
/// `x` has any shape, and the gradient has the same. The value of `f` must
/// have one element.
///
/// # Errors
///
/// Returns [`Error::NotScalar`] when `f(x)` has more than one element, and
/// any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor};
/// // f(x) = sum(x^3): the gradient is 3 x^2.
/// let g = functional::grad(|x| Ok(x.powf(3.0).sum_all()), &Tensor::from([1.0, -2.0]))?;
/// assert_eq!(g.to_vec(), [3.0, 12.0]);
/// # Ok::<(), Error>(())
/// ```
pub fn grad<F, G>(f: G, x: &Tensor<F>) -> Result<Tensor<F>, Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    Ok(scalar_and_grad("grad", f, x)?.1)
}

/// Computes the value and the gradient of the scalar function `f` at `x`.
///
/// # Errors
///
/// Returns [`Error::NotScalar`] when `f(x)` has more than one element, and
/// any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor};
/// // f(x) = x0 x1: the gradient is (x1, x0).
/// let (value, g) = functional::value_and_grad(
///     |x| Ok((x.slice(0, 0..1)? * x.slice(0, 1..2)?).sum_all()),
///     &Tensor::from([3.0, 4.0]),
/// )?;
/// assert_eq!(value, 12.0);
/// assert_eq!(g.to_vec(), [4.0, 3.0]);
/// # Ok::<(), Error>(())
/// ```
pub fn value_and_grad<F, G>(f: G, x: &Tensor<F>) -> Result<(F, Tensor<F>), Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    scalar_and_grad("value_and_grad", f, x)
}

/// Computes the gradients of the scalar function `f` with respect to each
/// of its inputs `xs`, one tensor per input with its shape.
///
/// # Errors
///
/// Returns [`Error::NotScalar`] when `f(xs)` has more than one element, and
/// any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor, Var};
/// // f(w, b) = (2 w + b)^2: df/dw = 4 (2 w + b), df/db = 2 (2 w + b).
/// let g = functional::grads(
///     |p: &[Var<'_, f64>]| Ok((p[0] * 2.0 + p[1]).square()),
///     &[Tensor::scalar(1.0), Tensor::scalar(0.5)],
/// )?;
/// assert_eq!(g[0].item()?, 10.0);
/// assert_eq!(g[1].item()?, 5.0);
/// # Ok::<(), Error>(())
/// ```
pub fn grads<F, G>(f: G, xs: &[Tensor<F>]) -> Result<Vec<Tensor<F>>, Error>
where
    F: Float,
    G: for<'t> FnOnce(&[Var<'t, F>]) -> Result<Var<'t, F>, Error>,
{
    Ok(value_and_grads_of("grads", f, xs)?.1)
}

/// Computes the value of the scalar function `f` and its gradients with
/// respect to each of its inputs `xs`.
///
/// # Errors
///
/// Returns [`Error::NotScalar`] when `f(xs)` has more than one element, and
/// any error of `f`.
pub fn value_and_grads<F, G>(f: G, xs: &[Tensor<F>]) -> Result<(F, Vec<Tensor<F>>), Error>
where
    F: Float,
    G: for<'t> FnOnce(&[Var<'t, F>]) -> Result<Var<'t, F>, Error>,
{
    value_and_grads_of("value_and_grads", f, xs)
}

/// Computes `f(x)` and the vector-Jacobian product `uᵀ J`: the gradient of
/// `sum(u * f(x))` with respect to `x`.
///
/// `u` has the shape of `f(x)`; the product has the shape of `x`. Unlike
/// JAX's `vjp`, which returns a function of `u`, this takes `u` and returns
/// the product.
///
/// # Errors
///
/// Returns [`Error::ShapeMismatch`] when `u` does not have the shape of
/// `f(x)`, and any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor};
/// // f(x) = x^2 elementwise: J = diag(2 x), so u^T J = 2 x u.
/// let x = Tensor::from([1.0, 2.0, 3.0]);
/// let (y, ut_j) = functional::vjp(|x| Ok(x.square()), &x, &Tensor::from([1.0, 0.0, -1.0]))?;
/// assert_eq!(y.to_vec(), [1.0, 4.0, 9.0]);
/// assert_eq!(ut_j.to_vec(), [2.0, 0.0, -6.0]);
/// # Ok::<(), Error>(())
/// ```
pub fn vjp<F, G>(f: G, x: &Tensor<F>, u: &Tensor<F>) -> Result<(Tensor<F>, Tensor<F>), Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let out = f(input)?;
    check_shape("vjp", &out.shape(), u)?;

    let product = grad_or_zeros(&out.backward_with(u)?, input);
    Ok((out.value(), product))
}

/// Computes `f(x)` and the Jacobian-vector product `J v`: the directional
/// derivative of `f` at `x` along `v`.
///
/// `v` has the shape of `x`; the product has the shape of `f(x)`. It is
/// computed by two reverse passes, the "double-vjp trick" (see the
/// [module documentation](self)), at about 1.6 times the cost of a
/// [`vjp`].
///
/// # Errors
///
/// Returns [`Error::ShapeMismatch`] when `v` does not have the shape of
/// `x`, and any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor, Var};
/// // f(x) = (x0 x1, sin x0): J = [[x1, x0], [cos x0, 0]].
/// let f = functional::function(|x| {
///     let (x0, x1) = (x.slice(0, 0..1)?, x.slice(0, 1..2)?);
///     Var::concat(&[x0 * x1, x0.sin()], 0)
/// });
/// let (x, v) = (Tensor::from([0.0, 2.0]), Tensor::from([1.0, 10.0]));
/// let (y, jv) = functional::jvp(f, &x, &v)?;
/// assert_eq!(y.to_vec(), [0.0, 0.0]);
/// assert_eq!(jv.to_vec(), [2.0, 1.0]); // (x1 v0 + x0 v1, cos(x0) v0)
/// # Ok::<(), Error>(())
/// ```
pub fn jvp<F, G>(f: G, x: &Tensor<F>, v: &Tensor<F>) -> Result<(Tensor<F>, Tensor<F>), Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    check_shape("jvp", x.shape(), v)?;
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let out = f(input)?;

    let (seed, ut_j) = recorded_vjp(out, input)?;
    let v = tape.constant(v.clone());
    let product = ut_j.grad_with(v, &[seed])?[0].value();
    Ok((out.value(), product))
}

/// Computes the Jacobian of `f` at `x` in reverse mode, one row (one
/// reverse pass) per element of `f(x)`: the choice for functions with
/// fewer outputs than inputs.
///
/// For `x` of shape `[n..]` and `f(x)` of shape `[m..]`, the Jacobian has
/// shape `[m.., n..]` (JAX's `jacrev`): element `[i.., j..]` is
/// `d f(x)[i..] / d x[j..]`.
///
/// # Errors
///
/// Returns any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor, Var};
/// // f(x) = (x0 + x1, x0 x1, 2 x1).
/// let j = functional::jacobian(
///     |x| {
///         let (x0, x1) = (x.slice(0, 0..1)?, x.slice(0, 1..2)?);
///         Var::concat(&[x0 + x1, x0 * x1, x1 * 2.0], 0)
///     },
///     &Tensor::from([3.0, 5.0]),
/// )?;
/// assert_eq!(j.dims(), [3, 2]);
/// assert_eq!(j.to_vec(), [1.0, 1.0, 5.0, 3.0, 0.0, 2.0]);
/// # Ok::<(), Error>(())
/// ```
pub fn jacobian<F, G>(f: G, x: &Tensor<F>) -> Result<Tensor<F>, Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let out = f(input)?;
    let out_shape = out.shape();

    // Row i is e_i^T J: a reverse pass seeded with the i-th unit vector.
    let mut data = Vec::with_capacity(out_shape.numel() * x.numel());
    for i in 0..out_shape.numel() {
        let row = grad_or_zeros(&out.backward_with(&unit(&out_shape, i))?, input);
        data.extend_from_slice(row.data());
    }
    Tensor::from_vec(data, joined(&out_shape, x.shape()))
}

/// Computes the Jacobian of `f` at `x` one column per element of `x`, each
/// a [`jvp`] with a unit vector: the choice for functions with more
/// outputs than inputs. The result is that of [`jacobian`].
///
/// The forward and the recorded reverse pass of the double-vjp trick run
/// once; each column then costs one reverse pass over both.
///
/// # Errors
///
/// Returns any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor, Var};
/// // f(t) = (cos t, sin t, t): one input, three outputs.
/// let f = functional::function(|t| Var::concat(&[t.cos(), t.sin(), t], 0));
/// let j = functional::jacfwd(&f, &Tensor::from([0.0]))?;
/// assert_eq!(j, functional::jacobian(&f, &Tensor::from([0.0]))?);
/// assert_eq!(j.dims(), [3, 1]);
/// assert_eq!(j.to_vec(), [0.0, 1.0, 1.0]); // (-sin 0, cos 0, 1)
/// # Ok::<(), Error>(())
/// ```
pub fn jacfwd<F, G>(f: G, x: &Tensor<F>) -> Result<Tensor<F>, Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let out = f(input)?;
    let (seed, ut_j) = recorded_vjp(out, input)?;

    // Column j is J e_j, written into a row-major [m, n] buffer.
    let (m, n) = (out.shape().numel(), x.numel());
    let mut data = vec![F::zero(); m * n];
    for j in 0..n {
        let column = grad_or_zeros(&ut_j.backward_with(&unit(x.shape(), j))?, seed);
        for (i, &value) in column.data().iter().enumerate() {
            data[i * n + j] = value;
        }
    }
    Tensor::from_vec(data, joined(&out.shape(), x.shape()))
}

/// Computes the Hessian-vector product `H v` of the scalar function `f` at
/// `x`, without forming `H`: the gradient of `<∇f(x), v>`, reverse mode
/// over reverse mode.
///
/// `v` and the product have the shape of `x`.
///
/// # Errors
///
/// Returns [`Error::ShapeMismatch`] when `v` does not have the shape of
/// `x`, [`Error::NotScalar`] when `f(x)` has more than one element, and
/// any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor};
/// // f(x) = sum(x^3): H = diag(6 x).
/// let x = Tensor::from([1.0, -2.0]);
/// let hv = functional::hvp(|x| Ok(x.powf(3.0).sum_all()), &x, &Tensor::from([1.0, 0.5]))?;
/// assert_eq!(hv.to_vec(), [6.0, -6.0]);
/// # Ok::<(), Error>(())
/// ```
pub fn hvp<F, G>(f: G, x: &Tensor<F>, v: &Tensor<F>) -> Result<Tensor<F>, Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    check_shape("hvp", x.shape(), v)?;
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let gradient = recorded_grad("hvp", f(input)?, input)?;

    Ok(grad_or_zeros(&gradient.backward_with(v)?, input))
}

/// Computes the Hessian of the scalar function `f` at `x`: one reverse
/// pass over the recorded gradient per element of `x`.
///
/// For `x` of shape `[n..]` the Hessian has shape `[n.., n..]`.
///
/// # Errors
///
/// Returns [`Error::NotScalar`] when `f(x)` has more than one element, and
/// any error of `f`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor, Var};
/// // f(x) = x0^2 x1: H = [[2 x1, 2 x0], [2 x0, 0]].
/// fn f<'t>(x: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
///     Ok((x.slice(0, 0..1)?.square() * x.slice(0, 1..2)?).sum_all())
/// }
/// let h = functional::hessian(f, &Tensor::from([3.0, 5.0]))?;
/// assert_eq!(h.dims(), [2, 2]);
/// assert_eq!(h.to_vec(), [10.0, 6.0, 6.0, 0.0]);
/// # Ok::<(), Error>(())
/// ```
pub fn hessian<F, G>(f: G, x: &Tensor<F>) -> Result<Tensor<F>, Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let gradient = recorded_grad("hessian", f(input)?, input)?;

    // Row j is the gradient of the j-th element of the gradient.
    let mut data = Vec::with_capacity(x.numel() * x.numel());
    for j in 0..x.numel() {
        let row = grad_or_zeros(&gradient.backward_with(&unit(x.shape(), j))?, input);
        data.extend_from_slice(row.data());
    }
    Tensor::from_vec(data, joined(x.shape(), x.shape()))
}

/// Returns the function `x ↦ ∇f(x)` of the scalar function `f`, recorded on
/// the caller's tape, so that it can be differentiated again: the JAX idiom
/// `grad(grad(f))`.
///
/// # Errors
///
/// The returned function returns [`Error::NotScalar`] when `f(x)` has more
/// than one element, and any error of `f`.
///
/// # Examples: the third derivative of sin
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor};
/// let d2 = functional::grad_fn(functional::grad_fn(|x| Ok(x.sin())));
/// let d3 = functional::grad(d2, &Tensor::scalar(0.0))?; // -cos 0
/// assert_eq!(d3.item()?, -1.0);
/// # Ok::<(), Error>(())
/// ```
pub fn grad_fn<F, G>(f: G) -> impl for<'t> Fn(Var<'t, F>) -> Result<Var<'t, F>, Error>
where
    F: Float,
    G: for<'t> Fn(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    move |x| recorded_grad("grad", f(x)?, x)
}

/// Returns `f` unchanged, with the signature the functions of this module
/// take, so that a closure can be named and used several times.
///
/// A closure passed straight to [`grad`] gets that signature from `grad`'s
/// bounds: its output var lives on the tape of its input, whatever that
/// tape. A closure first bound with `let` gets a signature of its own,
/// which ties its output to one tape, and the call does not compile; wrap
/// it in `function`, or write a `fn` item.
///
/// # Examples
///
/// ```
/// # use zengrad_core::{functional, Error, Tensor};
/// let f = functional::function(|x| Ok(x.exp().sum_all()));
/// let x = Tensor::from([0.0f64, 1.0]);
/// assert_eq!(functional::grad(&f, &x)?, x.exp()); // used twice
/// assert_eq!(functional::hvp(&f, &x, &Tensor::ones([2]))?, x.exp());
/// # Ok::<(), Error>(())
/// ```
pub fn function<F, G>(f: G) -> G
where
    F: Float,
    G: for<'t> Fn(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    f
}

/// Records `f` at `x` and runs a first-order reverse pass from its value.
fn scalar_and_grad<F, G>(op: &'static str, f: G, x: &Tensor<F>) -> Result<(F, Tensor<F>), Error>
where
    F: Float,
    G: for<'t> FnOnce(Var<'t, F>) -> Result<Var<'t, F>, Error>,
{
    let tape = Tape::new();
    let input = tape.var(x.clone());
    let out = f(input)?;
    check_scalar(op, out)?;

    let gradient = grad_or_zeros(&out.backward()?, input);
    Ok((out.item()?, gradient))
}

/// Records `f` at `xs` and runs a first-order reverse pass from its value.
fn value_and_grads_of<F, G>(
    op: &'static str,
    f: G,
    xs: &[Tensor<F>],
) -> Result<(F, Vec<Tensor<F>>), Error>
where
    F: Float,
    G: for<'t> FnOnce(&[Var<'t, F>]) -> Result<Var<'t, F>, Error>,
{
    let tape = Tape::new();
    let inputs: Vec<Var<'_, F>> = xs.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&inputs)?;
    check_scalar(op, out)?;

    let grads = out.backward()?;
    let gradients = inputs.iter().map(|&x| grad_or_zeros(&grads, x)).collect();
    Ok((out.item()?, gradients))
}

/// Records the gradient of the scalar `out` with respect to `x`.
fn recorded_grad<'t, F: Float>(
    op: &'static str,
    out: Var<'t, F>,
    x: Var<'t, F>,
) -> Result<Var<'t, F>, Error> {
    check_scalar(op, out)?;
    Ok(out.grad(&[x])?[0])
}

/// Records `uᵀ J`, the vector-Jacobian product of `out` with respect to `x`
/// for a new var `u`, and returns `(u, uᵀ J)`.
///
/// `u` holds zeros: the product is linear in `u`, so its gradient with
/// respect to `u` does not depend on the value.
fn recorded_vjp<'t, F: Float>(
    out: Var<'t, F>,
    x: Var<'t, F>,
) -> Result<(Var<'t, F>, Var<'t, F>), Error> {
    let seed = x.tape().var(Tensor::zeros(out.shape()));
    let product = out.grad_with(seed, &[x])?[0];
    Ok((seed, product))
}

/// Returns [`Error::NotScalar`] unless `out` has one element, as
/// [`Var::backward`] requires.
fn check_scalar<F: Float>(op: &'static str, out: Var<'_, F>) -> Result<(), Error> {
    let shape = out.shape();
    if shape.numel() == 1 {
        Ok(())
    } else {
        Err(Error::NotScalar {
            op,
            what: "output",
            shape,
        })
    }
}

/// Returns [`Error::ShapeMismatch`] unless `vector` has shape `expected`.
fn check_shape<F: Float>(
    op: &'static str,
    expected: &Shape,
    vector: &Tensor<F>,
) -> Result<(), Error> {
    if vector.shape() == expected {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            op,
            expected: expected.clone(),
            got: vector.shape().clone(),
        })
    }
}

/// Returns the gradient of `x` in `grads`, or zeros of its shape when the
/// output does not depend on it.
fn grad_or_zeros<F: Float>(grads: &Grads<F>, x: Var<'_, F>) -> Tensor<F> {
    match grads.get(x) {
        Some(gradient) => gradient.clone(),
        None => Tensor::zeros(x.shape()),
    }
}

/// Returns the unit tensor of `shape` whose element `index` (row-major) is
/// one.
fn unit<F: Float>(shape: &Shape, index: usize) -> Tensor<F> {
    let mut unit = Tensor::zeros(shape);
    unit.data_mut()[index] = F::one();
    unit
}

/// Returns the shape `[outer.., inner..]`.
fn joined(outer: &Shape, inner: &Shape) -> Shape {
    outer.dims().iter().chain(inner.dims()).copied().collect()
}
