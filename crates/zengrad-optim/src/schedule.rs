//! Learning-rate schedules, as `torch.optim.lr_scheduler`: each sets the
//! learning rate of every group of an optimizer, once per epoch (or per
//! step, as the caller counts).
//!
//! A schedule takes the optimizer's learning rates when it is made as the
//! base rates, and sets the rate of epoch 0 at once. Each
//! [`step`](LrScheduler::step) then moves to the next epoch and sets its
//! rate. The rates follow PyTorch's recursive ("chainable") forms, which
//! compute each rate from the group's current one, so the sequences of
//! [`last_lr`](LrScheduler::last_lr) are PyTorch's `get_last_lr()`, to the
//! last bit or nearly.
//!
//! The rate at epoch `e`, in closed form:
//!
//! - [`StepLr`]: `base * gamma^floor(e / step_size)`.
//! - [`MultiStepLr`]: `base * gamma^(milestones passed)`.
//! - [`ExponentialLr`]: `base * gamma^e`.
//! - [`CosineAnnealingLr`]:
//!   `eta_min + (base - eta_min) * (1 + cos(pi * e / t_max)) / 2`.
//! - [`WarmupCosine`]: linear from `base * start_factor` to `base` over the
//!   warmup, then the cosine down to `eta_min`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zengrad_core::Error;

use crate::LrGroups;
use crate::checkpoint;

/// A learning-rate schedule: sets the learning rates of an optimizer's
/// groups, epoch after epoch.
///
/// Call [`step`](LrScheduler::step) after the optimizer's step, once per
/// epoch, as in PyTorch.
pub trait LrScheduler {
    /// Moves to the next epoch and sets the learning rate of each group of
    /// `optimizer`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Group`] when the optimizer does not have the groups
    /// it had when the schedule was made.
    fn step(&mut self, optimizer: &mut dyn LrGroups) -> Result<(), Error>;

    /// Returns the learning rate that the last step (or the schedule's
    /// start) set for each group.
    fn last_lr(&self) -> &[f64];

    /// Returns the epoch of the last step: 0 when the schedule has just
    /// been made.
    fn last_epoch(&self) -> usize;

    /// Returns the schedule's progress as a checkpoint: its epoch and the
    /// base and last rates of each group.
    fn to_bytes(&self) -> Vec<u8>;

    /// Replaces the schedule's progress with that of a checkpoint made by
    /// [`to_bytes`](LrScheduler::to_bytes). The schedule's own parameters
    /// (`gamma`, `t_max`, ...) are those it was made with.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Checkpoint`] when the bytes are truncated or
    /// corrupt, or hold the progress of another kind of schedule or of
    /// another number of groups. On an error nothing changes.
    fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), Error>;

    /// Writes the progress to a file, whole or not at all, as
    /// [`Optimizer::save`](crate::Optimizer::save) does.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Io`] when the file cannot be written or renamed.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        checkpoint::write_file(path.as_ref(), &self.to_bytes())
    }

    /// Reads the progress from a file written by
    /// [`save`](LrScheduler::save).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Io`] when the file cannot be read, and the errors
    /// of [`load_bytes`](LrScheduler::load_bytes).
    fn load(&mut self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        let bytes = checkpoint::read_file(path.as_ref())?;
        self.load_bytes(&bytes)
    }
}

/// What every schedule keeps: the epoch, and the base and last learning
/// rate of each group. A checkpoint holds the schedule's name, then the
/// rest as serde encodes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Progress {
    /// The schedule's name, as errors and checkpoints spell it.
    #[serde(skip)]
    op: &'static str,
    last_epoch: usize,
    base_lrs: Vec<f64>,
    last_lrs: Vec<f64>,
}

impl Progress {
    /// Returns a placeholder, which allocates nothing.
    fn empty() -> Progress {
        Progress {
            op: "",
            last_epoch: 0,
            base_lrs: Vec::new(),
            last_lrs: Vec::new(),
        }
    }

