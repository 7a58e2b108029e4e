//! gradcheck and gradgradcheck: they pass on right derivatives and fail,
//! with a readable report, on wrong ones.

use std::sync::Arc;

use zengrad_core::check::{CheckOptions, gradcheck, gradgradcheck};
use zengrad_core::ops::Ops;
use zengrad_core::{CustomOp, Error, Tensor, Var};

/// `x^3` with a backward rule chosen by the variant.
enum Cube {
    /// `3 x^2`, written in ops: right to any order.
    Right,
    /// `3 x^2` computed from the value and wrapped as a constant: right at
    /// first order, but its own derivative is lost.
    Frozen,
    /// `2 x^2`: wrong.
    Wrong,
}

impl CustomOp<f64> for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
        Ok(inputs[0].powf(3.0))
    }

    fn backward<T: Ops<f64>>(
        &self,
        inputs: &[&T],
        _out: &T,
        grad_out: &T,
    ) -> Result<Vec<Option<T>>, Error> {
        let x = inputs[0];
        let slope = match self {
            Cube::Right => x.mul(x)?.mul_scalar(3.0),
            Cube::Frozen => x.constant(x.value().square().mul_scalar(3.0)),
            Cube::Wrong => x.mul(x)?.mul_scalar(2.0),
        };
        Ok(vec![Some(grad_out.mul(&slope)?)])
    }
}

/// `x * y` whose rule forgets `y`'s gradient.
struct ForgetfulMul;

impl CustomOp<f64> for ForgetfulMul {
    fn name(&self) -> &'static str {
        "forgetful_mul"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
        inputs[0].mul(inputs[1])
    }

    fn backward<T: Ops<f64>>(
        &self,
        inputs: &[&T],
        _out: &T,
        grad_out: &T,
    ) -> Result<Vec<Option<T>>, Error> {
        Ok(vec![Some(grad_out.mul(inputs[1])?), None])
    }
}

fn options() -> CheckOptions {
    CheckOptions::default()
}

#[test]
fn the_defaults_are_pytorchs() {
    let defaults = CheckOptions::default();
    assert_eq!(
        (defaults.eps, defaults.atol, defaults.rtol),
        (1e-6, 1e-5, 1e-3)
    );
}

#[test]
fn both_checks_pass_on_a_right_rule() -> Result<(), Error> {
    let op = Arc::new(Cube::Right);
    let inputs = [Tensor::from([0.5, -1.5, 2.0])];
    gradcheck(|xs| Var::custom(&op, xs), &inputs, &options())?;
    gradgradcheck(|xs| Var::custom(&op, xs), &inputs, &options())
}

#[test]
fn gradcheck_catches_a_wrong_rule_and_says_where() {
    let op = Arc::new(Cube::Wrong);
    let inputs = [Tensor::from([0.5, 2.0])];

    let err = gradcheck(|xs| Var::custom(&op, xs), &inputs, &options()).unwrap_err();

    // At x = 0.5 the rule gives 2 x^2 = 0.5 where 3 x^2 = 0.75; the worst
    // entry is at x = 2: 8 instead of 12.
    let Error::GradCheck(mismatch) = &err else {
        panic!("expected a gradcheck error, got {err}");
    };
    assert_eq!(
        (mismatch.input, &mismatch.element[..], &mismatch.output[..]),
        (0, &[0][..], &[0][..])
    );
    assert_eq!(mismatch.analytic, 0.5);
    assert!((mismatch.numeric - 0.75).abs() < 1e-8);
    assert!((mismatch.worst_abs - 4.0).abs() < 1e-6);
    assert!((mismatch.worst_rel - 1.0 / 3.0).abs() < 1e-6);
    let text = err.to_string();
    let expected_start = "gradcheck: expected the analytic derivative to match finite \
                          differences, got d output[0] / d input 0[0]: analytic 5e-1, numeric 7.5";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(
        text.ends_with("; atol 1e-5, rtol 1e-3, eps 1e-6)"),
        "{text}"
    );
}

