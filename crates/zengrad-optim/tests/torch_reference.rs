//! zengrad-optim against torch.optim: for every optimizer and option, 20
//! steps on the small problem of `reference/generate.py` land where
//! PyTorch's land; every schedule gives PyTorch's learning rates.
//!
//! The reference numbers are in `reference/trajectories.txt`, written by
//! `reference/generate.py`. Each case names only the options it sets; the
//! others are left at zengrad's defaults here and at torch's there, so a
//! default that differs fails too.

mod support;

use support::{Case, Options, Problem, ScheduleCase, flag, number, pair, relative_error};
use zengrad_core::{Error, Float, Param};
use zengrad_optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, AdamWOptions, CosineAnnealingLr,
    ExponentialLr, LrGroups, LrScheduler, MultiStepLr, Optimizer, ParamGrads, RmsProp,
    RmsPropOptions, Sgd, SgdOptions, StepLr, WarmupCosine, clip_grad_norm, clip_grad_value,
};

/// How far an f64 value may sit from PyTorch's, relative to it: the
/// issue's bar. The two sides compute the same operations in the same
/// order, except for the gradients (zengrad's tape and torch's autograd
/// round differently, by an ulp or so) and the fused multiply-adds of
/// torch's vectorized kernels. Over 20 steps those 1e-16 differences grow
/// to 2.4e-14 at most (in `sgd_groups`); most cases agree to the bit.
const F64_RTOL: f64 = 1e-10;

/// The same bar for f32, where one rounding is 6e-8 rather than 1e-16: an
/// ulp or so per step, grown over 20 steps, stays below 1e-5 (the largest
/// seen is 2.2e-6, with momentum).
const F32_RTOL: f64 = 1e-5;

/// Returns an optimizer built as the case builds it in torch.
fn optimizer<F: Float>(case: &Case, problem: &Problem<F>) -> Result<Box<dyn Optimizer<F>>, Error> {
    let params = |i: usize| problem.named(&case.groups[i].0);
    let options = |i: usize| &case.groups[i].1;
    let rest = 1..case.groups.len();

    let optimizer: Box<dyn Optimizer<F>> = match case.optimizer.as_str() {
        "sgd" => {
            let mut sgd = Sgd::new(&params(0), sgd_options(options(0)))?;
            for i in rest {
                sgd.add_group(&params(i), sgd_options(options(i)))?;
            }
            Box::new(sgd)
        }
        "adam" => {
            let mut adam = Adam::new(&params(0), adam_options(options(0)))?;
            for i in rest {
                adam.add_group(&params(i), adam_options(options(i)))?;
            }
            Box::new(adam)
        }
        "adamw" => {
            let mut adamw = AdamW::new(&params(0), adamw_options(options(0)))?;
            for i in rest {
                adamw.add_group(&params(i), adamw_options(options(i)))?;
            }
            Box::new(adamw)
        }
        "rmsprop" => {
            let mut rmsprop = RmsProp::new(&params(0), rmsprop_options(options(0)))?;
            for i in rest {
                rmsprop.add_group(&params(i), rmsprop_options(options(i)))?;
            }
            Box::new(rmsprop)
        }
        "adagrad" => {
            let mut adagrad = Adagrad::new(&params(0), adagrad_options(options(0)))?;
            for i in rest {
                adagrad.add_group(&params(i), adagrad_options(options(i)))?;
            }
            Box::new(adagrad)
        }
        other => panic!("no optimizer {other}"),
    };
    Ok(optimizer)
}

fn sgd_options(options: &Options) -> SgdOptions {
    let mut o = SgdOptions::default();
    for (key, value) in options {
        match key.as_str() {
            "lr" => o.lr = number(value),
            "momentum" => o.momentum = number(value),
            "dampening" => o.dampening = number(value),
            "weight_decay" => o.weight_decay = number(value),
            "nesterov" => o.nesterov = flag(value),
            "maximize" => o.maximize = flag(value),
            _ => panic!("SgdOptions has no {key}"),
        }
    }
    o
}

