#!/usr/bin/env python3
"""Writes trajectories.txt: what torch.optim does on a small fixed problem.

The Rust tests in ../torch_reference.rs run zengrad-optim on the same
problem and compare every value of every step with these.

The problem has two parameters, a of shape [3] and b of shape [2, 2], and the
loss

    sum(CA * (a - TA)^2) + sum(CB * (b - TB)^2)
        + 0.1 * sum(sin(a)) + 0.05 * sum(a) * mean(b) + 0.2 * sum(tanh(b))

whose gradients torch's autograd computes here and zengrad's tape there.
Each case builds an optimizer (one group for both parameters, or a group
each), takes 20 steps from A0 and B0, and records both parameters after each
step. Some cases clip the gradients before each step, or step a
learning-rate schedule after it. The schedule cases record the learning
rates of two groups over 40 epochs, with no training.

Only the options a case names are passed: the others are torch's defaults,
which the Rust side leaves at its own defaults, so a wrong default fails too.

Run it with a CPU build of torch (the numbers below came from torch 2.15.0):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch
    /tmp/venv/bin/python generate.py
"""

import os

import torch

A0 = [1.0, 2.0, 3.0]
B0 = [[1.0, 1.5], [2.0, 2.5]]
TA = [1.5, 2.5, 1.0]
CA = [1.0, 2.0, 0.5]
TB = [[2.0, 1.0], [1.5, 3.0]]
CB = [[1.0, 0.5], [2.0, 1.0]]

STEPS = 20
EPOCHS = 40

OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}

