//! The argv of the P2 subcommands `boot` and `work` (king-protocol.md §1.3): GNU long options, each followed by its
//! value as a separate argument, in any order. `--snap-dir` is required; the others default to what Vere's king
//! passes. An option the subcommand does not take, a repeated option or a missing value is a usage error.

use super::args::MAX_LOOM_BITS;
use std::fmt;
use std::path::PathBuf;

/// A usage error: what is wrong, then the subcommand's usage line.
#[derive(Debug, PartialEq, Eq)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which P2 subcommand.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `boot`: read one `[%boot pill vent more]` frame, make the pier, exit 0.
    Boot,
    /// `work`: replay the log, then serve the king.
    Work,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Boot => "boot",
            Mode::Work => "work",
        }
    }
}

/// Runtime flags with their P2 meanings (§1.2); bits 0–8 mean what they meant in P1.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct P2Flags(pub u32);

impl P2Flags {
    pub const VERBOSE: u32 = 16;
    pub const DRY_RUN: u32 = 32;
    pub const QUIET: u32 = 64;
    pub const TRACE: u32 = 256;
    pub const NO_DEMAND: u32 = 512;
    pub const AUTO_MELD: u32 = 1024;
    pub const SOFT_MUGS: u32 = 2048;
    pub const SWAP: u32 = 4096;
    pub const TOSS: u32 = 8192;
    pub const GC_ABORT: u32 = 16384;
    pub const YOLO: u32 = 32768;

    pub fn verbose(self) -> bool {
        self.0 & Self::VERBOSE != 0
    }
    pub fn dry_run(self) -> bool {
        self.0 & Self::DRY_RUN != 0
    }
    pub fn quiet(self) -> bool {
        self.0 & Self::QUIET != 0
    }
    pub fn trace(self) -> bool {
        self.0 & Self::TRACE != 0
    }
    pub fn soft_mugs(self) -> bool {
        self.0 & Self::SOFT_MUGS != 0
    }
    pub fn yolo(self) -> bool {
        self.0 & Self::YOLO != 0
    }
    /// The same bits as P1 [`super::Flags`] where the meanings agree (bits 0–8); P2-only bits are dropped.
    pub fn p1(self) -> super::Flags {
        super::Flags(self.0 & 0x1ff)
    }
}

/// Parsed `boot`/`work` arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2Args {
    pub mode: Mode,
    /// `--snap-dir`: the pier.
    pub pier: PathBuf,
    pub flags: P2Flags,
    /// `--temporary-cache-size`: entries of one computation's `%memo` cache.
    pub cache_size: u32,
    /// `--persistent-cache-size`: entries of the `%memo` cache kept across events.
    pub persistent_cache_size: u32,
    pub loom_bits: u8,
    /// `--toss` (accepted, unused).
    pub toss: u32,
    /// `--lmdb-map-size` in bytes.
    pub map_size: usize,
    /// `--snap-time`: seconds between snapshots (`work` only; 0 = never on a timer).
    pub snap_time: u64,
    /// `--play-until`: stop replay after this event and exit (`work` only).
    pub play_until: Option<u64>,
    /// `--ephemeral-file` (accepted; `0` means none).
    pub ephemeral_file: Option<PathBuf>,
    /// `--win-intr-handle` (`work` only; accepted, unused).
    pub win_intr_handle: Option<u64>,
}

/// The LMDB map size Vere's king passes by default: 1 TiB.
pub const DEFAULT_MAP_SIZE: usize = crate::eventlog::MAP_SIZE;

fn usage(mode: Mode) -> String {
    let extra = match mode {
        Mode::Boot => "",
        Mode::Work => " --snap-time <seconds> [--play-until <event>] [--win-intr-handle <h>]",
    };
    format!(
        "usage: mars {} --snap-dir <pier> [--runtime-config <flags>] [--temporary-cache-size <n>] [--loom <bits>] \
         [--toss <n>] [--persistent-cache-size <n>]{extra} [--lmdb-map-size <bytes>] [--ephemeral-file <path>]",
        mode.name()
    )
}

