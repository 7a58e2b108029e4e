//! The one error type of the workspace.

use crate::Shape;
use crate::check::Mismatch;

/// Everything that can go wrong in zengrad.
///
/// Each variant carries the data of the failure (the operation, what it
/// expected, what it got), and its message reads
/// `<op>: expected <this>, got <that>`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that an elementwise operation combines do not broadcast.
    #[error("{op}: expected shapes that broadcast, got lhs {lhs} and rhs {rhs}")]
    Broadcast {
        /// The operation.
        op: &'static str,
        /// The left operand's shape.
        lhs: Shape,
        /// The right operand's shape.
        rhs: Shape,
    },

    /// A shape cannot be broadcast to the requested target, or a gradient
    /// cannot be summed back to it.
    #[error("{op}: expected a shape that {from} broadcasts to, got {to}")]
    BroadcastTo {
        /// The operation.
        op: &'static str,
        /// The input's shape.
        from: Shape,
        /// The requested shape.
        to: Shape,
    },

    /// The operands of a matrix product do not fit.
    #[error(
        "matmul: expected lhs [.., m, k] and rhs [.., k, n] with batch axes that \
         broadcast, got lhs {lhs} and rhs {rhs}"
    )]
    MatMul {
        /// The left operand's shape, after any transpose the call asked for.
        lhs: Shape,
        /// The right operand's shape, after any transpose the call asked for.
        rhs: Shape,
    },

    /// A shape was expected and another one was given.
    #[error("{op}: expected shape {expected}, got {got}")]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// The shape it needed.
        expected: Shape,
        /// The shape it was given.
        got: Shape,
    },

    /// A gradient cannot be summed down to the requested shape: that shape
    /// does not broadcast to the input's.
    #[error("sum_to: expected a shape that broadcasts to {from}, got {to}")]
    SumTo {
        /// The input's shape.
        from: Shape,
        /// The requested shape.
        to: Shape,
    },

    /// A buffer's length does not match the number of elements of a shape.
    #[error("{op}: expected {expected} elements for shape {shape}, got {got}")]
    DataLength {
        /// The operation.
        op: &'static str,
        /// The shape.
        shape: Shape,
        /// The number of elements of `shape`.
        expected: usize,
        /// The length of the buffer.
        got: usize,
    },

    /// A reshape to a shape with another number of elements.
    #[error("reshape: expected a shape of {} elements like {from}, got {to}", from.numel())]
    Reshape {
        /// The input's shape.
        from: Shape,
        /// The requested shape.
        to: Shape,
    },

    /// An axis outside the rank of a tensor.
    #[error("{op}: expected an axis in -{rank}..{rank}, got {axis}")]
    Axis {
        /// The operation.
        op: &'static str,
        /// The axis given (negative axes count from the end).
        axis: isize,
        /// The rank of the tensor.
        rank: usize,
    },

    /// An axis order that is not a permutation of the axes.
    #[error("permute: expected a permutation of 0..{rank}, got {order:?}")]
    Permutation {
        /// The order given.
        order: Vec<usize>,
        /// The rank of the tensor.
        rank: usize,
    },

    /// A range that does not fit inside an axis.
    #[error("{op}: expected a range within 0..{size} on axis {axis}, got {start}..{end}")]
    Range {
        /// The operation.
        op: &'static str,
        /// The axis.
        axis: usize,
        /// The start of the range given.
        start: usize,
        /// The end of the range given.
        end: usize,
        /// The size of the axis.
        size: usize,
    },

    /// An index past the end of an axis.
    #[error("{op}: expected indices below {size} (the size of axis {axis}), got {index}")]
    Index {
        /// The operation.
        op: &'static str,
        /// The axis.
        axis: usize,
        /// The index given.
        index: usize,
        /// The size of the axis.
        size: usize,
    },

    /// The number of indices does not match the axis they stand for.
    #[error("{op}: expected {expected} indices (the size of axis {axis}), got {got}")]
    IndexCount {
        /// The operation.
        op: &'static str,
        /// The axis.
        axis: usize,
        /// The size of the axis.
        expected: usize,
        /// The number of indices given.
        got: usize,
    },

    /// A reduction over an axis of size 0, which has no value.
    #[error("{op}: expected a nonempty axis {axis}, got shape {shape}")]
    EmptyAxis {
        /// The operation.
        op: &'static str,
        /// The axis.
        axis: usize,
        /// The shape of the input.
        shape: Shape,
    },

    /// A custom op's backward rule returned the wrong number of gradients.
    #[error("{op}: expected a backward rule with {expected} gradients (one per input), got {got}")]
    CustomGrads {
        /// The custom op's name.
        op: &'static str,
        /// The number of inputs.
        expected: usize,
        /// The number of gradients the rule returned.
        got: usize,
    },

    /// An operation that needs at least one input was given none.
    #[error("{op}: expected at least one input, got none")]
    Empty {
        /// The operation.
        op: &'static str,
    },

    /// A scalar was needed and a tensor of another shape was given.
    #[error("{op}: expected a scalar {what} (shape []), got {shape}")]
    NotScalar {
        /// The operation.
        op: &'static str,
        /// What the scalar stands for, such as "loss".
        what: &'static str,
        /// The shape given.
        shape: Shape,
    },

    /// Vars of two different tapes were combined.
    #[error("{op}: expected vars of one tape, got vars of two tapes")]
    ForeignVar {
        /// The operation.
        op: &'static str,
    },

    /// The bounds of an interval are not finite or not in order.
    #[error("{op}: expected finite bounds with lo <= hi, got lo {lo} and hi {hi}")]
    Bounds {
        /// The operation.
        op: &'static str,
        /// The lower bound given.
        lo: f64,
        /// The upper bound given.
        hi: f64,
    },

    /// A derivative differs from its finite-difference estimate; see
    /// [`crate::check`].
    #[error("{0}")]
    GradCheck(Box<Mismatch>),

    /// A numeric argument outside its domain.
    #[error("{op}: expected {expected}, got {got}")]
    Argument {
        /// The operation.
        op: &'static str,
        /// What the argument must be, such as "a positive step".
        expected: &'static str,
        /// The value given.
        got: f64,
    },

    /// A parameter that an optimizer does not hold: it was given neither
    /// at construction nor to `add_group`.
    #[error("{op}: expected a parameter of the optimizer, got parameter #{id}")]
    UnknownParam {
        /// The operation.
        op: &'static str,
        /// The parameter's identity, as [`ParamId::get`](crate::ParamId::get)
        /// returns it.
        id: u64,
    },

    /// A parameter given to an optimizer twice: to two groups, or twice to
    /// one.
    #[error("{op}: expected each parameter in one group once, got parameter #{id} again")]
    DuplicateParam {
        /// The operation.
        op: &'static str,
        /// The parameter's identity.
        id: u64,
    },

    /// A parameter group that an optimizer does not have.
    #[error("{op}: expected a group index below {count}, got {group}")]
    Group {
        /// The operation.
        op: &'static str,
        /// The group index given.
        group: usize,
        /// The number of groups.
        count: usize,
    },

    /// A file that could not be read, written or renamed.
    #[error("{op}: expected to {action} {}, got {kind}", path.display())]
    Io {
        /// The operation.
        op: &'static str,
        /// What was attempted on the file: "read", "write" or "rename".
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong, as the operating system reported it.
        kind: std::io::ErrorKind,
    },

    /// Bytes that are not the checkpoint expected: wrong magic bytes,
    /// version, length or checksum (a truncated or corrupt file), or the
    /// state of another optimizer or of other parameters.
    #[error("{op}: expected {what} {expected}, got {got}")]
    Checkpoint {
        /// The operation.
        op: &'static str,
        /// The part of the checkpoint at fault, such as "checksum".
        what: &'static str,
        /// The value it needed, as text.
        expected: String,
        /// The value found, as text.
        got: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_param_names_the_parameter() {
        let err = Error::UnknownParam { op: "step", id: 7 };

        assert_eq!(
            err.to_string(),
            "step: expected a parameter of the optimizer, got parameter #7"
        );
    }

    #[test]
    fn duplicate_param_names_the_parameter() {
        let err = Error::DuplicateParam {
            op: "add_group",
            id: 3,
        };

        assert_eq!(
            err.to_string(),
            "add_group: expected each parameter in one group once, got parameter #3 again"
        );
    }

    #[test]
    fn group_names_the_index_and_the_count() {
        let err = Error::Group {
            op: "set_lr",
            group: 2,
            count: 1,
        };

        assert_eq!(
            err.to_string(),
            "set_lr: expected a group index below 1, got 2"
        );
    }

    #[test]
    fn io_names_the_action_the_path_and_the_kind() {
        let err = Error::Io {
            op: "load",
            action: "read",
            path: "/no/such/file.ckpt".into(),
            kind: std::io::ErrorKind::NotFound,
        };

        assert_eq!(
            err.to_string(),
            "load: expected to read /no/such/file.ckpt, got entity not found"
        );
    }

    #[test]
    fn checkpoint_names_the_part_at_fault() {
        let err = Error::Checkpoint {
            op: "load",
            what: "checksum",
            expected: "0x0badf00d".into(),
            got: "0xcafe0123".into(),
        };

        assert_eq!(
            err.to_string(),
            "load: expected checksum 0x0badf00d, got 0xcafe0123"
        );
    }
}
