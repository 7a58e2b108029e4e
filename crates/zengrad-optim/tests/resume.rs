//! Saving and restoring an optimizer's state: a run that stops, saves,
//! and resumes in a new optimizer ends bit for bit where an uninterrupted
//! run ends; a file is written whole or not at all; a truncated or corrupt
//! file is refused with a clear error and changes nothing.

mod support;

use std::fs;
use std::path::PathBuf;

use support::Problem;
use zengrad_core::{Error, Float, Param, Tensor};
use zengrad_optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, AdamWOptions, CosineAnnealingLr, LrGroups,
    LrScheduler, Optimizer, RmsProp, RmsPropOptions, Sgd, SgdOptions,
};

/// A fresh folder for one test's files, under the target directory.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("the target directory is writable");
    dir
}

/// Builds an optimizer of the problem's parameters, `a` and `b` in two
/// groups.
type Build<F, O> = fn(&Problem<F>) -> Result<O, Error>;

/// Takes `steps` steps, stepping `schedule` after each if there is one.
fn train<F: Float, O: Optimizer<F>>(
    problem: &mut Problem<F>,
    optimizer: &mut O,
    mut schedule: Option<&mut CosineAnnealingLr>,
    steps: usize,
) -> Result<(), Error> {
    for _ in 0..steps {
        let grads = problem.grads()?;
        optimizer.step(&mut [&mut problem.a, &mut problem.b], &grads)?;
        if let Some(schedule) = schedule.as_deref_mut() {
            schedule.step(optimizer)?;
        }
    }
    Ok(())
}

/// Trains 20 steps in one go, and 10 + 10 with a save and a restore into a
/// new optimizer (and new parameters, as a new process would have) between
/// them, with a cosine schedule throughout; returns both end points.
fn resume<F: Float, O: Optimizer<F>>(
    test: &str,
    build: Build<F, O>,
) -> Result<(Vec<f64>, Vec<f64>), Error> {
    let mut straight = Problem::<F>::new();
    let mut optimizer = build(&straight)?;
    let mut schedule = CosineAnnealingLr::new(&mut optimizer, 15, 1e-3)?;
    train(&mut straight, &mut optimizer, Some(&mut schedule), 20)?;

    let dir = scratch(test);
    let mut first = Problem::<F>::new();
    let mut optimizer = build(&first)?;
    let mut schedule = CosineAnnealingLr::new(&mut optimizer, 15, 1e-3)?;
    train(&mut first, &mut optimizer, Some(&mut schedule), 10)?;
    optimizer.save(dir.join("optimizer.ckpt"))?;
    schedule.save(dir.join("schedule.ckpt"))?;
    let values = (first.a.value().clone(), first.b.value().clone());
    drop((first, optimizer, schedule));

    let mut second = Problem::<F>::new();
    second.a.set(values.0);
    second.b.set(values.1);
    let mut optimizer = build(&second)?;
    let mut schedule = CosineAnnealingLr::new(&mut optimizer, 15, 1e-3)?;
    optimizer.load(dir.join("optimizer.ckpt"))?;
    schedule.load(dir.join("schedule.ckpt"))?;
    train(&mut second, &mut optimizer, Some(&mut schedule), 10)?;

    Ok((straight.values(), second.values()))
}

/// Asserts that two runs end at the same bits.
#[track_caller]
fn assert_bits(straight: &[f64], resumed: &[f64]) {
    let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(straight), bits(resumed), "{straight:?} vs {resumed:?}");
}

#[test]
fn sgd_resumes_bit_for_bit() -> Result<(), Error> {
    let (straight, resumed) = resume("sgd_resumes", |p: &Problem<f64>| {
        let options = SgdOptions {
            lr: 0.05,
            momentum: 0.9,
            nesterov: true,
            ..Default::default()
        };
        let mut sgd = Sgd::new(&[&p.a], options.clone())?;
        sgd.add_group(
            &[&p.b],
            SgdOptions {
                lr: 0.02,
                ..options
            },
        )?;
        Ok(sgd)
    })?;

    assert_bits(&straight, &resumed);
    Ok(())
}

