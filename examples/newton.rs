//! Newton's method with the exact Hessian, on Rosenbrock's banana valley
//! `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, from the classic start
//! `(-1.2, 1)` to the minimum at `(1, 1)`.
//!
//! Each iteration takes the gradient and the Hessian from
//! `zengrad::functional` and steps by `-H^-1 ∇f`, solving the 2 by 2
//! system in closed form. Pure Newton, without a line search, reaches the
//! minimum in five steps, though not downhill all the way: its second step
//! overshoots to `f = 1412` before the third lands in the valley.
//!
//! Run it with `cargo run --release --example newton`.

use zengrad::{Error, Tensor, Var, functional};

/// Iterations stop once the loss is below this.
pub const TARGET_LOSS: f64 = 1e-10;

/// Newton's method gives up after this many iterations.
pub const MAX_ITERATIONS: usize = 30;

/// The classic starting point.
const START: [f64; 2] = [-1.2, 1.0];

/// One iterate: the point and the loss there.
#[derive(Clone, Copy, Debug)]
pub struct Iterate {
    /// The point `(x, y)`.
    pub point: [f64; 2],
    /// `f(x, y)`.
    pub loss: f64,
}

/// Rosenbrock's function of the 2-vector `p = (x, y)`, written with
/// slices as for any `n`: `sum(100 (p[1:] - p[:-1]^2)^2 + (1 - p[:-1])^2)`.
pub fn rosenbrock<'t>(p: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    let n = p.shape()[0];
    let (head, tail) = (p.slice(0, 0..n - 1)?, p.slice(0, 1..n)?);
    Ok(((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum_all())
}

/// Solves `H s = g` for a symmetric 2 by 2 `H` by Cramer's rule.
///
/// # Errors
///
/// Returns [`Error::Argument`] when `H` is singular.
fn solve(h: &[f64], g: &[f64]) -> Result<[f64; 2], Error> {
    let det = h[0] * h[3] - h[1] * h[2];
    if det == 0.0 || !det.is_finite() {
        return Err(Error::Argument {
            op: "newton",
            expected: "a nonsingular Hessian",
            got: det,
        });
    }
    Ok([
        (h[3] * g[0] - h[1] * g[1]) / det,
        (h[0] * g[1] - h[2] * g[0]) / det,
    ])
}

/// Runs Newton's method from `(-1.2, 1)` until the loss is below
/// [`TARGET_LOSS`], or for at most [`MAX_ITERATIONS`] steps. Returns every
/// iterate, the start first.
///
/// # Errors
///
/// Returns [`Error::Argument`] if a Hessian is singular, which does not
/// happen on this path.
pub fn minimize() -> Result<Vec<Iterate>, Error> {
    let mut point = Tensor::from(START);
    let mut iterates = Vec::new();

    loop {
        let (loss, g) = functional::value_and_grad(rosenbrock, &point)?;
        let p = point.to_vec();
        iterates.push(Iterate {
            point: [p[0], p[1]],
            loss,
        });
        if loss < TARGET_LOSS || iterates.len() > MAX_ITERATIONS {
            return Ok(iterates);
        }

        let h = functional::hessian(rosenbrock, &point)?;
        let step = solve(h.data(), g.data())?;
        point = point.sub(&Tensor::from(step))?;
    }
}

fn main() -> Result<(), Error> {
    let iterates = minimize()?;

    for (i, it) in iterates.iter().enumerate() {
        let [x, y] = it.point;
        println!(
            "iteration {i:2}: x = {x:+.12}, y = {y:+.12}, f = {:.6e}",
            it.loss
        );
    }
    let last = iterates.last().expect("at least the start");
    println!("final loss: {:e}", last.loss);
    Ok(())
}
