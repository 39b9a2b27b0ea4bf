//! Read a pier's event log and print a summary:
//! `eventlog_read <pier> [--report] [--no-verify] [--no-lock]`.
//!
//! Opens read-only (with the structural walk unless `--no-verify`, which
//! leaves a damaged file to LMDB alone: that can crash), prints the walk's
//! report with `--report`, then reads every event, checking contiguity.
//! `--no-lock` opens without LMDB's lock file, writing nothing anywhere (for
//! a log no process is writing, e.g. a read-only fixture). Exit status 0 if the log reads cleanly,
//! 1 with the error on standard error otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mars::eventlog::{log_dir, EventLog, LogError, OpenOptions};

fn run(pier: &Path, report: bool, verify: bool, no_lock: bool) -> Result<(), LogError> {
    let options = OpenOptions {
        verify,
        no_lock,
        ..OpenOptions::default()
    };
    let log = EventLog::open_dir(&log_dir(pier), options)?;
    if report {
        let report = log.verify()?;
        println!("structure: {report:?}");
    }
    let meta = log.meta();
    println!(
        "meta: version {} who {:#x} fake {} life {}",
        meta.version, meta.who, meta.fake, meta.life
    );
    let mut count = 0u64;
    let mut bytes = 0u64;
    for event in log.iter()? {
        let event = event?;
        count += 1;
        bytes += event.jam.len() as u64;
    }
    println!(
        "events: {count} ({:?}..={:?}), {bytes} jam bytes",
        log.first()?,
        log.last()?
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(pier) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: eventlog_read <pier> [--report] [--no-verify] [--no-lock]");
        return ExitCode::from(2);
    };
    let report = args.iter().any(|a| a == "--report");
    let verify = !args.iter().any(|a| a == "--no-verify");
    let no_lock = args.iter().any(|a| a == "--no-lock");
    match run(&PathBuf::from(pier), report, verify, no_lock) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