fn adam_options(options: &Options) -> AdamOptions {
    let mut o = AdamOptions::default();
    for (key, value) in options {
        match key.as_str() {
            "lr" => o.lr = number(value),
            "betas" => o.betas = pair(value),
            "eps" => o.eps = number(value),
            "weight_decay" => o.weight_decay = number(value),
            "amsgrad" => o.amsgrad = flag(value),
            "maximize" => o.maximize = flag(value),
            _ => panic!("AdamOptions has no {key}"),
        }
    }
    o
}

fn adamw_options(options: &Options) -> AdamWOptions {
    let mut o = AdamWOptions::default();
    for (key, value) in options {
        match key.as_str() {
            "lr" => o.lr = number(value),
            "betas" => o.betas = pair(value),
            "eps" => o.eps = number(value),
            "weight_decay" => o.weight_decay = number(value),
            "amsgrad" => o.amsgrad = flag(value),
            "maximize" => o.maximize = flag(value),
            _ => panic!("AdamWOptions has no {key}"),
        }
    }
    o
}

fn rmsprop_options(options: &Options) -> RmsPropOptions {
    let mut o = RmsPropOptions::default();
    for (key, value) in options {
        match key.as_str() {
            "lr" => o.lr = number(value),
            "alpha" => o.alpha = number(value),
            "eps" => o.eps = number(value),
            "weight_decay" => o.weight_decay = number(value),
            "momentum" => o.momentum = number(value),
            "centered" => o.centered = flag(value),
            "maximize" => o.maximize = flag(value),
            _ => panic!("RmsPropOptions has no {key}"),
        }
    }
    o
}

fn adagrad_options(options: &Options) -> AdagradOptions {
    let mut o = AdagradOptions::default();
    for (key, value) in options {
        match key.as_str() {
            "lr" => o.lr = number(value),
            "lr_decay" => o.lr_decay = number(value),
            "weight_decay" => o.weight_decay = number(value),
            "initial_accumulator_value" => o.initial_accumulator_value = number(value),
            "eps" => o.eps = number(value),
            "maximize" => o.maximize = flag(value),
            _ => panic!("AdagradOptions has no {key}"),
        }
    }
    o
}

/// Returns the schedule `kind` with `args`, as `generate.py` builds it.
fn schedule(
    optimizer: &mut dyn LrGroups,
    (kind, args): &(String, Options),
) -> Result<Box<dyn LrScheduler>, Error> {
    let arg = |name: &str| -> &str {
        let (_, value) = args
            .iter()
            .find(|(key, _)| key == name)
            .unwrap_or_else(|| panic!("{kind} needs {name}"));
        value
    };
    let count = |name: &str| arg(name).parse::<usize>().expect("a count");

    let schedule: Box<dyn LrScheduler> = match kind.as_str() {
        "step_lr" => Box::new(StepLr::new(
            optimizer,
            count("step_size"),
            number(arg("gamma")),
        )?),
        "multi_step_lr" => {
            let milestones: Vec<usize> = arg("milestones")
                .split(',')
                .map(|m| m.parse().expect("an epoch"))
                .collect();
            Box::new(MultiStepLr::new(
                optimizer,
                &milestones,
                number(arg("gamma")),
            )?)
        }
        "exponential_lr" => Box::new(ExponentialLr::new(optimizer, number(arg("gamma")))?),
        "cosine_annealing_lr" => Box::new(CosineAnnealingLr::new(
            optimizer,
            count("t_max"),
            number(arg("eta_min")),
        )?),
        "warmup_cosine" => Box::new(WarmupCosine::new(
            optimizer,
            number(arg("start_factor")),
            count("warmup"),
            count("total"),
            number(arg("eta_min")),
        )?),
        other => panic!("no schedule {other}"),
    };
    Ok(schedule)
}

