//! Every error path of the optimizers, schedules and clipping: the typed
//! `Error` it returns, and its full message, pinned (messages are API).

use zengrad_core::{Error, Param, Tape, Tensor};
use zengrad_optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, AdamWOptions, CosineAnnealingLr,
    ExponentialLr, LrGroups, LrScheduler, MultiStepLr, Optimizer, ParamGrads, RmsProp,
    RmsPropOptions, Sgd, SgdOptions, StepLr, WarmupCosine, clip_grad_norm, clip_grad_value,
};

/// Asserts that `result` failed with a message of `message`.
#[track_caller]
fn assert_message<T: std::fmt::Debug>(result: Result<T, Error>, message: &str) {
    let err = result.expect_err("the call fails");
    assert_eq!(err.to_string(), message);
}

fn param(dims: &[usize]) -> Param<f64> {
    Param::new(Tensor::zeros(dims))
}

#[test]
fn options_out_of_range_are_refused_with_the_option_named() {
    let p = param(&[2]);
    let sgd = |o: SgdOptions| Sgd::new(&[&p], o);
    let adam = |o: AdamOptions| Adam::new(&[&p], o);
    let adamw = |o: AdamWOptions| AdamW::new(&[&p], o);
    let rmsprop = |o: RmsPropOptions| RmsProp::new(&[&p], o);
    let adagrad = |o: AdagradOptions| Adagrad::new(&[&p], o);

    let cases: Vec<(Result<(), Error>, &str)> = vec![
        (
            sgd(SgdOptions {
                lr: -0.1,
                ..Default::default()
            })
            .map(drop),
            "sgd: expected lr >= 0, got -0.1",
        ),
        (
            sgd(SgdOptions {
                momentum: f64::NAN,
                ..Default::default()
            })
            .map(drop),
            "sgd: expected momentum >= 0, got NaN",
        ),
        (
            sgd(SgdOptions {
                weight_decay: -1.0,
                ..Default::default()
            })
            .map(drop),
            "sgd: expected weight_decay >= 0, got -1",
        ),
        (
            sgd(SgdOptions {
                nesterov: true,
                ..Default::default()
            })
            .map(drop),
            "sgd: expected momentum > 0 with nesterov, got 0",
        ),
        (
            sgd(SgdOptions {
                nesterov: true,
                momentum: 0.9,
                dampening: 0.1,
                ..Default::default()
            })
            .map(drop),
            "sgd: expected dampening 0 with nesterov, got 0.1",
        ),
        (
            adam(AdamOptions {
                betas: (1.0, 0.999),
                ..Default::default()
            })
            .map(drop),
            "adam: expected betas.0 in [0, 1), got 1",
        ),
        (
            adam(AdamOptions {
                betas: (0.9, -0.5),
                ..Default::default()
            })
            .map(drop),
            "adam: expected betas.1 in [0, 1), got -0.5",
        ),
        (
            adam(AdamOptions {
                eps: -1e-8,
                ..Default::default()
            })
            .map(drop),
            "adam: expected eps >= 0, got -0.00000001",
        ),
        (
            adamw(AdamWOptions {
                weight_decay: -0.01,
                ..Default::default()
            })
            .map(drop),
            "adamw: expected weight_decay >= 0, got -0.01",
        ),
        (
            rmsprop(RmsPropOptions {
                alpha: -0.9,
                ..Default::default()
            })
            .map(drop),
            "rmsprop: expected alpha >= 0, got -0.9",
        ),
        (
            rmsprop(RmsPropOptions {
                momentum: -0.9,
                ..Default::default()
            })
            .map(drop),
            "rmsprop: expected momentum >= 0, got -0.9",
        ),
        (
            adagrad(AdagradOptions {
                lr_decay: -1.0,
                ..Default::default()
            })
            .map(drop),
            "adagrad: expected lr_decay >= 0, got -1",
        ),
        (
            adagrad(AdagradOptions {
                initial_accumulator_value: -1.0,
                ..Default::default()
            })
            .map(drop),
            "adagrad: expected initial_accumulator_value >= 0, got -1",
        ),
    ];
    for (result, message) in cases {
        assert_message(result, message);
    }
}

#[test]
fn a_parameter_given_twice_is_refused() -> Result<(), Error> {
    let (w, b) = (param(&[2]), param(&[1]));
    let message = format!(
        "sgd: expected each parameter in one group once, got parameter #{} again",
        w.id().get()
    );
    assert_message(Sgd::new(&[&w, &w], SgdOptions::default()), &message);

    let mut sgd = Sgd::new(&[&w], SgdOptions::default())?;
    assert_message(sgd.add_group(&[&b, &w], SgdOptions::default()), &message);

    // The refused group is not half added.
    assert_eq!(sgd.group_count(), 1);
    sgd.add_group(&[&b], SgdOptions::default())?;
    assert_eq!(sgd.group_count(), 2);
    Ok(())
}

