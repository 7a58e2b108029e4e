//! The op table: every differentiable op of the workspace, registered once,
//! with how to draw its inputs.
//!
//! A property test runs `gradcheck` and `gradgradcheck` over random shapes
//! and values for every entry. Another records each entry on a tape and
//! fails when a primitive of the library appears in no entry, so coverage
//! cannot drop silently: a new op joins the table in the same change.
//!
//! Inputs keep away from what finite differences cannot see through: kinks
//! (relu, abs, clamp), ties (max), and poles (log, sqrt, a divisor near 0).

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner, contextualize_config};
use zengrad_core::check::{CheckOptions, gradgradcheck};
use zengrad_core::ops::Ops;
use zengrad_core::strategies::{
    broadcast_shapes, broadcast_shapes_n, matmul_shapes, shape, shape_in, tensor,
    tensor_away_from_kinks, tensor_distinct,
};
use zengrad_core::{CustomOp, Error, Op, Shape, Tape, Tensor, Var};

/// Cases per entry in CI; `PROPTEST_CASES` sets another number, for a
/// deeper run. The whole table takes about a second per 20 cases in a
/// debug build.
const CI_CASES: u32 = 32;

/// The largest rank and axis size drawn: enough for broadcasting, batches
/// and reductions over several axes, small enough that a check, which
/// runs the function twice per input element, stays cheap.
const MAX_RANK: usize = 3;
const MAX_DIM: usize = 3;

/// How far inputs keep from a kink. Finite differences of step 1e-6 only
/// need more than that; 0.1 also keeps a shrunk case readable.
const KINK_MARGIN: f64 = 0.1;

/// How far apart the inputs of a maximum keep, so that a step of 1e-6
/// never changes which element is the largest.
const TIE_GAP: f64 = 0.05;

/// Every op a table entry may record: the library's differentiable
/// primitives (`Op::NAMES`), plus `custom`, standing for every
/// [`Op::Custom`], and `leaf`, the one op that is not differentiated.
fn all_primitives() -> BTreeSet<&'static str> {
    let mut all: BTreeSet<&str> = Op::<f64>::NAMES.iter().copied().collect();
    all.extend(["custom", "leaf"]);
    all
}

/// What a case draws beside its input tensors, read as each entry says.
#[derive(Clone, Debug, Default)]
struct Args {
    /// The axis of an op along one axis.
    axis: usize,
    /// Whether a reduction keeps its axes.
    keepdims: bool,
    /// The axes of a reduction, a permutation, indices, or a shape.
    list: Vec<usize>,
    /// A slice's `start..end`, a pad's `before, after`, or, in its first
    /// place, the size of `index_add`'s output axis.
    pair: (usize, usize),
    /// The mask of `where_`.
    mask: Option<Tensor<f64>>,
}

/// One drawn case of an entry.
#[derive(Clone, Debug)]
struct Case {
    inputs: Vec<Tensor<f64>>,
    args: Args,
}

/// An entry's function of its inputs.
type OpFn = for<'t> fn(&Args, &[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>;

/// A differentiable op, how to draw its cases, and how to apply it.
struct Entry {
    name: &'static str,
    cases: BoxedStrategy<Case>,
    f: OpFn,
}

fn entry(name: &'static str, cases: impl Strategy<Value = Case> + 'static, f: OpFn) -> Entry {
    Entry {
        name,
        cases: cases.boxed(),
        f,
    }
}

