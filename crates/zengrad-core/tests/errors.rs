//! Every error path of the public API: the typed `Error` variant it
//! returns, and its full message, pinned (messages are API). The operators
//! `+ - * /`, which cannot return an error, panic with the same message.

use std::ops::Range;

use zengrad_core::{Error, Shape, Tape, Tensor, Var, seeded_rng};

/// Asserts that `result` failed with `expected`, whose message is `message`.
#[track_caller]
fn assert_error<T: std::fmt::Debug>(result: Result<T, Error>, expected: Error, message: &str) {
    let err = result.expect_err("the call fails");
    assert_eq!(err, expected);
    assert_eq!(err.to_string(), message);
}

/// A fallible binary op on tensors, such as [`Tensor::add`].
type TensorOp = fn(&Tensor<f64>, &Tensor<f64>) -> Result<Tensor<f64>, Error>;

/// A fallible binary op on vars, such as [`Var::add`].
type VarOp = for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Result<Var<'t, f64>, Error>;

fn shape<const N: usize>(dims: [usize; N]) -> Shape {
    Shape::from(dims)
}

fn zeros<const N: usize>(dims: [usize; N]) -> Tensor<f64> {
    Tensor::zeros(dims)
}

// Broadcasting.

#[test]
fn elementwise_ops_reject_shapes_that_do_not_broadcast() {
    let (x, y) = (zeros([2, 3]), zeros([4, 3]));
    let ops: [(&str, TensorOp); 8] = [
        ("add", Tensor::add),
        ("sub", Tensor::sub),
        ("mul", Tensor::mul),
        ("div", Tensor::div),
        ("gt", Tensor::gt),
        ("ge", Tensor::ge),
        ("lt", Tensor::lt),
        ("le", Tensor::le),
    ];
    for (op, f) in ops {
        let expected = Error::Broadcast {
            op,
            lhs: shape([2, 3]),
            rhs: shape([4, 3]),
        };
        let message =
            format!("{op}: expected shapes that broadcast, got lhs [2, 3] and rhs [4, 3]");
        assert_error(f(&x, &y), expected, &message);
    }
}

#[test]
fn elementwise_ops_on_vars_reject_shapes_that_do_not_broadcast() {
    let tape = Tape::<f64>::new();
    let (x, y) = (tape.var(zeros([3])), tape.var(zeros([2, 2])));
    let ops: [(&str, VarOp); 4] = [
        ("add", |x, y| x.add(y)),
        ("sub", |x, y| x.sub(y)),
        ("mul", |x, y| x.mul(y)),
        ("div", |x, y| x.div(y)),
    ];
    for (op, f) in ops {
        let expected = Error::Broadcast {
            op,
            lhs: shape([3]),
            rhs: shape([2, 2]),
        };
        let message = format!("{op}: expected shapes that broadcast, got lhs [3] and rhs [2, 2]");
        assert_error(f(x, y), expected, &message);
    }
}

#[test]
fn where_rejects_branches_that_do_not_broadcast() {
    let (mask, a, b) = (zeros([2]), zeros([2]), zeros([3]));
    let expected = Error::Broadcast {
        op: "where",
        lhs: shape([2]),
        rhs: shape([3]),
    };
    let message = "where: expected shapes that broadcast, got lhs [2] and rhs [3]";
    assert_error(Tensor::where_(&mask, &a, &b), expected.clone(), message);

    let tape = Tape::<f64>::new();
    let (av, bv) = (tape.var(a), tape.var(b));
    assert_error(Var::where_(&mask, av, bv), expected, message);
}

#[test]
fn where_rejects_a_mask_that_does_not_broadcast() {
    // The branches broadcast to [3]; the mask [2] does not fit it.
    let (mask, a, b) = (zeros([2]), zeros([3]), zeros([]));
    let expected = Error::Broadcast {
        op: "where",
        lhs: shape([2]),
        rhs: shape([3]),
    };
    let message = "where: expected shapes that broadcast, got lhs [2] and rhs [3]";
    assert_error(Tensor::where_(&mask, &a, &b), expected.clone(), message);

    let tape = Tape::<f64>::new();
    let (av, bv) = (tape.var(a), tape.var(b));
    assert_error(Var::where_(&mask, av, bv), expected, message);
}

