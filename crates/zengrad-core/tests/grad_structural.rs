//! The gradient of every reduction, matrix product, layout op, `where`
//! and normalization: against central finite differences at random inputs
//! on several shapes, and against hand-derived values. The convention for
//! tied maxima and the zero gradient of `where`'s untaken branch are
//! pinned here.

mod support;

use support::{
    ROUNDING_TOL, assert_near, check_grad, check_grad_at_random, func, grad_of, tensor, uniforms,
};
use zengrad_core::{Error, Tape, Tensor, Var};

// Reductions.

#[test]
fn sum_grad_matches_finite_difference_over_chosen_axes() {
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    for keepdims in [false, true] {
        check_grad_at_random(|xs| xs[0].sum(&[0], keepdims), shapes, -1.0, 1.0, 60);
        check_grad_at_random(|xs| xs[0].sum(&[1], keepdims), shapes, -1.0, 1.0, 61);
        check_grad_at_random(|xs| xs[0].sum(&[0, 2], keepdims), shapes, -1.0, 1.0, 62);
        check_grad_at_random(|xs| xs[0].sum(&[-1], keepdims), shapes, -1.0, 1.0, 63);
        check_grad_at_random(|xs| xs[0].sum(&[-3, -2], keepdims), shapes, -1.0, 1.0, 64);
        check_grad_at_random(|xs| xs[0].sum(&[0, 1, 2], keepdims), shapes, -1.0, 1.0, 65);
        check_grad_at_random(|xs| xs[0].sum(&[], keepdims), shapes, -1.0, 1.0, 66);
    }
}

#[test]
fn sum_all_grad_matches_finite_difference_including_a_scalar() {
    check_grad_at_random(|xs| Ok(xs[0].sum_all()), &[&[2, 3]], -1.0, 1.0, 67);
    check_grad_at_random(|xs| Ok(xs[0].sum_all()), &[&[]], -1.0, 1.0, 68);
}

#[test]
fn sum_grad_is_one_for_every_summed_element() -> Result<(), Error> {
    // d(sum_j x_ij)/dx_ij = 1, so with seed w the gradient is w_i per row.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let grads = x
        .sum(&[1], false)?
        .backward_with(&Tensor::from([10.0, 20.0]))?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [10.0, 10.0, 10.0, 20.0, 20.0, 20.0]
    );

    let grads = x
        .sum(&[0], true)?
        .backward_with(&Tensor::from([[1.0, 2.0, 3.0]]))?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    );
    Ok(())
}

#[test]
fn mean_grad_matches_finite_difference_over_chosen_axes() {
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    for keepdims in [false, true] {
        check_grad_at_random(|xs| xs[0].mean(&[1], keepdims), shapes, -1.0, 1.0, 70);
        check_grad_at_random(|xs| xs[0].mean(&[0, -1], keepdims), shapes, -1.0, 1.0, 71);
    }
    check_grad_at_random(|xs| Ok(xs[0].mean_all()), shapes, -1.0, 1.0, 72);
    check_grad_at_random(|xs| Ok(xs[0].mean_all()), &[&[]], -1.0, 1.0, 73);
}

#[test]
fn mean_grad_is_one_over_the_count() -> Result<(), Error> {
    // d(mean_j x_ij)/dx_ij = 1/4 for rows of 4
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]));
    assert_eq!(grad_of(x.mean(&[1], false)?.sum_all(), x)?, [0.25; 8]);
    assert_eq!(grad_of(x.mean_all(), x)?, [0.125; 8]);
    Ok(())
}

#[test]
fn max_grad_matches_finite_difference_without_ties() {
    // Uniform draws are distinct far beyond the step 1e-6 of the differences.
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    for keepdims in [false, true] {
        check_grad_at_random(|xs| xs[0].max(&[1], keepdims), shapes, -1.0, 1.0, 80);
        check_grad_at_random(|xs| xs[0].max(&[0, 2], keepdims), shapes, -1.0, 1.0, 81);
        check_grad_at_random(|xs| xs[0].max(&[-1], keepdims), shapes, -1.0, 1.0, 82);
    }
    check_grad_at_random(|xs| xs[0].max_all(), shapes, -1.0, 1.0, 83);
    check_grad_at_random(|xs| xs[0].max_all(), &[&[]], -1.0, 1.0, 84);
}