/// How the values of an input are drawn.
#[derive(Clone, Debug)]
enum Values {
    /// Anywhere in the range.
    In(RangeInclusive<f64>),
    /// In the range, [`KINK_MARGIN`] away from each kink.
    Away(RangeInclusive<f64>, &'static [f64]),
    /// In the range, [`TIE_GAP`] apart from each other.
    Distinct(RangeInclusive<f64>),
}

impl Values {
    fn of(&self, shape: Shape) -> BoxedStrategy<Tensor<f64>> {
        match self.clone() {
            Values::In(range) => tensor(shape, range).boxed(),
            Values::Away(range, kinks) => {
                tensor_away_from_kinks(shape, range, kinks, KINK_MARGIN).boxed()
            }
            Values::Distinct(range) => tensor_distinct(shape, range, TIE_GAP).boxed(),
        }
    }
}

/// Any values in `[-2, 2]`.
fn any_values() -> Values {
    Values::In(-2.0..=2.0)
}

/// Values in `[0.5, 3]`: the domain of `log`, `sqrt` and fractional powers,
/// away from their pole or branch point at 0.
fn positive() -> Values {
    Values::In(0.5..=3.0)
}

/// Values in `[-2, 2]` at least 0.5 from 0: divisors, whose quotient's
/// third derivative grows as `1 / y^4`.
fn nonzero() -> Values {
    Values::Away(-2.0..=2.0, &[0.0])
}

fn case(inputs: Vec<Tensor<f64>>, args: Args) -> Case {
    Case { inputs, args }
}

/// One input of any shape.
fn unary(values: Values) -> impl Strategy<Value = Case> {
    shape(MAX_RANK, MAX_DIM)
        .prop_flat_map(move |s| values.of(s))
        .prop_map(|x| case(vec![x], Args::default()))
}

/// Two inputs whose shapes broadcast.
fn binary(lhs: Values, rhs: Values) -> impl Strategy<Value = Case> {
    broadcast_shapes(MAX_RANK, MAX_DIM)
        .prop_flat_map(move |(a, b)| (lhs.of(a), rhs.of(b)))
        .prop_map(|(x, y)| case(vec![x, y], Args::default()))
}

/// One input of rank 1 or more, and one of its axes.
fn along_axis(values: Values) -> impl Strategy<Value = Case> {
    (
        shape_in(1..=MAX_RANK, 1..=MAX_DIM),
        0..MAX_RANK,
        any::<bool>(),
    )
        .prop_flat_map(move |(s, axis, keepdims)| {
            let axis = axis % s.rank();
            (values.of(s), Just(axis), Just(keepdims))
        })
        .prop_map(|(x, axis, keepdims)| {
            let args = Args {
                axis,
                keepdims,
                ..Args::default()
            };
            case(vec![x], args)
        })
}

/// One input of any shape, a set of its axes, and `keepdims`.
fn reduction(values: Values) -> impl Strategy<Value = Case> {
    (
        shape(MAX_RANK, MAX_DIM),
        vec(any::<bool>(), MAX_RANK),
        any::<bool>(),
    )
        .prop_flat_map(move |(s, picked, keepdims)| {
            let axes: Vec<usize> = (0..s.rank()).filter(|&axis| picked[axis]).collect();
            (values.of(s), Just(axes), Just(keepdims))
        })
        .prop_map(|(x, list, keepdims)| {
            let args = Args {
                keepdims,
                list,
                ..Args::default()
            };
            case(vec![x], args)
        })
}

/// One input of any shape and a permutation of its axes.
fn permutation() -> impl Strategy<Value = Case> {
    shape(MAX_RANK, MAX_DIM)
        .prop_flat_map(|s| {
            let order = Just((0..s.rank()).collect::<Vec<_>>()).prop_shuffle();
            (any_values().of(s), order)
        })
        .prop_map(|(x, list)| {
            let args = Args {
                list,
                ..Args::default()
            };
            case(vec![x], args)
        })
}

/// A pair of broadcast shapes: an input of the first, and the shape both
/// broadcast to in `list` (for `broadcast_to`); or, with `reduce`, an
/// input of the broadcast shape and the first in `list` (for `sum_to`).
fn broadcast_pair(reduce: bool) -> impl Strategy<Value = Case> {
    broadcast_shapes(MAX_RANK, MAX_DIM)
        .prop_flat_map(move |(a, b)| {
            let full = Shape::broadcast("test", &a, &b).expect("the shapes broadcast");
            let (input, target) = if reduce { (full, a) } else { (a, full) };
            (any_values().of(input), Just(target.dims().to_vec()))
        })
        .prop_map(|(x, list)| {
            let args = Args {
                list,
                ..Args::default()
            };
            case(vec![x], args)
        })
}

/// Two operands for `matmul_t` with the given transposes: the drawn shapes
/// `[.., m, k]` and `[.., k, n]` with the last two axes of a transposed
/// operand swapped.
fn matmul_operands(trans_lhs: bool, trans_rhs: bool) -> impl Strategy<Value = Case> {
    fn stored(s: &Shape, transposed: bool) -> Shape {
        let mut dims = s.dims().to_vec();
        if transposed {
            let rank = dims.len();
            dims.swap(rank - 2, rank - 1);
        }
        Shape::from(dims)
    }
    matmul_shapes(1, MAX_DIM)
        .prop_flat_map(move |(a, b)| {
            let lhs = any_values().of(stored(&a, trans_lhs));
            let rhs = any_values().of(stored(&b, trans_rhs));
            (lhs, rhs)
        })
        .prop_map(|(x, y)| case(vec![x, y], Args::default()))
}

/// Operands of the given shapes, built from drawn sizes `m, k, n`.
fn matmul_fixed(shapes: fn(usize, usize, usize) -> [Vec<usize>; 2]) -> impl Strategy<Value = Case> {
    (1..=MAX_DIM, 1..=MAX_DIM, 1..=MAX_DIM)
        .prop_flat_map(move |(m, k, n)| {
            let [a, b] = shapes(m, k, n);
            (any_values().of(a.into()), any_values().of(b.into()))
        })
        .prop_map(|(x, y)| case(vec![x, y], Args::default()))
}

/// One to three inputs that differ only in the size of one axis.
fn concat_parts() -> impl Strategy<Value = Case> {
    let sizes = vec(1..=MAX_DIM, 1..=3);
    (shape_in(1..=MAX_RANK, 1..=MAX_DIM), 0..MAX_RANK, sizes)
        .prop_flat_map(|(s, axis, sizes)| {
            let axis = axis % s.rank();
            let parts: Vec<_> = sizes
                .iter()
                .map(|&size| {
                    let mut dims = s.dims().to_vec();
                    dims[axis] = size;
                    any_values().of(dims.into())
                })
                .collect();
            (parts, Just(axis))
        })
        .prop_map(|(inputs, axis)| {
            let args = Args {
                axis,
                ..Args::default()
            };
            case(inputs, args)
        })
}

/// One to three inputs of one shape, and an axis of their stack.
fn stack_parts() -> impl Strategy<Value = Case> {
    (shape(MAX_RANK - 1, MAX_DIM), 1..=3usize, 0..MAX_RANK)
        .prop_flat_map(|(s, count, axis)| {
            let axis = axis % (s.rank() + 1);
            let parts = vec(any_values().of(s), count);
            (parts, Just(axis))
        })
        .prop_map(|(inputs, axis)| {
            let args = Args {
                axis,
                ..Args::default()
            };
            case(inputs, args)
        })
}

/// One input, an axis, and `start..end` within it (never empty).
fn slice_range() -> impl Strategy<Value = Case> {
    (
        shape_in(1..=MAX_RANK, 1..=MAX_DIM),
        0..MAX_RANK,
        0..MAX_DIM,
        1..=MAX_DIM,
    )
        .prop_flat_map(|(s, axis, start, len)| {
            let axis = axis % s.rank();
            let size = s[axis];
            let start = start % size;
            let end = (start + len).min(size);
            (any_values().of(s), Just((axis, start, end)))
        })
        .prop_map(|(x, (axis, start, end))| {
            let args = Args {
                axis,
                pair: (start, end),
                ..Args::default()
            };
            case(vec![x], args)
        })
}

/// One input, an axis, and how many zeros go before and after it.
fn padding() -> impl Strategy<Value = Case> {
    (along_axis(any_values()), 0..=2usize, 0..=2usize).prop_map(|(mut case, before, after)| {
        case.args.pair = (before, after);
        case
    })
}

/// One input, an axis, and one to four indices along it, repeats allowed.
fn selection() -> impl Strategy<Value = Case> {
    (along_axis(any_values()), vec(0..MAX_DIM, 1..=4)).prop_map(|(mut case, indices)| {
        let size = case.inputs[0].dims()[case.args.axis];
        case.args.list = indices.into_iter().map(|i| i % size).collect();
        case
    })
}

/// One input whose axis holds a slice per index, the indices (repeats
/// allowed), and the size of the output's axis.
fn scatter() -> impl Strategy<Value = Case> {
    let indices = vec(0..MAX_DIM, 1..=3);
    (
        shape_in(1..=MAX_RANK, 1..=MAX_DIM),
        0..MAX_RANK,
        indices,
        1..=MAX_DIM,
    )
        .prop_flat_map(|(s, axis, indices, size)| {
            let axis = axis % s.rank();
            let mut dims = s.dims().to_vec();
            dims[axis] = indices.len();
            let indices: Vec<usize> = indices.into_iter().map(|i| i % size).collect();
            (any_values().of(dims.into()), Just((axis, indices, size)))
        })
        .prop_map(|(x, (axis, list, size))| {
            let args = Args {
                axis,
                list,
                pair: (size, 0),
                ..Args::default()
            };
            case(vec![x], args)
        })
}

/// A mask and two branches whose three shapes broadcast together.
fn choice() -> impl Strategy<Value = Case> {
    broadcast_shapes_n(3, MAX_RANK, MAX_DIM)
        .prop_flat_map(|shapes| {
            let [mask, on_true, on_false] = <[Shape; 3]>::try_from(shapes).expect("three shapes");
            let bits = vec(any::<bool>(), mask.numel());
            let mask = bits.prop_map(move |bits| {
                let values = bits.into_iter().map(f64::from).collect();
                Tensor::from_vec(values, mask.clone()).expect("one bit per element")
            });
            (mask, any_values().of(on_true), any_values().of(on_false))
        })
        .prop_map(|(mask, x, y)| {
            let args = Args {
                mask: Some(mask),
                ..Args::default()
            };
            case(vec![x, y], args)
        })
}

/// `softplus(x) = log(1 + e^x)` as a custom op, with its rule
/// `grad_out * e^x / (1 + e^x)` written over `Ops`.
struct Softplus;

impl CustomOp<f64> for Softplus {
    fn name(&self) -> &'static str {
        "softplus"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
        Ok(inputs[0].exp().add_scalar(1.0).log())
    }

