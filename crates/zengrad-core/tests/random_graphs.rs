//! Random compositions of ops, gradient-checked: expressions up to six
//! levels deep over three inputs whose shapes broadcast together, through
//! `gradcheck` and `gradgradcheck`.
//!
//! Every op here keeps its operand's shape or keeps reduced axes as size 1,
//! so that any two subexpressions broadcast. The ops are smooth, or guarded
//! where they are not (`log(x^2 + 1)`, `x / (y^2 + 1)`): kinks and ties are
//! the op table's business. A case whose values grow past [`VALUE_LIMIT`]
//! is rejected, since finite differences of large values lose the digits
//! that the check compares.

use std::fmt;

use proptest::prelude::*;
use zengrad_core::check::{CheckOptions, gradgradcheck};
use zengrad_core::strategies::{broadcast_shapes_n, tensor};
use zengrad_core::{Error, Tape, Tensor, Var};

/// Cases in CI; `PROPTEST_CASES` sets another number for a deeper run.
const CI_CASES: u32 = 32;

/// The deepest expression drawn.
const MAX_DEPTH: u32 = 6;

/// How many inputs an expression may use.
const INPUTS: usize = 3;

/// The largest magnitude a case's values may reach. Central differences
/// of step 1e-6 lose about `1e-16 * |value| / 1e-6` to rounding, which at
/// 1e3 is 1e-7: a hundred times below the check's absolute tolerance.
const VALUE_LIMIT: f64 = 1e3;

/// An op of one operand that keeps its shape, or reduces its last axis to
/// size 1.
#[derive(Clone, Copy, Debug)]
enum Unary {
    Neg,
    Shift,
    Scale,
    Square,
    Exp,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    /// `log(x^2 + 1)`, defined everywhere.
    LogOfSquarePlusOne,
    /// `sqrt(x^2 + 1)`, defined everywhere.
    SqrtOfSquarePlusOne,
    /// The sum over the last axis, kept with size 1.
    Sum,
    /// The mean over the last axis, kept with size 1.
    Mean,
    Softmax,
    LogSoftmax,
    /// `logsumexp` over the last axis, kept with size 1.
    LogSumExp,
}

/// An op of two operands, with broadcasting.
#[derive(Clone, Copy, Debug)]
enum Binary {
    Add,
    Sub,
    Mul,
    /// `x / (y^2 + 1)`: a division whose divisor stays at 1 or more.
    Div,
}

/// An expression over the inputs `x0`, `x1`, `x2`.
#[derive(Clone)]
enum Expr {
    Input(usize),
    Unary(Unary, Box<Expr>),
    Binary(Binary, Box<Expr>, Box<Expr>),
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Input(i) => write!(f, "x{i}"),
            Expr::Unary(op, x) => write!(f, "{op:?}({x:?})"),
            Expr::Binary(op, x, y) => write!(f, "{op:?}({x:?}, {y:?})"),
        }
    }
}

impl Expr {
    /// Records the expression on the inputs' tape.
    fn eval<'t>(&self, xs: &[Var<'t, f64>]) -> Result<Var<'t, f64>, Error> {
        match self {
            Expr::Input(i) => Ok(xs[*i]),
            Expr::Unary(op, x) => unary(*op, x.eval(xs)?),
            Expr::Binary(op, x, y) => binary(*op, x.eval(xs)?, y.eval(xs)?),
        }
    }
}