#[test]
fn broadcast_to_rejects_a_shape_it_cannot_reach() {
    let x = zeros([2, 3]);
    let expected = Error::BroadcastTo {
        op: "broadcast_to",
        from: shape([2, 3]),
        to: shape([4]),
    };
    let message = "broadcast_to: expected a shape that [2, 3] broadcasts to, got [4]";
    assert_error(x.broadcast_to([4]), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(x).broadcast_to([4]), expected, message);
}

#[test]
fn sum_to_rejects_a_shape_that_does_not_broadcast_back() {
    // `from` is the shape asked for and `to` the input's, so the message
    // reads as a demand on the input: its shape should be one that [4]
    // broadcasts to.
    let x = zeros([2, 3]);
    let expected = Error::SumTo {
        from: shape([2, 3]),
        to: shape([4]),
    };
    let message = "sum_to: expected a shape that broadcasts to [2, 3], got [4]";
    assert_error(x.sum_to([4]), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(x).sum_to([4]), expected, message);
}

// Matrix products.

/// The message of `Error::MatMul` for two shapes.
fn matmul_message(lhs: &str, rhs: &str) -> String {
    format!(
        "matmul: expected lhs [.., m, k] and rhs [.., k, n] with batch axes that \
         broadcast, got lhs {lhs} and rhs {rhs}"
    )
}

#[test]
fn matmul_rejects_inner_sizes_that_differ() {
    let (a, b) = (zeros([2, 3]), zeros([4, 5]));
    let expected = Error::MatMul {
        lhs: shape([2, 3]),
        rhs: shape([4, 5]),
    };
    let message = matmul_message("[2, 3]", "[4, 5]");
    assert_error(a.matmul(&b), expected.clone(), &message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(a).matmul(tape.var(b)), expected, &message);
}

#[test]
fn matmul_rejects_batch_axes_that_do_not_broadcast() {
    let (a, b) = (zeros([2, 3, 4]), zeros([3, 4, 5]));
    let expected = Error::MatMul {
        lhs: shape([2, 3, 4]),
        rhs: shape([3, 4, 5]),
    };
    let message = matmul_message("[2, 3, 4]", "[3, 4, 5]");
    assert_error(a.matmul(&b), expected.clone(), &message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(a).matmul(tape.var(b)), expected, &message);
}

#[test]
fn matmul_rejects_a_scalar_operand() {
    let (s, v) = (zeros([]), zeros([3]));
    let expected = Error::MatMul {
        lhs: shape([]),
        rhs: shape([3]),
    };
    let message = matmul_message("[]", "[3]");
    assert_error(s.matmul(&v), expected.clone(), &message);

    let tape = Tape::<f64>::new();
    assert_error(
        tape.var(s.clone()).matmul(tape.var(v.clone())),
        expected,
        &message,
    );

    let expected = Error::MatMul {
        lhs: shape([3]),
        rhs: shape([]),
    };
    assert_error(v.matmul(&s), expected, &matmul_message("[3]", "[]"));
}

#[test]
fn matmul_rejects_vectors_of_different_lengths() {
    // The operands are reported as they were given, not as the matrices
    // they are read as.
    let (u, v) = (zeros([3]), zeros([4]));
    let expected = Error::MatMul {
        lhs: shape([3]),
        rhs: shape([4]),
    };
    assert_error(u.matmul(&v), expected, &matmul_message("[3]", "[4]"));
}

#[test]
fn matmul_t_reports_the_shapes_after_the_transposes() {
    // a [3, 2] read transposed is [2, 3], which does not fit [4, 5].
    let (a, b) = (zeros([3, 2]), zeros([4, 5]));
    let expected = Error::MatMul {
        lhs: shape([2, 3]),
        rhs: shape([4, 5]),
    };
    let message = matmul_message("[2, 3]", "[4, 5]");
    assert_error(a.matmul_t(&b, true, false), expected.clone(), &message);

    let tape = Tape::<f64>::new();
    assert_error(
        tape.var(a).matmul_t(tape.var(b), true, false),
        expected,
        &message,
    );
}

#[test]
fn matmul_t_rejects_a_vector_operand() {
    let (v, m) = (zeros([3]), zeros([3, 2]));
    let expected = Error::MatMul {
        lhs: shape([3]),
        rhs: shape([3, 2]),
    };
    assert_error(
        v.matmul_t(&m, false, false),
        expected,
        &matmul_message("[3]", "[3, 2]"),
    );
}

