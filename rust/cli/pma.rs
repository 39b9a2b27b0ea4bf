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
            let mut pma = Pma::open(&dir, &PmaOptions::default()).map_err(|e| e.to_string())?;
            let r = pma.check();
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
            if r.is_clean() {
                Ok(0)
            } else {
                outln!("first error: {}", r.first_error)?;
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