#[test]
fn max_grad_goes_to_the_largest_element() -> Result<(), Error> {
    // d(max x)/dx_i = [x_i is the maximum]
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]));
    let grads = x
        .max(&[1], false)?
        .backward_with(&Tensor::from([10.0, 20.0]))?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [0.0, 10.0, 0.0, 20.0, 0.0, 0.0]
    );
    Ok(())
}

#[test]
fn max_grad_is_shared_equally_among_tied_elements() -> Result<(), Error> {
    // Two elements tie at 3: each gets half.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 3.0, 3.0]));
    assert_eq!(grad_of(x.max_all()?, x)?, [0.0, 0.5, 0.5]);

    // Per row: one maximum in the first row, a three-way tie in the second.
    let y = tape.var(Tensor::from([[1.0, 4.0, 2.0], [2.0, 2.0, 2.0]]));
    let third = 1.0 / 3.0;
    let grad = grad_of(y.max(&[1], true)?.sum_all(), y)?;
    assert_eq!(grad, [0.0, 1.0, 0.0, third, third, third]);

    // Over all axes, ties across rows share too.
    let z = tape.var(Tensor::from([[4.0, 1.0], [4.0, 4.0]]));
    assert_eq!(grad_of(z.max_all()?, z)?, [third, 0.0, third, third]);
    Ok(())
}

// Matrix products.

#[test]
fn matmul_grad_matches_finite_difference_for_matrices_and_batches() {
    let matmul = func(|xs| xs[0].matmul(xs[1]));
    check_grad_at_random(matmul, &[&[2, 3], &[3, 4]], -1.0, 1.0, 90);
    check_grad_at_random(matmul, &[&[3, 2, 4], &[3, 4, 2]], -1.0, 1.0, 91);
    check_grad_at_random(matmul, &[&[2, 1, 3, 4], &[5, 4, 2]], -1.0, 1.0, 92);
    check_grad_at_random(matmul, &[&[2, 3, 4], &[4, 2]], -1.0, 1.0, 93);
    check_grad_at_random(matmul, &[&[3, 4], &[2, 4, 2]], -1.0, 1.0, 94);
}

#[test]
fn matmul_grad_matches_finite_difference_for_vector_operands() {
    let matmul = func(|xs| xs[0].matmul(xs[1]));
    check_grad_at_random(matmul, &[&[4], &[4, 3]], -1.0, 1.0, 95);
    check_grad_at_random(matmul, &[&[3, 4], &[4]], -1.0, 1.0, 96);
    check_grad_at_random(matmul, &[&[4], &[4]], -1.0, 1.0, 97);
    check_grad_at_random(matmul, &[&[4], &[2, 4, 3]], -1.0, 1.0, 98);
    check_grad_at_random(matmul, &[&[2, 3, 4], &[4]], -1.0, 1.0, 99);
}

#[test]
fn matmul_grad_is_grad_out_times_the_other_transposed() -> Result<(), Error> {
    // out = a @ b: grad_a = g @ b^T, grad_b = a^T @ g. With g all ones,
    // grad_a[i][k] = sum_j b[k][j] and grad_b[k][j] = sum_i a[i][k].
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([[1.0, 2.0], [3.0, 4.0]]));
    let b = tape.var(Tensor::from([[5.0, 6.0], [7.0, 8.0]]));
    let grads = a.matmul(b)?.sum_all().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [11.0, 15.0, 11.0, 15.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [4.0, 4.0, 6.0, 6.0]);
    Ok(())
}

#[test]
fn matmul_t_grad_matches_finite_difference_for_all_transpose_combinations() {
    let cases: [(bool, bool, &[usize], &[usize]); 4] = [
        (false, false, &[2, 3], &[3, 4]),
        (true, false, &[3, 2], &[3, 4]),
        (false, true, &[2, 3], &[4, 3]),
        (true, true, &[3, 2], &[4, 3]),
    ];
    for (seed, (ta, tb, a, b)) in (100..).zip(cases) {
        check_grad_at_random(
            move |xs| xs[0].matmul_t(xs[1], ta, tb),
            &[a, b],
            -1.0,
            1.0,
            seed,
        );
    }
}