// Constructors and shapes.

#[test]
fn from_vec_and_from_slice_reject_a_wrong_length() {
    let expected = Error::DataLength {
        op: "from_vec",
        shape: shape([2, 3]),
        expected: 6,
        got: 5,
    };
    let message = "from_vec: expected 6 elements for shape [2, 3], got 5";
    assert_error(
        Tensor::from_vec(vec![1.0f64; 5], [2, 3]),
        expected.clone(),
        message,
    );
    let expected = Error::DataLength {
        op: "from_slice",
        shape: shape([2, 3]),
        expected: 6,
        got: 5,
    };
    let message = "from_slice: expected 6 elements for shape [2, 3], got 5";
    assert_error(Tensor::from_slice(&[1.0f64; 5], [2, 3]), expected, message);

    let expected = Error::DataLength {
        op: "from_vec",
        shape: shape([]),
        expected: 1,
        got: 0,
    };
    let message = "from_vec: expected 1 elements for shape [], got 0";
    assert_error(Tensor::<f32>::from_vec(vec![], []), expected, message);
}

#[test]
fn reshape_rejects_another_number_of_elements() {
    let x = zeros([2, 3]);
    let expected = Error::Reshape {
        from: shape([2, 3]),
        to: shape([4, 2]),
    };
    let message = "reshape: expected a shape of 6 elements like [2, 3], got [4, 2]";
    assert_error(x.reshape([4, 2]), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(x).reshape([4, 2]), expected, message);
}

#[test]
fn arange_rejects_a_zero_or_infinite_step() {
    let expected = Error::Argument {
        op: "arange",
        expected: "a finite, nonzero step",
        got: 0.0,
    };
    let message = "arange: expected a finite, nonzero step, got 0";
    assert_error(Tensor::arange(0.0f64, 1.0, 0.0), expected, message);

    let expected = Error::Argument {
        op: "arange",
        expected: "a finite, nonzero step",
        got: f64::INFINITY,
    };
    let message = "arange: expected a finite, nonzero step, got inf";
    assert_error(
        Tensor::arange(0.0f32, 1.0, f32::INFINITY),
        expected,
        message,
    );
}

#[test]
fn normal_rejects_a_negative_std() {
    let expected = Error::Argument {
        op: "normal",
        expected: "a finite std >= 0",
        got: -1.0,
    };
    let message = "normal: expected a finite std >= 0, got -1";
    let result = Tensor::<f64>::normal([3], 0.0, -1.0, &mut seeded_rng(1));
    assert_error(result, expected, message);
}

#[test]
fn normal_rejects_a_mean_that_is_not_finite() {
    // NaN equals nothing, so the variant is matched rather than compared.
    let result = Tensor::<f64>::normal([3], f64::NAN, 1.0, &mut seeded_rng(1));
    let err = result.expect_err("the call fails");
    assert!(matches!(
        err,
        Error::Argument { op: "normal", expected: "a finite mean", got } if got.is_nan()
    ));
    assert_eq!(err.to_string(), "normal: expected a finite mean, got NaN");
}

#[test]
fn uniform_rejects_bounds_out_of_order() {
    let expected = Error::Bounds {
        op: "uniform",
        lo: 1.0,
        hi: 0.0,
    };
    let message = "uniform: expected finite bounds with lo <= hi, got lo 1 and hi 0";
    let result = Tensor::<f64>::uniform([3], 1.0, 0.0, &mut seeded_rng(1));
    assert_error(result, expected, message);
}

#[test]
fn item_rejects_a_tensor_that_is_not_one_element() {
    let expected = Error::NotScalar {
        op: "item",
        what: "tensor",
        shape: shape([2]),
    };
    let message = "item: expected a scalar tensor (shape []), got [2]";
    assert_error(zeros([2]).item(), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(zeros([2])).item(), expected, message);

    let expected = Error::NotScalar {
        op: "item",
        what: "tensor",
        shape: shape([0]),
    };
    let message = "item: expected a scalar tensor (shape []), got [0]";
    assert_error(zeros([0]).item(), expected, message);
}

// Axes.

/// The `Error::Axis` of `op` for `axis` against `rank`, with its message.
fn axis_error(op: &'static str, axis: isize, rank: usize) -> (Error, String) {
    let message = format!("{op}: expected an axis in -{rank}..{rank}, got {axis}");
    (Error::Axis { op, axis, rank }, message)
}

