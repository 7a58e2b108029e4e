//! Shapes and NumPy broadcasting.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::Error;

/// How many axes a shape stores inline.
const INLINE: usize = 5;

/// The sizes of a tensor's axes, outermost first; `[]` for a scalar.
///
/// Up to five axes are stored inline, so that making or copying the shape
/// of a scalar, a vector or a batch of matrices never allocates: every
/// recorded op copies shapes, and this keeps a scalar op cheap.
#[derive(Clone)]
pub struct Shape(Dims);

#[derive(Clone)]
enum Dims {
    Inline { rank: u8, dims: [usize; INLINE] },
    Heap(Arc<[usize]>),
}

impl Shape {
    /// Returns the shape of a scalar, `[]`.
    pub fn scalar() -> Shape {
        Shape(Dims::Inline {
            rank: 0,
            dims: [0; INLINE],
        })
    }

    /// Makes a shape from its sizes.
    fn from_dims(sizes: &[usize]) -> Shape {
        if sizes.len() <= INLINE {
            let mut dims = [0; INLINE];
            dims[..sizes.len()].copy_from_slice(sizes);
            Shape(Dims::Inline {
                rank: sizes.len() as u8,
                dims,
            })
        } else {
            Shape(Dims::Heap(Arc::from(sizes)))
        }
    }

    /// Returns the sizes as a slice.
    pub fn dims(&self) -> &[usize] {
        match &self.0 {
            Dims::Inline { rank, dims } => &dims[..*rank as usize],
            Dims::Heap(dims) => dims,
        }
    }

    /// Returns the number of axes.
    pub fn rank(&self) -> usize {
        match &self.0 {
            Dims::Inline { rank, .. } => *rank as usize,
            Dims::Heap(dims) => dims.len(),
        }
    }

    /// Returns the number of elements: the product of the sizes (1 for `[]`).
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }

    /// Returns the row-major strides, in elements.
    pub fn strides(&self) -> SmallVec<[usize; 4]> {
        let mut strides: SmallVec<[usize; 4]> = SmallVec::from_elem(1, self.rank());
        for axis in (0..self.rank().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * self[axis + 1];
        }
        strides
    }

    /// Returns the shape that `lhs` and `rhs` broadcast to, NumPy's way:
    /// aligned from the last axis, two sizes agree when they are equal or
    /// one of them is 1.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Broadcast`] naming `op` when some axis disagrees.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zengrad_core::{Error, Shape};
    /// let shape = Shape::broadcast("add", &Shape::from([4, 1, 3]), &Shape::from([5, 1]))?;
    /// assert_eq!(shape, Shape::from([4, 5, 3]));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn broadcast(op: &'static str, lhs: &Shape, rhs: &Shape) -> Result<Shape, Error> {
        if lhs == rhs {
            return Ok(lhs.clone());
        }
        let rank = lhs.rank().max(rhs.rank());
        let mut dims: SmallVec<[usize; 8]> = SmallVec::from_elem(1, rank);
        for (i, dim) in dims.iter_mut().enumerate() {
            let a = lhs.dim_from_end(rank - 1 - i);
            let b = rhs.dim_from_end(rank - 1 - i);
            *dim = match (a, b) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => {
                    return Err(Error::Broadcast {
                        op,
                        lhs: lhs.clone(),
                        rhs: rhs.clone(),
                    });
                }
            };
        }
        Ok(Shape::from_dims(&dims))
    }

    /// Returns whether a tensor of this shape broadcasts to `target`.
    pub fn broadcasts_to(&self, target: &Shape) -> bool {
        self.rank() <= target.rank()
            && (0..self.rank()).all(|i| {
                let dim = self.dim_from_end(i);
                dim == 1 || dim == target.dim_from_end(i)
            })
    }

    /// The size of the axis `i` places from the end, 1 past the first axis.
    fn dim_from_end(&self, i: usize) -> usize {
        if i < self.rank() {
            self[self.rank() - 1 - i]
        } else {
            1
        }
    }

    /// Returns the strides with which this shape's data is read as `target`
    /// after broadcasting: 0 on the axes that repeat.
    pub(crate) fn broadcast_strides(&self, target: &Shape) -> SmallVec<[usize; 4]> {
        let own = self.strides();
        let offset = target.rank() - self.rank();
        (0..target.rank())
            .map(|axis| {
                if axis < offset || self[axis - offset] == 1 {
                    0
                } else {
                    own[axis - offset]
                }
            })
            .collect()
    }

    /// Returns this shape with `axis` set to `size`.
    pub(crate) fn with_dim(&self, axis: usize, size: usize) -> Shape {
        let mut dims: SmallVec<[usize; 8]> = SmallVec::from_slice(self);
        dims[axis] = size;
        Shape::from_dims(&dims)
    }
}

impl Deref for Shape {
    type Target = [usize];

    fn deref(&self) -> &[usize] {
        self.dims()
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Shape {
        Shape::from_dims(dims)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Shape {
        Shape::from_dims(&dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Shape {
        Shape::from_dims(&dims)
    }
}

impl From<&Shape> for Shape {
    fn from(shape: &Shape) -> Shape {
        shape.clone()
    }
}

impl FromIterator<usize> for Shape {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Shape {
        let dims: SmallVec<[usize; 8]> = iter.into_iter().collect();
        Shape::from_dims(&dims)
    }
}

impl PartialEq for Shape {
    fn eq(&self, other: &Shape) -> bool {
        self.dims() == other.dims()
    }
}

impl Eq for Shape {}

impl Hash for Shape {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.dims().hash(state);
    }
}

impl Default for Shape {
    fn default() -> Shape {
        Shape::scalar()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Resolves a possibly negative axis (`-1` is the last) against `rank`.
pub(crate) fn resolve_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize, Error> {
    let resolved = if axis < 0 { axis + rank as isize } else { axis };
    if resolved < 0 || resolved as usize >= rank {
        return Err(Error::Axis { op, axis, rank });
    }
    Ok(resolved as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_aligns_from_the_last_axis() {
        let shape = Shape::broadcast("add", &Shape::from([3]), &Shape::from([2, 1])).unwrap();
        assert_eq!(shape, Shape::from([2, 3]));
    }

    #[test]
    fn broadcast_error_names_op_and_shapes() {
        let err = Shape::broadcast("add", &Shape::from([2, 3]), &Shape::from([4, 3])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "add: expected shapes that broadcast, got lhs [2, 3] and rhs [4, 3]"
        );
    }

    #[test]
    fn strides_are_row_major() {
        assert_eq!(Shape::from([2, 3, 4]).strides().as_slice(), [12, 4, 1]);
        assert_eq!(Shape::scalar().strides().as_slice(), [] as [usize; 0]);
    }

    #[test]
    fn broadcast_strides_are_zero_on_repeated_axes() {
        let strides = Shape::from([3, 1]).broadcast_strides(&Shape::from([2, 3, 4]));
        assert_eq!(strides.as_slice(), [0, 1, 0]);
    }
}