# (name, optimizer, groups, extras). A group is (parameters, options);
# "ab" is one group of both. Extras: dtype, clip and schedule.
BOTH = "ab"
CASES = [
    ("sgd_default", "sgd", [(BOTH, {})], {}),
    ("sgd_lr", "sgd", [(BOTH, {"lr": 0.1})], {}),
    ("sgd_momentum", "sgd", [(BOTH, {"lr": 0.05, "momentum": 0.9})], {}),
    ("sgd_dampening", "sgd", [(BOTH, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5})], {}),
    ("sgd_nesterov", "sgd", [(BOTH, {"lr": 0.05, "momentum": 0.9, "nesterov": True})], {}),
    ("sgd_weight_decay", "sgd", [(BOTH, {"lr": 0.1, "weight_decay": 0.1})], {}),
    ("sgd_maximize", "sgd", [(BOTH, {"lr": 0.01, "maximize": True})], {}),
    ("sgd_all", "sgd", [(BOTH, {"lr": 0.02, "momentum": 0.8, "nesterov": True,
                                "weight_decay": 0.05, "maximize": True})], {}),
    ("sgd_groups", "sgd", [("a", {"lr": 0.1, "weight_decay": 0.1, "momentum": 0.9}),
                           ("b", {"lr": 0.05, "momentum": 0.5})], {}),
    ("adam_default", "adam", [(BOTH, {})], {}),
    ("adam_lr", "adam", [(BOTH, {"lr": 0.05})], {}),
    ("adam_betas", "adam", [(BOTH, {"lr": 0.05, "betas": (0.8, 0.99)})], {}),
    ("adam_eps", "adam", [(BOTH, {"lr": 0.05, "eps": 1e-2})], {}),
    ("adam_weight_decay", "adam", [(BOTH, {"lr": 0.05, "weight_decay": 0.1})], {}),
    ("adam_amsgrad", "adam", [(BOTH, {"lr": 0.05, "amsgrad": True})], {}),
    ("adam_maximize", "adam", [(BOTH, {"lr": 0.01, "maximize": True})], {}),
    ("adam_groups", "adam", [("a", {"lr": 0.05, "weight_decay": 0.1}),
                             ("b", {"lr": 0.02, "amsgrad": True})], {}),
    ("adamw_default", "adamw", [(BOTH, {})], {}),
    ("adamw_weight_decay", "adamw", [(BOTH, {"lr": 0.05, "weight_decay": 0.1})], {}),
    ("adamw_amsgrad", "adamw", [(BOTH, {"lr": 0.05, "amsgrad": True})], {}),
    ("adamw_maximize", "adamw", [(BOTH, {"lr": 0.01, "maximize": True})], {}),
    ("adamw_betas_eps", "adamw", [(BOTH, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3})], {}),
    ("adamw_groups", "adamw", [("a", {"lr": 0.05, "weight_decay": 0.1}),
                               ("b", {"lr": 0.05, "weight_decay": 0.0})], {}),
    ("rmsprop_default", "rmsprop", [(BOTH, {})], {}),
    ("rmsprop_alpha", "rmsprop", [(BOTH, {"lr": 0.01, "alpha": 0.9})], {}),
    ("rmsprop_eps", "rmsprop", [(BOTH, {"eps": 1e-2})], {}),
    ("rmsprop_momentum", "rmsprop", [(BOTH, {"lr": 0.01, "momentum": 0.9})], {}),
    ("rmsprop_centered", "rmsprop", [(BOTH, {"lr": 0.01, "centered": True})], {}),
    ("rmsprop_centered_momentum", "rmsprop",
     [(BOTH, {"lr": 0.01, "centered": True, "momentum": 0.5})], {}),
    ("rmsprop_weight_decay", "rmsprop", [(BOTH, {"lr": 0.01, "weight_decay": 0.1})], {}),
    ("rmsprop_maximize", "rmsprop", [(BOTH, {"lr": 0.01, "maximize": True})], {}),
    ("rmsprop_groups", "rmsprop", [("a", {"lr": 0.01, "weight_decay": 0.1}),
                                   ("b", {"lr": 0.005, "centered": True})], {}),
    ("adagrad_default", "adagrad", [(BOTH, {})], {}),
    ("adagrad_lr", "adagrad", [(BOTH, {"lr": 0.1})], {}),
    ("adagrad_lr_decay", "adagrad", [(BOTH, {"lr": 0.1, "lr_decay": 0.1})], {}),
    ("adagrad_initial_accumulator", "adagrad",
     [(BOTH, {"lr": 0.1, "initial_accumulator_value": 0.5})], {}),
    ("adagrad_eps", "adagrad", [(BOTH, {"lr": 0.1, "eps": 1e-1})], {}),
    ("adagrad_weight_decay", "adagrad", [(BOTH, {"lr": 0.1, "weight_decay": 0.1})], {}),
    ("adagrad_maximize", "adagrad", [(BOTH, {"lr": 0.05, "maximize": True})], {}),
    ("adagrad_groups", "adagrad", [("a", {"lr": 0.1, "weight_decay": 0.1}),
                                   ("b", {"lr": 0.05, "lr_decay": 0.05})], {}),
    # Gradient clipping before each step: (kind, value, norm_type).
    ("sgd_clip_norm", "sgd", [(BOTH, {"lr": 0.1, "momentum": 0.9})],
     {"clip": ("norm", 1.0, 2.0)}),
    ("sgd_clip_norm_inf", "sgd", [(BOTH, {"lr": 0.1})], {"clip": ("norm", 0.5, "inf")}),
    ("sgd_clip_norm_1", "sgd", [(BOTH, {"lr": 0.1})], {"clip": ("norm", 2.0, 1.0)}),
    ("adam_clip_value", "adam", [(BOTH, {"lr": 0.05})], {"clip": ("value", 0.5)}),
    # A schedule stepped after each step.
    ("sgd_step_lr", "sgd", [(BOTH, {"lr": 0.1, "momentum": 0.9})],
     {"schedule": ("step_lr", {"step_size": 5, "gamma": 0.5})}),
    ("adam_warmup_cosine", "adam", [(BOTH, {"lr": 0.05})],
     {"schedule": ("warmup_cosine",
                   {"start_factor": 0.1, "warmup": 5, "total": 20, "eta_min": 1e-3})}),
    # f32 parameters.
    ("f32_sgd_momentum", "sgd", [(BOTH, {"lr": 0.05, "momentum": 0.9})], {"dtype": "f32"}),
    ("f32_adam_amsgrad", "adam", [(BOTH, {"lr": 0.05, "amsgrad": True})], {"dtype": "f32"}),
    ("f32_adamw", "adamw", [(BOTH, {"lr": 0.05})], {"dtype": "f32"}),
    ("f32_rmsprop_centered_momentum", "rmsprop",
     [(BOTH, {"lr": 0.01, "centered": True, "momentum": 0.5})], {"dtype": "f32"}),
    ("f32_adagrad_lr_decay", "adagrad", [(BOTH, {"lr": 0.1, "lr_decay": 0.1})],
     {"dtype": "f32"}),
]

# (name, schedule, arguments): the rates of groups with base rates 0.1 and
# 0.05, at epochs 0 to EPOCHS.
SCHEDULES = [
    ("step_lr", "step_lr", {"step_size": 3, "gamma": 0.5}),
    ("multi_step_lr", "multi_step_lr", {"milestones": [2, 5, 5, 9], "gamma": 0.5}),
    ("exponential_lr", "exponential_lr", {"gamma": 0.9}),
    ("cosine_annealing_lr", "cosine_annealing_lr", {"t_max": 10, "eta_min": 1e-3}),
    ("cosine_annealing_lr_odd", "cosine_annealing_lr", {"t_max": 7, "eta_min": 0.0}),
    ("warmup_cosine", "warmup_cosine",
     {"start_factor": 0.1, "warmup": 5, "total": 25, "eta_min": 1e-4}),
    ("warmup_cosine_short", "warmup_cosine",
     {"start_factor": 1 / 3, "warmup": 1, "total": 9, "eta_min": 0.0}),
]