#[test]
fn matmul_t_grad_matches_finite_difference_when_batch_axes_broadcast() {
    // op(a) is [2, 1, 3, 4] and op(b) is [5, 4, 2], for every combination.
    let cases: [(bool, bool, &[usize], &[usize]); 4] = [
        (false, false, &[2, 1, 3, 4], &[5, 4, 2]),
        (true, false, &[2, 1, 4, 3], &[5, 4, 2]),
        (false, true, &[2, 1, 3, 4], &[5, 2, 4]),
        (true, true, &[2, 1, 4, 3], &[5, 2, 4]),
    ];
    for (seed, (ta, tb, a, b)) in (110..).zip(cases) {
        check_grad_at_random(
            move |xs| xs[0].matmul_t(xs[1], ta, tb),
            &[a, b],
            -1.0,
            1.0,
            seed,
        );
    }
}

// Layout ops.

#[test]
fn reshape_and_unsqueeze_grad_matches_finite_difference() {
    check_grad_at_random(|xs| xs[0].reshape([6, 4]), &[&[2, 3, 4]], -1.0, 1.0, 120);
    check_grad_at_random(|xs| xs[0].reshape([3, 2]), &[&[2, 3]], -1.0, 1.0, 121);
    check_grad_at_random(|xs| xs[0].reshape([1, 1]), &[&[]], -1.0, 1.0, 122);
    check_grad_at_random(|xs| xs[0].reshape([]), &[&[1]], -1.0, 1.0, 123);
    check_grad_at_random(|xs| xs[0].unsqueeze(0), &[&[2, 3]], -1.0, 1.0, 124);
    check_grad_at_random(|xs| xs[0].unsqueeze(1), &[&[2, 3]], -1.0, 1.0, 125);
    check_grad_at_random(|xs| xs[0].unsqueeze(-1), &[&[2, 3]], -1.0, 1.0, 126);
}

#[test]
fn reshape_grad_takes_the_shape_of_the_input() -> Result<(), Error> {
    // reshape moves no value, so the gradient is the seed in x's shape.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let seed = Tensor::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let grads = x.reshape([3, 2])?.backward_with(&seed)?;
    assert_eq!(grads.get(x).unwrap().dims(), [2, 3]);
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
    Ok(())
}

#[test]
fn transpose_and_permute_grad_matches_finite_difference() {
    let shapes: &[&[usize]] = &[&[2, 3, 4]];
    check_grad_at_random(|xs| xs[0].transpose(0, 2), shapes, -1.0, 1.0, 130);
    check_grad_at_random(|xs| xs[0].transpose(-1, -2), shapes, -1.0, 1.0, 131);
    check_grad_at_random(|xs| xs[0].permute(&[2, 0, 1]), shapes, -1.0, 1.0, 132);
    check_grad_at_random(|xs| xs[0].permute(&[1, 2, 0]), shapes, -1.0, 1.0, 133);
    check_grad_at_random(|xs| xs[0].permute(&[1, 0]), &[&[3, 2]], -1.0, 1.0, 134);
}

#[test]
fn permute_grad_is_the_seed_permuted_back() -> Result<(), Error> {
    // out[j][i] = x[i][j], so grad_x[i][j] = seed[j][i].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    let seed = Tensor::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let grads = x.transpose(0, 1)?.backward_with(&seed)?;
    assert_eq!(
        grads.get(x).unwrap().to_vec(),
        [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
    );
    Ok(())
}

#[test]
fn broadcast_to_and_sum_to_grad_matches_finite_difference() {
    check_grad_at_random(
        |xs| xs[0].broadcast_to([2, 3, 4]),
        &[&[3, 1]],
        -1.0,
        1.0,
        140,
    );
    check_grad_at_random(|xs| xs[0].broadcast_to([2, 3]), &[&[]], -1.0, 1.0, 141);
    check_grad_at_random(|xs| xs[0].broadcast_to([3, 4]), &[&[1, 4]], -1.0, 1.0, 142);
    check_grad_at_random(|xs| xs[0].sum_to([3, 1]), &[&[2, 3, 4]], -1.0, 1.0, 143);
    check_grad_at_random(|xs| xs[0].sum_to([2, 1, 4]), &[&[2, 3, 4]], -1.0, 1.0, 144);
    check_grad_at_random(|xs| xs[0].sum_to([4]), &[&[2, 3, 4]], -1.0, 1.0, 145);
    check_grad_at_random(|xs| xs[0].sum_to([]), &[&[2, 3]], -1.0, 1.0, 146);
}

#[test]
fn broadcast_to_grad_sums_over_the_repeats() -> Result<(), Error> {
    // x [2, 1] repeats over 3 columns: grad_x[i] = sum_j seed[i][j].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[1.0], [2.0]]));
    let seed = Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let grads = x.broadcast_to([2, 3])?.backward_with(&seed)?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [6.0, 15.0]);
    Ok(())
}

