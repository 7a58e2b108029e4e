//! Loops over strided layouts, shared by the forward passes of the ops.
//!
//! Every loop here walks an output shape in row-major order, one row (a run
//! along the last axis) at a time, and reads its inputs through strides, so
//! that broadcasting, permuting and slicing are all the same loop with other
//! strides.

use crate::buffer;
use crate::{Float, Shape};

/// Calls `f` once per row of `shape` with the offset of the row's first
/// element in each of the `K` strided layouts.
pub(crate) fn for_each_row<const K: usize>(
    shape: &[usize],
    strides: [&[usize]; K],
    mut f: impl FnMut([usize; K]),
) {
    let rank = shape.len();
    if shape.contains(&0) {
        return;
    }
    if rank <= 1 {
        f([0; K]);
        return;
    }
    let mut index = [0usize; 16];
    let mut big_index;
    let index: &mut [usize] = if rank <= 16 {
        &mut index[..rank - 1]
    } else {
        big_index = vec![0usize; rank - 1];
        &mut big_index
    };
    let mut offsets = [0usize; K];
    loop {
        f(offsets);

        // Advance the multi-index of the outer axes like an odometer, and
        // move each offset by the same steps.
        let mut axis = rank - 1;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            for (offset, stride) in offsets.iter_mut().zip(strides) {
                *offset += stride[axis];
            }
            if index[axis] < shape[axis] {
                break;
            }
            for (offset, stride) in offsets.iter_mut().zip(strides) {
                *offset -= stride[axis] * shape[axis];
            }
            index[axis] = 0;
        }
    }
}

/// Reads `data` through `strides` (starting at `base`) into a new row-major
/// buffer of `shape`.
pub(crate) fn gather<F: Float>(
    data: &[F],
    base: usize,
    strides: &[usize],
    shape: &Shape,
) -> Vec<F> {
    let mut out = buffer::take(shape.numel());
    let inner = shape.last().copied().unwrap_or(1);
    let step = strides.last().copied().unwrap_or(0);
    for_each_row(shape, [strides], |[offset]| {
        let start = base + offset;
        if step == 1 {
            out.extend_from_slice(&data[start..start + inner]);
        } else {
            out.extend((0..inner).map(|j| data[start + j * step]));
        }
    });
    out
}

/// Combines two inputs read through their broadcast strides into a new
/// buffer of `shape`.
pub(crate) fn zip<F: Float>(
    lhs: (&[F], &[usize]),
    rhs: (&[F], &[usize]),
    shape: &Shape,
    f: impl Fn(F, F) -> F,
) -> Vec<F> {
    let mut out = buffer::take(shape.numel());
    let inner = shape.last().copied().unwrap_or(1);
    let (step_a, step_b) = (
        lhs.1.last().copied().unwrap_or(0),
        rhs.1.last().copied().unwrap_or(0),
    );
    for_each_row(shape, [lhs.1, rhs.1], |[a, b]| match (step_a, step_b) {
        (1, 1) => out.extend(
            lhs.0[a..a + inner]
                .iter()
                .zip(&rhs.0[b..b + inner])
                .map(|(&x, &y)| f(x, y)),
        ),
        (1, 0) => {
            let y = rhs.0[b];
            out.extend(lhs.0[a..a + inner].iter().map(|&x| f(x, y)));
        }
        (0, 1) => {
            let x = lhs.0[a];
            out.extend(rhs.0[b..b + inner].iter().map(|&y| f(x, y)));
        }
        _ => out.extend((0..inner).map(|j| f(lhs.0[a + j * step_a], rhs.0[b + j * step_b]))),
    });
    out
}

/// Folds `data` of `shape` over the axes whose bit is set in `axes`, with
/// `f` from `init`, into a row-major buffer of the shape with those axes
/// set to 1.
pub(crate) fn reduce<F: Float>(
    data: &[F],
    shape: &Shape,
    axes: u64,
    init: F,
    f: impl Fn(F, F) -> F,
) -> Vec<F> {
    let kept: Shape = shape
        .iter()
        .enumerate()
        .map(|(axis, &dim)| if axes >> axis & 1 == 1 { 1 } else { dim })
        .collect();
    let mut out = buffer::take(kept.numel());
    out.resize(kept.numel(), init);
    let in_strides = shape.strides();
    let out_strides = kept.broadcast_strides(shape);
    let inner = shape.last().copied().unwrap_or(1);
    let out_step = out_strides.last().copied().unwrap_or(0);
    for_each_row(shape, [&in_strides, &out_strides], |[i, o]| {
        let row = &data[i..i + inner];
        if out_step == 0 {
            out[o] = row.iter().fold(out[o], |acc, &x| f(acc, x));
        } else {
            for (acc, &x) in out[o..o + inner].iter_mut().zip(row) {
                *acc = f(*acc, x);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_transposes_through_strides() {
        let data = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let out = gather(&data, 0, &[1, 3], &Shape::from([3, 2]));
        assert_eq!(out, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn reduce_sums_the_chosen_axes() {
        let data = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let shape = Shape::from([2, 3]);
        assert_eq!(
            reduce(&data, &shape, 0b01, 0.0, |a, b| a + b),
            [5.0, 7.0, 9.0]
        );
        assert_eq!(reduce(&data, &shape, 0b10, 0.0, |a, b| a + b), [6.0, 15.0]);
        assert_eq!(reduce(&data, &shape, 0b11, 0.0, |a, b| a + b), [21.0]);
    }
}