#[test]
fn gradcheck_report_is_pinned_for_a_simple_case() {
    // With eps = 0.5 the central difference of x^3 is 3 x^2 + eps^2: at
    // x = 0 the rule's 0 meets 0.25 (relative error 1), at x = 1 its 2
    // meets 3.25 (absolute error 1.25).
    let op = Arc::new(Cube::Wrong);
    let inputs = [Tensor::from([0.0, 1.0])];
    let options = CheckOptions {
        eps: 0.5,
        atol: 0.0,
        rtol: 0.0,
    };

    let err = gradcheck(|xs| Var::custom(&op, xs), &inputs, &options).unwrap_err();

    assert_eq!(
        err.to_string(),
        "gradcheck: expected the analytic derivative to match finite differences, got \
         d output[0] / d input 0[0]: analytic 0e0, numeric 2.5e-1 (worst absolute error \
         1.25e0, worst relative error 1e0; atol 0e0, rtol 0e0, eps 5e-1)"
    );
}

#[test]
fn gradgradcheck_catches_a_rule_whose_own_derivative_is_lost() -> Result<(), Error> {
    let op = Arc::new(Cube::Frozen);
    let inputs = [Tensor::from([0.5, -1.5])];

    gradcheck(|xs| Var::custom(&op, xs), &inputs, &options())?;
    let err = gradgradcheck(|xs| Var::custom(&op, xs), &inputs, &options()).unwrap_err();

    assert!(err.to_string().starts_with("gradgradcheck: "), "{err}");
    Ok(())
}

#[test]
fn both_checks_fail_on_nan_outputs() {
    // sqrt of a negative number is NaN, and so are both derivatives.
    let inputs = [Tensor::from([-1.0, 4.0])];

    let first = gradcheck(|xs| Ok(xs[0].sqrt()), &inputs, &options());
    let second = gradgradcheck(|xs| Ok(xs[0].sqrt()), &inputs, &options());

    assert!(matches!(first, Err(Error::GradCheck(_))));
    assert!(matches!(second, Err(Error::GradCheck(_))));
}

#[test]
fn both_checks_fail_on_a_rule_that_ignores_an_input() {
    let op = Arc::new(ForgetfulMul);
    let inputs = [Tensor::from([0.5, 2.0]), Tensor::from([3.0, -1.0])];

    let first = gradcheck(|xs| Var::custom(&op, xs), &inputs, &options()).unwrap_err();
    let second = gradgradcheck(|xs| Var::custom(&op, xs), &inputs, &options()).unwrap_err();

    let Error::GradCheck(mismatch) = first else {
        panic!("expected a gradcheck error");
    };
    assert_eq!((mismatch.input, mismatch.analytic), (1, 0.0));
    assert!((mismatch.numeric - 0.5).abs() < 1e-8);
    assert!(matches!(second, Error::GradCheck(_)));
}

#[test]
fn an_input_the_output_does_not_use_passes_with_a_zero_gradient() -> Result<(), Error> {
    let inputs = [Tensor::from([0.5, 2.0]), Tensor::from([7.0])];
    gradcheck(|xs| Ok(xs[0].exp().sum_all()), &inputs, &options())?;
    gradgradcheck(|xs| Ok(xs[0].exp().sum_all()), &inputs, &options())
}

#[test]
fn errors_of_the_function_pass_through() {
    let inputs = [Tensor::from([1.0, 2.0]), Tensor::from([1.0, 2.0, 3.0])];
    let err = gradcheck(|xs| xs[0].add(xs[1]), &inputs, &options()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "add: expected shapes that broadcast, got lhs [2] and rhs [3]"
    );
}

#[test]
fn a_custom_rule_with_the_wrong_number_of_gradients_is_an_error() {
    struct Short;
    impl CustomOp<f64> for Short {
        fn name(&self) -> &'static str {
            "short"
        }
        fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
            inputs[0].add(inputs[1])
        }
        fn backward<T: Ops<f64>>(
            &self,
            _: &[&T],
            _: &T,
            grad_out: &T,
        ) -> Result<Vec<Option<T>>, Error> {
            Ok(vec![Some(grad_out.clone())])
        }
    }
    let tape = zengrad_core::Tape::<f64>::new();
    let (x, y) = (tape.var(Tensor::scalar(1.0)), tape.var(Tensor::scalar(2.0)));
    let err = Var::custom(&Arc::new(Short), &[x, y])
        .unwrap()
        .backward()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "short: expected a backward rule with 2 gradients (one per input), got 1"
    );
}