#[test]
fn reductions_reject_an_axis_out_of_range() {
    let x = zeros([2, 3]);
    let (expected, message) = axis_error("sum", 2, 2);
    assert_error(x.sum(&[0, 2], false), expected, &message);
    let (expected, message) = axis_error("sum", -3, 2);
    assert_error(x.sum(&[-3], true), expected, &message);
    let (expected, message) = axis_error("mean", 2, 2);
    assert_error(x.mean(&[2], false), expected, &message);
    let (expected, message) = axis_error("max", -3, 2);
    assert_error(x.max(&[-3], false), expected, &message);

    let tape = Tape::<f64>::new();
    let xv = tape.var(x);
    let (expected, message) = axis_error("sum", 2, 2);
    assert_error(xv.sum(&[2], false), expected, &message);
    let (expected, message) = axis_error("mean", -3, 2);
    assert_error(xv.mean(&[-3], false), expected, &message);
    let (expected, message) = axis_error("max", 5, 2);
    assert_error(xv.max(&[5], true), expected, &message);
}

#[test]
fn reductions_of_a_scalar_reject_any_axis() {
    let (expected, message) = axis_error("sum", 0, 0);
    assert_eq!(message, "sum: expected an axis in -0..0, got 0");
    assert_error(zeros([]).sum(&[0], false), expected, &message);
}

#[test]
fn normalizations_reject_an_axis_out_of_range() {
    let x = zeros([2, 3]);
    let (expected, message) = axis_error("logsumexp", 2, 2);
    assert_error(x.logsumexp(2, false), expected, &message);
    let (expected, message) = axis_error("log_softmax", -3, 2);
    assert_error(x.log_softmax(-3), expected, &message);

    let (expected, message) = axis_error("softmax", 2, 2);
    assert_error(x.softmax(2), expected, &message);

    let tape = Tape::<f64>::new();
    let xv = tape.var(x);
    let (expected, message) = axis_error("logsumexp", -3, 2);
    assert_error(xv.logsumexp(-3, true), expected, &message);
    let (expected, message) = axis_error("log_softmax", 2, 2);
    assert_error(xv.log_softmax(2), expected, &message);
    let (expected, message) = axis_error("softmax", 2, 2);
    assert_error(xv.softmax(2), expected, &message);
}

#[test]
fn layout_ops_reject_an_axis_out_of_range() {
    let x = zeros([2, 3]);
    let tape = Tape::<f64>::new();
    let xv = tape.var(x.clone());

    let (expected, message) = axis_error("transpose", 2, 2);
    assert_error(x.transpose(0, 2), expected.clone(), &message);
    assert_error(xv.transpose(0, 2), expected, &message);

    let (expected, message) = axis_error("slice", -3, 2);
    assert_error(x.slice(-3, 0..1), expected.clone(), &message);
    assert_error(xv.slice(-3, 0..1), expected, &message);

    let (expected, message) = axis_error("pad", 2, 2);
    assert_error(x.pad(2, 1, 1), expected.clone(), &message);
    assert_error(xv.pad(2, 1, 1), expected, &message);

    let (expected, message) = axis_error("index_select", 2, 2);
    assert_error(x.index_select(2, &[0]), expected.clone(), &message);
    assert_error(xv.index_select(2, &[0]), expected, &message);

    let (expected, message) = axis_error("index_add", -3, 2);
    assert_error(x.index_add(-3, &[0], 1), expected.clone(), &message);
    assert_error(xv.index_add(-3, &[0], 1), expected, &message);

    let (expected, message) = axis_error("concat", 2, 2);
    assert_error(Tensor::concat(&[&x, &x], 2), expected.clone(), &message);
    assert_error(Var::concat(&[xv, xv], 2), expected, &message);

    // unsqueeze and stack insert an axis, so they accept rank + 1 places.
    let (expected, message) = axis_error("unsqueeze", 3, 3);
    assert_error(x.unsqueeze(3), expected.clone(), &message);
    assert_error(xv.unsqueeze(3), expected, &message);

    let (expected, message) = axis_error("stack", -4, 3);
    assert_error(Tensor::stack(&[&x, &x], -4), expected.clone(), &message);
    assert_error(Var::stack(&[xv, xv], -4), expected, &message);
}