#[test]
fn concat_grad_matches_finite_difference() {
    let concat = |axis| func(move |xs| Var::concat(xs, axis));
    check_grad_at_random(
        concat(1),
        &[&[2, 1, 3], &[2, 2, 3], &[2, 3, 3]],
        -1.0,
        1.0,
        150,
    );
    check_grad_at_random(concat(-1), &[&[2, 2], &[2, 3]], -1.0, 1.0, 151);
    check_grad_at_random(concat(0), &[&[2], &[3], &[1]], -1.0, 1.0, 152);
    check_grad_at_random(concat(0), &[&[2, 3]], -1.0, 1.0, 153);
}

#[test]
fn concat_grad_is_each_inputs_part_of_the_seed() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([1.0, 2.0]));
    let b = tape.var(Tensor::from([3.0]));
    let grads = Var::concat(&[a, b], 0)?.backward_with(&Tensor::from([10.0, 20.0, 30.0]))?;
    assert_eq!(grads.get(a).unwrap().to_vec(), [10.0, 20.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [30.0]);
    Ok(())
}

#[test]
fn stack_grad_matches_finite_difference() {
    let stack = |axis| func(move |xs| Var::stack(xs, axis));
    check_grad_at_random(stack(0), &[&[2, 3], &[2, 3]], -1.0, 1.0, 160);
    check_grad_at_random(stack(1), &[&[2, 3], &[2, 3], &[2, 3]], -1.0, 1.0, 161);
    check_grad_at_random(stack(-1), &[&[2, 3], &[2, 3]], -1.0, 1.0, 162);
    check_grad_at_random(stack(0), &[&[], &[], &[]], -1.0, 1.0, 163);
}

#[test]
fn stack_grad_matches_finite_difference_when_inputs_have_axes_of_size_one() {
    let stack = |axis| func(move |xs| Var::stack(xs, axis));
    check_grad_at_random(stack(0), &[&[1, 3], &[1, 3]], -1.0, 1.0, 164);
    check_grad_at_random(stack(1), &[&[2, 1], &[2, 1], &[2, 1]], -1.0, 1.0, 165);
}

#[test]
fn stack_puts_the_new_axis_where_asked_when_inputs_have_axes_of_size_one() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([[1.0, 2.0, 3.0]]));
    let b = tape.var(Tensor::from([[4.0, 5.0, 6.0]]));

    // Stacking two [1, 3] along a new axis 0 gives [2, 1, 3].
    let y = Var::stack(&[a, b], 0)?;
    assert_eq!(y.shape().dims(), [2, 1, 3]);
    assert_eq!(y.value().to_vec(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

    // The gradient of each input is its slice of the seed along axis 0.
    let seed = Tensor::from([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]);
    let grads = y.backward_with(&seed)?;
    assert_eq!(grads.get(a).unwrap().to_vec(), [1.0, 2.0, 3.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [4.0, 5.0, 6.0]);
    Ok(())
}

#[test]
fn slice_and_pad_grad_matches_finite_difference() {
    let shapes: &[&[usize]] = &[&[2, 4, 3]];
    check_grad_at_random(|xs| xs[0].slice(1, 1..3), shapes, -1.0, 1.0, 170);
    check_grad_at_random(|xs| xs[0].slice(-1, 0..2), shapes, -1.0, 1.0, 171);
    check_grad_at_random(|xs| xs[0].slice(0, 0..2), shapes, -1.0, 1.0, 172);
    check_grad_at_random(|xs| xs[0].slice(2, 1..1), shapes, -1.0, 1.0, 173);
    check_grad_at_random(|xs| xs[0].pad(0, 1, 2), shapes, -1.0, 1.0, 174);
    check_grad_at_random(|xs| xs[0].pad(-1, 2, 1), shapes, -1.0, 1.0, 175);
    check_grad_at_random(|xs| xs[0].pad(1, 0, 0), shapes, -1.0, 1.0, 176);
    check_grad_at_random(|xs| xs[0].pad(0, 2, 0), &[&[3]], -1.0, 1.0, 177);
}

#[test]
fn slice_grad_is_the_seed_padded_with_zeros() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0, 4.0]));
    let grads = x
        .slice(0, 1..3)?
        .backward_with(&Tensor::from([10.0, 20.0]))?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [0.0, 10.0, 20.0, 0.0]);
    Ok(())
}