#[test]
fn a_custom_rule_with_a_gradient_of_the_wrong_shape_is_an_error() {
    struct Broadcasting;
    impl CustomOp<f64> for Broadcasting {
        fn name(&self) -> &'static str {
            "broadcasting"
        }
        fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
            inputs[0].add(inputs[1])
        }
        // Forgets to sum the gradient back to the shape of a broadcast input.
        fn backward<T: Ops<f64>>(
            &self,
            _: &[&T],
            _: &T,
            grad_out: &T,
        ) -> Result<Vec<Option<T>>, Error> {
            Ok(vec![Some(grad_out.clone()), Some(grad_out.clone())])
        }
    }
    let tape = zengrad_core::Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let b = tape.var(Tensor::scalar(2.0));
    let y = Var::custom(&Arc::new(Broadcasting), &[x, b]).unwrap();
    let err = y.sum_all().backward().unwrap_err();
    assert_eq!(err.to_string(), "broadcasting: expected shape [], got [2]");
}

/// `x^3` whose rule is right at first order, and whose own derivative is
/// wrong in a way chosen by the variant.
enum HalfFrozenCube {
    /// `3 x * x` with one factor of `x` a constant: the slope's derivative
    /// is `3 x` where `6 x` is right.
    InInput,
    /// `grad_out` taken as a constant: the gradient no longer moves with
    /// the cotangent that `gradgradcheck` differentiates along.
    InGradOut,
}

impl CustomOp<f64> for HalfFrozenCube {
    fn name(&self) -> &'static str {
        "half_frozen_cube"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
        Ok(inputs[0].powf(3.0))
    }

    fn backward<T: Ops<f64>>(
        &self,
        inputs: &[&T],
        _out: &T,
        grad_out: &T,
    ) -> Result<Vec<Option<T>>, Error> {
        let x = inputs[0];
        let grad = match self {
            HalfFrozenCube::InInput => {
                let slope = x.mul(&x.constant(x.value()))?.mul_scalar(3.0);
                grad_out.mul(&slope)?
            }
            HalfFrozenCube::InGradOut => {
                let slope = x.mul(x)?.mul_scalar(3.0);
                grad_out.constant(grad_out.value()).mul(&slope)?
            }
        };
        Ok(vec![Some(grad)])
    }
}

#[test]
fn gradgradcheck_catches_a_second_derivative_off_by_half() -> Result<(), Error> {
    let op = Arc::new(HalfFrozenCube::InInput);
    let inputs = [Tensor::from([0.5, -1.5])];

    gradcheck(|xs| Var::custom(&op, xs), &inputs, &options())?;
    let err = gradgradcheck(|xs| Var::custom(&op, xs), &inputs, &options()).unwrap_err();

    // d/dx of the vector-Jacobian product v 3x^2 is 6 x v; the rule gives
    // 3 x v, half of it, for the cotangent v that gradgradcheck draws.
    let Error::GradCheck(mismatch) = &err else {
        panic!("expected a gradgradcheck error, got {err}");
    };
    assert_eq!((mismatch.check, mismatch.input), ("gradgradcheck", 0));
    assert!(
        (mismatch.analytic - mismatch.numeric / 2.0).abs() < 1e-6,
        "{err}"
    );
    Ok(())
}

#[test]
fn gradgradcheck_catches_a_gradient_that_ignores_the_cotangent() -> Result<(), Error> {
    let op = Arc::new(HalfFrozenCube::InGradOut);
    let inputs = [Tensor::from([0.5, -1.5])];

    gradcheck(|xs| Var::custom(&op, xs), &inputs, &options())?;
    let err = gradgradcheck(|xs| Var::custom(&op, xs), &inputs, &options()).unwrap_err();

    // The cotangent is input 1, after the one input of `f`: the derivative
    // of v 3x^2 in v is 3 x^2 = 0.75 at x = 0.5; the rule gives 0.
    let Error::GradCheck(mismatch) = &err else {
        panic!("expected a gradgradcheck error, got {err}");
    };
    assert_eq!((mismatch.check, mismatch.input), ("gradgradcheck", 1));
    assert_eq!(mismatch.analytic, 0.0);
    assert!((mismatch.numeric - 0.75).abs() < 1e-8, "{err}");
    Ok(())
}