/// Runs a case in `F` and checks every value of every step, and every
/// gradient norm, against PyTorch's to `rtol`.
fn check_case<F: Float>(case: &Case, rtol: f64) -> Result<(), Error> {
    let mut problem = Problem::<F>::new();
    let mut optimizer = optimizer(case, &problem)?;
    let mut schedule = match &case.schedule {
        Some(spec) => Some(schedule(&mut *optimizer, spec)?),
        None => None,
    };
    let mut clipped = ParamGrads::new();
    let clip: Vec<&str> = case.clip.iter().flatten().map(String::as_str).collect();

    for (step, expected) in case.steps.iter().enumerate() {
        let grads = problem.grads()?;
        let params: &mut [&mut Param<F>] = &mut [&mut problem.a, &mut problem.b];
        match clip[..] {
            [] => optimizer.step(params, &grads)?,
            ["norm", max_norm, norm_type] => {
                clipped.copy_from(&grads);
                let norm = clip_grad_norm(&mut clipped, number(max_norm), number(norm_type))?;
                let error = relative_error(norm.as_f64(), case.norms[step]);
                assert!(
                    error <= rtol,
                    "{}: step {}: norm {} vs torch {}",
                    case.name,
                    step + 1,
                    norm,
                    case.norms[step]
                );
                optimizer.step(params, &clipped)?;
            }
            ["value", clip_value] => {
                clipped.copy_from(&grads);
                clip_grad_value(&mut clipped, number(clip_value))?;
                optimizer.step(params, &clipped)?;
            }
            _ => panic!("{}: unknown clip {clip:?}", case.name),
        }
        if let Some(schedule) = &mut schedule {
            schedule.step(&mut *optimizer)?;
        }

        let got = problem.values();
        for (i, (&got, &expected)) in got.iter().zip(expected).enumerate() {
            let error = relative_error(got, expected);
            assert!(
                error <= rtol,
                "{}: step {}, value {i}: {got} vs torch {expected} (relative error {error:e})",
                case.name,
                step + 1,
            );
        }
    }
    Ok(())
}

/// Runs every case whose name starts with `prefix`, except those that clip
/// or schedule (tested on their own), and returns their names.
fn check_cases(prefix: &str) -> Result<Vec<String>, Error> {
    let (cases, _) = support::reference();
    let mut names = Vec::new();
    let plain = |c: &&Case| c.clip.is_none() && c.schedule.is_none();
    for case in cases
        .iter()
        .filter(|c| c.name.starts_with(prefix))
        .filter(plain)
    {
        assert_eq!(case.steps.len(), 20, "{}", case.name);
        match case.dtype.as_str() {
            "f64" => check_case::<f64>(case, F64_RTOL)?,
            "f32" => check_case::<f32>(case, F32_RTOL)?,
            other => panic!("{}: no dtype {other}", case.name),
        }
        names.push(case.name.clone());
    }
    Ok(names)
}

#[test]
fn sgd_matches_torch_with_every_option() -> Result<(), Error> {
    let names = check_cases("sgd_")?;

    let expected = [
        "sgd_default",
        "sgd_lr",
        "sgd_momentum",
        "sgd_dampening",
        "sgd_nesterov",
        "sgd_weight_decay",
        "sgd_maximize",
        "sgd_all",
        "sgd_groups",
    ];
    for name in expected {
        assert!(names.iter().any(|n| n == name), "no case {name}");
    }
    Ok(())
}

#[test]
fn adam_matches_torch_with_every_option() -> Result<(), Error> {
    let names = check_cases("adam_")?;

    let expected = [
        "adam_default",
        "adam_lr",
        "adam_betas",
        "adam_eps",
        "adam_weight_decay",
        "adam_amsgrad",
        "adam_maximize",
        "adam_groups",
    ];
    for name in expected {
        assert!(names.iter().any(|n| n == name), "no case {name}");
    }
    Ok(())
}

