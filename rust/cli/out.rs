//! The tools' standard output. A reader that goes away (EPIPE, as under `mars log PIER | head -1`) ends the command
//! quietly with status 0, as for any Unix filter; every other write error is reported.

use crate::noun::Noun;
use crate::text::{print_bounded, Print};
use std::fmt;
use std::io::{ErrorKind, Write};

/// The error text that means "standard output's reader is gone": [`super::main`] exits 0 without a message.
pub const READER_GONE: &str = "standard output's reader went away";

/// A failed write to standard output as a command error.
pub fn stdout_error(e: std::io::Error) -> String {
    if e.kind() == ErrorKind::BrokenPipe {
        READER_GONE.to_string()
    } else {
        format!("writing stdout: {e}")
    }
}

/// Write one line to standard output.
pub fn line(args: fmt::Arguments) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{args}").map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// Default of `--max-bytes`: the most of a noun the tools print. A noun shares subtrees and prints them each time:
/// printed out, a pill or a kernel is gigabytes.
pub const NOUN_BYTES: usize = 1 << 20;

/// A noun as text, cut after `max` bytes (0: no limit; then it may be very long); `...` ends a noun that was cut.
pub fn noun_text(n: Noun, max: usize) -> (String, bool) {
    if max == 0 {
        return (Print(n).to_string(), false);
    }
    let text = print_bounded(n, max);
    let cut = text.len() > max;
    (text, cut)
}

/// Print a noun as one line, at most `max` bytes of it (0: all of it, streamed). Returns whether it was cut, after
/// saying so on stderr (how large it is, and how to see all of it).
pub fn noun_line(cmd: &str, n: Noun, max: usize) -> Result<bool, String> {
    if max == 0 {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        writeln!(out, "{}", Print(n)).map_err(stdout_error)?;
        out.flush().map_err(stdout_error)?;
        return Ok(false);
    }
    let (text, cut) = noun_text(n, max);
    line(format_args!("{text}"))?;
    if cut {
        cut_note(cmd, n, max);
    }
    Ok(cut)
}

/// The note on stderr for a noun cut after `max` bytes.
pub fn cut_note(cmd: &str, n: Noun, max: usize) {
    let s = super::noun_tools::summarize(n);
    eprintln!(
        "mars: {cmd}: output cut after {max} bytes; the noun prints longer ({} cells, {} atoms when shared subtrees \
         are counted once; `mars cue --summary` of its jam says more): give --max-bytes 0 for all of it",
        s.cells, s.atoms
    );
}

/// [`line`] with `format!` syntax.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
