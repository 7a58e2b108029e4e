//! Runs the examples that need second derivatives and checks where they
//! end: Newton's method with the exact Hessian, and the physics-informed
//! network trained through `u''`.
//!
//! Each example is compiled into this test as a module: its `minimize` or
//! `train` function is the loop that `cargo run --example` prints from.

// The examples' `main` functions are not called here.
#[allow(dead_code)]
#[path = "../examples/newton.rs"]
mod newton;

#[allow(dead_code)]
#[path = "../examples/pinn.rs"]
mod pinn;

use zengrad::Error;

/// How close Newton's last iterate must be to the minimum `(1, 1)`: at a
/// loss below 1e-10 the point is within about 1e-5 of it (the valley is
/// narrow across and shallow along, `f ≈ (1 - x)^2` there).
const NEWTON_POINT_TOLERANCE: f64 = 1e-4;

/// The largest error of the trained network against `sin x` that the
/// example promises.
const PINN_MAX_ERROR: f64 = 0.01;

#[test]
fn newton_reaches_the_minimum_of_rosenbrock_within_30_iterations() -> Result<(), Error> {
    let iterates = newton::minimize()?;
    let last = iterates.last().expect("at least the start");

    // The iterates are the start and one per Newton step.
    assert!(
        iterates.len() - 1 <= newton::MAX_ITERATIONS,
        "{} steps",
        iterates.len() - 1
    );
    assert!(
        last.loss < newton::TARGET_LOSS,
        "final loss {:e}",
        last.loss
    );
    assert_eq!(iterates[0].point, [-1.2, 1.0]);
    assert!(
        (iterates[0].loss - 24.2).abs() < 1e-12,
        "f(-1.2, 1) = {}",
        iterates[0].loss
    );
    for coordinate in last.point {
        assert!(
            (coordinate - 1.0).abs() < NEWTON_POINT_TOLERANCE,
            "final point {:?}",
            last.point
        );
    }
    Ok(())
}

#[test]
fn pinn_learns_sin_from_its_differential_equation() -> Result<(), Error> {
    let run = pinn::train()?;

    assert_eq!(run.losses.len(), pinn::EPOCHS);
    assert!(
        run.max_error < PINN_MAX_ERROR,
        "max error {}",
        run.max_error
    );
    assert!(
        run.losses[pinn::EPOCHS - 1] < run.losses[0] * 1e-3,
        "loss fell from {:e} to only {:e}",
        run.losses[0],
        run.losses[pinn::EPOCHS - 1]
    );

    // The grid covers [0, π], and the reported error is its largest.
    let (first, last) = (run.grid[0], run.grid[run.grid.len() - 1]);
    assert_eq!(first.0, 0.0);
    assert_eq!(last.0, std::f64::consts::PI);
    let largest = run.grid.iter().fold(0.0f64, |m, &(x, u, sin)| {
        assert_eq!(sin, x.sin());
        m.max((u - sin).abs())
    });
    assert_eq!(run.max_error, largest);
    Ok(())
}