#[test]
fn adam_with_amsgrad_resumes_bit_for_bit() -> Result<(), Error> {
    let (straight, resumed) = resume("adam_resumes", |p: &Problem<f64>| {
        let options = AdamOptions {
            lr: 0.05,
            amsgrad: true,
            ..Default::default()
        };
        let mut adam = Adam::new(&[&p.a], options.clone())?;
        adam.add_group(
            &[&p.b],
            AdamOptions {
                weight_decay: 0.1,
                ..options
            },
        )?;
        Ok(adam)
    })?;

    assert_bits(&straight, &resumed);
    Ok(())
}

#[test]
fn adamw_resumes_bit_for_bit_in_f32() -> Result<(), Error> {
    let (straight, resumed) = resume("adamw_resumes", |p: &Problem<f32>| {
        let options = AdamWOptions {
            lr: 0.05,
            ..Default::default()
        };
        let mut adamw = AdamW::new(&[&p.a], options.clone())?;
        adamw.add_group(
            &[&p.b],
            AdamWOptions {
                weight_decay: 0.0,
                ..options
            },
        )?;
        Ok(adamw)
    })?;

    assert_bits(&straight, &resumed);
    Ok(())
}

#[test]
fn rmsprop_resumes_bit_for_bit() -> Result<(), Error> {
    let (straight, resumed) = resume("rmsprop_resumes", |p: &Problem<f64>| {
        let options = RmsPropOptions {
            centered: true,
            momentum: 0.5,
            ..Default::default()
        };
        let mut rmsprop = RmsProp::new(&[&p.a], options.clone())?;
        rmsprop.add_group(
            &[&p.b],
            RmsPropOptions {
                centered: false,
                ..options
            },
        )?;
        Ok(rmsprop)
    })?;

    assert_bits(&straight, &resumed);
    Ok(())
}

#[test]
fn adagrad_resumes_bit_for_bit() -> Result<(), Error> {
    let (straight, resumed) = resume("adagrad_resumes", |p: &Problem<f64>| {
        let options = AdagradOptions {
            lr: 0.1,
            lr_decay: 0.1,
            ..Default::default()
        };
        let mut adagrad = Adagrad::new(&[&p.a], options.clone())?;
        adagrad.add_group(
            &[&p.b],
            AdagradOptions {
                initial_accumulator_value: 0.5,
                ..options
            },
        )?;
        Ok(adagrad)
    })?;

    assert_bits(&straight, &resumed);
    Ok(())
}

#[test]
fn load_restores_the_options_of_every_group() -> Result<(), Error> {
    let p = Problem::<f64>::new();
    let mut saved = Adam::new(&[&p.a], AdamOptions::default())?;
    saved.add_group(&[&p.b], AdamOptions::default())?;
    saved.set_lr(1, 0.25)?;
    let bytes = saved.to_bytes();

    let mut loaded = Adam::new(&[&p.a], AdamOptions::default())?;
    loaded.add_group(&[&p.b], AdamOptions::default())?;
    loaded.load_bytes(&bytes)?;

    assert_eq!(loaded.lr(0), Some(1e-3));
    assert_eq!(loaded.lr(1), Some(0.25));
    assert_eq!(loaded.to_bytes(), bytes);
    Ok(())
}

#[test]
fn save_writes_the_file_whole_and_leaves_no_temporary_file() -> Result<(), Error> {
    let dir = scratch("save_whole");
    let mut p = Problem::<f64>::new();
    let mut adam = Adam::new(&[&p.a, &p.b], AdamOptions::default())?;
    train(&mut p, &mut adam, None, 3)?;

    adam.save(dir.join("adam.ckpt"))?;

    assert_eq!(fs::read(dir.join("adam.ckpt")).ok(), Some(adam.to_bytes()));
    assert!(!dir.join("adam.ckpt.tmp").exists());
    Ok(())
}