def loss_of(a, b):
    """The loss of the docstring, in the dtype of a and b."""
    t = lambda values: torch.tensor(values, dtype=a.dtype)
    return (
        (t(CA) * (a - t(TA)) ** 2).sum()
        + (t(CB) * (b - t(TB)) ** 2).sum()
        + 0.1 * torch.sin(a).sum()
        + 0.05 * a.sum() * b.mean()
        + 0.2 * torch.tanh(b).sum()
    )


def make_schedule(optimizer, kind, args):
    """Returns torch's scheduler for one of zengrad's schedules."""
    s = torch.optim.lr_scheduler
    if kind == "step_lr":
        return s.StepLR(optimizer, args["step_size"], args["gamma"])
    if kind == "multi_step_lr":
        return s.MultiStepLR(optimizer, args["milestones"], args["gamma"])
    if kind == "exponential_lr":
        return s.ExponentialLR(optimizer, args["gamma"])
    if kind == "cosine_annealing_lr":
        return s.CosineAnnealingLR(optimizer, args["t_max"], args["eta_min"])
    if kind == "warmup_cosine":
        warmup, total = args["warmup"], args["total"]
        linear = s.LinearLR(optimizer, args["start_factor"], 1.0, total_iters=warmup)
        cosine = s.CosineAnnealingLR(optimizer, total - warmup, args["eta_min"])
        return s.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])
    raise ValueError(kind)


def text(value):
    """Writes an option or argument as the Rust parser reads it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (tuple, list)):
        return ",".join(text(v) for v in value)
    if isinstance(value, str):
        return value
    return repr(value)


def options_text(options):
    return " ".join(f"{key}={text(value)}" for key, value in options.items())


def run_case(name, kind, groups, extras):
    dtype = {"f64": torch.float64, "f32": torch.float32}[extras.get("dtype", "f64")]
    a = torch.tensor(A0, dtype=dtype, requires_grad=True)
    b = torch.tensor(B0, dtype=dtype, requires_grad=True)
    by_name = {"a": [a], "b": [b], BOTH: [a, b]}
    if len(groups) == 1:
        # One group: the options are the constructor's, as usually written.
        # (Adagrad reads initial_accumulator_value only from there.)
        params, options = groups[0]
        optimizer = OPTIMIZERS[kind](by_name[params], **options, foreach=False)
    else:
        param_groups = [dict(params=by_name[p], **options) for p, options in groups]
        optimizer = OPTIMIZERS[kind](param_groups, foreach=False)
    schedule = None
    if "schedule" in extras:
        schedule = make_schedule(optimizer, *extras["schedule"])

    lines = [f"case {name}", f"dtype {extras.get('dtype', 'f64')}", f"optimizer {kind}"]
    for params, options in groups:
        lines.append(f"group {params} {options_text(options)}".rstrip())
    if "clip" in extras:
        lines.append("clip " + " ".join(text(v) for v in extras["clip"]))
    if "schedule" in extras:
        kind, args = extras["schedule"]
        lines.append(f"schedule {kind} {options_text(args)}")

    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        loss_of(a, b).backward()
        clip = extras.get("clip")
        if clip and clip[0] == "norm":
            norm_type = float(clip[2])
            norm = torch.nn.utils.clip_grad_norm_([a, b], clip[1], norm_type, foreach=False)
            lines.append(f"norm {step} {text(norm.item())}")
        elif clip and clip[0] == "value":
            torch.nn.utils.clip_grad_value_([a, b], clip[1], foreach=False)
        optimizer.step()
        if schedule is not None:
            schedule.step()
        values = a.detach().flatten().tolist() + b.detach().flatten().tolist()
        lines.append(f"step {step} " + " ".join(text(v) for v in values))
    lines.append("end")
    return lines


def run_schedule(name, kind, args):
    params = [torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)]
    optimizer = torch.optim.SGD([{"params": [params[0]], "lr": 0.1},
                                 {"params": [params[1]], "lr": 0.05}])
    schedule = make_schedule(optimizer, kind, args)

    lines = [f"schedule_case {name}", f"schedule {kind} {options_text(args)}"]
    lines.append("lr 0 " + " ".join(text(lr) for lr in schedule.get_last_lr()))
    for epoch in range(1, EPOCHS + 1):
        optimizer.step()
        schedule.step()
        lines.append(f"lr {epoch} " + " ".join(text(lr) for lr in schedule.get_last_lr()))
    lines.append("end")
    return lines


def main():
    lines = [
        "# Written by generate.py with torch " + torch.__version__ + "; do not edit.",
        "# A case: its options, then both parameters (a, then b row by row)",
        "# after each step. A schedule case: the learning rates of two groups.",
    ]
    for case in CASES:
        lines += run_case(*case)
    for case in SCHEDULES:
        lines += run_schedule(*case)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "trajectories.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
