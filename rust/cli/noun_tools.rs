//! `mars mug`, `mars jam`, `mars cue`: make nouns visible.

use super::input::{cue_exact, decode_hex, encode_hex, read_file, NounInput};
use super::out::{noun_line, NOUN_BYTES};
use crate::noun::Noun;
use crate::serial::jam_to_bytes;
use crate::stack::{NockStack, DEFAULT_STACK_BYTES};
use clap::Args;
use std::collections::HashSet;
use std::io::Write;

#[derive(Args)]
pub struct MugArgs {
    #[command(flatten)]
    input: NounInput,
}

#[derive(Args)]
pub struct JamArgs {
    #[command(flatten)]
    input: NounInput,
}

#[derive(Args)]
pub struct CueArgs {
    /// Jam file to decode, or - for stdin.
    #[arg(
        allow_hyphen_values = true,
        required_unless_present = "hex",
        conflicts_with = "hex"
    )]
    file: Option<String>,
    /// Jam bytes in hex instead of a file.
    #[arg(long, value_name = "HEX")]
    hex: Option<String>,
    /// Print counts, byte size and mug instead of the noun.
    #[arg(long)]
    summary: bool,
    /// Print at most this many bytes of the noun (0: no limit); a noun that prints longer is cut, with a note on
    /// stderr and exit status 1. Jams of big shared nouns print many times their size (a pill prints gigabytes).
    #[arg(long, value_name = "BYTES", default_value_t = NOUN_BYTES)]
    max_bytes: usize,
}

pub(crate) fn new_stack() -> Result<NockStack, String> {
    NockStack::new(DEFAULT_STACK_BYTES).map_err(|e| format!("cannot reserve the NockStack: {e}"))
}

fn print_line(s: std::fmt::Arguments) -> Result<i32, String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").map_err(super::out::stdout_error)?;
    Ok(0)
}

pub fn mug(args: MugArgs) -> Result<i32, String> {
    let mut stack = new_stack()?;
    let n = args.input.read(&mut stack)?;
    print_line(format_args!("{}", crate::mug::mug(n)))
}

pub fn jam(args: JamArgs) -> Result<i32, String> {
    let mut stack = new_stack()?;
    let n = args.input.read(&mut stack)?;
    print_line(format_args!("{}", encode_hex(&jam_to_bytes(n))))
}

pub fn cue(args: CueArgs) -> Result<i32, String> {
    let bytes = match (&args.file, &args.hex) {
        (Some(f), None) => read_file(f)?,
        (None, Some(h)) => decode_hex(h)?,
        _ => return Err("give a FILE or --hex HEX".into()),
    };
    let mut stack = new_stack()?;
    let n = cue_exact(&mut stack, &bytes).map_err(|e| match &args.file {
        Some(f) if f != "-" => format!("{f}: {e}"),
        _ => e,
    })?;
    if args.summary {
        let s = summarize(n);
        print_line(format_args!(
            "cells {} atoms {} bytes {} mug 0x{:08x}",
            s.cells,
            s.atoms,
            bytes.len(),
            crate::mug::mug(n)
        ))
    } else {
        let cut = noun_line("cue", n, args.max_bytes)?;
        Ok(if cut { 1 } else { 0 })
    }
}

/// Counts of distinct objects in a noun (shared subtrees counted once; direct atoms counted per occurrence).
pub struct Summary {
    pub cells: u64,
    pub atoms: u64,
}

pub fn summarize(n: Noun) -> Summary {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut s = Summary { cells: 0, atoms: 0 };
    let mut todo = vec![n];
    while let Some(x) = todo.pop() {
        if x.is_allocated() && !seen.insert(x.raw()) {
            continue;
        }
        match x.as_cell() {
            Some(c) => {
                s.cells += 1;
                todo.push(c.tail());
                todo.push(c.head());
            }
            None => s.atoms += 1,
        }
    }
    s
}
