//! `mars eval`: run a Nock formula against a subject and print the product.

use super::input::{cue_exact, read_file, NounSource};
use crate::interpreter::{nock, signals};
use crate::kernel::arvo::render_trace_lines;
use crate::kernel::{new_context, FAILURE_LINES};
use crate::stack::DEFAULT_STACK_BYTES;
use crate::text::urbit::bound_lines;
use clap::Args;
use std::time::Instant;

#[derive(Args)]
pub struct EvalArgs {
    /// Subject (noun text, or - for stdin).
    #[arg(
        allow_hyphen_values = true,
        required_unless_present = "jam",
        conflicts_with = "jam"
    )]
    subject: Option<String>,
    /// Formula (noun text).
    #[arg(required_unless_present = "jam", conflicts_with = "jam")]
    formula: Option<String>,
    /// A file holding jam([subject formula]).
    #[arg(long, value_name = "FILE")]
    jam: Option<String>,
    /// Print op count, time, peak stack use and the jet coverage report on stderr.
    #[arg(long)]
    stats: bool,
    /// Run without jets.
    #[arg(long)]
    no_jets: bool,
    /// Run every jet and its Nock and report mismatches (also `MARS_JET_CHECK=1`).
    #[arg(long)]
    jet_check: bool,
    /// Print at most this many bytes of the product (0: no limit); a product cut short ends in `...`, with a note on
    /// stderr and exit status 1.
    #[arg(long, value_name = "BYTES", default_value_t = super::out::NOUN_BYTES)]
    max_bytes: usize,
    /// NockStack size in MiB.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_STACK_BYTES >> 20)]
    stack_mib: usize,
}

pub fn eval(args: EvalArgs) -> Result<i32, String> {
    let mut ctx = new_context(args.stack_mib << 20, 50_000)
        .map_err(|e| format!("cannot reserve the NockStack: {e}"))?;
    ctx.jets.disabled = args.no_jets;
    ctx.jets.timing = args.stats;
    ctx.jets.jet_check |= args.jet_check;
    let (sub, fol) = match &args.jam {
        Some(f) => {
            let bytes = read_file(f)?;
            let pair = cue_exact(&mut ctx.stack, &bytes).map_err(|e| format!("{f}: {e}"))?;
            let c = pair
                .as_cell()
                .ok_or_else(|| format!("{f}: expected a cell [subject formula]"))?;
            (c.head(), c.tail())
        }
        None => {
            let sub = source(args.subject.as_deref().unwrap_or("0")).read(&mut ctx.stack)?;
            let fol = source(args.formula.as_deref().unwrap_or("0")).read(&mut ctx.stack)?;
            (sub, fol)
        }
    };
    signals::install_signal_flags(&ctx.stop)
        .map_err(|e| format!("installing signal handlers: {e}"))?;
    let t0 = Instant::now();
    let result = nock(&mut ctx, sub, fol);
    let elapsed = t0.elapsed();
    if args.stats {
        let ops = ctx.stats.ops;
        let ns_per_op = elapsed.as_nanos() as f64 / ops.max(1) as f64;
        eprintln!(
            "ops {ops} time {:.3}ms ({:.1} Mops/s, {ns_per_op:.2} ns/op) jets {} collections {} peak-stack {} KiB",
            elapsed.as_secs_f64() * 1e3,
            ops as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6,
            ctx.stats.jet_hits,
            ctx.stats.collections,
            ctx.stack.peak_bytes() >> 10
        );
        for line in ctx.jets.report() {
            eprintln!("{line}");
        }
    }
    match result {
        Ok(product) => {
            let cut = super::out::noun_line("eval", product, args.max_bytes)?;
            Ok(if cut { 1 } else { 0 })
        }
        Err(e) => {
            // As a goof is printed: the outermost entry first, the innermost just above the mote.
            let mut lines = render_trace_lines(&mut ctx, e.trace);
            lines.reverse();
            for line in bound_lines(lines, FAILURE_LINES) {
                eprintln!("{line}");
            }
            eprintln!("bail: {}", e.mote);
            Ok(1)
        }
    }
}

fn source(s: &str) -> NounSource {
    if s == "-" {
        NounSource::Stdin
    } else {
        NounSource::Text(s.to_string())
    }
}