#[test]
fn pad_grad_is_the_seed_without_the_padding() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0]));
    let seed = Tensor::from([1.0, 2.0, 3.0, 4.0, 5.0]);
    let grads = x.pad(0, 1, 2)?.backward_with(&seed)?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [2.0, 3.0]);
    Ok(())
}

#[test]
fn index_select_grad_matches_finite_difference_with_repeated_indices() {
    let shapes: &[&[usize]] = &[&[3, 4]];
    check_grad_at_random(
        |xs| xs[0].index_select(0, &[2, 0, 2, 1]),
        shapes,
        -1.0,
        1.0,
        180,
    );
    check_grad_at_random(
        |xs| xs[0].index_select(1, &[3, 3, 0]),
        shapes,
        -1.0,
        1.0,
        181,
    );
    check_grad_at_random(|xs| xs[0].index_select(-1, &[1]), shapes, -1.0, 1.0, 182);
    check_grad_at_random(
        |xs| xs[0].index_select(1, &[0, 2, 0]),
        &[&[2, 3, 2]],
        -1.0,
        1.0,
        183,
    );
}

#[test]
fn index_select_grad_counts_each_repeat() -> Result<(), Error> {
    // Index 2 is picked twice and index 1 never: grads 2 and 0.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    assert_eq!(
        grad_of(x.index_select(0, &[2, 0, 2])?.sum_all(), x)?,
        [1.0, 0.0, 2.0]
    );
    Ok(())
}

#[test]
fn index_add_grad_matches_finite_difference_with_repeated_indices() {
    let shapes: &[&[usize]] = &[&[4, 2]];
    check_grad_at_random(
        |xs| xs[0].index_add(0, &[1, 0, 1, 2], 3),
        shapes,
        -1.0,
        1.0,
        190,
    );
    check_grad_at_random(|xs| xs[0].index_add(-1, &[4, 4], 5), shapes, -1.0, 1.0, 191);
    check_grad_at_random(
        |xs| xs[0].index_add(1, &[0, 1], 2),
        &[&[2, 2, 3]],
        -1.0,
        1.0,
        192,
    );
}

#[test]
fn index_add_grad_reads_the_seed_at_each_index() -> Result<(), Error> {
    // out[idx[i]] += x[i], so grad_x[i] = seed[idx[i]].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    let grads = x
        .index_add(0, &[1, 0, 1], 3)?
        .backward_with(&Tensor::from([10.0, 20.0, 30.0]))?;
    assert_eq!(grads.get(x).unwrap().to_vec(), [20.0, 10.0, 20.0]);
    Ok(())
}

// Selection by a mask.

