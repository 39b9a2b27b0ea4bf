//! `mars pma inspect|check|gc PIER`: look inside a pier's persistent arena.

use super::out::outln;
use crate::pma::{Pma, PmaOptions};
use crate::snapshot::{collect_offline, PmaSnapshot};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args)]
pub struct PmaArgs {
    #[command(subcommand)]
    which: PmaCmd,
}

#[derive(Subcommand)]
enum PmaCmd {
    /// Superblocks, generation, event, mug, sizes, free space and the WAL, without mapping or locking the arena.
    Inspect { pier: PathBuf },
    /// Open the arena and validate every allocator invariant; exit 1 with the first error if any fails.
    Check { pier: PathBuf },
    /// Mark from the saved state, sweep, commit, and report what was reclaimed.
    Gc { pier: PathBuf },
}

pub fn pma(a: PmaArgs) -> Result<i32, String> {
    match a.which {
        PmaCmd::Inspect { pier } => {
            let dir = PmaSnapshot::new(&pier, true).dir().to_path_buf();
            let report = Pma::inspect(&dir).map_err(|e| e.to_string())?;
            outln!("{report}")?;
            Ok(0)
        }
        PmaCmd::Check { pier } => {
            let dir = PmaSnapshot::new(&pier, true).dir().to_path_buf();
            if !dir.join("pma.img").exists() {
                return Err(format!("{}: no persistent arena here", dir.display()));
            }
            let mut pma = Pma::open(&dir, &PmaOptions::default()).map_err(|error| {
                crate::snapshot::SnapshotError::Arena {
                    dir: dir.clone(),
                    error,
                }
                .to_string()
            })?;
            let r = pma.check();
            // What the serf checks before it starts from the arena's state.
            let state = PmaSnapshot::validate(&pma);
            let s = pma.stats();
            outln!(
                "check {}: {} pages, {} blocks, {} errors; {} bytes in use in {} blocks, generation {}",
                dir.display(),
                r.pages_checked,
                r.blocks,
                r.errors,
                s.bytes_in_use,
                s.blocks_in_use,
                s.generation
            )?;
            match &state {
                Ok(Some(st)) => outln!("state: event {} mug {:#010x}", st.event, st.mug)?,
                Ok(None) => outln!("state: none (a fresh arena)")?,
                Err(why) => outln!("state: bad: {why}")?,
            }
            if !r.is_clean() {
                outln!("first error: {}", r.first_error)?;
            }
            if r.is_clean() && state.is_ok() {
                Ok(0)
            } else {
                outln!(
                    "to recover (the event log is not affected): move {} aside and rebuild it \
                     with `mars play {}`",
                    dir.display(),
                    pier.display()
                )?;
                Ok(1)
            }
        }
        PmaCmd::Gc { pier } => {
            let dir = PmaSnapshot::new(&pier, true).dir().to_path_buf();
            if !dir.join("pma.img").exists() {
                return Err(format!("{}: no persistent arena here", dir.display()));
            }
            let s = collect_offline(&pier)?;
            outln!(
                "gc: freed {} blocks ({} bytes); live {} blocks ({} bytes); {} pages released; {:.1} ms",
                s.blocks_freed,
                s.bytes_freed,
                s.blocks_live,
                s.bytes_live,
                s.pages_released,
                s.nanos as f64 / 1e6
            )?;
            Ok(0)
        }
    }
}