    /// Takes the optimizer's rates as the base rates and sets the rates of
    /// epoch 0, `rule(0, lr, base)`.
    fn start(
        op: &'static str,
        optimizer: &mut dyn LrGroups,
        rule: impl Fn(usize, f64, f64) -> f64,
    ) -> Result<Progress, Error> {
        let base_lrs: Vec<f64> = (0..optimizer.group_count())
            .map(|group| {
                optimizer
                    .lr(group)
                    .expect("internal error: groups count from 0")
            })
            .collect();
        let mut progress = Progress {
            op,
            last_epoch: 0,
            last_lrs: base_lrs.clone(),
            base_lrs,
        };
        progress.apply(optimizer, rule)?;
        Ok(progress)
    }

    /// Moves to the next epoch and sets its rates, `rule(epoch, lr, base)`.
    fn step(
        &mut self,
        optimizer: &mut dyn LrGroups,
        rule: impl Fn(usize, f64, f64) -> f64,
    ) -> Result<(), Error> {
        self.check(optimizer)?;
        self.last_epoch += 1;
        self.apply(optimizer, rule)
    }

    fn check(&self, optimizer: &dyn LrGroups) -> Result<(), Error> {
        let count = self.base_lrs.len();
        if optimizer.group_count() != count {
            return Err(Error::Group {
                op: self.op,
                group: optimizer.group_count().max(count) - 1,
                count: optimizer.group_count().min(count),
            });
        }
        Ok(())
    }

    fn apply(
        &mut self,
        optimizer: &mut dyn LrGroups,
        rule: impl Fn(usize, f64, f64) -> f64,
    ) -> Result<(), Error> {
        for (group, &base) in self.base_lrs.iter().enumerate() {
            let lr = optimizer
                .lr(group)
                .expect("internal error: the group count was checked");
            let lr = rule(self.last_epoch, lr, base);
            optimizer.set_lr(group, lr)?;
            self.last_lrs[group] = lr;
        }
        Ok(())
    }

    fn to_bytes(&self) -> Vec<u8> {
        checkpoint::encode(&(self.op, self))
    }

    fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let mut payload = checkpoint::open(bytes)?;
        checkpoint::expect("schedule", self.op, payload.take()?)?;
        let loaded: Progress = payload.take()?;
        payload.finish()?;

        let count = self.base_lrs.len();
        checkpoint::expect("group count", count, loaded.base_lrs.len())?;
        checkpoint::expect("group count", count, loaded.last_lrs.len())?;

        *self = Progress {
            op: self.op,
            ..loaded
        };
        Ok(())
    }
}

/// Returns `Error::Argument` unless `value` is finite.
fn check_finite(op: &'static str, expected: &'static str, value: f64) -> Result<(), Error> {
    if !value.is_finite() {
        return Err(Error::Argument {
            op,
            expected,
            got: value,
        });
    }
    Ok(())
}

/// Returns `Error::Argument` unless `value` is at least 1.
fn check_positive(op: &'static str, expected: &'static str, value: usize) -> Result<(), Error> {
    if value == 0 {
        return Err(Error::Argument {
            op,
            expected,
            got: 0.0,
        });
    }
    Ok(())
}

/// Implements [`LrScheduler`] for a schedule with a `progress` field and a
/// `rule(&self, epoch, lr, base) -> f64` method.
macro_rules! scheduler {
    ($name:ident) => {
        impl LrScheduler for $name {
            fn step(&mut self, optimizer: &mut dyn LrGroups) -> Result<(), Error> {
                // The progress is taken out for the step, so that the rule
                // can borrow the rest of the schedule.
                let mut progress = std::mem::replace(&mut self.progress, Progress::empty());
                let stepped =
                    progress.step(optimizer, |epoch, lr, base| self.rule(epoch, lr, base));
                self.progress = progress;
                stepped
            }

            fn last_lr(&self) -> &[f64] {
                &self.progress.last_lrs
            }

            fn last_epoch(&self) -> usize {
                self.progress.last_epoch
            }

            fn to_bytes(&self) -> Vec<u8> {
                self.progress.to_bytes()
            }

            fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
                self.progress.load_bytes(bytes)
            }
        }
    };
}

