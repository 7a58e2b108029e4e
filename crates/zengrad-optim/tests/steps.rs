//! Single steps checked against hand computations, and the behaviours
//! around a step: parameters without a gradient, groups, clipping.

use zengrad_core::{Error, Grads, Param, Tape, Tensor};
use zengrad_optim::{
    Adam, AdamOptions, GradSource, LrGroups, Optimizer, ParamGrads, Sgd, SgdOptions,
    clip_grad_norm, clip_grad_value,
};

/// Tolerance for f64 results that a hand computation reaches by another
/// order of the same operations: a few units in the last place.
const F64_TOLERANCE: f64 = 1e-15;

#[track_caller]
fn assert_close(got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{got:?} vs {expected:?}");
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() <= F64_TOLERANCE, "{got:?} vs {expected:?}");
    }
}

/// Returns the gradients of `sum(c * w)` for each `(w, c)`: each
/// parameter's gradient is its `c`.
fn linear_grads(terms: &[(&Param<f64>, &[f64])]) -> Result<Grads<f64>, Error> {
    let tape = Tape::new();
    let mut loss = tape.constant(0.0);
    for (param, c) in terms {
        let c = Tensor::from_slice(c, param.value().shape())?;
        loss = loss + (tape.param(param) * tape.constant(c)).sum_all();
    }
    loss.backward()
}

#[test]
fn sgd_momentum_with_dampening_matches_a_hand_computation() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64, -2.0]));
    let options = SgdOptions {
        lr: 0.5,
        momentum: 0.9,
        dampening: 0.5,
        weight_decay: 0.1,
        ..Default::default()
    };
    let mut sgd = Sgd::new(&[&w], options)?;

    // Step 1: g = [1, 1] + 0.1 w = [1.1, 0.8]; the buffer starts at g, with
    // no dampening; w = w - 0.5 g = [0.45, -2.4].
    let grads = linear_grads(&[(&w, &[1.0, 1.0])])?;
    sgd.step(&mut [&mut w], &grads)?;
    assert_close(&w.value().to_vec(), &[0.45, -2.4]);

    // Step 2: g = [1, 1] + 0.1 w = [1.045, 0.76]; the buffer is
    // 0.9 b + 0.5 g = [1.5125, 1.1]; w = w - 0.5 b = [-0.30625, -2.95].
    let grads = linear_grads(&[(&w, &[1.0, 1.0])])?;
    sgd.step(&mut [&mut w], &grads)?;
    assert_close(&w.value().to_vec(), &[-0.30625, -2.95]);
    Ok(())
}

#[test]
fn adam_first_step_moves_each_value_by_lr_against_its_gradient() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64, 1.0, 1.0]));
    let options = AdamOptions {
        lr: 0.25,
        eps: 0.0,
        ..Default::default()
    };
    let mut adam = Adam::new(&[&w], options)?;

    // m = 0.1 g, v = 0.001 g^2; corrected, m / sqrt(v) = g / |g|.
    let grads = linear_grads(&[(&w, &[3.0, -0.5, 1e-3])])?;
    adam.step(&mut [&mut w], &grads)?;

    assert_close(&w.value().to_vec(), &[0.75, 1.25, 0.75]);
    Ok(())
}

#[test]
fn step_skips_a_parameter_without_a_gradient_and_starts_its_state_later() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64, 1.0]));
    let mut unused = Param::new(Tensor::from([5.0f64, 5.0]));
    let options = AdamOptions {
        lr: 0.5,
        eps: 0.0,
        ..Default::default()
    };
    let mut adam = Adam::new(&[&w, &unused], options)?;

    for _ in 0..3 {
        let grads = linear_grads(&[(&w, &[1.0, 1.0])])?;
        assert!(grads.grad(unused.id()).is_none());
        adam.step(&mut [&mut w, &mut unused], &grads)?;
    }
    assert_eq!(unused.value().to_vec(), [5.0, 5.0]);

    // Its first gradient gets a first step, of lr, as in PyTorch, where a
    // parameter's step count starts with its first gradient.
    let grads = linear_grads(&[(&w, &[1.0, 1.0]), (&unused, &[2.0, -2.0])])?;
    adam.step(&mut [&mut w, &mut unused], &grads)?;
    assert_close(&unused.value().to_vec(), &[4.5, 5.5]);
    Ok(())
}

#[test]
fn groups_step_with_their_own_rate_and_weight_decay() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([2.0f64]));
    let mut b = Param::new(Tensor::from([2.0f64]));
    let options = SgdOptions {
        lr: 0.1,
        weight_decay: 0.5,
        ..Default::default()
    };
    let mut sgd = Sgd::new(&[&w], options.clone())?;
    sgd.add_group(
        &[&b],
        SgdOptions {
            lr: 0.2,
            weight_decay: 0.0,
            ..options
        },
    )?;

    // w: g = 1 + 0.5 * 2 = 2, w = 2 - 0.1 * 2; b: g = 1, b = 2 - 0.2 * 1.
    let grads = linear_grads(&[(&w, &[1.0]), (&b, &[1.0])])?;
    sgd.step(&mut [&mut w, &mut b], &grads)?;

    assert_close(&w.value().to_vec(), &[1.8]);
    assert_close(&b.value().to_vec(), &[1.8]);
    assert_eq!(sgd.options(1).map(|o| o.weight_decay), Some(0.0));
    Ok(())
}

