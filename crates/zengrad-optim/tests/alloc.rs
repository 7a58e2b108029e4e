//! After a parameter's first step, a step allocates nothing: this file's
//! allocator counts every allocation made on the test's thread, and the
//! count does not move across a step.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use support::Problem;
use zengrad_core::{Error, Float};
use zengrad_optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, AdamWOptions, CosineAnnealingLr,
    LrScheduler, Optimizer, ParamGrads, RmsProp, RmsPropOptions, Sgd, SgdOptions, WarmupCosine,
    clip_grad_norm,
};

thread_local! {
    /// The allocations made on this thread so far. Tests run on threads of
    /// their own, so each counts only its own.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting.
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which
// upholds `GlobalAlloc`'s contract; the count is a const-initialized
// thread-local `Cell` with no destructor, whose access never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn count() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Returns what `f` returns, and how many allocations it made.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

/// Takes a first step, then three more, each of which must allocate
/// nothing.
fn assert_later_steps_allocate_nothing<F: Float>(
    problem: &mut Problem<F>,
    optimizer: &mut impl Optimizer<F>,
) -> Result<(), Error> {
    let grads = problem.grads()?;
    let (first, count) =
        allocations(|| optimizer.step(&mut [&mut problem.a, &mut problem.b], &grads));
    first?;
    assert!(count > 0, "the first step makes the state");

    for step in 2..5 {
        let grads = problem.grads()?;
        let params = &mut [&mut problem.a, &mut problem.b];
        let (stepped, count) = allocations(|| optimizer.step(params, &grads));
        stepped?;
        assert_eq!(count, 0, "step {step} allocated");
    }
    Ok(())
}

#[test]
fn sgd_with_momentum_allocates_nothing_after_the_first_step() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let options = SgdOptions {
        momentum: 0.9,
        nesterov: true,
        weight_decay: 0.1,
        ..Default::default()
    };
    let mut sgd = Sgd::new(&[&p.a, &p.b], options)?;

    assert_later_steps_allocate_nothing(&mut p, &mut sgd)
}

#[test]
fn adam_with_amsgrad_allocates_nothing_after_the_first_step() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let options = AdamOptions {
        amsgrad: true,
        weight_decay: 0.1,
        ..Default::default()
    };
    let mut adam = Adam::new(&[&p.a], options.clone())?;
    adam.add_group(
        &[&p.b],
        AdamOptions {
            amsgrad: false,
            ..options
        },
    )?;

    assert_later_steps_allocate_nothing(&mut p, &mut adam)
}

#[test]
fn adamw_in_f32_allocates_nothing_after_the_first_step() -> Result<(), Error> {
    let mut p = Problem::<f32>::new();
    let mut adamw = AdamW::new(&[&p.a, &p.b], AdamWOptions::default())?;

    assert_later_steps_allocate_nothing(&mut p, &mut adamw)
}

#[test]
fn rmsprop_allocates_nothing_after_the_first_step() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let options = RmsPropOptions {
        centered: true,
        momentum: 0.5,
        ..Default::default()
    };
    let mut rmsprop = RmsProp::new(&[&p.a, &p.b], options)?;

    assert_later_steps_allocate_nothing(&mut p, &mut rmsprop)
}

#[test]
fn adagrad_allocates_nothing_after_the_first_step() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let mut adagrad = Adagrad::new(&[&p.a, &p.b], AdagradOptions::default())?;

    assert_later_steps_allocate_nothing(&mut p, &mut adagrad)
}

#[test]
fn clipping_and_scheduling_allocate_nothing_after_the_first_step() -> Result<(), Error> {
    let mut p = Problem::<f64>::new();
    let mut adam = Adam::new(&[&p.a, &p.b], AdamOptions::default())?;
    let mut cosine = CosineAnnealingLr::new(&mut adam, 10, 0.0)?;
    let mut warmup = WarmupCosine::new(&mut adam, 0.1, 2, 10, 0.0)?;
    let mut clipped = ParamGrads::new();

    for step in 1..5 {
        let grads = p.grads()?;
        let (done, count) = allocations(|| -> Result<(), Error> {
            clipped.copy_from(&grads);
            clip_grad_norm(&mut clipped, 1.0, 2.0)?;
            adam.step(&mut [&mut p.a, &mut p.b], &clipped)?;
            cosine.step(&mut adam)?;
            warmup.step(&mut adam)
        });
        done?;
        if step > 1 {
            assert_eq!(count, 0, "step {step} allocated");
        }
    }
    Ok(())
}