    fn backward<T: Ops<f64>>(
        &self,
        inputs: &[&T],
        _out: &T,
        grad_out: &T,
    ) -> Result<Vec<Option<T>>, Error> {
        let e = inputs[0].exp();
        Ok(vec![Some(grad_out.mul(&e)?.div(&e.add_scalar(1.0))?)])
    }
}

/// The axes of `args.list`, as the ops take them.
fn axes(args: &Args) -> Vec<isize> {
    args.list.iter().map(|&axis| axis as isize).collect()
}

/// The table. An op joins it in the change that adds the op.
fn table() -> Vec<Entry> {
    vec![
        // Elementwise, two inputs with broadcasting.
        entry("add", binary(any_values(), any_values()), |_, xs| {
            xs[0].add(xs[1])
        }),
        entry("sub", binary(any_values(), any_values()), |_, xs| {
            xs[0].sub(xs[1])
        }),
        entry("mul", binary(any_values(), any_values()), |_, xs| {
            xs[0].mul(xs[1])
        }),
        entry("div", binary(any_values(), nonzero()), |_, xs| {
            xs[0].div(xs[1])
        }),
        entry("x + y", binary(any_values(), any_values()), |_, xs| {
            Ok(xs[0] + xs[1])
        }),
        entry("x - y", binary(any_values(), any_values()), |_, xs| {
            Ok(xs[0] - xs[1])
        }),
        entry("x * y", binary(any_values(), any_values()), |_, xs| {
            Ok(xs[0] * xs[1])
        }),
        entry("x / y", binary(any_values(), nonzero()), |_, xs| {
            Ok(xs[0] / xs[1])
        }),
        // With a constant.
        entry("neg", unary(any_values()), |_, xs| Ok(xs[0].neg())),
        entry("-x", unary(any_values()), |_, xs| Ok(-xs[0])),
        entry("add_scalar", unary(any_values()), |_, xs| {
            Ok(xs[0].add_scalar(0.7))
        }),
        entry("sub_scalar", unary(any_values()), |_, xs| {
            Ok(xs[0].sub_scalar(0.7))
        }),
        entry("mul_scalar", unary(any_values()), |_, xs| {
            Ok(xs[0].mul_scalar(-1.3))
        }),
        entry("div_scalar", unary(any_values()), |_, xs| {
            Ok(xs[0].div_scalar(2.5))
        }),
        entry("x + c", unary(any_values()), |_, xs| Ok(xs[0] + 2.0)),
        entry("c + x", unary(any_values()), |_, xs| Ok(2.0 + xs[0])),
        entry("x - c", unary(any_values()), |_, xs| Ok(xs[0] - 2.0)),
        entry("c - x", unary(any_values()), |_, xs| Ok(2.0 - xs[0])),
        entry("x * c", unary(any_values()), |_, xs| Ok(xs[0] * 2.0)),
        entry("c * x", unary(any_values()), |_, xs| Ok(2.0 * xs[0])),
        entry("x / c", unary(any_values()), |_, xs| Ok(xs[0] / 2.0)),
        entry("c / x", unary(nonzero()), |_, xs| Ok(2.0 / xs[0])),
        // Powers: integer ones anywhere, fractional ones on positive bases.
        entry("square", unary(any_values()), |_, xs| Ok(xs[0].square())),
        entry("powf(3)", unary(any_values()), |_, xs| Ok(xs[0].powf(3.0))),
        entry("powf(-2)", unary(nonzero()), |_, xs| Ok(xs[0].powf(-2.0))),
        entry("powf(0.5)", unary(positive()), |_, xs| Ok(xs[0].powf(0.5))),
        entry(
            "powf(-1.5)",
            unary(positive()),
            |_, xs| Ok(xs[0].powf(-1.5)),
        ),
        entry("powf(2.7)", unary(positive()), |_, xs| Ok(xs[0].powf(2.7))),
        // Smooth functions.
        entry("exp", unary(any_values()), |_, xs| Ok(xs[0].exp())),
        entry("log", unary(positive()), |_, xs| Ok(xs[0].log())),
        entry("sqrt", unary(positive()), |_, xs| Ok(xs[0].sqrt())),
        entry(
            "sin",
            unary(Values::In(-3.0..=3.0)),
            |_, xs| Ok(xs[0].sin()),
        ),
        entry(
            "cos",
            unary(Values::In(-3.0..=3.0)),
            |_, xs| Ok(xs[0].cos()),
        ),
        entry("tanh", unary(any_values()), |_, xs| Ok(xs[0].tanh())),
        entry("sigmoid", unary(Values::In(-4.0..=4.0)), |_, xs| {
            Ok(xs[0].sigmoid())
        }),
        // Kinks: the second derivative is 0 on either side.
        entry("relu", unary(Values::Away(-2.0..=2.0, &[0.0])), |_, xs| {
            Ok(xs[0].relu())
        }),
        entry("abs", unary(Values::Away(-2.0..=2.0, &[0.0])), |_, xs| {
            Ok(xs[0].abs())
        }),
        entry(
            "clamp",
            unary(Values::Away(-1.0..=1.0, &[-0.5, 0.5])),
            |_, xs| Ok(xs[0].clamp(-0.5, 0.5)),
        ),
        // Reductions.
        entry("sum", reduction(any_values()), |args, xs| {
            xs[0].sum(&axes(args), args.keepdims)
        }),
        entry("sum_all", unary(any_values()), |_, xs| Ok(xs[0].sum_all())),
        entry("mean", reduction(any_values()), |args, xs| {
            xs[0].mean(&axes(args), args.keepdims)
        }),
        entry(
            "mean_all",
            unary(any_values()),
            |_, xs| Ok(xs[0].mean_all()),
        ),
        entry(
            "max",
            reduction(Values::Distinct(-2.0..=2.0)),
            |args, xs| xs[0].max(&axes(args), args.keepdims),
        ),
        entry("max_all", unary(Values::Distinct(-2.0..=2.0)), |_, xs| {
            xs[0].max_all()
        }),
        entry(
            "logsumexp",
            along_axis(Values::In(-3.0..=3.0)),
            |args, xs| xs[0].logsumexp(args.axis as isize, args.keepdims),
        ),
        // Softmax.
        entry(
            "log_softmax",
            along_axis(Values::In(-3.0..=3.0)),
            |args, xs| xs[0].log_softmax(args.axis as isize),
        ),
        entry("softmax", along_axis(Values::In(-3.0..=3.0)), |args, xs| {
            xs[0].softmax(args.axis as isize)
        }),
        // Broadcasting.
        entry("broadcast_to", broadcast_pair(false), |args, xs| {
            xs[0].broadcast_to(args.list.clone())
        }),
        entry("sum_to", broadcast_pair(true), |args, xs| {
            xs[0].sum_to(args.list.clone())
        }),
        // Layout.
        entry("reshape", unary(any_values()), |_, xs| {
            xs[0].reshape([xs[0].shape().numel(), 1])
        }),
        entry("unsqueeze", along_axis(any_values()), |args, xs| {
            xs[0].unsqueeze(args.axis as isize)
        }),
        entry("permute", permutation(), |args, xs| {
            xs[0].permute(&args.list)
        }),
        entry("transpose", along_axis(any_values()), |args, xs| {
            xs[0].transpose(args.axis as isize, -1)
        }),
        entry("concat", concat_parts(), |args, xs| {
            Var::concat(xs, args.axis as isize)
        }),
        entry("stack", stack_parts(), |args, xs| {
            Var::stack(xs, args.axis as isize)
        }),
        entry("slice", slice_range(), |args, xs| {
            let (start, end) = args.pair;
            xs[0].slice(args.axis as isize, start..end)
        }),
        entry("pad", padding(), |args, xs| {
            let (before, after) = args.pair;
            xs[0].pad(args.axis as isize, before, after)
        }),
        // Indexing and selection.
        entry("index_select", selection(), |args, xs| {
            xs[0].index_select(args.axis as isize, &args.list)
        }),
        entry("index_add", scatter(), |args, xs| {
            xs[0].index_add(args.axis as isize, &args.list, args.pair.0)
        }),
        entry("where_", choice(), |args, xs| {
            let mask = args.mask.as_ref().expect("a drawn mask");
            Var::where_(mask, xs[0], xs[1])
        }),
        // Matrix products.
        entry("matmul", matmul_operands(false, false), |_, xs| {
            xs[0].matmul(xs[1])
        }),
        entry("matmul_t(a, b)", matmul_operands(false, false), |_, xs| {
            xs[0].matmul_t(xs[1], false, false)
        }),
        entry("matmul_t(a^T, b)", matmul_operands(true, false), |_, xs| {
            xs[0].matmul_t(xs[1], true, false)
        }),
        entry("matmul_t(a, b^T)", matmul_operands(false, true), |_, xs| {
            xs[0].matmul_t(xs[1], false, true)
        }),
        entry(
            "matmul_t(a^T, b^T)",
            matmul_operands(true, true),
            |_, xs| xs[0].matmul_t(xs[1], true, true),
        ),
        entry(
            "matmul(vector, matrix)",
            matmul_fixed(|_, k, n| [vec![k], vec![k, n]]),
            |_, xs| xs[0].matmul(xs[1]),
        ),
        entry(
            "matmul(matrix, vector)",
            matmul_fixed(|m, k, _| [vec![m, k], vec![k]]),
            |_, xs| xs[0].matmul(xs[1]),
        ),
        entry(
            "matmul(vector, vector)",
            matmul_fixed(|_, k, _| [vec![k], vec![k]]),
            |_, xs| xs[0].matmul(xs[1]),
        ),
        // Custom ops.
        entry("custom", unary(Values::In(-3.0..=3.0)), |_, xs| {
            Var::custom(&Arc::new(Softplus), xs)
        }),
    ]
}

