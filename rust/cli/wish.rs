//! `mars wish`: compile and evaluate Hoon with the ivory kernel's `+wish` (king-protocol.md §5.5), optionally slamming
//! the resulting gate with a sample — the quickest way to test a jet against its Hoon.

use super::input::{cue_exact, decode_hex, read_file};
use crate::interpreter::slam;
use crate::kernel::{new_context, Kernel};
use crate::snapshot::MemorySnapshot;
use crate::text::parse_noun;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct WishArgs {
    /// Hoon to compile and evaluate against the kernel, e.g. '(add 2 2)'; - reads it from stdin.
    #[arg(
        required_unless_present = "batch",
        conflicts_with = "batch",
        allow_hyphen_values = true
    )]
    hoon: Option<String>,
    /// Evaluate every line of FILE (`-` for stdin) as an expression, one kernel load for all: one output line per
    /// expression, its product or `bail: %MOTE`. Blank lines are skipped.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["slam", "slam_hex", "slam_jam"])]
    batch: Option<String>,
    /// The ivory pill (default `$MARS_PILLS/ivory.pill`).
    #[arg(long, value_name = "FILE")]
    pill: Option<PathBuf>,
    /// Slam the wished gate with this sample (noun text).
    #[arg(long, value_name = "NOUN", conflicts_with_all = ["slam_hex", "slam_jam"])]
    slam: Option<String>,
    /// Slam with a sample given as jam hex.
    #[arg(long, value_name = "HEX", conflicts_with = "slam_jam")]
    slam_hex: Option<String>,
    /// Slam with a sample read from a jam file.
    #[arg(long, value_name = "FILE")]
    slam_jam: Option<String>,
    /// Print load and evaluation times and the jet coverage report on stderr.
    #[arg(long)]
    stats: bool,
    /// Run without jets (slow).
    #[arg(long)]
    no_jets: bool,
    /// Run every jet and its Nock and report mismatches.
    #[arg(long)]
    jet_check: bool,
    /// Print at most this many bytes of a product (0: no limit); a product cut short ends in `...`, with a note on
    /// stderr and exit status 1.
    #[arg(long, value_name = "BYTES", default_value_t = super::out::NOUN_BYTES)]
    max_bytes: usize,
}

pub fn wish(a: WishArgs) -> Result<i32, String> {
    let pill = a
        .pill
        .clone()
        .unwrap_or_else(|| crate::test_support::pills_dir().join("ivory.pill"));
    let bytes = std::fs::read(&pill).map_err(|e| format!("{}: {e}", pill.display()))?;
    let ctx =
        new_context(8 << 30, 50_000).map_err(|e| format!("cannot reserve the NockStack: {e}"))?;
    crate::interpreter::signals::install_signal_flags(&ctx.stop)
        .map_err(|e| format!("installing signal handlers: {e}"))?;
    let mut k = Kernel::new(ctx, Box::new(MemorySnapshot::new()));
    k.ctx.jets.disabled = a.no_jets;
    k.ctx.jets.jet_check |= a.jet_check;
    k.ctx.jets.timing = a.stats;
    let t = Instant::now();
    k.boot_ivory(&bytes)
        .map_err(|e| format!("{}: {e}", pill.display()))?;
    k.settle(&mut ()).map_err(|e| e.to_string())?;
    let load = t.elapsed();
    let t = Instant::now();
    if let Some(file) = &a.batch {
        let code = batch(&mut k, file, a.max_bytes)?;
        if a.stats {
            report(&k, load, t.elapsed());
        }
        return Ok(if k.ctx.jets.mismatches > 0 { 1 } else { code });
    }
    let hoon = match a.hoon.as_deref() {
        Some("-") => read_text("-")?,
        h => h.unwrap_or_default().to_string(),
    };
    // A trailing newline (`echo ... | mars wish -`) is not part of the expression.
    let mut product = match k.wish(hoon.trim_end()) {
        Ok(p) => p,
        Err(e) => return Ok(bail(&mut k, e)),
    };
    let sample = match (&a.slam, &a.slam_hex, &a.slam_jam) {
        (Some(t), _, _) => Some(parse_noun(&mut k.ctx.stack, t).map_err(|e| e.to_string())?),
        (_, Some(h), _) => Some(cue_exact(&mut k.ctx.stack, &decode_hex(h)?)?),
        (_, _, Some(f)) => {
            Some(cue_exact(&mut k.ctx.stack, &read_file(f)?).map_err(|e| format!("{f}: {e}"))?)
        }
        _ => None,
    };
    if let Some(s) = sample {
        product = match slam(&mut k.ctx, product, s) {
            Ok(p) => p,
            Err(e) => return Ok(bail(&mut k, e)),
        };
    }
    let eval = t.elapsed();
    let cut = super::out::noun_line("wish", product, a.max_bytes)?;
    if a.stats {
        report(&k, load, eval);
    }
    Ok(if k.ctx.jets.mismatches > 0 || cut {
        1
    } else {
        0
    })
}

fn report(k: &Kernel, load: std::time::Duration, eval: std::time::Duration) {
    let ctx = &k.ctx;
    eprintln!(
        "load {:.1} ms (cue + lifecycle, {} cores registered); evaluate {:.3} ms; ops {}; jets {}; \
         collections {} ({} major), {} MiB copied; memo hits {}",
        load.as_secs_f64() * 1e3,
        ctx.jets.registered(),
        eval.as_secs_f64() * 1e3,
        ctx.stats.ops,
        ctx.stats.jet_hits,
        ctx.stats.collections,
        ctx.stats.major_collections,
        ctx.stack.copied_words >> 17,
        ctx.stats.memo_jet_hits,
    );
    for line in ctx.mass_lines() {
        eprintln!("mass: {line}");
    }
    for line in ctx.jets.report() {
        eprintln!("{line}");
    }
}

/// `--batch`: evaluate each non-blank line of `file` and print one line per expression. Each expression runs in a
/// frame of its own, freed after its line is printed (with whatever it registered), so memory does not grow with the
/// number of lines. Exit status 1 if any expression bailed.
fn batch(k: &mut Kernel, file: &str, max_bytes: usize) -> Result<i32, String> {
    let text = read_text(file)?;
    let mut out = std::io::stdout().lock();
    let mut code = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let before = k.ctx.stack.checkpoint();
        k.ctx
            .stack
            .push_frame()
            .map_err(|_| "the NockStack is full".to_string())?;
        let shown = match k.wish(line) {
            Ok(p) => {
                let (text, cut) = super::out::noun_text(p, max_bytes);
                if cut {
                    super::out::cut_note("wish", p, max_bytes);
                    code = 1;
                }
                text
            }
            Err(e) => {
                code = 1;
                format!("bail: {}", e.mote)
            }
        };
        // Through the context, so that the dashboard forgets registrations in the freed frame.
        k.ctx.restore(before);
        writeln!(out, "{shown}").map_err(super::out::stdout_error)?;
    }
    out.flush().map_err(super::out::stdout_error)?;
    Ok(code)
}

/// The text of `file`, or of stdin for `-`.
fn read_text(file: &str) -> Result<String, String> {
    String::from_utf8(read_file(file)?).map_err(|_| format!("{file}: not UTF-8 text"))
}

/// Report a failure as `urbit eval` does: the rendered trace, then `bail: %MOTE`. Exit status 1.
fn bail(k: &mut Kernel, e: crate::interpreter::Error) -> i32 {
    for line in k.failure_lines(e) {
        eprintln!("{line}");
    }
    eprintln!("bail: {}", e.mote);
    1
}