#[test]
fn set_lr_refuses_a_missing_group_and_a_negative_rate() -> Result<(), Error> {
    let w = param(&[2]);
    let mut adam = Adam::new(&[&w], AdamOptions::default())?;

    assert_message(
        adam.set_lr(1, 0.1),
        "set_lr: expected a group index below 1, got 1",
    );
    assert_message(adam.set_lr(0, -0.1), "set_lr: expected lr >= 0, got -0.1");
    assert_message(
        adam.set_options(3, AdamOptions::default()),
        "set_options: expected a group index below 1, got 3",
    );
    assert_eq!(adam.lr(0), Some(1e-3));
    assert_eq!(adam.lr(1), None);
    Ok(())
}

#[test]
fn step_refuses_a_parameter_it_does_not_hold_and_changes_nothing() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64, 2.0]));
    let mut stranger = Param::new(Tensor::from([3.0f64]));
    let mut adam = Adam::new(&[&w], AdamOptions::default())?;
    let grads = {
        let tape = Tape::new();
        (tape.param(&w).sum_all() + tape.param(&stranger).sum_all()).backward()?
    };

    let result = adam.step(&mut [&mut w, &mut stranger], &grads);

    assert_message(
        result,
        &format!(
            "adam: expected a parameter of the optimizer, got parameter #{}",
            stranger.id().get()
        ),
    );
    assert_eq!(w.value().to_vec(), [1.0, 2.0]);
    Ok(())
}

#[test]
fn step_refuses_a_value_whose_shape_changed() -> Result<(), Error> {
    let mut w = Param::new(Tensor::from([1.0f64, 2.0]));
    let mut rmsprop = RmsProp::new(&[&w], RmsPropOptions::default())?;
    w.set(Tensor::from([1.0, 2.0, 3.0]));
    let grads = {
        let tape = Tape::new();
        tape.param(&w).sum_all().backward()?
    };

    let result = rmsprop.step(&mut [&mut w], &grads);

    assert_message(result, "rmsprop: expected shape [2], got [3]");
    assert_eq!(w.value().to_vec(), [1.0, 2.0, 3.0]);
    Ok(())
}

#[test]
fn clipping_refuses_negative_bounds() {
    let mut grads = ParamGrads::<f64>::new();

    assert_message(
        clip_grad_norm(&mut grads, -1.0, 2.0),
        "clip_grad_norm: expected max_norm >= 0, got -1",
    );
    assert_message(
        clip_grad_norm(&mut grads, 1.0, 0.0),
        "clip_grad_norm: expected norm_type > 0, got 0",
    );
    assert_message(
        clip_grad_value(&mut grads, f64::NAN),
        "clip_grad_value: expected clip_value >= 0, got NaN",
    );
}

#[test]
fn schedules_refuse_arguments_out_of_range() -> Result<(), Error> {
    let w = param(&[2]);
    let mut sgd = Sgd::new(&[&w], SgdOptions::default())?;

    assert_message(
        StepLr::new(&mut sgd, 0, 0.1),
        "step_lr: expected step_size >= 1, got 0",
    );
    assert_message(
        MultiStepLr::new(&mut sgd, &[2], f64::INFINITY),
        "multi_step_lr: expected a finite gamma, got inf",
    );
    assert_message(
        ExponentialLr::new(&mut sgd, f64::NAN),
        "exponential_lr: expected a finite gamma, got NaN",
    );
    assert_message(
        CosineAnnealingLr::new(&mut sgd, 0, 0.0),
        "cosine_annealing_lr: expected t_max >= 1, got 0",
    );
    assert_message(
        WarmupCosine::new(&mut sgd, 0.0, 5, 10, 0.0),
        "warmup_cosine: expected start_factor in (0, 1], got 0",
    );
    assert_message(
        WarmupCosine::new(&mut sgd, 0.5, 0, 10, 0.0),
        "warmup_cosine: expected warmup >= 1, got 0",
    );
    assert_message(
        WarmupCosine::new(&mut sgd, 0.5, 10, 10, 0.0),
        "warmup_cosine: expected total above warmup, got 10",
    );

    // None of the refused schedules touched the rate.
    assert_eq!(sgd.lr(0), Some(1e-3));
    Ok(())
}

#[test]
fn schedule_refuses_an_optimizer_whose_groups_changed() -> Result<(), Error> {
    let (w, b) = (param(&[2]), param(&[1]));
    let mut sgd = Sgd::new(
        &[&w],
        SgdOptions {
            lr: 1.0,
            ..Default::default()
        },
    )?;
    let mut schedule = ExponentialLr::new(&mut sgd, 0.5)?;
    sgd.add_group(&[&b], SgdOptions::default())?;

    assert_message(
        schedule.step(&mut sgd),
        "exponential_lr: expected a group index below 1, got 1",
    );
    assert_eq!(sgd.lr(0), Some(1.0));
    assert_eq!(schedule.last_epoch(), 0);
    Ok(())
}
