//! `Buffer`: a tensor's heap storage, whose memory is reused.
//!
//! A training step makes the same large tensors every time: activations,
//! their gradients, products. Freeing each at the end of a step and
//! allocating it again at the next makes the allocator hand pages back to
//! the system and fault them in again (about a thousand page faults per
//! Hessian-vector product on a vector of 100,000 numbers). So a dropped
//! buffer of [`MIN_BYTES`] or more goes to a per-thread pool instead, and
//! the next tensor of a similar size takes it.
//!
//! The pool is bounded: at most [`MAX_BUFFERS`] buffers and [`MAX_BYTES`]
//! per thread and element type; beyond that, buffers are freed as usual.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use crate::Float;

/// Buffers smaller than this are left to the allocator, which reuses small
/// blocks well by itself.
const MIN_BYTES: usize = 64 * 1024;

/// The most buffers a pool keeps.
const MAX_BUFFERS: usize = 64;

/// The most memory a pool keeps, in bytes.
const MAX_BYTES: usize = 256 * 1024 * 1024;

/// A vector of values that returns to its thread's pool when dropped.
#[derive(Debug)]
pub(crate) struct Buffer<F: Float>(Vec<F>);

impl<F: Float> Buffer<F> {
    pub(crate) fn new(data: Vec<F>) -> Buffer<F> {
        Buffer(data)
    }
}

impl<F: Float> Deref for Buffer<F> {
    type Target = Vec<F>;

    fn deref(&self) -> &Vec<F> {
        &self.0
    }
}

impl<F: Float> DerefMut for Buffer<F> {
    fn deref_mut(&mut self) -> &mut Vec<F> {
        &mut self.0
    }
}

impl<F: Float> Clone for Buffer<F> {
    fn clone(&self) -> Buffer<F> {
        let mut data = take(self.0.len());
        data.extend_from_slice(&self.0);
        Buffer(data)
    }
}

impl<F: Float> Drop for Buffer<F> {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.0));
    }
}

/// The free buffers of one element type on one thread.
pub struct Pool<F> {
    free: Vec<Vec<F>>,
    bytes: usize,
}

impl<F> Pool<F> {
    pub(crate) const fn new() -> Pool<F> {
        Pool {
            free: Vec::new(),
            bytes: 0,
        }
    }
}

/// The pools of one thread, one per element type.
pub struct Pools {
    pub(crate) f32: Pool<f32>,
    pub(crate) f64: Pool<f64>,
}

thread_local! {
    static POOLS: RefCell<Pools> = const {
        RefCell::new(Pools {
            f32: Pool::new(),
            f64: Pool::new(),
        })
    };
}

/// Returns an empty vector with room for `len` values: a pooled one when
/// a fitting buffer is free (at least `len`, at most twice that), a new
/// one otherwise.
pub(crate) fn take<F: Float>(len: usize) -> Vec<F> {
    if len * size_of::<F>() >= MIN_BYTES {
        let pooled = POOLS.try_with(|pools| {
            let mut pools = pools.borrow_mut();
            let pool = F::pool(&mut pools);
            let fit = (0..pool.free.len())
                .filter(|&i| (len..=2 * len).contains(&pool.free[i].capacity()))
                .min_by_key(|&i| pool.free[i].capacity())?;
            let data = pool.free.swap_remove(fit);
            pool.bytes -= data.capacity() * size_of::<F>();
            Some(data)
        });
        if let Ok(Some(mut data)) = pooled {
            data.clear();
            return data;
        }
    }
    Vec::with_capacity(len)
}

/// Returns a vector of `len` zeros, from the pool when it can.
pub(crate) fn zeros<F: Float>(len: usize) -> Vec<F> {
    let mut data = take(len);
    data.resize(len, F::zero());
    data
}

/// Keeps a dropped vector for reuse, or frees it.
fn recycle<F: Float>(data: Vec<F>) {
    let bytes = data.capacity() * size_of::<F>();
    if bytes < MIN_BYTES {
        return;
    }
    // During the thread's exit the pool may be gone: then the vector is
    // simply freed.
    let _ = POOLS.try_with(|pools| {
        let mut pools = pools.borrow_mut();
        let pool = F::pool(&mut pools);
        if pool.free.len() < MAX_BUFFERS && pool.bytes + bytes <= MAX_BYTES {
            pool.bytes += bytes;
            pool.free.push(data);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_large_buffer_is_taken_again() {
        let len = 100_000;
        let data: Vec<f64> = take(len);
        let address = data.as_ptr();
        drop(Buffer::new(data));

        let again: Vec<f64> = take(len - 10);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
    }

    #[test]
    fn a_buffer_far_larger_than_asked_is_not_taken() {
        let data: Vec<f32> = take(1_000_000);
        let address = data.as_ptr();
        drop(Buffer::new(data));

        let small: Vec<f32> = take(100_000);
        assert_ne!(small.as_ptr(), address);
    }

    #[test]
    fn small_buffers_are_left_to_the_allocator() {
        drop(Buffer::new(vec![0.0f64; 16]));
        POOLS.with(|pools| assert!(pools.borrow().f64.free.iter().all(|v| v.capacity() >= 8192)));
    }
}
