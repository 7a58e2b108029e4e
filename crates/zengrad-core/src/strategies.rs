//! Strategies for property tests with [proptest]: shapes, shapes that
//! broadcast or multiply, and tensors of `f64` whose values stay in a range,
//! away from kinks, or apart from each other.
//!
//! Built only with the crate's `proptest` feature. Each strategy shrinks a
//! failing case toward a simpler one: shapes toward few axes of size 1,
//! values toward 0 (or the end of the range nearest 0) in steps of 0.5, so
//! that the report of a failure is a case small enough to read.
//!
//! The values are `f64`, the type that [`gradcheck`] checks in; for `f32`,
//! map a tensor with [`Tensor::cast`].
//!
//! # Example: a gradient checked over random shapes and values
//!
//! ```
//! use proptest::prelude::*;
//! use zengrad_core::check::{gradcheck, CheckOptions};
//! use zengrad_core::strategies::{broadcast_shapes, tensor};
//!
//! let inputs = broadcast_shapes(3, 3)
//!     .prop_flat_map(|(a, b)| (tensor(a, -2.0..=2.0), tensor(b, -2.0..=2.0)));
//!
//! proptest!(ProptestConfig::with_cases(16), |((a, b) in inputs)| {
//!     // An error of gradcheck fails the case, with its report.
//!     gradcheck(|xs| xs[0].mul(xs[1]), &[a, b], &CheckOptions::default())?;
//! });
//! ```
//!
//! [proptest]: https://docs.rs/proptest
//! [`gradcheck`]: crate::check::gradcheck

use std::ops::RangeInclusive;

use proptest::collection::vec;
use proptest::prelude::*;

use crate::{Shape, Tensor};

/// The step of the simple values that elements shrink to: multiples of it,
/// counted from 0 (or the end of the range nearest 0).
pub const SIMPLE_STEP: f64 = 0.5;

/// The chance that an element is drawn anywhere in its range rather than
/// on the grid of [`SIMPLE_STEP`]: most values are arbitrary, and a few are
/// the round numbers (0, 0.5, 1, ...) where edge cases live.
const ARBITRARY_CHANCE: f64 = 0.75;

/// How many steps a value's distance from the simplest value is counted
/// in, across its side of the range: fine enough to look continuous.
const FINE_STEPS: u64 = 1 << 40;

/// The chance that an axis of an operand is 1 in [`broadcast_shapes`].
const ONE_CHANCE: f64 = 0.3;

/// Returns shapes of at most `max_rank` axes, each of size 1 to `max_dim`;
/// rank 0 is a scalar.
///
/// They shrink by dropping axes and then toward axes of size 1.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::shape;
///
/// proptest!(ProptestConfig::with_cases(16), |(s in shape(3, 4))| {
///     prop_assert!(s.rank() <= 3);
///     prop_assert!(s.dims().iter().all(|&d| (1..=4).contains(&d)));
/// });
/// ```
pub fn shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Shape> + Clone {
    shape_in(0..=max_rank, 1..=max_dim)
}

/// Returns shapes whose rank is in `ranks` and each of whose sizes is in
/// `dims`: `shape_in(1..=2, 0..=3)` includes empty tensors.
///
/// They shrink by dropping axes down to the smallest rank, and then toward
/// the smallest size.
///
/// # Panics
///
/// The strategy panics when a range is empty.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::shape_in;
///
/// proptest!(ProptestConfig::with_cases(16), |(s in shape_in(2..=3, 2..=5))| {
///     prop_assert!((2..=3).contains(&s.rank()));
///     prop_assert!(s.numel() >= 4);
/// });
/// ```
pub fn shape_in(
    ranks: RangeInclusive<usize>,
    dims: RangeInclusive<usize>,
) -> impl Strategy<Value = Shape> + Clone {
    vec(dims, ranks).prop_map(Shape::from)
}