#[test]
fn where_grad_matches_finite_difference_when_the_mask_broadcasts() {
    let mask = tensor(&[1.0, 0.0, 1.0], [3]);
    check_grad_at_random(
        |xs| Var::where_(&mask, xs[0], xs[1]),
        &[&[2, 3], &[2, 3]],
        -1.0,
        1.0,
        200,
    );

    let column = tensor(&[0.0, 1.0], [2, 1]);
    let where_column = func(|xs| Var::where_(&column, xs[0], xs[1]));
    check_grad_at_random(where_column, &[&[3], &[2, 3]], -1.0, 1.0, 201);
    check_grad_at_random(where_column, &[&[], &[1, 3]], -1.0, 1.0, 202);

    let scalar = Tensor::scalar(1.0);
    check_grad_at_random(
        |xs| Var::where_(&scalar, xs[0], xs[1]),
        &[&[2], &[2]],
        -1.0,
        1.0,
        203,
    );
}

#[test]
fn where_grad_goes_to_the_branch_taken() -> Result<(), Error> {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([1.0, 2.0, 3.0]));
    let b = tape.var(Tensor::from([4.0, 5.0, 6.0]));
    let mask = Tensor::from([1.0, 0.0, 1.0]);
    let grads = Var::where_(&mask, a, b)?.sum_all().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [1.0, 0.0, 1.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [0.0, 1.0, 0.0]);
    Ok(())
}

#[test]
fn where_gives_the_branch_not_taken_exactly_zero_when_the_grad_is_infinite() -> Result<(), Error> {
    // out = [a0, b1] = [0, 9], and sqrt'(0) = inf: the incoming gradient
    // is [inf, 1/6]. The branch taken gets it; the one not taken gets
    // exactly 0, not 0 * inf = NaN.
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from([0.0, 4.0]));
    let b = tape.var(Tensor::from([1.0, 9.0]));
    let mask = Tensor::from([1.0, 0.0]);
    let grads = Var::where_(&mask, a, b)?.sqrt().sum_all().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [f64::INFINITY, 0.0]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [0.0, 1.0 / 6.0]);
    Ok(())
}

#[test]
fn where_on_scalar_nodes_gives_the_branch_not_taken_exactly_zero() -> Result<(), Error> {
    // As above with shape []: sqrt'(0) = inf reaches a, and b gets 0.
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::scalar(0.0));
    let b = tape.var(Tensor::scalar(1.0));
    let grads = Var::where_(&Tensor::scalar(1.0), a, b)?.sqrt().backward()?;

    assert_eq!(grads.get(a).unwrap().to_vec(), [f64::INFINITY]);
    assert_eq!(grads.get(b).unwrap().to_vec(), [0.0]);
    Ok(())
}

#[test]
fn where_sends_exactly_zero_into_an_untaken_sqrt_at_zero() -> Result<(), Error> {
    // y = where(x > 0, sqrt(x), 0) at x = [0, 4]: the sqrt branch is not
    // taken at 0, so its gradient there is exactly 0 (1 at 4).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 4.0]));
    let root = x.sqrt();
    let zero = tape.constant(Tensor::scalar(0.0));
    let mask = x.value().gt(&Tensor::scalar(0.0))?;
    let y = Var::where_(&mask, root, zero)?.sum_all();

    let grad_root = y.grad(&[root])?[0].value();
    assert_eq!(grad_root.to_vec(), [0.0, 1.0]);
    Ok(())
}

#[test]
fn where_leaves_the_nan_of_sqrt_at_zero_in_the_input_gradient() -> Result<(), Error> {
    // sqrt's own rule, grad_out / (2 sqrt(x)), reads 0 / 0 = NaN at x = 0
    // even when where sends it exactly 0: as in PyTorch and JAX, the
    // untaken branch must itself be safe (see the next test).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 4.0]));
    let zero = tape.constant(Tensor::scalar(0.0));
    let mask = x.value().gt(&Tensor::scalar(0.0))?;
    let grad = grad_of(Var::where_(&mask, x.sqrt(), zero)?.sum_all(), x)?;

    assert!(grad[0].is_nan(), "expected NaN, got {}", grad[0]);
    assert_eq!(grad[1], 0.25); // 1 / (2 sqrt(4))
    Ok(())
}

