//! Runs the training loops of the examples and checks where they end.
//!
//! Each example is compiled into this test as a module: its `train`
//! function is the loop that `cargo run --example` prints from.

// The examples' `main` functions are not called here.
#[allow(dead_code)]
#[path = "../examples/xor.rs"]
mod xor;

#[allow(dead_code)]
#[path = "../examples/sigmoid_mlp.rs"]
mod sigmoid_mlp;

use std::f64::consts::LN_2;

use zengrad::Error;

/// How far the W6 network's final loss may sit from ln 2: after 1000 epochs
/// the benchmark's check value is 0.693160, 1.3e-5 above it.
const LN_2_TOLERANCE: f64 = 1e-4;

/// How far each of the W6 network's predictions may sit from 0.5.
const HALF_TOLERANCE: f64 = 0.01;

/// How far the W6 network's final loss may sit from the benchmark's check
/// value, which is printed with six decimals.
const CHECK_TOLERANCE: f64 = 5e-7;

#[test]
fn xor_trains_below_the_target_loss() -> Result<(), Error> {
    let run = xor::train()?;

    assert!(run.final_loss() < 0.01, "final loss {}", run.final_loss());
    assert!(run.final_loss() < run.losses[0]);

    // Each prediction is on the right side of 0.5.
    let targets = [0.0, 1.0, 1.0, 0.0];
    assert_eq!(run.predictions.len(), 4);
    for (p, y) in run.predictions.iter().zip(targets) {
        assert!((p - y).abs() < 0.5, "prediction {p} for target {y}");
    }
    Ok(())
}

#[test]
fn sigmoid_mlp_ends_at_ln_2_with_every_prediction_at_one_half() -> Result<(), Error> {
    let run = sigmoid_mlp::train()?;

    assert_eq!(run.losses.len(), 1000);
    assert!(
        (run.final_loss() - LN_2).abs() < LN_2_TOLERANCE,
        "final loss {}",
        run.final_loss()
    );
    assert!(
        (run.final_loss() - 0.693160).abs() < CHECK_TOLERANCE,
        "final loss {} is not the W6 check value 0.693160",
        run.final_loss()
    );
    assert_eq!(run.predictions.len(), 6);
    for p in &run.predictions {
        assert!((p - 0.5).abs() < HALF_TOLERANCE, "prediction {p}");
    }
    Ok(())
}

#[test]
fn sigmoid_mlp_loss_never_rises() -> Result<(), Error> {
    // Near ln 2 the loss is flat and convex enough that a step of 0.1
    // never overshoots.
    let run = sigmoid_mlp::train()?;

    for (epoch, pair) in run.losses.windows(2).enumerate() {
        assert!(
            pair[1] <= pair[0],
            "epoch {}: {} > {}",
            epoch + 2,
            pair[1],
            pair[0]
        );
    }
    Ok(())
}

#[test]
fn splitmix64_matches_the_benchmark_test_vectors() -> Result<(), Error> {
    // From shared/bench/py-peers/README.md: seed 0, first output, and
    // urand(0, [4], 0, 1).
    assert_eq!(sigmoid_mlp::splitmix64(0, 1), 0xe220_a839_7b1d_cdaf);

    let u = sigmoid_mlp::urand(0, [4], 0.0, 1.0)?;
    assert_eq!(
        u.to_vec(),
        [
            0.8833108082136426,
            0.43152799704850997,
            0.026433771592597743,
            0.9708819781538285
        ]
    );
    Ok(())
}
