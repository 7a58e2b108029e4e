//! NumPy-like printing of tensors.
//!
//! Nested brackets, one row of the last axis per line, the elements right
//! aligned. A tensor of more than [`SUMMARY_THRESHOLD`] elements shows only
//! the first and last [`EDGE_ITEMS`] entries of each axis, with `...` for
//! the rest, as NumPy does.

use std::fmt;

use crate::{Float, Tensor};

/// Above this many elements a tensor is summarized.
const SUMMARY_THRESHOLD: usize = 1000;

/// How many entries a summarized axis shows at each end.
const EDGE_ITEMS: usize = 3;

impl<F: Float> Tensor<F> {
    /// Writes the nested brackets of the value, at `indent` columns.
    fn write_nested(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
        let summarize = self.numel() > SUMMARY_THRESHOLD;
        let cells: Vec<String> = self.data().iter().map(|v| format_value(*v)).collect();
        let width = cells.iter().map(String::len).max().unwrap_or(0);
        if self.rank() == 0 {
            return write!(f, "{}", cells[0]);
        }
        write_axis(f, self.dims(), &cells, 0, 0, width, indent, summarize)
    }
}

/// Formats one element: integers keep a trailing `.`, as NumPy prints them.
fn format_value<F: Float>(value: F) -> String {
    let text = format!("{value}");
    if value.is_finite() && !text.contains(['.', 'e']) {
        format!("{text}.")
    } else {
        text
    }
}

/// The entries of an axis of `size` to show: all, or both ends.
fn shown(size: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && size > 2 * EDGE_ITEMS {
        let head = (0..EDGE_ITEMS).map(Some);
        let tail = (size - EDGE_ITEMS..size).map(Some);
        head.chain([None]).chain(tail).collect()
    } else {
        (0..size).map(Some).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn write_axis(
    f: &mut fmt::Formatter<'_>,
    dims: &[usize],
    cells: &[String],
    axis: usize,
    offset: usize,
    width: usize,
    indent: usize,
    summarize: bool,
) -> fmt::Result {
    let stride: usize = dims[axis + 1..].iter().product();
    let last = axis + 1 == dims.len();
    write!(f, "[")?;
    for (n, entry) in shown(dims[axis], summarize).into_iter().enumerate() {
        if n > 0 {
            if last {
                write!(f, ", ")?;
            } else {
                // One blank line between blocks of rank 3 and more.
                let breaks = dims.len() - axis - 1;
                write!(
                    f,
                    ",{}{:indent$}",
                    "\n".repeat(breaks),
                    "",
                    indent = indent + axis + 1
                )?;
            }
        }
        match entry {
            None => write!(f, "...")?,
            Some(i) if last => write!(f, "{:>width$}", cells[offset + i])?,
            Some(i) => {
                let next = offset + i * stride;
                write_axis(f, dims, cells, axis + 1, next, width, indent, summarize)?;
            }
        }
    }
    write!(f, "]")
}

/// Prints the values as NumPy does, such as `[[1., 2.],\n [3., 4.]]`.
///
/// # Examples
///
/// ```
/// # use zengrad_core::Tensor;
/// let x = Tensor::from([[1.0f32, 2.5], [-3.0, 4.0]]);
/// assert_eq!(x.to_string(), "[[ 1., 2.5],\n [-3.,  4.]]");
/// ```
impl<F: Float> fmt::Display for Tensor<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_nested(f, 0)
    }
}

/// Prints `tensor(<values>, shape=[..], dtype=f32)`.
impl<F: Float> fmt::Debug for Tensor<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tensor(")?;
        self.write_nested(f, "tensor(".len())?;
        write!(f, ", shape={}, dtype={})", self.shape(), F::NAME)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn scalars_and_vectors_print_like_numpy() {
        assert_eq!(Tensor::scalar(3.0f64).to_string(), "3.");
        assert_eq!(Tensor::from([1.0f64, 0.5]).to_string(), "[ 1., 0.5]");
    }

    #[test]
    fn rank_three_blocks_are_separated_by_a_blank_line() {
        let x = Tensor::<f32>::zeros([2, 1, 2]);
        assert_eq!(x.to_string(), "[[[0., 0.]],\n\n [[0., 0.]]]");
    }

    #[test]
    fn big_tensors_are_summarized() {
        let x = Tensor::arange(0.0f64, 2000.0, 1.0).unwrap();
        assert_eq!(
            x.to_string(),
            "[   0.,    1.,    2., ..., 1997., 1998., 1999.]"
        );
    }

    #[test]
    fn debug_names_shape_and_type() {
        let x = Tensor::from([[1.0f32], [2.0]]);
        assert_eq!(
            format!("{x:?}"),
            "tensor([[1.],\n        [2.]], shape=[2, 1], dtype=f32)"
        );
    }
}
