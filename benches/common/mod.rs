//! What the benchmarks share: the data and initial values of the
//! specification (`../shared/bench/py-peers/README.md`), the thread pool,
//! timing, the check values and the JSON lines.
//!
//! The JSON lines have the fields of the Python and Rust peers, so that they
//! can be appended to the peers' results and tabulated with them.

// Each benchmark includes this module and uses a part of it.
#![allow(dead_code)]

use std::error::Error;
use std::fmt::Write as _;
use std::time::Instant;

/// The name every line reports as its `peer`.
pub const PEER: &str = "zengrad";

/// The result of a benchmark's body; the message of an error goes to stderr
/// and the process exits with status 1.
pub type BenchResult<T = ()> = Result<T, Box<dyn Error>>;

// ---- RNG: SplitMix64, counter form (spec "Shared definitions") ---------

/// Returns output `i` (from 0) of the standard SplitMix64 generator seeded
/// with `seed`.
pub fn splitmix64(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Returns the spec's `urand(seed, [n], lo, hi)`: element `i` is
/// `lo + (hi - lo) * u_i` in f64, with `u_i` the top 53 bits of output `i`.
pub fn urand(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let scale = 1.0 / (1u64 << 53) as f64;
    (0..n as u64)
        .map(|i| lo + (hi - lo) * ((splitmix64(seed, i) >> 11) as f64 * scale))
        .collect()
}

/// Returns the spec's `urand_int(seed, [n], k)`: `floor(k * u_i)`.
pub fn urand_int(seed: u64, n: usize, k: usize) -> Vec<usize> {
    urand(seed, n, 0.0, 1.0)
        .into_iter()
        .map(|u| (u * k as f64).floor() as usize)
        .collect()
}

/// Rounds f64 values to f32, as the spec casts `urand` to a tensor's type.
pub fn to_f32(values: Vec<f64>) -> Vec<f32> {
    values.into_iter().map(|v| v as f32).collect()
}

/// Returns dense layer `layer` of workload `workload` (spec "Layer init"):
/// `W` is `[fan_in, fan_out]` row-major from seed `s = 100 w + 10 + 10 l`,
/// `b` is `[fan_out]` from `s + 1`, both uniform in `(-k, k)` with
/// `k = 1 / sqrt(fan_in)`.
pub fn dense(workload: u64, layer: u64, fan_in: usize, fan_out: usize) -> (Vec<f64>, Vec<f64>) {
    let seed = 100 * workload + 10 + 10 * layer;
    let k = 1.0 / (fan_in as f64).sqrt();
    (
        urand(seed, fan_in * fan_out, -k, k),
        urand(seed + 1, fan_out, -k, k),
    )
}

// ---- options and threads ------------------------------------------------

/// How a benchmark runs, from the environment and the command line.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The compute threads allowed: `BENCH_THREADS`, 1 when unset.
    pub threads: usize,
    /// Whether to time a few repeats instead of the spec's count, to see
    /// that the benchmark runs and its checks hold: with `--quick`, and in
    /// builds with debug assertions.
    pub quick: bool,
}

impl Options {
    /// Returns the repeat count: the spec's `full`, or `quick` in quick
    /// mode.
    pub fn repeats(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }
}

/// Reads the options and sizes rayon's global pool to `BENCH_THREADS`
/// threads, before any parallel work starts it at its default size.
///
/// # Errors
///
/// Returns an error when `BENCH_THREADS` is not a positive integer, the
/// pool was already built, or the generator misses the spec's test vectors.
pub fn setup() -> BenchResult<Options> {
    let threads = match std::env::var("BENCH_THREADS") {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("expected BENCH_THREADS >= 1, got {text:?}").into()),
        },
        Err(_) => 1,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()?;

    // The spec's test vectors: seed 0, and urand(0, [4], 0, 1).
    let vectors = [
        0.8833108082136426,
        0.43152799704850997,
        0.026433771592597743,
        0.9708819781538285,
    ];
    if splitmix64(0, 0) != 0xe220_a839_7b1d_cdaf || urand(0, 4, 0.0, 1.0) != vectors {
        return Err("splitmix64: expected the spec's test vectors, got others".into());
    }

    // `cargo bench` passes `--bench`; after `--`, ours is `--quick`. An
    // unoptimized build (`cargo test --all-targets` runs the benchmarks in
    // the test profile) is quick anyway: its times mean nothing.
    let quick = cfg!(debug_assertions) || std::env::args().skip(1).any(|arg| arg == "--quick");
    Ok(Options { threads, quick })
}

