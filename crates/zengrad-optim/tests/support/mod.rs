//! What the integration tests share: the small problem of
//! `reference/generate.py`, its gradients on zengrad's tape, and a reader
//! of the reference trajectories that the script wrote.

// Each test file includes this module and uses a different part of it.
#![allow(dead_code)]

use zengrad_core::{Error, Float, Grads, Param, Tape, Tensor};

/// The reference trajectories and learning-rate sequences of torch.optim.
pub const TRAJECTORIES: &str = include_str!("../reference/trajectories.txt");

/// The problem's constants, as in `generate.py`.
const A0: [f64; 3] = [1.0, 2.0, 3.0];
const B0: [[f64; 2]; 2] = [[1.0, 1.5], [2.0, 2.5]];
const TA: [f64; 3] = [1.5, 2.5, 1.0];
const CA: [f64; 3] = [1.0, 2.0, 0.5];
const TB: [[f64; 2]; 2] = [[2.0, 1.0], [1.5, 3.0]];
const CB: [[f64; 2]; 2] = [[1.0, 0.5], [2.0, 1.0]];

/// The two parameters of the problem: `a` of shape [3], `b` of [2, 2].
pub struct Problem<F: Float> {
    pub a: Param<F>,
    pub b: Param<F>,
}

impl<F: Float> Problem<F> {
    /// Returns the parameters at their starting values.
    pub fn new() -> Problem<F> {
        Problem {
            a: Param::new(Tensor::from(A0).cast()),
            b: Param::new(Tensor::from(B0).cast()),
        }
    }

    /// Returns the gradients of the loss of `generate.py`,
    ///
    /// ```text
    /// sum(CA * (a - TA)^2) + sum(CB * (b - TB)^2)
    ///     + 0.1 * sum(sin(a)) + 0.05 * sum(a) * mean(b) + 0.2 * sum(tanh(b))
    /// ```
    pub fn grads(&self) -> Result<Grads<F>, Error> {
        let tape = Tape::new();
        let c = |values: Tensor<f64>| tape.constant(values.cast::<F>());
        let scalar = |value: f64| F::from_f64(value);
        let (a, b) = (tape.param(&self.a), tape.param(&self.b));

        let quad_a = (c(Tensor::from(CA)) * (a - c(Tensor::from(TA))).square()).sum_all();
        let quad_b = (c(Tensor::from(CB)) * (b - c(Tensor::from(TB))).square()).sum_all();
        let sin = a.sin().sum_all().mul_scalar(scalar(0.1));
        let coupling = a.sum_all().mul_scalar(scalar(0.05)) * b.mean_all();
        let tanh = b.tanh().sum_all().mul_scalar(scalar(0.2));
        let loss = quad_a + quad_b + sin + coupling + tanh;
        loss.backward()
    }

    /// Returns both parameters' values as f64: `a`, then `b` row by row.
    pub fn values(&self) -> Vec<f64> {
        let a = self.a.value().data().iter();
        let b = self.b.value().data().iter();
        a.chain(b).map(|v| v.as_f64()).collect()
    }

    /// Returns the parameters named by a group of the reference file: "a",
    /// "b", or "ab" for both.
    pub fn named(&self, names: &str) -> Vec<&Param<F>> {
        names
            .chars()
            .map(|name| match name {
                'a' => &self.a,
                'b' => &self.b,
                _ => panic!("no parameter {name} in the reference problem"),
            })
            .collect()
    }
}

/// Options as `key=value` pairs, as the reference file writes them.
pub type Options = Vec<(String, String)>;

/// One training run of the reference file.
#[derive(Debug, Default)]
pub struct Case {
    pub name: String,
    pub dtype: String,
    pub optimizer: String,
    /// The groups: the parameters' names and the options given.
    pub groups: Vec<(String, Options)>,
    /// The clipping before each step, as `generate.py` spells it.
    pub clip: Option<Vec<String>>,
    /// A schedule stepped after each step, with its arguments.
    pub schedule: Option<(String, Options)>,
    /// Both parameters' values after each step.
    pub steps: Vec<Vec<f64>>,
    /// The total gradient norm that clipping returned at each step.
    pub norms: Vec<f64>,
}

/// One learning-rate sequence of the reference file.
#[derive(Debug, Default)]
pub struct ScheduleCase {
    pub name: String,
    pub schedule: (String, Options),
    /// The rates of the two groups at epochs 0, 1, ...
    pub lrs: Vec<Vec<f64>>,
}

/// Reads every case and every schedule case of the reference file.
pub fn reference() -> (Vec<Case>, Vec<ScheduleCase>) {
    let mut cases = Vec::new();
    let mut schedules = Vec::new();
    let mut case: Option<Case> = None;
    let mut schedule: Option<ScheduleCase> = None;

    for line in TRAJECTORIES.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let key = words.next().expect("no blank lines");
        let rest: Vec<&str> = words.collect();
        match (key, case.as_mut(), schedule.as_mut()) {
            ("case", ..) => {
                case = Some(Case {
                    name: rest[0].into(),
                    ..Case::default()
                })
            }
            ("schedule_case", ..) => {
                schedule = Some(ScheduleCase {
                    name: rest[0].into(),
                    ..ScheduleCase::default()
                })
            }
            ("dtype", Some(c), _) => c.dtype = rest[0].into(),
            ("optimizer", Some(c), _) => c.optimizer = rest[0].into(),
            ("group", Some(c), _) => c.groups.push((rest[0].into(), options(&rest[1..]))),
            ("clip", Some(c), _) => c.clip = Some(rest.iter().map(|w| w.to_string()).collect()),
            ("schedule", Some(c), _) => c.schedule = Some((rest[0].into(), options(&rest[1..]))),
            ("schedule", None, Some(s)) => s.schedule = (rest[0].into(), options(&rest[1..])),
            ("step", Some(c), _) => c.steps.push(numbers(&rest[1..])),
            ("norm", Some(c), _) => c.norms.push(numbers(&rest[1..])[0]),
            ("lr", None, Some(s)) => s.lrs.push(numbers(&rest[1..])),
            ("end", Some(_), _) => cases.push(case.take().expect("in a case")),
            ("end", None, Some(_)) => schedules.push(schedule.take().expect("in a schedule")),
            _ => panic!("unexpected line in the reference file: {line}"),
        }
    }
    (cases, schedules)
}

fn options(words: &[&str]) -> Options {
    words
        .iter()
        .map(|word| {
            let (key, value) = word.split_once('=').expect("key=value");
            (key.to_string(), value.to_string())
        })
        .collect()
}

fn numbers(words: &[&str]) -> Vec<f64> {
    words.iter().map(|w| w.parse().expect("a number")).collect()
}

/// Parses an option's value as a number.
pub fn number(value: &str) -> f64 {
    value.parse().expect("a number")
}

/// Parses an option's value as a flag, written 0 or 1.
pub fn flag(value: &str) -> bool {
    match value {
        "0" => false,
        "1" => true,
        _ => panic!("a flag is 0 or 1, got {value}"),
    }
}

/// Parses an option's value as a pair of numbers, such as betas.
pub fn pair(value: &str) -> (f64, f64) {
    let (x, y) = value.split_once(',').expect("two numbers");
    (number(x), number(y))
}

/// Returns `|got - expected| / |expected|`, and 0 when both are equal.
pub fn relative_error(got: f64, expected: f64) -> f64 {
    if got == expected {
        0.0
    } else {
        (got - expected).abs() / expected.abs()
    }
}
