//! The tools' standard output. A reader that goes away (EPIPE, as under `mars log PIER | head -1`) ends the command
//! quietly with status 0, as for any Unix filter; every other write error is reported.

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

/// [`line`] with `format!` syntax.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