#[test]
fn permute_rejects_an_order_that_is_not_a_permutation() {
    let x = zeros([2, 3, 4]);
    let tape = Tape::<f64>::new();
    let xv = tape.var(x.clone());

    for order in [&[0, 0, 1][..], &[0, 1], &[0, 1, 3], &[0, 1, 2, 3]] {
        let expected = Error::Permutation {
            order: order.to_vec(),
            rank: 3,
        };
        let message = format!("permute: expected a permutation of 0..3, got {order:?}");
        assert_error(x.permute(order), expected.clone(), &message);
        assert_error(xv.permute(order), expected, &message);
    }
}

// Ranges and indices.

#[test]
fn slice_rejects_a_range_outside_the_axis() {
    let x = zeros([2, 3]);
    let tape = Tape::<f64>::new();
    let xv = tape.var(x.clone());

    let cases: [(Range<usize>, &str); 2] = [
        (
            2..5,
            "slice: expected a range within 0..3 on axis 1, got 2..5",
        ),
        (
            Range { start: 2, end: 1 },
            "slice: expected a range within 0..3 on axis 1, got 2..1",
        ),
    ];
    for (range, message) in cases {
        let expected = Error::Range {
            op: "slice",
            axis: 1,
            start: range.start,
            end: range.end,
            size: 3,
        };
        assert_error(x.slice(-1, range.clone()), expected.clone(), message);
        assert_error(xv.slice(-1, range), expected, message);
    }
}

#[test]
fn index_select_rejects_an_index_past_the_axis() {
    let x = zeros([3, 2]);
    let expected = Error::Index {
        op: "index_select",
        axis: 0,
        index: 3,
        size: 3,
    };
    let message = "index_select: expected indices below 3 (the size of axis 0), got 3";
    assert_error(x.index_select(0, &[0, 3]), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(x).index_select(-2, &[0, 3]), expected, message);
}

#[test]
fn index_add_rejects_an_index_past_the_target_size() {
    let x = zeros([2, 2]);
    let expected = Error::Index {
        op: "index_add",
        axis: 1,
        index: 5,
        size: 3,
    };
    let message = "index_add: expected indices below 3 (the size of axis 1), got 5";
    assert_error(x.index_add(1, &[0, 5], 3), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(x).index_add(-1, &[0, 5], 3), expected, message);
}

#[test]
fn index_add_rejects_a_count_of_indices_other_than_the_axis_size() {
    // The axis has 3 slices and 2 indices are given.
    let x = zeros([3, 2]);
    let expected = Error::IndexCount {
        op: "index_add",
        axis: 0,
        expected: 3,
        got: 2,
    };
    let message = "index_add: expected 3 indices (the size of axis 0), got 2";
    assert_error(x.index_add(0, &[0, 1], 4), expected.clone(), message);

    let tape = Tape::<f64>::new();
    assert_error(tape.var(x).index_add(0, &[0, 1], 4), expected, message);
}

// Joining and empty inputs.

#[test]
fn concat_and_stack_reject_no_inputs() {
    let message = "concat: expected at least one input, got none";
    assert_error(
        Tensor::<f64>::concat(&[], 0),
        Error::Empty { op: "concat" },
        message,
    );
    assert_error(
        Var::<f64>::concat(&[], 0),
        Error::Empty { op: "concat" },
        message,
    );

    let message = "stack: expected at least one input, got none";
    assert_error(
        Tensor::<f64>::stack(&[], 0),
        Error::Empty { op: "stack" },
        message,
    );
    assert_error(
        Var::<f64>::stack(&[], 0),
        Error::Empty { op: "stack" },
        message,
    );
}

#[test]
fn concat_rejects_shapes_that_differ_off_the_axis() {
    let (a, b) = (zeros([2, 3]), zeros([3, 4]));
    let expected = Error::ShapeMismatch {
        op: "concat",
        expected: shape([2, 4]),
        got: shape([3, 4]),
    };
    let message = "concat: expected shape [2, 4], got [3, 4]";
    assert_error(Tensor::concat(&[&a, &b], 1), expected.clone(), message);

    let tape = Tape::<f64>::new();
    let (av, bv) = (tape.var(a.clone()), tape.var(b));
    assert_error(Var::concat(&[av, bv], 1), expected, message);

    // A rank that differs is a mismatch too.
    let expected = Error::ShapeMismatch {
        op: "concat",
        expected: shape([3, 3]),
        got: shape([3]),
    };
    let message = "concat: expected shape [3, 3], got [3]";
    assert_error(Tensor::concat(&[&a, &zeros([3])], 0), expected, message);
}

