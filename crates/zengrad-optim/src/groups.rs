//! `Groups`: an optimizer's parameter groups, and the state of each of its
//! parameters. Every optimizer keeps one and adds only its update rule.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zengrad_core::{Error, Float, Param, ParamId, Shape};

use crate::GradSource;
use crate::checkpoint;

/// The options of one parameter group of an optimizer, which a checkpoint
/// holds as serde encodes them.
pub(crate) trait Options: Clone + Debug + Serialize + DeserializeOwned {
    /// The optimizer's name, as errors and checkpoints spell it.
    const OP: &'static str;

    fn lr(&self) -> f64;

    fn set_lr(&mut self, lr: f64);

    /// Checks that every option is in its range.
    fn check(&self) -> Result<(), Error>;
}

/// The state an optimizer keeps for one parameter, which a checkpoint
/// holds as serde encodes it.
pub(crate) trait State<F: Float>: Clone + Serialize + DeserializeOwned {
    /// Checks that each buffer of a state read from a checkpoint has
    /// `numel` values, the number of its parameter's; a buffer that the
    /// options may leave unused may instead be empty.
    fn check(&self, numel: usize) -> Result<(), Error>;
}

/// Returns `Error::Argument` unless `value` is at least 0 (NaN is not).
pub(crate) fn check_nonnegative(
    op: &'static str,
    expected: &'static str,
    value: f64,
) -> Result<(), Error> {
    if value.is_nan() || value < 0.0 {
        return Err(Error::Argument {
            op,
            expected,
            got: value,
        });
    }
    Ok(())
}

/// The parameter groups of an optimizer, with options `O` per group and a
/// state `S` per parameter.
pub(crate) struct Groups<O, S> {
    options: Vec<O>,
    /// Every parameter, group after group, in the order they were given.
    slots: Vec<Slot>,
    /// The state of each parameter of `slots`: `None` until the first
    /// step that gives the parameter a gradient.
    states: Vec<Option<S>>,
    /// Where each parameter is in `slots`.
    index: HashMap<ParamId, usize>,
}

struct Slot {
    group: usize,
    /// The shape when the parameter was added, which its state has.
    shape: Shape,
}

/// Shows each group's options and parameter count, and how many parameters
/// have a state, rather than every value of every state.
impl<O: Debug, S> Debug for Groups<O, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups: Vec<(&O, usize)> = (self.options.iter().enumerate())
            .map(|(group, options)| {
                let size = self.slots.iter().filter(|s| s.group == group).count();
                (options, size)
            })
            .collect();
        let stepped = self.states.iter().filter(|s| s.is_some()).count();
        f.debug_struct("Groups")
            .field("groups", &groups)
            .field("params", &self.slots.len())
            .field("stepped", &stepped)
            .finish()
    }
}

impl<O: Options, S> Groups<O, S> {
    /// Returns one group of `params` with `options`.
    pub(crate) fn new<F: Float>(params: &[&Param<F>], options: O) -> Result<Groups<O, S>, Error> {
        let mut groups = Groups {
            options: Vec::new(),
            slots: Vec::new(),
            states: Vec::new(),
            index: HashMap::new(),
        };
        groups.add(params, options)?;
        Ok(groups)
    }

