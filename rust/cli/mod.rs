//! The `mars` command line: the serf entry point and the debugging tools.

mod boot;
mod eval;
mod input;
mod log;
mod noun_tools;
mod out;
mod play;
mod pma;
mod wish;

use clap::{Parser, Subcommand};

pub use input::{NounInput, NounSource};

/// Exit status for bad input or usage.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser)]
#[command(
    name = "mars",
    version,
    about = "A Nock runtime that runs as Urbit's serf"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the mug of a noun (decimal).
    Mug(noun_tools::MugArgs),
    /// Print the jam of a noun as lowercase hex of its little-endian bytes.
    Jam(noun_tools::JamArgs),
    /// Decode a jam file and print the noun (or a summary).
    Cue(noun_tools::CueArgs),
    /// Evaluate a Nock formula against a subject.
    Eval(eval::EvalArgs),
    /// List the events and metadata of a pier's event log.
    Log(log::LogArgs),
    /// Replay a pier's event log, checking every stored mug.
    Play(play::PlayArgs),
    /// Inspect, check or collect a pier's persistent arena.
    Pma(pma::PmaArgs),
    /// Compile and evaluate Hoon with the ivory kernel's +wish (optionally slamming the gate).
    Wish(wish::WishArgs),
    /// Run as Urbit's serf: `mars serf <pier> <key> <flags> <cache-size> <loom-bits> <at-event> [win-handle]`
    /// (spawned by the king; speaks the newt protocol on stdin/stdout).
    Serf(SerfCmd),
    /// Boot a pill through the test king and a real `mars serf`, with a progress line per phase and per event.
    /// (`mars boot --snap-dir PIER ...` is instead the P2 serf that Vere 4.x spawns; so is `mars work --snap-dir`.)
    Boot(boot::BootArgs),
    /// Write the project's own test pill.
    MakePill(boot::MakePillArgs),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Trivial `%work` events through the real pipes to a `mars serf` running the own pill.
    Serf(boot::BenchArgs),
}

#[derive(clap::Args)]
struct SerfCmd {
    /// The king's positional arguments, validated by the serf itself.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true, num_args = 0..)]
    args: Vec<String>,
}

/// Run the CLI; returns the process exit status.
pub fn main() -> i32 {
    // Vere 4.x spawns its serf as `<bin> boot --snap-dir ...` / `<bin> work --snap-dir ...` (king-protocol.md §1.3).
    // mars's own king-side `mars boot` never takes `--snap-dir`, so that option tells the two apart, before clap.
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(mode) = crate::serf::args_p2::is_p2(&argv) {
        return crate::serf::main_p2(mode, &argv[1..]);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Mug(a) => noun_tools::mug(a),
        Command::Jam(a) => noun_tools::jam(a),
        Command::Cue(a) => noun_tools::cue(a),
        Command::Eval(a) => eval::eval(a),
        Command::Log(a) => log::log(a),
        Command::Play(a) => play::play(a),
        Command::Pma(a) => pma::pma(a),
        Command::Wish(a) => wish::wish(a),
        Command::Serf(a) => return crate::serf::main(&a.args),
        Command::Boot(a) => boot::boot(a),
        Command::MakePill(a) => boot::make_pill(a),
        Command::Bench {
            which: BenchCmd::Serf(a),
        } => boot::bench(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if e == out::READER_GONE => 0,
        Err(e) => {
            eprintln!("mars: {e}");
            EXIT_USAGE
        }
    }
}
