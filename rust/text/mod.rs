//! Noun text: the syntax the CLI reads (decimal with `.` separators, `0x` hex, `'cord'`, `%term`, `~`, `[a b c]`) and
//! the canonical form it prints (decimal atoms, right-nested cells flattened, one line).

mod parse;
mod print;
pub mod urbit;

pub use parse::{parse_noun, ParseError};
pub use print::{print_bounded, Print};