#[test]
fn where_of_a_safe_input_keeps_the_gradient_of_sqrt_finite_at_zero() -> Result<(), Error> {
    // where(x > 0, sqrt(where(x > 0, x, 1)), 0): the inner where keeps
    // sqrt off 0, and the outer one sends exactly 0 there.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 4.0]));
    let one = tape.constant(Tensor::scalar(1.0));
    let zero = tape.constant(Tensor::scalar(0.0));
    let mask = x.value().gt(&Tensor::scalar(0.0))?;
    let safe = Var::where_(&mask, x, one)?;
    let y = Var::where_(&mask, safe.sqrt(), zero)?.sum_all();

    assert_eq!(grad_of(y, x)?, [0.0, 0.25]);
    Ok(())
}

// Normalizations.

#[test]
fn softmax_and_log_softmax_grad_match_finite_difference() {
    for (seed, axis) in [(210, -1), (211, 0)] {
        check_grad_at_random(|xs| xs[0].softmax(axis), &[&[3, 4]], -2.0, 2.0, seed);
        check_grad_at_random(|xs| xs[0].log_softmax(axis), &[&[3, 4]], -2.0, 2.0, seed);
    }
    check_grad_at_random(|xs| xs[0].softmax(1), &[&[2, 3, 2]], -2.0, 2.0, 212);
    check_grad_at_random(|xs| xs[0].log_softmax(1), &[&[2, 3, 2]], -2.0, 2.0, 213);
    check_grad_at_random(|xs| xs[0].softmax(0), &[&[5]], -2.0, 2.0, 214);
    check_grad_at_random(|xs| xs[0].log_softmax(0), &[&[5]], -2.0, 2.0, 215);
}

#[test]
fn logsumexp_grad_matches_finite_difference_with_and_without_keepdims() {
    for keepdims in [false, true] {
        let shapes: &[&[usize]] = &[&[2, 3, 4]];
        check_grad_at_random(|xs| xs[0].logsumexp(0, keepdims), shapes, -2.0, 2.0, 220);
        check_grad_at_random(|xs| xs[0].logsumexp(1, keepdims), shapes, -2.0, 2.0, 221);
        check_grad_at_random(|xs| xs[0].logsumexp(-1, keepdims), shapes, -2.0, 2.0, 222);
        check_grad_at_random(|xs| xs[0].logsumexp(0, keepdims), &[&[4]], -2.0, 2.0, 223);
    }
}

#[test]
fn softmax_family_grad_matches_hand_derivatives() -> Result<(), Error> {
    // At x = [0, 0]: s = [1/2, 1/2].
    // logsumexp: grad = s = [1/2, 1/2].
    // log_softmax with seed [1, 0]: g - s * sum(g) = [1/2, -1/2].
    // softmax with seed [1, 0]: s * (g - s.g) = [1/4, -1/4].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([0.0, 0.0]));
    let seed = Tensor::from([1.0, 0.0]);

    let grad = grad_of(x.logsumexp(0, false)?, x)?;
    assert_near(&grad, &[0.5, 0.5], ROUNDING_TOL);
    let grads = x.log_softmax(0)?.backward_with(&seed)?;
    assert_near(&grads.get(x).unwrap().to_vec(), &[0.5, -0.5], ROUNDING_TOL);
    let grads = x.softmax(0)?.backward_with(&seed)?;
    assert_near(
        &grads.get(x).unwrap().to_vec(),
        &[0.25, -0.25],
        ROUNDING_TOL,
    );
    Ok(())
}

// Compositions.

#[test]
fn composed_ops_grad_matches_finite_difference_when_inputs_are_reused() {
    // Each input feeds several ops, so its gradients from every use add up.
    let f = func(|xs| {
        let (x, w) = (xs[0], xs[1]);
        let h = x.matmul(w)?.tanh();
        let gate = x.sum(&[1], true)?.sigmoid();
        h.mul(gate)?.add(x.slice(1, 0..2)?.exp())?.log_softmax(-1)
    });
    check_grad(f, &uniforms(&[&[3, 4], &[4, 2]], -1.0, 1.0, 230));
}

#[test]
fn a_var_used_twice_gets_the_sum_of_both_gradients() -> Result<(), Error> {
    // y = x * x + sin(x): dy/dx = 2x + cos(x), at x = 0: 1.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(0.0));
    let y = x.mul(x)?.add(x.sin())?;
    assert_eq!(grad_of(y, x)?, [1.0]);
    Ok(())
}