/// Multiplies the learning rate by `gamma` every `step_size` epochs:
/// `torch.optim.lr_scheduler.StepLR`.
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tensor};
/// use zengrad_optim::{LrGroups, LrScheduler, Sgd, SgdOptions, StepLr};
///
/// let w = Param::new(Tensor::<f64>::zeros([2]));
/// let mut sgd = Sgd::new(&[&w], SgdOptions { lr: 1.0, ..Default::default() })?;
/// let mut schedule = StepLr::new(&mut sgd, 2, 0.5)?;
///
/// let mut lrs = vec![sgd.lr(0).unwrap()];
/// for _ in 0..5 {
///     // sgd.step(...) comes here.
///     schedule.step(&mut sgd)?;
///     lrs.push(sgd.lr(0).unwrap());
/// }
/// assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StepLr {
    step_size: usize,
    gamma: f64,
    progress: Progress,
}

impl StepLr {
    /// Returns the schedule, and sets the rate of epoch 0, the optimizer's
    /// current rate.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `step_size` is 0 or `gamma` is not
    /// finite.
    pub fn new(
        optimizer: &mut dyn LrGroups,
        step_size: usize,
        gamma: f64,
    ) -> Result<StepLr, Error> {
        const OP: &str = "step_lr";
        check_positive(OP, "step_size >= 1", step_size)?;
        check_finite(OP, "a finite gamma", gamma)?;
        let schedule = StepLr {
            step_size,
            gamma,
            progress: Progress::start(OP, optimizer, |_, lr, _| lr)?,
        };
        Ok(schedule)
    }

    fn rule(&self, epoch: usize, lr: f64, _base: f64) -> f64 {
        if epoch == 0 || !epoch.is_multiple_of(self.step_size) {
            lr
        } else {
            lr * self.gamma
        }
    }
}

scheduler!(StepLr);

/// Multiplies the learning rate by `gamma` at each milestone epoch:
/// `torch.optim.lr_scheduler.MultiStepLR`.
///
/// A milestone listed twice multiplies by `gamma` twice, as in PyTorch.
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tensor};
/// use zengrad_optim::{LrScheduler, MultiStepLr, Sgd, SgdOptions};
///
/// let w = Param::new(Tensor::<f64>::zeros([2]));
/// let mut sgd = Sgd::new(&[&w], SgdOptions { lr: 1.0, ..Default::default() })?;
/// let mut schedule = MultiStepLr::new(&mut sgd, &[1, 3], 0.5)?;
///
/// let mut lrs = vec![schedule.last_lr()[0]];
/// for _ in 0..4 {
///     schedule.step(&mut sgd)?;
///     lrs.push(schedule.last_lr()[0]);
/// }
/// assert_eq!(lrs, [1.0, 0.5, 0.5, 0.25, 0.25]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MultiStepLr {
    /// The milestones, sorted, each with the number of times it was given.
    milestones: Vec<(usize, u32)>,
    gamma: f64,
    progress: Progress,
}

impl MultiStepLr {
    /// Returns the schedule, and sets the rate of epoch 0, the optimizer's
    /// current rate.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `gamma` is not finite.
    pub fn new(
        optimizer: &mut dyn LrGroups,
        milestones: &[usize],
        gamma: f64,
    ) -> Result<MultiStepLr, Error> {
        const OP: &str = "multi_step_lr";
        check_finite(OP, "a finite gamma", gamma)?;
        let mut counted: Vec<(usize, u32)> = Vec::new();
        let mut sorted = milestones.to_vec();
        sorted.sort_unstable();
        for epoch in sorted {
            match counted.last_mut() {
                Some((last, count)) if *last == epoch => *count += 1,
                _ => counted.push((epoch, 1)),
            }
        }
        Ok(MultiStepLr {
            milestones: counted,
            gamma,
            progress: Progress::start(OP, optimizer, |_, lr, _| lr)?,
        })
    }

    fn rule(&self, epoch: usize, lr: f64, _base: f64) -> f64 {
        match self.milestones.binary_search_by_key(&epoch, |m| m.0) {
            Ok(at) => lr * self.gamma.powf(f64::from(self.milestones[at].1)),
            Err(_) => lr,
        }
    }
}

scheduler!(MultiStepLr);