    /// Adds a group of `params` with `options`.
    pub(crate) fn add<F: Float>(&mut self, params: &[&Param<F>], options: O) -> Result<(), Error> {
        options.check()?;
        let mut seen = HashSet::with_capacity(params.len());
        for param in params {
            if self.index.contains_key(&param.id()) || !seen.insert(param.id()) {
                return Err(Error::DuplicateParam {
                    op: O::OP,
                    id: param.id().get(),
                });
            }
        }

        let group = self.options.len();
        self.options.push(options);
        for param in params {
            self.index.insert(param.id(), self.slots.len());
            self.slots.push(Slot {
                group,
                shape: param.value().shape().clone(),
            });
            self.states.push(None);
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.options.len()
    }

    pub(crate) fn options(&self, group: usize) -> Option<&O> {
        self.options.get(group)
    }

    pub(crate) fn set_options(&mut self, group: usize, options: O) -> Result<(), Error> {
        let slot = self.group_mut("set_options", group)?;
        options.check()?;
        *slot = options;
        Ok(())
    }

    pub(crate) fn lr(&self, group: usize) -> Option<f64> {
        Some(self.options.get(group)?.lr())
    }

    pub(crate) fn set_lr(&mut self, group: usize, lr: f64) -> Result<(), Error> {
        let options = self.group_mut("set_lr", group)?;
        check_nonnegative("set_lr", "lr >= 0", lr)?;
        options.set_lr(lr);
        Ok(())
    }

    fn group_mut(&mut self, op: &'static str, group: usize) -> Result<&mut O, Error> {
        let count = self.options.len();
        self.options
            .get_mut(group)
            .ok_or(Error::Group { op, group, count })
    }

    /// Applies `update` to each parameter of `params` that has a gradient,
    /// with its group's options, its state, its values and its gradient.
    pub(crate) fn step<F: Float>(
        &mut self,
        params: &mut [&mut Param<F>],
        grads: &dyn GradSource<F>,
        mut update: impl FnMut(&O, &mut Option<S>, &mut [F], &[F]),
    ) -> Result<(), Error> {
        // Every parameter is checked before any is changed, so that an
        // error leaves all of them as they were.
        for param in params.iter() {
            self.check(param, grads)?;
        }

        for param in params.iter_mut() {
            let Some(grad) = grads.grad(param.id()) else {
                continue;
            };
            let at = self.index[&param.id()];
            let options = &self.options[self.slots[at].group];
            update(
                options,
                &mut self.states[at],
                param.value_mut().data_mut(),
                grad.data(),
            );
        }
        Ok(())
    }

    fn check<F: Float>(&self, param: &Param<F>, grads: &dyn GradSource<F>) -> Result<(), Error> {
        let Some(&at) = self.index.get(&param.id()) else {
            return Err(Error::UnknownParam {
                op: O::OP,
                id: param.id().get(),
            });
        };
        let expected = &self.slots[at].shape;

        let value = param.value().shape();
        let grad = grads.grad(param.id()).map(|grad| grad.shape());
        for got in std::iter::once(value).chain(grad) {
            if got != expected {
                return Err(Error::ShapeMismatch {
                    op: O::OP,
                    expected: expected.clone(),
                    got: got.clone(),
                });
            }
        }
        Ok(())
    }

    /// Returns the checkpoint of the optimizer: its name and element type,
    /// then each group's options and size, each parameter's shape, and
    /// each parameter's state.
    pub(crate) fn to_bytes<F: Float>(&self) -> Vec<u8>
    where
        S: State<F>,
    {
        let saved = Saved {
            groups: (self.options.iter().cloned())
                .zip(self.group_sizes())
                .collect(),
            shapes: (self.slots.iter())
                .map(|slot| Cow::Borrowed(slot.shape.dims()))
                .collect(),
            states: Cow::Borrowed(&self.states),
        };
        checkpoint::encode(&(O::OP, F::NAME, saved))
    }

    /// Replaces the options and the states with those of a checkpoint made
    /// by [`to_bytes`](Groups::to_bytes), after checking all of it.
    pub(crate) fn load_bytes<F: Float>(&mut self, bytes: &[u8]) -> Result<(), Error>
    where
        S: State<F>,
    {
        // The names come first: the rest decodes only as the state of
        // this optimizer, over this element type.
        let mut payload = checkpoint::open(bytes)?;
        checkpoint::expect("optimizer", O::OP, payload.take()?)?;
        checkpoint::expect("element type", F::NAME, payload.take()?)?;
        let saved: Saved<O, S> = payload.take()?;
        payload.finish()?;

        let sizes: Vec<usize> = saved.groups.iter().map(|group| group.1).collect();
        checkpoint::expect(
            "group sizes",
            format!("{:?}", self.group_sizes()),
            format!("{sizes:?}"),
        )?;
        let own_shapes: Vec<&[usize]> = self.slots.iter().map(|s| s.shape.dims()).collect();
        checkpoint::expect(
            "parameter shapes",
            format!("{own_shapes:?}"),
            format!("{:?}", saved.shapes),
        )?;
        checkpoint::expect("a state count of", self.slots.len(), saved.states.len())?;
        for (slot, state) in self.slots.iter().zip(saved.states.iter()) {
            if let Some(state) = state {
                state.check(slot.shape.numel())?;
            }
        }
        for (options, _) in &saved.groups {
            options.check()?;
        }

        self.options = saved.groups.into_iter().map(|group| group.0).collect();
        self.states = saved.states.into_owned();
        Ok(())
    }

    /// Returns the number of parameters of each group.
    fn group_sizes(&self) -> Vec<usize> {
        (0..self.options.len())
            .map(|group| self.slots.iter().filter(|s| s.group == group).count())
            .collect()
    }
}

/// What a checkpoint of an optimizer holds after the optimizer's name and
/// the element type. It borrows the optimizer's shapes and states to write
/// them, and owns them once read.
#[derive(Serialize, Deserialize)]
struct Saved<'a, O, S: Clone> {
    /// Each group's options and number of parameters.
    groups: Vec<(O, usize)>,
    /// Each parameter's shape, group after group.
    shapes: Vec<Cow<'a, [usize]>>,
    /// Each parameter's state, `None` before its first step.
    states: Cow<'a, [Option<S>]>,
}