#[test]
fn stack_rejects_shapes_that_differ() {
    let (a, b) = (zeros([2]), zeros([3]));
    let expected = Error::ShapeMismatch {
        op: "stack",
        expected: shape([2]),
        got: shape([3]),
    };
    let message = "stack: expected shape [2], got [3]";
    assert_error(Tensor::stack(&[&a, &b], 0), expected.clone(), message);

    let tape = Tape::<f64>::new();
    let (av, bv) = (tape.var(a), tape.var(b));
    assert_error(Var::stack(&[av, bv], 0), expected, message);
}

#[test]
fn max_rejects_an_empty_axis() {
    let x = zeros([0, 2]);
    let expected = Error::EmptyAxis {
        op: "max",
        axis: 0,
        shape: shape([0, 2]),
    };
    let message = "max: expected a nonempty axis 0, got shape [0, 2]";
    assert_error(x.max(&[0], false), expected.clone(), message);
    assert_error(x.max_all(), expected.clone(), message);

    let tape = Tape::<f64>::new();
    let xv = tape.var(x);
    assert_error(xv.max(&[0], true), expected.clone(), message);
    assert_error(xv.max_all(), expected, message);
}

#[test]
fn normalizations_reject_an_empty_axis() {
    let x = zeros([2, 0]);
    let tape = Tape::<f64>::new();
    let xv = tape.var(x.clone());
    for op in ["logsumexp", "log_softmax", "softmax"] {
        let expected = Error::EmptyAxis {
            op,
            axis: 1,
            shape: shape([2, 0]),
        };
        let message = format!("{op}: expected a nonempty axis 1, got shape [2, 0]");
        let (tensor, var) = match op {
            "logsumexp" => (
                x.logsumexp(1, false),
                xv.logsumexp(1, true).map(|v| v.value()),
            ),
            "log_softmax" => (x.log_softmax(1), xv.log_softmax(1).map(|v| v.value())),
            _ => (x.softmax(-1), xv.softmax(-1).map(|v| v.value())),
        };
        assert_error(tensor, expected.clone(), &message);
        assert_error(var, expected, &message);
    }
}

// Backward.

#[test]
fn backward_from_a_non_scalar_needs_a_seed() {
    let tape = Tape::<f64>::new();
    let y = tape.var(zeros([4])).exp();
    let expected = Error::NotScalar {
        op: "backward",
        what: "loss",
        shape: shape([4]),
    };
    let message = "backward: expected a scalar loss (shape []), got [4]";
    assert_error(y.backward(), expected, message);
}

#[test]
fn backward_with_rejects_a_seed_of_another_shape() {
    let tape = Tape::<f64>::new();
    let y = tape.var(zeros([4])).exp();
    let expected = Error::ShapeMismatch {
        op: "backward",
        expected: shape([4]),
        got: shape([3]),
    };
    let message = "backward: expected shape [4], got [3]";
    assert_error(y.backward_with(&zeros([3])), expected, message);

    let scalar = tape.var(zeros([])).exp();
    let expected = Error::ShapeMismatch {
        op: "backward",
        expected: shape([]),
        got: shape([1]),
    };
    let message = "backward: expected shape [], got [1]";
    assert_error(scalar.backward_with(&zeros([1])), expected, message);
}

#[test]
fn grad_from_a_non_scalar_needs_a_seed() {
    let tape = Tape::<f64>::new();
    let x = tape.var(zeros([4]));
    let expected = Error::NotScalar {
        op: "grad",
        what: "output",
        shape: shape([4]),
    };
    let message = "grad: expected a scalar output (shape []), got [4]";
    assert_error(x.exp().grad(&[x]), expected, message);
}

#[test]
fn grad_with_rejects_a_seed_of_another_shape() {
    let tape = Tape::<f64>::new();
    let x = tape.var(zeros([]));
    let seed = tape.constant(zeros([2]));
    let expected = Error::ShapeMismatch {
        op: "grad",
        expected: shape([]),
        got: shape([2]),
    };
    let message = "grad: expected shape [], got [2]";
    assert_error(x.exp().grad_with(seed, &[x]), expected, message);
}

// Vars of two tapes.