/// Multiplies the learning rate by `gamma` every epoch:
/// `torch.optim.lr_scheduler.ExponentialLR`.
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tensor};
/// use zengrad_optim::{ExponentialLr, LrScheduler, Sgd, SgdOptions};
///
/// let w = Param::new(Tensor::<f64>::zeros([2]));
/// let mut sgd = Sgd::new(&[&w], SgdOptions { lr: 1.0, ..Default::default() })?;
/// let mut schedule = ExponentialLr::new(&mut sgd, 0.5)?;
/// schedule.step(&mut sgd)?;
/// schedule.step(&mut sgd)?;
/// assert_eq!(schedule.last_lr(), [0.25]);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ExponentialLr {
    gamma: f64,
    progress: Progress,
}

impl ExponentialLr {
    /// Returns the schedule, and sets the rate of epoch 0, the optimizer's
    /// current rate.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `gamma` is not finite.
    pub fn new(optimizer: &mut dyn LrGroups, gamma: f64) -> Result<ExponentialLr, Error> {
        const OP: &str = "exponential_lr";
        check_finite(OP, "a finite gamma", gamma)?;
        Ok(ExponentialLr {
            gamma,
            progress: Progress::start(OP, optimizer, |_, lr, _| lr)?,
        })
    }

    fn rule(&self, epoch: usize, lr: f64, _base: f64) -> f64 {
        if epoch == 0 { lr } else { lr * self.gamma }
    }
}

scheduler!(ExponentialLr);

/// Anneals the learning rate from its base to `eta_min` along half a cosine
/// over `t_max` epochs, and back up over the next `t_max`, and so on:
/// `torch.optim.lr_scheduler.CosineAnnealingLR`.
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tensor};
/// use zengrad_optim::{CosineAnnealingLr, LrScheduler, Sgd, SgdOptions};
///
/// let w = Param::new(Tensor::<f64>::zeros([2]));
/// let mut sgd = Sgd::new(&[&w], SgdOptions { lr: 1.0, ..Default::default() })?;
/// let mut schedule = CosineAnnealingLr::new(&mut sgd, 4, 0.0)?;
/// for _ in 0..2 {
///     schedule.step(&mut sgd)?;
/// }
/// // Halfway, the rate is halfway: (1 + cos(pi / 2)) / 2.
/// assert!((schedule.last_lr()[0] - 0.5).abs() < 1e-15);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealingLr {
    t_max: usize,
    eta_min: f64,
    progress: Progress,
}

impl CosineAnnealingLr {
    /// Returns the schedule, and sets the rate of epoch 0, the optimizer's
    /// current rate.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `t_max` is 0 or `eta_min` is not
    /// finite.
    pub fn new(
        optimizer: &mut dyn LrGroups,
        t_max: usize,
        eta_min: f64,
    ) -> Result<CosineAnnealingLr, Error> {
        const OP: &str = "cosine_annealing_lr";
        check_positive(OP, "t_max >= 1", t_max)?;
        check_finite(OP, "a finite eta_min", eta_min)?;
        Ok(CosineAnnealingLr {
            t_max,
            eta_min,
            progress: Progress::start(OP, optimizer, |_, lr, _| lr)?,
        })
    }

    fn rule(&self, epoch: usize, lr: f64, base: f64) -> f64 {
        cosine_rule(self.t_max, self.eta_min, epoch, lr, base)
    }
}

scheduler!(CosineAnnealingLr);

/// The recursive form of `CosineAnnealingLR.get_lr`, past epoch 0: the
/// next rate from the current one.
fn cosine_rule(t_max: usize, eta_min: f64, epoch: usize, lr: f64, base: f64) -> f64 {
    use std::f64::consts::PI;

    let (e, t) = (epoch as f64, t_max as f64);
    if epoch == 0 {
        lr
    } else if (epoch as i128 - 1 - t_max as i128).rem_euclid(2 * t_max as i128) == 0 {
        // The first epoch of a rise back up from eta_min.
        lr + (base - eta_min) * (1.0 - (PI / t).cos()) / 2.0
    } else {
        (1.0 + (PI * e / t).cos()) / (1.0 + (PI * (e - 1.0) / t).cos()) * (lr - eta_min) + eta_min
    }
}

