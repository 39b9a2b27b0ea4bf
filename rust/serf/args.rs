//! The serf's argv (king-protocol.md §1.1) and runtime flags (§1.2).

use std::fmt;
use std::path::PathBuf;

/// Largest NockStack the serf reserves (64 GiB of address space; memory is only committed as it is used).
pub const MAX_LOOM_BITS: u8 = 36;

/// Flag bits the serf acts on; the others are accepted and ignored.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u32);

impl Flags {
    pub const DEBUG_RAM: u32 = 1;
    pub const DEBUG_CPU: u32 = 2;
    pub const CHECK_CORRUPT: u32 = 4;
    pub const CHECK_FATAL: u32 = 8;
    pub const VERBOSE: u32 = 16;
    pub const DRY_RUN: u32 = 32;
    pub const QUIET: u32 = 64;
    pub const HASHLESS: u32 = 128;
    pub const TRACE: u32 = 256;
    pub const AUTO_MELD: u32 = 512;

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
}

/// Parsed `mars serf` arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerfArgs {
    pub pier: PathBuf,
    /// The disk key (always zero from the king; unused).
    pub key: [u64; 4],
    pub flags: Flags,
    /// Memo cache size in entries.
    pub cache_size: u32,
    /// NockStack size as a power of two in bytes.
    pub loom_bits: u8,
    /// Restore from the rock `.urb/roc/<N>.jam` if non-zero.
    pub at_event: u64,
    /// Windows interrupt handle (accepted, unused).
    pub win_handle: Option<u64>,
}

/// A usage error, reported as `mars serf: <message>`.
#[derive(Debug, PartialEq, Eq)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\r\nusage: mars serf <pier> <key> <flags> <cache-size> <loom-bits> <at-event> [win-handle]",
            self.0
        )
    }
}

fn decimal<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, ArgError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArgError(format!(
            "{what}: expected a decimal number, got {s:?}"
        )));
    }
    s.parse::<T>()
        .map_err(|_| ArgError(format!("{what}: {s:?} is out of range")))
}

fn key(s: &str) -> Result<[u64; 4], ArgError> {
    let parts: Vec<&str> = s.split(':').collect();
    let bad = || ArgError(format!("key: expected four hex numbers a:b:c:d, got {s:?}"));
    if parts.len() != 4 {
        return Err(bad());
    }
    let mut k = [0u64; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 16 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        k[i] = u64::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    Ok(k)
}

/// Parse the arguments after `serf` (argv[2..]).
pub fn parse(args: &[String]) -> Result<SerfArgs, ArgError> {
    if args.len() < 6 {
        return Err(ArgError(format!(
            "expected at least 6 arguments, got {}",
            args.len()
        )));
    }
    if args.len() > 7 {
        return Err(ArgError(format!(
            "expected at most 7 arguments, got {}",
            args.len()
        )));
    }
    if args[0].is_empty() {
        return Err(ArgError("pier: empty path".into()));
    }
    let loom_bits: u8 = decimal("loom-bits", &args[4])?;
    if !(20..=MAX_LOOM_BITS).contains(&loom_bits) {
        return Err(ArgError(format!(
            "loom-bits: {loom_bits} is outside 20..={MAX_LOOM_BITS}"
        )));
    }
    Ok(SerfArgs {
        pier: PathBuf::from(&args[0]),
        key: key(&args[1])?,
        flags: Flags(decimal("flags", &args[2])?),
        cache_size: decimal("cache-size", &args[3])?,
        loom_bits,
        at_event: decimal("at-event", &args[5])?,
        win_handle: match args.get(6) {
            Some(h) => Some(decimal("win-handle", h)?),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn king_argv() {
        let a = parse(&v(&["./zod", "0:0:0:0", "144", "50000", "31", "0"])).unwrap();
        assert_eq!(a.pier, PathBuf::from("./zod"));
        assert!(a.flags.verbose());
        assert!(!a.flags.quiet());
        assert_eq!(a.cache_size, 50000);
        assert_eq!(a.loom_bits, 31);
        assert_eq!(a.at_event, 0);
        assert_eq!(a.win_handle, None);
        let a = parse(&v(&["z", "a:b:ff:0", "96", "0", "20", "13", "7"])).unwrap();
        assert_eq!(a.key, [10, 11, 255, 0]);
        assert!(a.flags.dry_run() && a.flags.quiet());
        assert_eq!(a.at_event, 13);
        assert_eq!(a.win_handle, Some(7));
    }

    #[test]
    fn bad_argv() {
        assert!(parse(&v(&["z", "0:0:0:0", "0", "0", "31"])).is_err());
        assert!(parse(&v(&["z", "0:0:0", "0", "0", "31", "0"])).is_err());
        assert!(parse(&v(&["z", "0:0:0:x", "0", "0", "31", "0"])).is_err());
        assert!(parse(&v(&["z", "0:0:0:0", "-1", "0", "31", "0"])).is_err());
        assert!(parse(&v(&["z", "0:0:0:0", "0", "0", "37", "0"])).is_err());
        assert!(parse(&v(&["z", "0:0:0:0", "0", "0", "19", "0"])).is_err());
        assert!(parse(&v(&["z", "0:0:0:0", "0", "99999999999", "31", "0"])).is_err());
        assert!(parse(&v(&["z", "0:0:0:0", "0", "0", "31", "0", "1", "2"])).is_err());
        assert!(parse(&v(&["", "0:0:0:0", "0", "0", "31", "0"])).is_err());
    }
}