#[test]
fn save_that_cannot_write_leaves_the_old_file() -> Result<(), Error> {
    let dir = scratch("save_fails");
    let path = dir.join("adam.ckpt");
    fs::write(&path, b"the previous checkpoint").expect("writable");
    // A folder where the temporary file goes makes the write fail.
    fs::create_dir(dir.join("adam.ckpt.tmp")).expect("writable");
    let p = Problem::<f64>::new();
    let adam = Adam::new(&[&p.a, &p.b], AdamOptions::default())?;

    let err = adam.save(&path).unwrap_err();

    assert_eq!(
        err,
        Error::Io {
            op: "save",
            action: "write",
            path: dir.join("adam.ckpt.tmp"),
            kind: std::io::ErrorKind::IsADirectory,
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "save: expected to write {}, got is a directory",
            dir.join("adam.ckpt.tmp").display()
        )
    );
    assert_eq!(
        fs::read(&path).ok().as_deref(),
        Some(&b"the previous checkpoint"[..])
    );
    Ok(())
}

#[test]
fn load_of_a_missing_file_names_it() -> Result<(), Error> {
    let dir = scratch("load_missing");
    let p = Problem::<f64>::new();
    let mut sgd = Sgd::new(&[&p.a], SgdOptions::default())?;

    let err = sgd.load(dir.join("none.ckpt")).unwrap_err();

    assert_eq!(
        err.to_string(),
        format!(
            "load: expected to read {}, got entity not found",
            dir.join("none.ckpt").display()
        )
    );
    Ok(())
}

/// Returns an Adam optimizer of the problem after 3 steps, with the
/// checkpoint it saved.
fn stepped_adam(p: &mut Problem<f64>) -> Result<(Adam<f64>, Vec<u8>), Error> {
    let mut adam = Adam::new(&[&p.a, &p.b], AdamOptions::default())?;
    train(p, &mut adam, None, 3)?;
    let bytes = adam.to_bytes();
    Ok((adam, bytes))
}

/// Asserts that loading `bytes` into `optimizer` fails with `message` and
/// leaves the optimizer's state as it was.
#[track_caller]
fn assert_refused<F: Float>(optimizer: &mut impl Optimizer<F>, bytes: &[u8], message: &str) {
    let before = optimizer.to_bytes();

    let err = optimizer.load_bytes(bytes).unwrap_err();

    assert_eq!(err.to_string(), message);
    assert_eq!(optimizer.to_bytes(), before, "the state changed");
}

#[test]
fn load_refuses_a_truncated_file_and_changes_nothing() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let (adam, bytes) = stepped_adam(&mut p)?;
    let mut other = Problem::<f64>::new();
    let (mut fresh, _) = stepped_adam(&mut other)?;
    fresh.set_lr(0, 0.5)?;
    assert_ne!(fresh.to_bytes(), bytes);

    // The state of Adam over [3] and [2, 2] is 206 bytes, as docs/optim.md
    // says.
    assert_eq!(bytes.len(), 206);
    let cut = &bytes[..bytes.len() - 9];
    assert_refused(
        &mut fresh,
        cut,
        "load: expected a length of 206 bytes, got 197 bytes",
    );
    assert_refused(
        &mut fresh,
        &bytes[..10],
        "load: expected a length of at least 24 bytes, got 10 bytes",
    );

    // The intact bytes load, and the loader's state is then the saver's.
    fresh.load_bytes(&bytes)?;
    assert_eq!(fresh.to_bytes(), adam.to_bytes());
    Ok(())
}

#[test]
fn load_refuses_a_corrupt_file_and_changes_nothing() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let (mut adam, bytes) = stepped_adam(&mut p)?;

    let mut flipped = bytes.clone();
    flipped[40] ^= 0x01;
    let err = adam.load_bytes(&flipped).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Checkpoint {
                what: "checksum",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("load: expected checksum 0x"),
        "{err}"
    );
    assert_eq!(adam.to_bytes(), bytes);

    let mut magic = bytes.clone();
    magic[..8].copy_from_slice(b"PK\x03\x04....");
    assert_refused(
        &mut adam,
        &magic,
        "load: expected magic bytes \"ZGRADCKP\", got \"PK\\x03\\x04....\"",
    );

    let mut version = bytes.clone();
    version[8] = 9;
    assert_refused(&mut adam, &version, "load: expected version 2, got 9");
    Ok(())
}