/// Warms the learning rate up linearly from `base * start_factor` to `base`
/// over `warmup` epochs, then anneals it along half a cosine to `eta_min`
/// at epoch `total`.
///
/// It is PyTorch's
///
/// ```text
/// SequentialLR(optimizer, [
///     LinearLR(optimizer, start_factor, 1.0, total_iters=warmup),
///     CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=eta_min),
/// ], milestones=[warmup])
/// ```
///
/// with the same sequence of rates. As `LinearLR` requires, the warmup
/// starts above 0: `start_factor` is in `(0, 1]`.
///
/// # Examples
///
/// ```
/// use zengrad_core::{Error, Param, Tensor};
/// use zengrad_optim::{LrScheduler, Sgd, SgdOptions, WarmupCosine};
///
/// let w = Param::new(Tensor::<f64>::zeros([2]));
/// let mut sgd = Sgd::new(&[&w], SgdOptions { lr: 1.0, ..Default::default() })?;
/// let mut schedule = WarmupCosine::new(&mut sgd, 0.25, 3, 5, 0.0)?;
///
/// let mut lrs = vec![schedule.last_lr()[0]];
/// for _ in 0..5 {
///     schedule.step(&mut sgd)?;
///     lrs.push(schedule.last_lr()[0]);
/// }
/// let expected = [0.25, 0.5, 0.75, 1.0, 0.5, 0.0];
/// for (lr, expected) in lrs.iter().zip(expected) {
///     assert!((lr - expected).abs() < 1e-15, "{lrs:?}");
/// }
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct WarmupCosine {
    start_factor: f64,
    warmup: usize,
    total: usize,
    eta_min: f64,
    progress: Progress,
}

impl WarmupCosine {
    /// Returns the schedule, and sets the rate of epoch 0,
    /// `start_factor` times the optimizer's current rate.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Argument`] when `start_factor` is outside `(0, 1]`,
    /// `warmup` is 0, `total` is not above `warmup`, or `eta_min` is not
    /// finite.
    pub fn new(
        optimizer: &mut dyn LrGroups,
        start_factor: f64,
        warmup: usize,
        total: usize,
        eta_min: f64,
    ) -> Result<WarmupCosine, Error> {
        const OP: &str = "warmup_cosine";
        if !(start_factor > 0.0 && start_factor <= 1.0) {
            return Err(Error::Argument {
                op: OP,
                expected: "start_factor in (0, 1]",
                got: start_factor,
            });
        }
        check_positive(OP, "warmup >= 1", warmup)?;
        if total <= warmup {
            return Err(Error::Argument {
                op: OP,
                expected: "total above warmup",
                got: total as f64,
            });
        }
        check_finite(OP, "a finite eta_min", eta_min)?;
        let mut schedule = WarmupCosine {
            start_factor,
            warmup,
            total,
            eta_min,
            progress: Progress::empty(),
        };
        schedule.progress = Progress::start(OP, optimizer, |epoch, lr, base| {
            schedule.rule(epoch, lr, base)
        })?;
        Ok(schedule)
    }

    fn rule(&self, epoch: usize, lr: f64, base: f64) -> f64 {
        use std::f64::consts::PI;

        // LinearLR, with end_factor 1 and total_iters = warmup.
        let (start, end) = (self.start_factor, 1.0);
        if epoch == 0 {
            return lr * start;
        }
        if epoch < self.warmup {
            let total_iters = self.warmup as f64;
            let e = epoch as f64;
            return lr * (1.0 + (end - start) / (total_iters * start + (e - 1.0) * (end - start)));
        }

        // At the milestone, SequentialLR starts CosineAnnealingLR at its
        // closed form for epoch 0; after it, the recursive form.
        let t_max = self.total - self.warmup;
        let t = epoch - self.warmup;
        if t == 0 {
            let eta_min = self.eta_min;
            return eta_min + (base - eta_min) * (1.0 + (PI * 0.0 / t_max as f64).cos()) / 2.0;
        }
        cosine_rule(t_max, self.eta_min, t, lr, base)
    }
}

scheduler!(WarmupCosine);