/// Turns a benchmark's result into its exit status: 1, with the error's
/// message on stderr, when it failed.
pub fn exit_code(name: &str, result: BenchResult) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---- timing (spec "Timing rules") ----------------------------------------

/// Returns the CPU time of the process in seconds, all threads together
/// (`CLOCK_PROCESS_CPUTIME_ID`, as the peers and Python's `process_time`).
///
/// This calls `clock_gettime` through a declaration of our own, since
/// neither `std` nor our dependencies expose a CPU clock. The safe sources
/// were measured and are too coarse: `/proc/self/stat` counts ticks, and
/// `/proc/self/task/*/schedstat` advances for a running thread only at a
/// tick (4 ms here), more than W1's whole forward pass. NaN off Linux.
pub fn cpu_seconds() -> f64 {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        /// `struct timespec` of 64-bit Linux: `time_t` and `long` are
        /// both 64 bits.
        #[repr(C)]
        struct Timespec {
            tv_sec: i64,
            tv_nsec: i64,
        }
        const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
        unsafe extern "C" {
            fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
        }

        let mut time = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: the declaration matches glibc's and musl's
        // `int clock_gettime(clockid_t, struct timespec *)` on 64-bit Linux
        // (`clockid_t` is `int`; `Timespec` has the layout above), and
        // `time` is a valid, aligned, writable `Timespec` that the call
        // only writes to.
        let status = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut time) };
        if status == 0 {
            time.tv_sec as f64 + time.tv_nsec as f64 * 1e-9
        } else {
            f64::NAN
        }
    }
    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    {
        f64::NAN
    }
}

/// Measures wall and CPU time from `start` (or the last `lap`).
///
/// The CPU clock is read outside the wall-clock interval.
pub struct Clock {
    wall: Instant,
    cpu: f64,
}

impl Clock {
    /// Starts measuring.
    pub fn start() -> Clock {
        let cpu = cpu_seconds();
        Clock {
            wall: Instant::now(),
            cpu,
        }
    }

    /// Returns the (wall, CPU) seconds since the start or the last lap, and
    /// starts again.
    pub fn lap(&mut self) -> (f64, f64) {
        let wall = self.wall.elapsed().as_secs_f64();
        let cpu = cpu_seconds();
        let lap = (wall, cpu - self.cpu);
        self.cpu = cpu;
        self.wall = Instant::now();
        lap
    }
}

/// The wall and CPU seconds of each timed repeat.
#[derive(Clone, Debug, Default)]
pub struct Times {
    /// Wall-clock seconds, one per repeat.
    pub wall: Vec<f64>,
    /// Process CPU seconds, one per repeat.
    pub cpu: Vec<f64>,
}

impl Times {
    /// Adds one repeat's (wall, CPU) seconds.
    pub fn add(&mut self, (wall, cpu): (f64, f64)) {
        self.wall.push(wall);
        self.cpu.push(cpu);
    }

    /// Returns the median wall time.
    pub fn median(&self) -> f64 {
        median(&self.wall)
    }

    /// Returns the best wall time.
    pub fn min(&self) -> f64 {
        self.wall.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// Returns the median CPU time.
    pub fn cpu_median(&self) -> f64 {
        median(&self.cpu)
    }
}

/// Returns the median, the mean of the middle two for an even count, NaN
/// for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

/// Calls `f` `warmup` times untimed, then `repeats` times timed.
///
/// # Errors
///
/// Returns the first error of `f`.
pub fn time_it<E>(
    warmup: usize,
    repeats: usize,
    mut f: impl FnMut() -> Result<(), E>,
) -> Result<Times, E> {
    for _ in 0..warmup {
        f()?;
    }
    let mut times = Times::default();
    for _ in 0..repeats {
        let mut clock = Clock::start();
        f()?;
        times.add(clock.lap());
    }
    Ok(times)
}

/// Returns the peak resident set size in MiB: `VmHWM` of
/// `/proc/self/status`, the figure `getrusage` reports as `ru_maxrss`.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(f64::NAN) / 1024.0
}