#[test]
fn load_refuses_the_state_of_another_optimizer_or_element_type() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let (mut adam, _) = stepped_adam(&mut p)?;
    let sgd = Sgd::new(&[&p.a, &p.b], SgdOptions::default())?;
    assert_refused(
        &mut adam,
        &sgd.to_bytes(),
        "load: expected optimizer adam, got sgd",
    );

    let adamw = AdamW::new(&[&p.a, &p.b], AdamWOptions::default())?;
    assert_refused(
        &mut adam,
        &adamw.to_bytes(),
        "load: expected optimizer adam, got adamw",
    );

    let p32 = Problem::<f32>::new();
    let adam32 = Adam::new(&[&p32.a, &p32.b], AdamOptions::default())?;
    assert_refused(
        &mut adam,
        &adam32.to_bytes(),
        "load: expected element type f64, got f32",
    );
    Ok(())
}

#[test]
fn load_refuses_other_groups_or_shapes() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let (mut adam, _) = stepped_adam(&mut p)?;

    let mut split = Adam::new(&[&p.a], AdamOptions::default())?;
    split.add_group(&[&p.b], AdamOptions::default())?;
    assert_refused(
        &mut adam,
        &split.to_bytes(),
        "load: expected group sizes [2], got [1, 1]",
    );

    let other = Param::new(Tensor::<f64>::zeros([4]));
    let reshaped = Adam::new(&[&p.a, &other], AdamOptions::default())?;
    assert_refused(
        &mut adam,
        &reshaped.to_bytes(),
        "load: expected parameter shapes [[3], [2, 2]], got [[3], [4]]",
    );
    Ok(())
}

#[test]
fn schedule_load_refuses_another_schedule() -> Result<(), Error> {
    let p = Problem::<f64>::new();
    let mut sgd = Sgd::new(&[&p.a], SgdOptions::default())?;
    let mut cosine = CosineAnnealingLr::new(&mut sgd, 10, 0.0)?;
    let step = zengrad_optim::StepLr::new(&mut sgd, 10, 0.5)?;
    let before = cosine.to_bytes();

    let err = cosine.load_bytes(&step.to_bytes()).unwrap_err();

    assert_eq!(
        err.to_string(),
        "load: expected schedule cosine_annealing_lr, got step_lr"
    );
    assert_eq!(cosine.to_bytes(), before);
    Ok(())
}

#[test]
fn schedule_load_refuses_another_group_count() -> Result<(), Error> {
    let p = Problem::<f64>::new();
    let mut one = Sgd::new(&[&p.a], SgdOptions::default())?;
    let saved = CosineAnnealingLr::new(&mut one, 10, 0.0)?;
    let mut two = Sgd::new(&[&p.a], SgdOptions::default())?;
    two.add_group(&[&p.b], SgdOptions::default())?;
    let mut cosine = CosineAnnealingLr::new(&mut two, 10, 0.0)?;
    let before = cosine.to_bytes();

    let err = cosine.load_bytes(&saved.to_bytes()).unwrap_err();

    assert_eq!(err.to_string(), "load: expected group count 2, got 1");
    assert_eq!(cosine.to_bytes(), before);
    Ok(())
}

#[test]
fn load_names_a_schedule_given_for_an_optimizer_and_the_reverse() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let (mut adam, _) = stepped_adam(&mut p)?;
    let mut cosine = CosineAnnealingLr::new(&mut adam, 10, 0.0)?;
    cosine.step(&mut adam)?;
    let before = cosine.to_bytes();

    assert_refused(
        &mut adam,
        &cosine.to_bytes(),
        "load: expected optimizer adam, got cosine_annealing_lr",
    );

    let err = cosine.load_bytes(&adam.to_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "load: expected schedule cosine_annealing_lr, got adam"
    );
    assert_eq!(cosine.to_bytes(), before);
    Ok(())
}