/// Writes what every optimizer type has around its [`Groups`]: the
/// constructors and accessors of its groups and options, and its
/// [`LrGroups`](crate::LrGroups) and [`Optimizer`](crate::Optimizer)
/// implementations, which hand each parameter's update to `$update`.
/// `$refused` is the sentence of `new`'s docs on the options it refuses.
macro_rules! grouped_optimizer {
    ($name:ident, $options:ident, $refused:literal, $update:expr) => {
        impl<F: Float> $name<F> {
            /// Returns an optimizer of `params`, which form its group 0.
            ///
            /// # Errors
            ///
            #[doc = $refused]
            ///
            /// Returns [`Error::DuplicateParam`] when a parameter is given
            /// twice.
            pub fn new(params: &[&Param<F>], options: $options) -> Result<$name<F>, Error> {
                Ok($name {
                    groups: Groups::new(params, options)?,
                })
            }

            /// Adds a group of parameters with their own options.
            ///
            /// # Errors
            ///
            /// The errors of `new`; a parameter already in a group is a
            /// [`Error::DuplicateParam`].
            pub fn add_group(
                &mut self,
                params: &[&Param<F>],
                options: $options,
            ) -> Result<(), Error> {
                self.groups.add(params, options)
            }

            /// Returns the options of a group, or `None` when there is no
            /// such group.
            pub fn options(&self, group: usize) -> Option<&$options> {
                self.groups.options(group)
            }

            /// Replaces the options of a group.
            ///
            /// # Errors
            ///
            /// Returns [`Error::Group`] when there is no such group, and
            /// the errors of `new` for options out of range.
            pub fn set_options(&mut self, group: usize, options: $options) -> Result<(), Error> {
                self.groups.set_options(group, options)
            }
        }

        impl<F: Float> LrGroups for $name<F> {
            fn group_count(&self) -> usize {
                self.groups.len()
            }

            fn lr(&self, group: usize) -> Option<f64> {
                self.groups.lr(group)
            }

            fn set_lr(&mut self, group: usize, lr: f64) -> Result<(), Error> {
                self.groups.set_lr(group, lr)
            }
        }

        impl<F: Float> Optimizer<F> for $name<F> {
            fn step(
                &mut self,
                params: &mut [&mut Param<F>],
                grads: &dyn GradSource<F>,
            ) -> Result<(), Error> {
                self.groups.step(params, grads, $update)
            }

            fn to_bytes(&self) -> Vec<u8> {
                self.groups.to_bytes()
            }

            fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
                self.groups.load_bytes(bytes)
            }
        }
    };
}

