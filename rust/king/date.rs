//! `@da` dates (king-protocol.md §5.6) and the `@uv` rendering used for the `%wyrd` nonce.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds to `@da` seconds.
const DA_UNIX_EPOCH: u64 = 0x8000_000c_ce9e_0d80;

/// `@da` for a Unix time, with Vere's clock conversion: `((usec * 65536) / 1_000_000) << 48` in the fraction.
pub fn da_from_unix(secs: u64, usec: u64) -> u128 {
    let frac = ((usec * 65536) / 1_000_000) << 48;
    ((secs.wrapping_add(DA_UNIX_EPOCH) as u128) << 64) | frac as u128
}

/// The wall clock as `@da`.
pub fn now_da() -> u128 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    da_from_unix(d.as_secs(), d.subsec_micros() as u64)
}

/// Render an atom as `@uv` (`scot %uv`): `0v` then base-32 digits, grouped in fives from the right with dots.
pub fn scot_uv(mut v: u128) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut digits = Vec::new();
    loop {
        digits.push(DIGITS[(v & 31) as usize]);
        v >>= 5;
        if v == 0 {
            break;
        }
    }
    let mut out = Vec::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push(b'.');
        }
        out.push(*d);
    }
    out.extend_from_slice(b"v0");
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_example() {
        // Unix 1700000000.5 → 0x8000000d33f1fe80_8000000000000000
        assert_eq!(
            da_from_unix(1_700_000_000, 500_000),
            0x8000_000d_33f1_fe80_8000_0000_0000_0000
        );
    }

    #[test]
    fn uv() {
        assert_eq!(scot_uv(0), "0v0");
        assert_eq!(scot_uv(31), "0vv");
        assert_eq!(scot_uv(32), "0v10");
        assert_eq!(scot_uv(1 << 25), "0v1.00000");
    }
}
