//! How commands take a noun: as text, as jam hex, from a jam file, or as text on stdin.

use crate::noun::{Alloc, Noun};
use crate::serial::cue_bytes_end;
use crate::text::parse_noun;
use clap::Args;
use std::io::Read;

/// Where a noun comes from.
pub enum NounSource {
    Text(String),
    Hex(String),
    JamFile(String),
    Stdin,
}

/// The standard noun arguments: `NOUN`, `-` (text on stdin), `--hex HEX` or `--jam FILE`.
#[derive(Args, Debug, Clone)]
pub struct NounInput {
    /// Noun text (decimal, 0x hex, 'cord', %term, ~, [a b c]), or - to read noun text from stdin.
    #[arg(allow_hyphen_values = true)]
    pub noun: Option<String>,
    /// The noun as jam bytes in hex (little-endian bytes, as `mars jam` prints them).
    #[arg(long, value_name = "HEX", conflicts_with_all = ["noun", "jam"])]
    pub hex: Option<String>,
    /// A file holding the noun's jam.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["noun", "hex"])]
    pub jam: Option<String>,
}

impl NounInput {
    pub fn source(&self) -> Result<NounSource, String> {
        match (&self.noun, &self.hex, &self.jam) {
            (Some(t), None, None) if t == "-" => Ok(NounSource::Stdin),
            (Some(t), None, None) => Ok(NounSource::Text(t.clone())),
            (None, Some(h), None) => Ok(NounSource::Hex(h.clone())),
            (None, None, Some(f)) => Ok(NounSource::JamFile(f.clone())),
            _ => Err("give a noun: NOUN, -, --hex HEX or --jam FILE".into()),
        }
    }

    /// Read the noun into `alloc`.
    pub fn read<A: Alloc + ?Sized>(&self, alloc: &mut A) -> Result<Noun, String> {
        self.source()?.read(alloc)
    }
}

impl NounSource {
    pub fn read<A: Alloc + ?Sized>(&self, alloc: &mut A) -> Result<Noun, String> {
        match self {
            NounSource::Text(t) => parse_noun(alloc, t).map_err(|e| e.to_string()),
            NounSource::Stdin => {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| format!("reading stdin: {e}"))?;
                parse_noun(alloc, &s).map_err(|e| e.to_string())
            }
            NounSource::Hex(h) => {
                let bytes = decode_hex(h)?;
                cue_exact(alloc, &bytes)
            }
            NounSource::JamFile(f) => {
                let bytes = read_file(f)?;
                cue_exact(alloc, &bytes).map_err(|e| format!("{f}: {e}"))
            }
        }
    }
}

/// Decode a jam given as bytes, refusing bytes after its end (Hoon's `+cue` ignores them, but in a file they mean
/// it is not a jam, or not only one). Zero bytes at the end are the atom's padding and are allowed.
pub fn cue_exact<A: Alloc + ?Sized>(alloc: &mut A, bytes: &[u8]) -> Result<Noun, String> {
    let (noun, end) = cue_bytes_end(alloc, bytes).map_err(|e| e.to_string())?;
    let len = match bytes.iter().rposition(|b| *b != 0) {
        Some(i) => i as u64 * 8 + (8 - u64::from(bytes[i].leading_zeros())),
        None => 0,
    };
    if len > end {
        let extra = bytes.len() as u64 - end.div_ceil(8);
        return Err(format!(
            "malformed jam: the jam ends at bit {end}, but the input goes on ({extra} more bytes, {} bits)",
            len - end
        ));
    }
    Ok(noun)
}

/// Read a file, or stdin for `-`.
pub fn read_file(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut v = Vec::new();
        std::io::stdin()
            .read_to_end(&mut v)
            .map_err(|e| format!("reading stdin: {e}"))?;
        Ok(v)
    } else {
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    }
}

/// Decode hex digits (optionally `0x`-prefixed, whitespace ignored) into bytes, first pair = first byte.
pub fn decode_hex(h: &str) -> Result<Vec<u8>, String> {
    let clean: String = h
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if clean.is_empty() || !clean.len().is_multiple_of(2) {
        return Err(format!(
            "bad hex {h:?}: need an even, non-zero number of hex digits"
        ));
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).map_err(|_| format!("bad hex {h:?}")))
        .collect()
}

/// Lowercase hex of bytes, first byte first.
pub fn encode_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