#[test]
fn adamw_matches_torch_with_every_option() -> Result<(), Error> {
    let names = check_cases("adamw_")?;

    let expected = [
        "adamw_default",
        "adamw_weight_decay",
        "adamw_amsgrad",
        "adamw_maximize",
        "adamw_betas_eps",
        "adamw_groups",
    ];
    for name in expected {
        assert!(names.iter().any(|n| n == name), "no case {name}");
    }
    Ok(())
}

#[test]
fn rmsprop_matches_torch_with_every_option() -> Result<(), Error> {
    let names = check_cases("rmsprop_")?;

    let expected = [
        "rmsprop_default",
        "rmsprop_alpha",
        "rmsprop_eps",
        "rmsprop_momentum",
        "rmsprop_centered",
        "rmsprop_centered_momentum",
        "rmsprop_weight_decay",
        "rmsprop_maximize",
        "rmsprop_groups",
    ];
    for name in expected {
        assert!(names.iter().any(|n| n == name), "no case {name}");
    }
    Ok(())
}

#[test]
fn adagrad_matches_torch_with_every_option() -> Result<(), Error> {
    let names = check_cases("adagrad_")?;

    let expected = [
        "adagrad_default",
        "adagrad_lr",
        "adagrad_lr_decay",
        "adagrad_initial_accumulator",
        "adagrad_eps",
        "adagrad_weight_decay",
        "adagrad_maximize",
        "adagrad_groups",
    ];
    for name in expected {
        assert!(names.iter().any(|n| n == name), "no case {name}");
    }
    Ok(())
}

#[test]
fn clipping_before_each_step_matches_torch() -> Result<(), Error> {
    let (cases, _) = support::reference();
    let clipped: Vec<&Case> = cases.iter().filter(|c| c.clip.is_some()).collect();
    assert_eq!(clipped.len(), 4);

    for case in clipped {
        check_case::<f64>(case, F64_RTOL)?;
    }
    Ok(())
}

#[test]
fn schedules_stepped_while_training_match_torch() -> Result<(), Error> {
    let (cases, _) = support::reference();
    let scheduled: Vec<&Case> = cases.iter().filter(|c| c.schedule.is_some()).collect();
    assert_eq!(scheduled.len(), 2);

    for case in scheduled {
        check_case::<f64>(case, F64_RTOL)?;
    }
    Ok(())
}

#[test]
fn f32_steps_match_torch_in_f32() -> Result<(), Error> {
    let names = check_cases("f32_")?;

    assert_eq!(names.len(), 5);
    Ok(())
}

/// Checks the learning rates of a schedule case at every epoch.
fn check_schedule(case: &ScheduleCase) -> Result<(), Error> {
    let p0 = Param::new(zengrad_core::Tensor::<f64>::zeros([1]));
    let p1 = Param::new(zengrad_core::Tensor::<f64>::zeros([1]));
    let mut sgd = Sgd::new(
        &[&p0],
        SgdOptions {
            lr: 0.1,
            ..Default::default()
        },
    )?;
    sgd.add_group(
        &[&p1],
        SgdOptions {
            lr: 0.05,
            ..Default::default()
        },
    )?;
    let mut schedule = schedule(&mut sgd, &case.schedule)?;

    for (epoch, expected) in case.lrs.iter().enumerate() {
        if epoch > 0 {
            schedule.step(&mut sgd)?;
        }
        assert_eq!(schedule.last_epoch(), epoch);
        for (group, (&got, &expected)) in schedule.last_lr().iter().zip(expected).enumerate() {
            assert_eq!(sgd.lr(group), Some(got));
            let error = relative_error(got, expected);
            assert!(
                error <= F64_RTOL,
                "{}: epoch {epoch}, group {group}: {got} vs torch {expected}",
                case.name
            );
        }
    }
    Ok(())
}

#[test]
fn schedules_match_torch_learning_rates() -> Result<(), Error> {
    let (_, schedules) = support::reference();
    assert_eq!(schedules.len(), 7);

    for case in &schedules {
        assert_eq!(case.lrs.len(), 41, "{}", case.name);
        check_schedule(case)?;
    }
    Ok(())
}
