//! `Groups`: an optimizer's parameter groups, and the state of each of its
//! parameters. Every optimizer keeps one and adds only its update rule.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;

use zengrad_core::{Error, Float, Param, ParamId, Shape};

use crate::GradSource;
use crate::checkpoint::{self, Reader, Writer};

/// The options of one parameter group of an optimizer.
pub(crate) trait Options: Clone + Debug {
    /// The optimizer's name, as errors and checkpoints spell it.
    const OP: &'static str;

    fn lr(&self) -> f64;

    fn set_lr(&mut self, lr: f64);

    /// Checks that every option is in its range.
    fn check(&self) -> Result<(), Error>;

    fn write(&self, w: &mut Writer);

    fn read(r: &mut Reader) -> Result<Self, Error>;
}

/// The state an optimizer keeps for one parameter.
pub(crate) trait State<F: Float>: Sized {
    fn write(&self, w: &mut Writer);

    /// Reads a state written by [`write`](State::write), for a parameter of
    /// `numel` elements.
    fn read(r: &mut Reader, numel: usize) -> Result<Self, Error>;
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
    slots: Vec<Slot<S>>,
    /// Where each parameter is in `slots`.
    index: HashMap<ParamId, usize>,
}

struct Slot<S> {
    group: usize,
    /// The shape when the parameter was added, which its state has.
    shape: Shape,
    /// `None` until the first step that gives the parameter a gradient.
    state: Option<S>,
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
        let stepped = self.slots.iter().filter(|s| s.state.is_some()).count();
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
                state: None,
            });
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
            let slot = &mut self.slots[self.index[&param.id()]];
            let options = &self.options[slot.group];
            update(
                options,
                &mut slot.state,
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

    /// Writes the optimizer's name, the element type, each group's options
    /// and size, each parameter's shape, and each parameter's state.
    pub(crate) fn to_bytes<F: Float>(&self) -> Vec<u8>
    where
        S: State<F>,
    {
        let mut w = Writer::default();
        w.str(O::OP);
        w.str(F::NAME);

        w.usize(self.options.len());
        for (group, options) in self.options.iter().enumerate() {
            options.write(&mut w);
            w.usize(self.slots.iter().filter(|s| s.group == group).count());
        }

        for slot in &self.slots {
            w.usize(slot.shape.rank());
            for &size in slot.shape.dims() {
                w.usize(size);
            }
        }

        for slot in &self.slots {
            w.bool(slot.state.is_some());
            if let Some(state) = &slot.state {
                state.write(&mut w);
            }
        }
        w.finish()
    }

    /// Replaces the options and the states with those of a checkpoint made
    /// by [`to_bytes`](Groups::to_bytes), after checking all of it.
    pub(crate) fn load_bytes<F: Float>(&mut self, bytes: &[u8]) -> Result<(), Error>
    where
        S: State<F>,
    {
        let mut r = Reader::open(bytes)?;
        checkpoint::expect("optimizer", O::OP, &r.str()?)?;
        checkpoint::expect("element type", F::NAME, &r.str()?)?;

        let count = r.usize()?;
        let mut options = Vec::new();
        let mut sizes = Vec::new();
        for _ in 0..count {
            options.push(O::read(&mut r)?);
            sizes.push(r.usize()?);
        }
        let own_sizes: Vec<usize> = (0..self.options.len())
            .map(|group| self.slots.iter().filter(|s| s.group == group).count())
            .collect();
        checkpoint::expect(
            "group sizes",
            format!("{own_sizes:?}"),
            format!("{sizes:?}"),
        )?;

        let mut shapes = Vec::with_capacity(self.slots.len());
        for _ in &self.slots {
            let rank = r.usize()?;
            let dims = (0..rank)
                .map(|_| r.usize())
                .collect::<Result<Vec<_>, _>>()?;
            shapes.push(Shape::from(dims));
        }
        let own_shapes: Vec<&Shape> = self.slots.iter().map(|s| &s.shape).collect();
        checkpoint::expect(
            "parameter shapes",
            format!("{own_shapes:?}"),
            format!("{:?}", shapes.iter().collect::<Vec<_>>()),
        )?;

        let mut states = Vec::with_capacity(self.slots.len());
        for slot in &self.slots {
            let state = match r.bool()? {
                true => Some(S::read(&mut r, slot.shape.numel())?),
                false => None,
            };
            states.push(state);
        }
        r.finish()?;
        for options in &options {
            options.check()?;
        }

        self.options = options;
        for (slot, state) in self.slots.iter_mut().zip(states) {
            slot.state = state;
        }
        Ok(())
    }
}