fn bad(mode: Mode, msg: String) -> ArgError {
    ArgError(format!("{msg}\r\n{}", usage(mode)))
}

/// Parse a decimal (or `0x` hexadecimal) number.
fn number<T: TryFrom<u128>>(mode: Mode, opt: &str, s: &str) -> Result<T, ArgError> {
    let v = if let Some(hex) = s.strip_prefix("0x") {
        u128::from_str_radix(hex, 16).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u128>().ok()
    } else {
        None
    };
    let v = v.ok_or_else(|| bad(mode, format!("{opt}: expected a number, got {s:?}")))?;
    T::try_from(v).map_err(|_| bad(mode, format!("{opt}: {s} is out of range")))
}

/// Parse the arguments after `boot` or `work` (argv[2..]).
pub fn parse(mode: Mode, args: &[String]) -> Result<P2Args, ArgError> {
    let mut a = P2Args {
        mode,
        pier: PathBuf::new(),
        flags: P2Flags(0),
        cache_size: 50_000,
        persistent_cache_size: 50_000,
        loom_bits: 31,
        toss: 0,
        map_size: DEFAULT_MAP_SIZE,
        snap_time: 120,
        play_until: None,
        ephemeral_file: None,
        win_intr_handle: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut pier = None;
    let mut it = args.iter();
    while let Some(opt) = it.next() {
        let opt = opt.as_str();
        let known = matches!(
            opt,
            "--snap-dir"
                | "--runtime-config"
                | "--temporary-cache-size"
                | "--loom"
                | "--toss"
                | "--persistent-cache-size"
                | "--lmdb-map-size"
                | "--ephemeral-file"
        ) || (mode == Mode::Work
            && matches!(opt, "--snap-time" | "--play-until" | "--win-intr-handle"));
        if !known {
            return Err(bad(
                mode,
                if opt.starts_with("--") {
                    format!("unknown option {opt:?} for `mars {}`", mode.name())
                } else {
                    format!("unexpected argument {opt:?}: every argument is an option with a value")
                },
            ));
        }
        if seen.contains(&opt) {
            return Err(bad(mode, format!("{opt} given twice")));
        }
        seen.push(opt);
        let val = it
            .next()
            .ok_or_else(|| bad(mode, format!("{opt} needs a value")))?
            .as_str();
        match opt {
            "--snap-dir" => {
                if val.is_empty() {
                    return Err(bad(mode, "--snap-dir: empty path".into()));
                }
                pier = Some(PathBuf::from(val));
            }
            "--runtime-config" => a.flags = P2Flags(number(mode, opt, val)?),
            "--temporary-cache-size" => a.cache_size = number(mode, opt, val)?,
            "--persistent-cache-size" => a.persistent_cache_size = number(mode, opt, val)?,
            "--loom" => {
                let bits: u8 = number(mode, opt, val)?;
                if !(20..=MAX_LOOM_BITS).contains(&bits) {
                    return Err(bad(
                        mode,
                        format!("--loom: {bits} is outside 20..={MAX_LOOM_BITS}"),
                    ));
                }
                a.loom_bits = bits;
            }
            "--toss" => a.toss = number(mode, opt, val)?,
            "--lmdb-map-size" => {
                let size: usize = number(mode, opt, val)?;
                if size < 1 << 20 {
                    return Err(bad(
                        mode,
                        format!("--lmdb-map-size: {size} bytes is too small"),
                    ));
                }
                a.map_size = size;
            }
            "--ephemeral-file" => {
                a.ephemeral_file = (val != "0").then(|| PathBuf::from(val));
            }
            "--snap-time" => a.snap_time = number(mode, opt, val)?,
            "--play-until" => {
                let n: u64 = number(mode, opt, val)?;
                // Vere's king passes 0 for "no limit".
                a.play_until = (n != 0).then_some(n);
            }
            "--win-intr-handle" => a.win_intr_handle = Some(number(mode, opt, val)?),
            _ => unreachable!("checked above"),
        }
    }
    a.pier = pier.ok_or_else(|| bad(mode, "--snap-dir <pier> is required".into()))?;
    Ok(a)
}

/// Whether `argv` (without the program name) is a P2 serf invocation: `boot` or `work` with `--snap-dir` somewhere
/// after it. mars's own king-side `mars boot` never takes `--snap-dir`.
pub fn is_p2(argv: &[String]) -> Option<Mode> {
    let mode = match argv.first().map(String::as_str) {
        Some("boot") => Mode::Boot,
        Some("work") => Mode::Work,
        _ => return None,
    };
    argv[1..].iter().any(|a| a == "--snap-dir").then_some(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_kings_argv() {
        let a = parse(
            Mode::Work,
            &v(&[
                "--snap-dir",
                "./zod",
                "--runtime-config",
                "2192",
                "--temporary-cache-size",
                "50000",
                "--loom",
                "31",
                "--toss",
                "0",
                "--persistent-cache-size",
                "50000",
                "--snap-time",
                "120",
                "--lmdb-map-size",
                "1099511627776",
                "--play-until",
                "0",
                "--ephemeral-file",
                "0",
            ]),
        )
        .unwrap();
        assert_eq!(a.pier, PathBuf::from("./zod"));
        assert!(a.flags.verbose() && a.flags.soft_mugs());
        assert_eq!((a.loom_bits, a.snap_time, a.play_until), (31, 120, None));
        assert_eq!(a.map_size, 0x100_0000_0000);
        assert_eq!(a.ephemeral_file, None);
        let b = parse(
            Mode::Boot,
            &v(&[
                "--snap-dir",
                "p",
                "--lmdb-map-size",
                "0xf00000000",
                "--ephemeral-file",
                "/tmp/e",
            ]),
        )
        .unwrap();
        assert_eq!(b.map_size, 0xf_0000_0000);
        assert_eq!(b.ephemeral_file, Some(PathBuf::from("/tmp/e")));
        let c = parse(Mode::Work, &v(&["--snap-dir", "p", "--play-until", "20"])).unwrap();
        assert_eq!(c.play_until, Some(20));
    }

    #[test]
    fn bad_argv_is_explained() {
        for (mode, args, needle) in [
            (
                Mode::Work,
                vec!["--loom", "31"],
                "--snap-dir <pier> is required",
            ),
            (
                Mode::Work,
                vec!["--snap-dir", "p", "--frob", "1"],
                "unknown option \"--frob\"",
            ),
            (
                Mode::Boot,
                vec!["--snap-dir", "p", "--snap-time", "5"],
                "unknown option \"--snap-time\" for `mars boot`",
            ),
            (
                Mode::Boot,
                vec!["--snap-dir", "p", "--play-until", "5"],
                "unknown option",
            ),
            (Mode::Work, vec!["--snap-dir"], "--snap-dir needs a value"),
            (
                Mode::Work,
                vec!["--snap-dir", "p", "--snap-dir", "q"],
                "given twice",
            ),
            (
                Mode::Work,
                vec!["--snap-dir", "p", "--loom", "99"],
                "outside",
            ),
            (
                Mode::Work,
                vec!["--snap-dir", "p", "--loom", "x"],
                "expected a number",
            ),
            (
                Mode::Work,
                vec!["--snap-dir", "p", "stray"],
                "unexpected argument",
            ),
            (
                Mode::Work,
                vec!["--snap-dir", "p", "--toss", "99999999999"],
                "out of range",
            ),
        ] {
            let e = parse(mode, &v(&args)).unwrap_err().to_string();
            assert!(e.contains(needle), "{args:?}: {e:?}");
            assert!(e.contains("usage: mars"), "{e:?}");
        }
    }

    #[test]
    fn p2_is_told_from_the_king_side_boot_by_snap_dir() {
        assert_eq!(is_p2(&v(&["boot", "--snap-dir", "p"])), Some(Mode::Boot));
        assert_eq!(
            is_p2(&v(&["work", "--loom", "31", "--snap-dir", "p"])),
            Some(Mode::Work)
        );
        assert_eq!(is_p2(&v(&["boot", "--pier", "p", "pill"])), None);
        assert_eq!(is_p2(&v(&["boot"])), None);
        assert_eq!(is_p2(&v(&["serf", "--snap-dir"])), None);
    }
}