#[test]
fn ops_reject_vars_of_two_tapes() {
    let (one, two) = (Tape::<f64>::new(), Tape::<f64>::new());
    let (x, y) = (one.var(zeros([2, 2])), two.var(zeros([2, 2])));
    let foreign = |op| {
        let message = format!("{op}: expected vars of one tape, got vars of two tapes");
        (Error::ForeignVar { op }, message)
    };

    let binary: [(&str, VarOp); 5] = [
        ("add", |x, y| x.add(y)),
        ("sub", |x, y| x.sub(y)),
        ("mul", |x, y| x.mul(y)),
        ("div", |x, y| x.div(y)),
        ("matmul", |x, y| x.matmul(y)),
    ];
    for (op, f) in binary {
        let (expected, message) = foreign(op);
        assert_error(f(x, y), expected, &message);
    }

    let (expected, message) = foreign("matmul");
    assert_error(x.matmul_t(y, true, false), expected, &message);
    let (expected, message) = foreign("where");
    assert_error(Var::where_(&zeros([2, 2]), x, y), expected, &message);
    let (expected, message) = foreign("concat");
    assert_error(Var::concat(&[x, y], 0), expected, &message);
    let (expected, message) = foreign("stack");
    assert_error(Var::stack(&[x, y], 0), expected, &message);
}

#[test]
fn grad_rejects_vars_and_seeds_of_another_tape() {
    let (one, two) = (Tape::<f64>::new(), Tape::<f64>::new());
    let (x, z) = (one.var(zeros([])), two.var(zeros([])));
    let expected = Error::ForeignVar { op: "grad" };
    let message = "grad: expected vars of one tape, got vars of two tapes";
    assert_error(x.exp().grad(&[z]), expected.clone(), message);
    assert_error(x.exp().grad_with(z, &[x]), expected, message);
}

// The operators, which panic with the message of the method beside them.

#[test]
#[should_panic(expected = "add: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn tensor_add_operator_panics_on_shapes_that_do_not_broadcast() {
    let _ = &zeros([2]) + &zeros([3]);
}

#[test]
#[should_panic(expected = "sub: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn tensor_sub_operator_panics_on_shapes_that_do_not_broadcast() {
    let _ = &zeros([2]) - &zeros([3]);
}

#[test]
#[should_panic(expected = "mul: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn tensor_mul_operator_panics_on_shapes_that_do_not_broadcast() {
    let _ = &zeros([2]) * &zeros([3]);
}

#[test]
#[should_panic(expected = "div: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn tensor_div_operator_panics_on_shapes_that_do_not_broadcast() {
    let _ = &zeros([2]) / &zeros([3]);
}

#[test]
#[should_panic(expected = "add: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn var_add_operator_panics_on_shapes_that_do_not_broadcast() {
    let tape = Tape::<f64>::new();
    let _ = tape.var(zeros([2])) + tape.var(zeros([3]));
}

#[test]
#[should_panic(expected = "sub: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn var_sub_operator_panics_on_shapes_that_do_not_broadcast() {
    let tape = Tape::<f64>::new();
    let _ = tape.var(zeros([2])) - tape.var(zeros([3]));
}

#[test]
#[should_panic(expected = "mul: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn var_mul_operator_panics_on_shapes_that_do_not_broadcast() {
    let tape = Tape::<f64>::new();
    let _ = tape.var(zeros([2])) * tape.var(zeros([3]));
}

#[test]
#[should_panic(expected = "div: expected shapes that broadcast, got lhs [2] and rhs [3]")]
fn var_div_operator_panics_on_shapes_that_do_not_broadcast() {
    let tape = Tape::<f64>::new();
    let _ = tape.var(zeros([2])) / tape.var(zeros([3]));
}

#[test]
#[should_panic(expected = "mul: expected vars of one tape, got vars of two tapes")]
fn var_operator_panics_on_vars_of_two_tapes() {
    let (one, two) = (Tape::<f64>::new(), Tape::<f64>::new());
    let _ = one.var(zeros([2])) * two.var(zeros([2]));
}

#[test]
fn operator_panic_message_is_the_whole_error_message() {
    // should_panic matches a substring; this pins the message exactly.
    let payload = std::panic::catch_unwind(|| &zeros([2]) + &zeros([3])).unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert_eq!(
        message,
        "add: expected shapes that broadcast, got lhs [2] and rhs [3]"
    );
}
