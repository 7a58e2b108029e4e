//! Shapes and NumPy broadcasting.

use std::fmt;
use std::ops::Deref;

use smallvec::SmallVec;

use crate::Error;

/// The sizes of a tensor's axes, outermost first; `[]` for a scalar.
///
/// Up to four axes are stored inline, so the shapes of scalars, vectors and
/// matrices never allocate.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(SmallVec<[usize; 4]>);

impl Shape {
    /// Returns the shape of a scalar, `[]`.
    pub fn scalar() -> Shape {
        Shape(SmallVec::new())
    }

    /// Returns the sizes as a slice.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Returns the number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Returns the number of elements: the product of the sizes (1 for `[]`).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Returns the row-major strides, in elements.
    pub fn strides(&self) -> SmallVec<[usize; 4]> {
        let mut strides: SmallVec<[usize; 4]> = SmallVec::from_elem(1, self.rank());
        for axis in (0..self.rank().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * self.0[axis + 1];
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
        let mut dims = SmallVec::from_elem(1, rank);
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
        Ok(Shape(dims))
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
            self.0[self.rank() - 1 - i]
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
                if axis < offset || self.0[axis - offset] == 1 {
                    0
                } else {
                    own[axis - offset]
                }
            })
            .collect()
    }

    /// Returns this shape with `axis` set to `size`.
    pub(crate) fn with_dim(&self, axis: usize, size: usize) -> Shape {
        let mut dims = self.0.clone();
        dims[axis] = size;
        Shape(dims)
    }
}

impl Deref for Shape {
    type Target = [usize];

    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Shape {
        Shape(SmallVec::from_slice(dims))
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Shape {
        Shape(SmallVec::from_vec(dims))
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Shape {
        Shape(SmallVec::from_slice(&dims))
    }
}

impl From<&Shape> for Shape {
    fn from(shape: &Shape) -> Shape {
        shape.clone()
    }
}

impl FromIterator<usize> for Shape {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Shape {
        Shape(iter.into_iter().collect())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_slice())
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