#[test]
fn set_lr_changes_the_next_step() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64]));
    let mut sgd = Sgd::new(&[&w], SgdOptions::default())?;
    sgd.set_lr(0, 0.25)?;

    let grads = linear_grads(&[(&w, &[2.0])])?;
    sgd.step(&mut [&mut w], &grads)?;

    assert_eq!(w.value().to_vec(), [0.5]);
    assert_eq!(sgd.lr(0), Some(0.25));
    Ok(())
}

#[test]
fn clip_grad_norm_scales_every_gradient_by_one_factor() -> Result<(), Error> {
    let (w, b) = (
        Param::new(Tensor::from([3.0f64, 0.0])),
        Param::new(Tensor::from([4.0f64])),
    );
    let grads = linear_grads(&[(&w, &[3.0, 0.0]), (&b, &[4.0])])?;
    let mut clipped = ParamGrads::from(&grads);

    let norm = clip_grad_norm(&mut clipped, 2.5, 2.0)?;

    // The norm of [3, 0, 4] is 5, so each gradient is halved (less the
    // 1e-6 that PyTorch adds to the norm).
    assert_eq!(norm, 5.0);
    let scale = 2.5 / (5.0 + 1e-6);
    assert_eq!(
        clipped.grad(w.id()).map(|g| g.to_vec()),
        Some(vec![3.0 * scale, 0.0])
    );
    assert_eq!(
        clipped.grad(b.id()).map(|g| g.to_vec()),
        Some(vec![4.0 * scale])
    );
    Ok(())
}

#[test]
fn clip_grad_norm_leaves_small_gradients_alone_and_measures_other_norms() -> Result<(), Error> {
    let w = Param::new(Tensor::from([3.0f64, -4.0]));
    let grads = linear_grads(&[(&w, &[3.0, -4.0])])?;
    let mut clipped = ParamGrads::from(&grads);

    assert_eq!(clip_grad_norm(&mut clipped, 10.0, 2.0)?, 5.0);
    assert_eq!(clip_grad_norm(&mut clipped, 10.0, 1.0)?, 7.0);
    assert_eq!(clip_grad_norm(&mut clipped, 10.0, f64::INFINITY)?, 4.0);
    assert_eq!(
        clipped.grad(w.id()).map(|g| g.to_vec()),
        Some(vec![3.0, -4.0])
    );
    Ok(())
}

#[test]
fn clipping_leaves_the_original_grads_alone() -> Result<(), Error> {
    let w = Param::new(Tensor::from([3.0f64, -4.0]));
    let grads = linear_grads(&[(&w, &[3.0, -4.0])])?;
    let mut clipped = ParamGrads::from(&grads);

    clip_grad_value(&mut clipped, 1.0)?;

    assert_eq!(
        clipped.grad(w.id()).map(|g| g.to_vec()),
        Some(vec![1.0, -1.0])
    );
    assert_eq!(
        grads.grad(w.id()).map(|g| g.to_vec()),
        Some(vec![3.0, -4.0])
    );
    Ok(())
}

#[test]
fn clip_grad_norm_of_no_gradients_is_zero() -> Result<(), Error> {
    let mut clipped = ParamGrads::<f32>::new();

    assert_eq!(clip_grad_norm(&mut clipped, 1.0, 2.0)?, 0.0);
    assert!(clipped.is_empty());
    Ok(())
}

#[test]
fn param_grads_copy_from_follows_the_parameters_of_each_grads() -> Result<(), Error> {
    let (w, b) = (
        Param::new(Tensor::from([1.0f64, 1.0])),
        Param::new(Tensor::from([1.0f64])),
    );
    let mut copied = ParamGrads::new();

    copied.copy_from(&linear_grads(&[(&w, &[1.0, 2.0])])?);
    assert_eq!(copied.len(), 1);
    copied.copy_from(&linear_grads(&[(&w, &[3.0, 4.0]), (&b, &[5.0])])?);

    assert_eq!(copied.len(), 2);
    assert_eq!(
        copied.grad(w.id()).map(|g| g.to_vec()),
        Some(vec![3.0, 4.0])
    );
    assert_eq!(copied.grad(b.id()).map(|g| g.to_vec()), Some(vec![5.0]));
    if let Some(g) = copied.get_mut(b.id()) {
        g.data_mut()[0] = 6.0;
    }
    assert_eq!(
        copied.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        [w.id(), b.id()]
    );
    assert_eq!(copied.grad(b.id()).map(|g| g.to_vec()), Some(vec![6.0]));
    Ok(())
}