fn unary(op: Unary, x: Var<'_, f64>) -> Result<Var<'_, f64>, Error> {
    // A scalar has no last axis: the ops along it leave it as it is.
    let last = x.shape().rank() > 0;
    Ok(match op {
        Unary::Neg => -x,
        Unary::Shift => x.add_scalar(0.3),
        Unary::Scale => x.mul_scalar(-0.7),
        Unary::Square => x.square(),
        Unary::Exp => x.exp(),
        Unary::Sin => x.sin(),
        Unary::Cos => x.cos(),
        Unary::Tanh => x.tanh(),
        Unary::Sigmoid => x.sigmoid(),
        Unary::LogOfSquarePlusOne => x.square().add_scalar(1.0).log(),
        Unary::SqrtOfSquarePlusOne => x.square().add_scalar(1.0).sqrt(),
        Unary::Sum if last => x.sum(&[-1], true)?,
        Unary::Mean if last => x.mean(&[-1], true)?,
        Unary::Softmax if last => x.softmax(-1)?,
        Unary::LogSoftmax if last => x.log_softmax(-1)?,
        Unary::LogSumExp if last => x.logsumexp(-1, true)?,
        Unary::Sum | Unary::Mean | Unary::Softmax | Unary::LogSoftmax | Unary::LogSumExp => x,
    })
}

fn binary<'t>(op: Binary, x: Var<'t, f64>, y: Var<'t, f64>) -> Result<Var<'t, f64>, Error> {
    match op {
        Binary::Add => x.add(y),
        Binary::Sub => x.sub(y),
        Binary::Mul => x.mul(y),
        Binary::Div => x.div(y.square().add_scalar(1.0)),
    }
}

fn unary_op() -> impl Strategy<Value = Unary> {
    use Unary::*;
    let ops = vec![
        Neg,
        Shift,
        Scale,
        Square,
        Exp,
        Sin,
        Cos,
        Tanh,
        Sigmoid,
        LogOfSquarePlusOne,
        SqrtOfSquarePlusOne,
        Sum,
        Mean,
        Softmax,
        LogSoftmax,
        LogSumExp,
    ];
    prop::sample::select(ops)
}

fn binary_op() -> impl Strategy<Value = Binary> {
    prop::sample::select(vec![Binary::Add, Binary::Sub, Binary::Mul, Binary::Div])
}

/// Expressions of depth up to [`MAX_DEPTH`]; they shrink toward a lone
/// input.
fn expr() -> impl Strategy<Value = Expr> {
    // A large target size with a branching of 1 makes most expressions
    // reach the full depth, of 20 to 80 nodes; their subexpressions cover
    // the smaller depths.
    let input = (0..INPUTS).prop_map(Expr::Input);
    input.prop_recursive(MAX_DEPTH, 256, 1, |inner| {
        prop_oneof![
            (unary_op(), inner.clone()).prop_map(|(op, x)| Expr::Unary(op, Box::new(x))),
            (binary_op(), inner.clone(), inner).prop_map(|(op, x, y)| Expr::Binary(
                op,
                Box::new(x),
                Box::new(y)
            )),
        ]
    })
}

/// Three inputs whose shapes broadcast together, with values in `[-2, 2]`.
fn inputs() -> impl Strategy<Value = Vec<Tensor<f64>>> {
    broadcast_shapes_n(INPUTS, 3, 3).prop_flat_map(|shapes| {
        shapes
            .into_iter()
            .map(|s| tensor(s, -2.0..=2.0))
            .collect::<Vec<_>>()
    })
}

/// Returns the largest magnitude among the values of the expression's
/// nodes, infinite if one is not finite.
fn largest_value(expr: &Expr, inputs: &[Tensor<f64>]) -> Result<f64, Error> {
    let tape = Tape::new();
    let vars: Vec<_> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    expr.eval(&vars)?;
    let nodes = tape.nodes();
    let values = nodes.iter().flat_map(|node| node.value().to_vec());
    Ok(values.fold(0.0, |largest, v| {
        if v.is_finite() {
            largest.max(v.abs())
        } else {
            f64::INFINITY
        }
    }))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CI_CASES,
        max_shrink_iters: 4096,
        // About 2% of cases exceed VALUE_LIMIT: room for a million cases.
        max_global_rejects: 50_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn prop_random_compositions_pass_gradcheck_and_gradgradcheck(
        expr in expr(),
        inputs in inputs(),
    ) {
        prop_assume!(largest_value(&expr, &inputs)? <= VALUE_LIMIT);

        // gradgradcheck runs gradcheck first.
        gradgradcheck(|xs| expr.eval(xs), &inputs, &CheckOptions::default())?;
    }
}