/// Returns pairs of shapes that broadcast together, of at most `max_rank`
/// axes of size up to `max_dim`.
///
/// Both are drawn from one broadcast shape: each operand drops some of its
/// leading axes (ranks differ) and sets some others to 1. They shrink
/// toward fewer and smaller axes, and toward two equal shapes.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::broadcast_shapes;
/// use zengrad_core::Shape;
///
/// proptest!(ProptestConfig::with_cases(16), |((a, b) in broadcast_shapes(3, 4))| {
///     prop_assert!(Shape::broadcast("test", &a, &b).is_ok());
/// });
/// ```
pub fn broadcast_shapes(
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = (Shape, Shape)> + Clone {
    broadcast_shapes_n(2, max_rank, max_dim).prop_map(|mut shapes| {
        let b = shapes.pop().expect("internal error: two shapes were drawn");
        let a = shapes.pop().expect("internal error: two shapes were drawn");
        (a, b)
    })
}

/// Returns `count` shapes that broadcast together, as
/// [`broadcast_shapes`] does for two: for the three operands of
/// [`Var::where_`](crate::Var::where_), say.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::broadcast_shapes_n;
/// use zengrad_core::Shape;
///
/// proptest!(ProptestConfig::with_cases(16), |(shapes in broadcast_shapes_n(3, 3, 3))| {
///     let ab = Shape::broadcast("test", &shapes[0], &shapes[1]).unwrap();
///     prop_assert!(Shape::broadcast("test", &ab, &shapes[2]).is_ok());
/// });
/// ```
pub fn broadcast_shapes_n(
    count: usize,
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = Vec<Shape>> + Clone {
    // An operand: how many leading axes it drops (mostly none) and which of
    // the rest it sets to 1. Both shrink to the full shape.
    let dropped = prop_oneof![3 => Just(0usize), 1 => 0..=max_rank];
    let operand = (dropped, vec(prop::bool::weighted(ONE_CHANCE), max_rank));

    (shape(max_rank, max_dim), vec(operand, count)).prop_map(|(full, operands)| {
        let dims = full.dims();
        operands
            .into_iter()
            .map(|(dropped, ones)| {
                let kept = &dims[dropped.min(dims.len())..];
                let sizes = kept
                    .iter()
                    .zip(ones)
                    .map(|(&d, one)| if one { 1 } else { d });
                sizes.collect()
            })
            .collect()
    })
}

/// Returns pairs of shapes `[.., m, k]` and `[.., k, n]` that
/// [`Var::matmul`](crate::Var::matmul) multiplies, with sizes up to
/// `max_dim` and batch axes (up to `max_batch_rank`) that broadcast as
/// [`broadcast_shapes`] draws them.
///
/// Both operands have rank 2 or more; they shrink toward `[1, 1]` and
/// `[1, 1]`.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::matmul_shapes;
/// use zengrad_core::Tensor;
///
/// proptest!(ProptestConfig::with_cases(16), |((a, b) in matmul_shapes(2, 3))| {
///     let product = Tensor::<f64>::zeros(a.clone()).matmul(&Tensor::zeros(b.clone()));
///     prop_assert!(product.is_ok());
/// });
/// ```
pub fn matmul_shapes(
    max_batch_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = (Shape, Shape)> + Clone {
    let sizes = (1..=max_dim, 1..=max_dim, 1..=max_dim);
    (broadcast_shapes(max_batch_rank, max_dim), sizes).prop_map(|((a, b), (m, k, n))| {
        let lhs = a.dims().iter().copied().chain([m, k]).collect();
        let rhs = b.dims().iter().copied().chain([k, n]).collect();
        (lhs, rhs)
    })
}

/// Returns numbers in `range`, uniform but for a quarter of round ones.
///
/// The simplest value is 0, or the end of the range nearest 0. Three
/// quarters of the draws are uniform in the range; the others lie on the
/// grid of that simplest value plus or minus multiples of [`SIMPLE_STEP`].
/// A failing value shrinks onto that grid when it still fails there, then
/// toward the simplest value: a failure that needs `x >= 1` in
/// `-2.0..=2.0` is reported at exactly `1.0`.
///
/// # Panics
///
/// Panics when an end of `range` is not finite or the range is empty.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::element;
///
/// proptest!(ProptestConfig::with_cases(16), |(x in element(0.5..=2.0))| {
///     prop_assert!((0.5..=2.0).contains(&x));
/// });
/// ```
pub fn element(range: RangeInclusive<f64>) -> impl Strategy<Value = f64> + Clone {
    let (lo, hi) = range.into_inner();
    assert!(
        lo.is_finite() && hi.is_finite() && lo <= hi,
        "element: expected a finite range lo..=hi with lo <= hi, got {lo}..={hi}"
    );
    let simplest = 0.0f64.clamp(lo, hi);
    let (above, below) = (hi - simplest, simplest - lo);
    let below_chance = if lo < hi { below / (hi - lo) } else { 0.0 };

    // The order of the tuple is the order of shrinking: onto the grid
    // first, then to the side above the simplest value, then toward it.
    // The distance is an integer count of tiny steps: proptest shrinks an
    // integer by bisection, but a float only by trying the end of its range.
    let arbitrary = prop::bool::weighted(ARBITRARY_CHANCE);
    let side = prop::bool::weighted(below_chance);
    (arbitrary, side, 0..FINE_STEPS).prop_map(move |(arbitrary, is_below, steps)| {
        let fraction = steps as f64 / FINE_STEPS as f64;
        let mut distance = fraction * if is_below { below } else { above };
        if !arbitrary {
            distance = (distance / SIMPLE_STEP).floor() * SIMPLE_STEP;
        }
        if is_below {
            simplest - distance
        } else {
            simplest + distance
        }
    })
}

/// Returns tensors of `shape` whose elements are drawn by [`element`] from
/// `range`.
///
/// # Panics
///
/// As [`element`].
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::tensor;
///
/// proptest!(ProptestConfig::with_cases(16), |(x in tensor([2, 3], -1.0..=1.0))| {
///     prop_assert_eq!(x.dims(), [2, 3]);
///     prop_assert!(x.data().iter().all(|v| v.abs() <= 1.0));
/// });
/// ```
pub fn tensor(
    shape: impl Into<Shape>,
    range: RangeInclusive<f64>,
) -> impl Strategy<Value = Tensor<f64>> + Clone {
    let shape = shape.into();
    vec(element(range), shape.numel()).prop_map(move |data| from_data(data, &shape))
}

/// Returns tensors whose shape is drawn by `shapes` and whose elements are
/// drawn by [`element`] from `range`.
///
/// A failing case shrinks its values first, then its shape; each smaller
/// shape gets fresh values, drawn until one fails again.
///
/// # Panics
///
/// As [`element`].
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::{shape, tensor_in};
///
/// proptest!(ProptestConfig::with_cases(16), |(x in tensor_in(shape(3, 3), 0.5..=2.0))| {
///     prop_assert!(x.rank() <= 3);
///     prop_assert!(x.data().iter().all(|v| (0.5..=2.0).contains(v)));
/// });
/// ```
pub fn tensor_in(
    shapes: impl Strategy<Value = Shape>,
    range: RangeInclusive<f64>,
) -> impl Strategy<Value = Tensor<f64>> {
    shapes.prop_flat_map(move |shape| tensor(shape, range.clone()))
}

/// Returns tensors of `shape` with elements from `range`, each at least
/// `margin` away from every point of `kinks`: for functions whose
/// derivative jumps there (`relu` and `abs` at 0, `clamp` at its bounds),
/// where finite differences that straddle the kink are wrong.
///
/// An element drawn closer than `margin` to a kink moves to `margin` from
/// it, on its own side (above, when it lies on the kink), or on the other
/// side when its own would leave the range. Kinks should lie `2 * margin`
/// or more apart.
///
/// # Panics
///
/// As [`element`], and when `margin` is negative or not finite.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::tensor_away_from_kinks;
///
/// let xs = tensor_away_from_kinks([4], -1.0..=1.0, &[0.0], 0.01);
/// proptest!(ProptestConfig::with_cases(16), |(x in xs)| {
///     prop_assert!(x.data().iter().all(|v| v.abs() >= 0.01));
/// });
/// ```
pub fn tensor_away_from_kinks(
    shape: impl Into<Shape>,
    range: RangeInclusive<f64>,
    kinks: &[f64],
    margin: f64,
) -> impl Strategy<Value = Tensor<f64>> + Clone {
    assert!(
        margin.is_finite() && margin >= 0.0,
        "tensor_away_from_kinks: expected a finite margin >= 0, got {margin}"
    );
    let kinks = kinks.to_vec();
    let (lo, hi) = (*range.start(), *range.end());
    tensor(shape, range).prop_map(move |x| {
        x.map(|mut v| {
            for &kink in &kinks {
                if (v - kink).abs() < margin {
                    let (below, above) = (kink - margin, kink + margin);
                    let own = if v < kink { below } else { above };
                    let other = if v < kink { above } else { below };
                    v = if (lo..=hi).contains(&own) { own } else { other };
                }
            }
            v
        })
    })
}

/// Returns tensors of `shape` with elements from `range` that lie at least
/// `gap` apart from each other: without ties, so that a maximum is unique
/// and stays where it is when finite differences move an element by less
/// than `gap / 2`.
///
/// The sorted values are drawn uniformly among those so spaced and placed
/// in a random order. They shrink toward `lo, lo + gap, lo + 2 gap, ...`
/// in row-major order.
///
/// # Panics
///
/// As [`element`], and when `gap` is negative or the range is too short to
/// hold the elements `gap` apart.
///
/// # Examples
///
/// ```
/// use proptest::prelude::*;
/// use zengrad_core::strategies::tensor_distinct;
///
/// proptest!(ProptestConfig::with_cases(16), |(x in tensor_distinct([2, 3], -1.0..=1.0, 0.1))| {
///     let mut sorted = x.to_vec();
///     sorted.sort_by(f64::total_cmp);
///     prop_assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 0.1 - 1e-12));
/// });
/// ```
pub fn tensor_distinct(
    shape: impl Into<Shape>,
    range: RangeInclusive<f64>,
    gap: f64,
) -> impl Strategy<Value = Tensor<f64>> + Clone {
    let shape = shape.into();
    let count = shape.numel();
    let (lo, hi) = range.into_inner();
    let spread = gap * count.saturating_sub(1) as f64;
    assert!(
        gap.is_finite() && gap >= 0.0 && lo + spread <= hi,
        "tensor_distinct: expected room for {count} values {gap} apart, got {lo}..={hi}"
    );

    // Sorted offsets in `[0, hi - lo - spread]`, each moved up by its rank
    // times `gap`, are sorted values `gap` apart; a shuffle places them.
    let offsets = vec(element(0.0..=hi - lo - spread), count);
    let order = Just((0..count).collect::<Vec<usize>>()).prop_shuffle();
    (offsets, order).prop_map(move |(mut offsets, order)| {
        offsets.sort_by(f64::total_cmp);
        let mut data = vec![0.0; count];
        for (rank, (&at, offset)) in order.iter().zip(offsets).enumerate() {
            data[at] = lo + offset + rank as f64 * gap;
        }
        from_data(data, &shape)
    })
}

/// Builds a tensor from values drawn for its shape.
fn from_data(data: Vec<f64>, shape: &Shape) -> Tensor<f64> {
    Tensor::from_vec(data, shape.clone())
        .expect("internal error: a strategy drew as many values as its shape holds")
}

#[cfg(test)]
mod tests {
    use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

    use super::*;

    /// Runs a property that fails wherever `fails` holds and returns the
    /// minimal failing value that proptest shrinks to.
    fn shrink<S: Strategy>(strategy: S, fails: impl Fn(&S::Value) -> bool) -> S::Value {
        let config = Config {
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let result = runner.run(&strategy, |value| {
            if fails(&value) {
                Err(TestCaseError::fail("fails"))
            } else {
                Ok(())
            }
        });
        match result {
            Err(TestError::Fail(_, minimal)) => minimal,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn element_shrinks_to_zero_or_the_end_nearest_it() {
        assert_eq!(shrink(element(-2.0..=2.0), |_| true), 0.0);
        assert_eq!(shrink(element(0.5..=2.0), |_| true), 0.5);
        assert_eq!(shrink(element(-3.0..=-1.0), |_| true), -1.0);
    }

    #[test]
    fn element_shrinks_onto_a_multiple_of_the_step() {
        // Failing wherever x >= 1: the boundary itself is the minimal case.
        assert_eq!(shrink(element(-2.0..=2.0), |&x| x >= 1.0), 1.0);
        assert_eq!(shrink(element(-2.0..=2.0), |&x| x <= -1.5), -1.5);
    }

    #[test]
    fn shapes_shrink_to_a_scalar() {
        assert_eq!(shrink(shape(4, 5), |_| true), Shape::scalar());
        let (a, b) = shrink(broadcast_shapes(4, 5), |_| true);
        assert_eq!((a, b), (Shape::scalar(), Shape::scalar()));
        let (a, b) = shrink(matmul_shapes(2, 5), |_| true);
        assert_eq!((a.dims(), b.dims()), (&[1, 1][..], &[1, 1][..]));
    }

    #[test]
    fn a_degenerate_range_gives_its_one_value() {
        let x = shrink(tensor([3], 1.5..=1.5), |_| true);
        assert_eq!(x.to_vec(), [1.5; 3]);
    }

    #[test]
    fn distinct_values_shrink_to_an_even_ramp() {
        let x = shrink(tensor_distinct([2, 2], -1.0..=1.0, 0.25), |_| true);
        assert_eq!(x.to_vec(), [-1.0, -0.75, -0.5, -0.25]);
    }

    #[test]
    fn kinks_push_values_to_the_side_that_stays_in_range() {
        // Every value shrinks to 0, the kink: it moves up to the margin, or
        // down when up would leave the range.
        let up = shrink(tensor_away_from_kinks([2], -1.0..=1.0, &[0.0], 0.1), |_| {
            true
        });
        assert_eq!(up.to_vec(), [0.1, 0.1]);
        let down = shrink(
            tensor_away_from_kinks([1], -1.0..=0.05, &[0.0], 0.1),
            |_| true,
        );
        assert_eq!(down.to_vec(), [-0.1]);
    }
}
