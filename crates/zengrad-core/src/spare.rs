//! Storage kept on each thread from one computation for the next.
//!
//! A training loop records a graph of the same size at every step. The
//! memory of a dropped tape (and of the backward walk's gradient slots) is
//! kept here, one of each type, and the next tape on the same thread starts
//! from it: without it, every step would grow the arrays again from empty
//! and the system would hand over fresh pages, which costs a graph of
//! scalars more than recording it.

use std::any::Any;
use std::cell::RefCell;

/// The most bytes kept of one type of storage: enough for a few million
/// nodes, so that one huge graph does not pin its memory for the thread's
/// lifetime.
const LIMIT: usize = 256 << 20;

thread_local! {
    static SPARE: RefCell<Vec<(Box<dyn Any>, usize)>> = const { RefCell::new(Vec::new()) };
}

/// Takes the storage of type `T` kept on this thread, if any.
pub(crate) fn take<T: 'static>() -> Option<T> {
    SPARE
        .try_with(|spare| {
            let mut spare = spare.try_borrow_mut().ok()?;
            let index = spare.iter().position(|(value, _)| value.is::<T>())?;
            let (value, _) = spare.swap_remove(index);
            value.downcast::<T>().ok().map(|value| *value)
        })
        .ok()
        .flatten()
}

/// Keeps `value`, which holds `bytes` bytes, for the next [`take`] on this
/// thread, unless it is over the limit or smaller than the one kept.
pub(crate) fn keep<T: 'static>(value: T, bytes: usize) {
    if bytes > LIMIT {
        return;
    }
    // A thread being torn down, or a value dropped while the list is in
    // use, keeps nothing: the memory is simply freed.
    let _ = SPARE.try_with(|spare| {
        let Ok(mut spare) = spare.try_borrow_mut() else {
            return;
        };
        match spare.iter_mut().find(|(kept, _)| kept.is::<T>()) {
            Some(kept) if kept.1 >= bytes => {}
            Some(kept) => *kept = (Box::new(value), bytes),
            None => spare.push((Box::new(value), bytes)),
        }
    });
}