pub(crate) use grouped_optimizer;

#[cfg(test)]
mod tests {
    use zengrad_core::Tensor;

    use super::*;

    /// Options with a learning rate only.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    struct TestOptions {
        lr: f64,
    }

    impl Options for TestOptions {
        const OP: &'static str = "test";

        fn lr(&self) -> f64 {
            self.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.lr = lr;
        }

        fn check(&self) -> Result<(), Error> {
            check_nonnegative(Self::OP, "lr >= 0", self.lr)
        }
    }

    /// A state of one buffer.
    #[derive(Clone, Serialize, Deserialize)]
    struct TestState {
        #[serde(with = "checkpoint::values")]
        buffer: Vec<f64>,
    }

    impl State<f64> for TestState {
        fn check(&self, numel: usize) -> Result<(), Error> {
            checkpoint::expect_values(&self.buffer, numel)
        }
    }

    /// Returns groups of one parameter of shape [3], with no state yet.
    fn groups() -> Result<Groups<TestOptions, TestState>, Error> {
        let param = Param::new(Tensor::<f64>::zeros([3]));
        Groups::new(&[&param], TestOptions { lr: 0.5 })
    }

    /// Returns the checkpoint of groups like those of [`groups`], with
    /// `lr` and `states`.
    fn checkpoint_of(lr: f64, states: Vec<Option<TestState>>) -> Vec<u8> {
        let saved = Saved {
            groups: vec![(TestOptions { lr }, 1)],
            shapes: vec![Cow::Owned(vec![3])],
            states: Cow::Owned(states),
        };
        checkpoint::encode(&("test", "f64", saved))
    }

    /// Asserts that loading `bytes` fails with `message` and leaves
    /// `groups` as they were.
    #[track_caller]
    fn assert_refused(groups: &mut Groups<TestOptions, TestState>, bytes: &[u8], message: &str) {
        let before = groups.to_bytes::<f64>();

        let err = groups.load_bytes::<f64>(bytes).unwrap_err();

        assert_eq!(err.to_string(), message);
        assert_eq!(groups.to_bytes::<f64>(), before, "the state changed");
    }

    #[test]
    fn load_reads_back_what_was_written() -> Result<(), Error> {
        let bytes = checkpoint_of(
            0.25,
            vec![Some(TestState {
                buffer: vec![1.0, -0.0, f64::MAX],
            })],
        );
        let mut groups = groups()?;

        groups.load_bytes::<f64>(&bytes)?;

        assert_eq!(groups.lr(0), Some(0.25));
        assert_eq!(groups.to_bytes::<f64>(), bytes);
        Ok(())
    }

    #[test]
    fn load_refuses_a_buffer_of_another_length() -> Result<(), Error> {
        let short = TestState {
            buffer: vec![1.0, 2.0],
        };
        let bytes = checkpoint_of(0.5, vec![Some(short)]);

        assert_refused(
            &mut groups()?,
            &bytes,
            "load: expected a buffer of 3 values, got 2 values",
        );
        Ok(())
    }

    #[test]
    fn load_refuses_a_state_count_other_than_the_parameter_count() -> Result<(), Error> {
        let bytes = checkpoint_of(0.5, vec![None, None]);

        assert_refused(
            &mut groups()?,
            &bytes,
            "load: expected a state count of 1, got 2",
        );
        Ok(())
    }

    #[test]
    fn load_refuses_options_out_of_range() -> Result<(), Error> {
        let bytes = checkpoint_of(-1.0, vec![None]);

        assert_refused(&mut groups()?, &bytes, "test: expected lr >= 0, got -1");
        Ok(())
    }
}