/// The run's configuration: [`CI_CASES`] cases unless `PROPTEST_CASES`
/// says otherwise, and a seed from `PROPTEST_RNG_SEED` or drawn, so that a
/// failure names the seed that repeats it.
fn config() -> (Config, u64) {
    let mut config = contextualize_config(Config {
        cases: CI_CASES,
        // Enough to shrink a case of 27 elements down to one or two.
        max_shrink_iters: 4096,
        failure_persistence: None,
        ..Config::default()
    });
    let seed = match config.rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => {
            use std::hash::{BuildHasher, RandomState};
            RandomState::new().hash_one(0u8)
        }
    };
    config.rng_seed = RngSeed::Fixed(seed);
    (config, seed)
}

#[test]
fn prop_every_op_passes_gradcheck_and_gradgradcheck() {
    let (config, seed) = config();
    let options = CheckOptions::default();

    let mut failures = Vec::new();
    for entry in table() {
        let mut runner = TestRunner::new(config.clone());
        let result = runner.run(&entry.cases, |case| {
            // gradgradcheck runs gradcheck first.
            let f = entry.f;
            gradgradcheck(|xs| f(&case.args, xs), &case.inputs, &options)?;
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, case)) => {
                failures.push(format!(
                    "{}: {reason}\n  minimal case: {case:?}",
                    entry.name
                ));
            }
            Err(TestError::Abort(reason)) => failures.push(format!("{}: {reason}", entry.name)),
        }
    }

    assert!(
        failures.is_empty(),
        "{} of the op table failed (rerun with PROPTEST_RNG_SEED={seed}):\n{}",
        failures.len(),
        failures.join("\n"),
    );
}

/// Records a few cases of every entry and returns the names of the ops
/// they put on the tape, `custom` for any custom op.
fn recorded_ops() -> BTreeSet<&'static str> {
    let mut runner = TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for entry in table() {
        for _ in 0..4 {
            let case = entry.cases.new_tree(&mut runner).unwrap().current();
            let tape = Tape::new();
            let vars: Vec<_> = case.inputs.iter().map(|x| tape.var(x.clone())).collect();
            (entry.f)(&case.args, &vars).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
            for node in tape.nodes().iter() {
                seen.insert(match node.op() {
                    Op::Custom(_) => "custom",
                    op => op.name(),
                });
            }
        }
    }
    seen
}

#[test]
fn every_primitive_is_in_the_table() {
    let seen = recorded_ops();
    let all = all_primitives();

    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "ops in no entry of the table: {missing:?}"
    );
    let unknown: Vec<_> = seen.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "ops the table records that Op::NAMES does not list: {unknown:?}"
    );
}

#[test]
fn entry_names_are_unique() {
    let names: Vec<_> = table().iter().map(|e| e.name).collect();
    let unique: BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
}
