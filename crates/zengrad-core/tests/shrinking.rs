//! Shrinking: a rule that is wrong only on some inputs, found by a property
//! test over random shapes and values, is reported on a case small and
//! simple enough to read.

use std::sync::Arc;

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use zengrad_core::check::{CheckOptions, gradcheck};
use zengrad_core::ops::Ops;
use zengrad_core::strategies::{shape, tensor_in};
use zengrad_core::{CustomOp, Error, Tensor, Var};

/// `sin(x)`, whose rule doubles the derivative wherever `x >= 1`: right on
/// most inputs, so only a search over values finds it.
struct PlantedSin;

impl CustomOp<f64> for PlantedSin {
    fn name(&self) -> &'static str {
        "planted_sin"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, Error> {
        Ok(inputs[0].sin())
    }

    fn backward<T: Ops<f64>>(
        &self,
        inputs: &[&T],
        _out: &T,
        grad_out: &T,
    ) -> Result<Vec<Option<T>>, Error> {
        let x = inputs[0];
        let wrong = x.value().map(|v| if v >= 1.0 { 1.0 } else { 0.0 });
        let slope = x.cos().mul(&x.constant(wrong).add_scalar(1.0))?;
        Ok(vec![Some(grad_out.mul(&slope)?)])
    }
}

/// Runs the property "gradcheck passes on `planted_sin`" over tensors of
/// up to 3 axes of up to 4 elements, values in `[-2, 2]`, and returns the
/// minimal failing case with its report.
fn minimal_failure(seed: u64) -> (Tensor<f64>, String) {
    let config = Config {
        cases: 64,
        max_shrink_iters: 4096,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let op = Arc::new(PlantedSin);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&tensor_in(shape(3, 4), -2.0..=2.0), |x| {
        gradcheck(|xs| Var::custom(&op, xs), &[x], &CheckOptions::default())
            .map_err(|error| TestCaseError::fail(error.to_string()))
    });
    match result {
        Err(TestError::Fail(reason, minimal)) => (minimal, reason.message().to_string()),
        other => panic!("expected the planted rule to fail, got {other:?}"),
    }
}

#[test]
fn a_planted_wrong_rule_shrinks_to_one_simple_element() {
    for seed in [1, 2, 3, 4, 5] {
        let (minimal, report) = minimal_failure(seed);

        // The smallest failing case: one element, at the x = 1 where the
        // rule turns wrong, which is where a value that fails shrinks to.
        assert_eq!(minimal.dims(), [] as [usize; 0], "seed {seed}: {minimal:?}");
        assert_eq!(minimal.to_vec(), [1.0], "seed {seed}");

        // At x = 1 the rule gives 2 cos(1) = 1.0806 for cos(1) = 0.5403.
        assert!(
            report.starts_with("gradcheck: expected the analytic derivative to match"),
            "{report}"
        );
        assert!(
            report.contains("analytic 1.0806046117362795e0, numeric 5.403023058"),
            "{report}"
        );
    }
}