// ---- output (spec "Output: one JSON object per line") --------------------

/// Formats a JSON number as the peers do: rounded to 6 decimals like
/// Python's `round(v, 6)`, except that values below 1e-3 keep 7
/// significant digits; `null` when not finite.
pub fn num(value: f64) -> String {
    if !value.is_finite() {
        return "null".into();
    }
    if value != 0.0 && value.abs() < 1e-3 {
        return format!("{value:.6e}");
    }
    let rounded: f64 = format!("{value:.6}").parse().unwrap_or(value);
    format!("{rounded}")
}

/// Prints one JSON line of workload `workload`, keys in the peers' order:
/// peer, workload, metric, value, unit, threads, the `extra` fields (values
/// already in JSON), then `run` and `idle_before` when `BENCH_RUN` and
/// `BENCH_IDLE` are set (as the peers' run.sh sets them).
pub fn emit(
    options: &Options,
    workload: &str,
    metric: &str,
    value: f64,
    unit: &str,
    extra: &[(&str, String)],
) {
    let mut line = format!(
        "{{\"peer\": \"{PEER}\", \"workload\": \"{workload}\", \"metric\": \"{metric}\", \
         \"value\": {}, \"unit\": \"{unit}\", \"threads\": {}",
        num(value),
        options.threads
    );
    for (key, value) in extra {
        let _ = write!(line, ", \"{key}\": {value}");
    }
    if let Ok(run) = std::env::var("BENCH_RUN") {
        let _ = write!(line, ", \"run\": \"{run}\"");
    }
    if let Ok(idle) = std::env::var("BENCH_IDLE") {
        let _ = write!(line, ", \"idle_before\": {idle}");
    }
    println!("{line}}}");
}

/// Prints a timing line: the median wall time times `scale`, with `min`,
/// `cpu_median` (same scale) and `n`.
pub fn emit_time(
    options: &Options,
    workload: &str,
    metric: &str,
    times: &Times,
    unit: &str,
    scale: f64,
) {
    let extra = [
        ("min", num(times.min() * scale)),
        ("cpu_median", num(times.cpu_median() * scale)),
        ("n", times.wall.len().to_string()),
    ];
    emit(
        options,
        workload,
        metric,
        times.median() * scale,
        unit,
        &extra,
    );
}

/// Prints a rate line: `per_call` over the median time, with `best`, the
/// rate at the best time.
pub fn emit_rate(
    options: &Options,
    workload: &str,
    metric: &str,
    per_call: f64,
    times: &Times,
    unit: &str,
) {
    let extra = [("best", num(per_call / times.min()))];
    emit(
        options,
        workload,
        metric,
        per_call / times.median(),
        unit,
        &extra,
    );
}

// ---- check values ---------------------------------------------------------

/// Collects the comparisons of computed values with the spec's, so that a
/// benchmark prints all its lines before it fails on a wrong one.
#[derive(Debug, Default)]
pub struct Checks {
    failures: Vec<String>,
}

impl Checks {
    /// Compares `got` with `want` to within `tolerance` (absolute), and
    /// writes the comparison to stderr with more digits than the JSON.
    pub fn expect(&mut self, name: &str, got: f64, want: f64, tolerance: f64) {
        let ok = (got - want).abs() <= tolerance;
        let verdict = if ok { "ok" } else { "MISMATCH" };
        eprintln!(
            "check {name}: got {got:.10}, expected {want} (tolerance {tolerance:e}): {verdict}"
        );
        if !ok {
            self.failures.push(format!(
                "{name}: expected {want} to within {tolerance:e}, got {got:.10}"
            ));
        }
    }

    /// Records a failed condition that is not a number.
    pub fn fail(&mut self, message: String) {
        eprintln!("check: {message}");
        self.failures.push(message);
    }

    /// Returns an error listing every failed comparison, if any.
    ///
    /// # Errors
    ///
    /// Returns the failures, one a line.
    pub fn finish(self) -> BenchResult {
        if self.failures.is_empty() {
            Ok(())
        } else {
            let list = self.failures.join("\n  ");
            Err(format!("check values differ from the spec:\n  {list}").into())
        }
    }
}
