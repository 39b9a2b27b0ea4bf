//! Parser for noun text. Iterative, so deeply nested input cannot overflow the native stack.

use crate::noun::{atom_from_ubig, Alloc, Atom, Noun, Oom, T};
use ibig::UBig;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad noun at character {}: {}", self.at, self.msg)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(at: usize, msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        at,
        msg: msg.into(),
    })
}

fn oom(at: usize) -> impl Fn(Oom) -> ParseError {
    move |_| ParseError {
        at,
        msg: "out of memory".into(),
    }
}

/// Parse one noun; the whole input must be consumed (surrounding whitespace allowed).
pub fn parse_noun<A: Alloc + ?Sized>(alloc: &mut A, text: &str) -> Result<Noun, ParseError> {
    let b = text.as_bytes();
    let mut i = 0;
    // Open brackets, each with the elements read so far.
    let mut open: Vec<(usize, Vec<Noun>)> = Vec::new();
    let mut result: Option<Noun> = None;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if result.is_some() && open.is_empty() {
            return err(i, "unexpected text after the noun");
        }
        let start = i;
        let value = match b[i] {
            b'[' => {
                open.push((i, Vec::new()));
                i += 1;
                continue;
            }
            b']' => {
                let Some((at, items)) = open.pop() else {
                    return err(i, "unbalanced ']'");
                };
                i += 1;
                if items.is_empty() {
                    return err(at, "empty brackets");
                }
                T(alloc, &items).map_err(oom(at))?
            }
            b'~' => {
                i += 1;
                Noun::ZERO
            }
            b'%' => {
                i += 1;
                if i < b.len()
                    && b[i] == b'.'
                    && i + 1 < b.len()
                    && (b[i + 1] == b'y' || b[i + 1] == b'n')
                {
                    i += 2;
                    Noun::flag(b[i - 1] == b'y')
                } else if i < b.len() && b[i] == b'$' {
                    i += 1;
                    Noun::ZERO
                } else {
                    let s = i;
                    while i < b.len()
                        && (b[i].is_ascii_lowercase() || b[i].is_ascii_digit() || b[i] == b'-')
                    {
                        i += 1;
                    }
                    if i == s || !b[s].is_ascii_lowercase() {
                        return err(start, "a term is % followed by a lowercase letter, then letters, digits or '-'");
                    }
                    Atom::from_bytes(alloc, &b[s..i])
                        .map_err(oom(start))?
                        .as_noun()
                }
            }
            b'\'' => {
                i += 1;
                let mut bytes = Vec::new();
                loop {
                    if i >= b.len() {
                        return err(start, "unterminated cord");
                    }
                    match b[i] {
                        b'\'' => {
                            i += 1;
                            break;
                        }
                        b'\\' => {
                            if i + 1 >= b.len() {
                                return err(i, "unterminated escape");
                            }
                            match b[i + 1] {
                                c @ (b'\\' | b'\'') => {
                                    bytes.push(c);
                                    i += 2;
                                }
                                _ => {
                                    let hex = text
                                        .get(i + 1..i + 3)
                                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                                    let Some(v) = hex else {
                                        return err(
                                            i,
                                            "escape must be \\\\, \\' or two hex digits",
                                        );
                                    };
                                    bytes.push(v);
                                    i += 3;
                                }
                            }
                        }
                        c => {
                            bytes.push(c);
                            i += 1;
                        }
                    }
                }
                Atom::from_bytes(alloc, &bytes)
                    .map_err(oom(start))?
                    .as_noun()
            }
            b'0' if b.get(i + 1) == Some(&b'x') => {
                i += 2;
                let s = i;
                while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b'.') {
                    i += 1;
                }
                let digits: String = text[s..i].chars().filter(|c| *c != '.').collect();
                if digits.is_empty() || text[s..i].starts_with('.') || text[s..i].ends_with('.') {
                    return err(start, "bad hex atom");
                }
                let v =
                    UBig::from_str_radix(&digits, 16).or_else(|_| err(start, "bad hex atom"))?;
                atom_from_ubig(alloc, &v).map_err(oom(start))?.as_noun()
            }
            c if c.is_ascii_digit() => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                let raw = &text[s..i];
                if raw.ends_with('.') || raw.contains("..") {
                    return err(start, "bad decimal atom");
                }
                if raw.contains('.') {
                    // Hoon groups digits in threes: 1.000.000
                    let groups: Vec<&str> = raw.split('.').collect();
                    if groups[0].is_empty()
                        || groups[0].len() > 3
                        || groups[1..].iter().any(|g| g.len() != 3)
                    {
                        return err(
                            start,
                            "digit groups must be separated every three digits, as in 1.000.000",
                        );
                    }
                }
                if raw.len() > 1 && raw.starts_with('0') {
                    return err(start, "decimal atoms have no leading zeros");
                }
                let digits: String = raw.chars().filter(|c| *c != '.').collect();
                let v = UBig::from_str_radix(&digits, 10)
                    .or_else(|_| err(start, "bad decimal atom"))?;
                atom_from_ubig(alloc, &v).map_err(oom(start))?.as_noun()
            }
            _ => {
                return err(
                    i,
                    format!(
                        "unexpected character {:?}",
                        text[i..].chars().next().unwrap_or(' ')
                    ),
                )
            }
        };
        if i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b']' && b[i] != b'[' {
            return err(i, "expected whitespace or a bracket after an atom");
        }
        match open.last_mut() {
            Some((_, items)) => items.push(value),
            None => result = Some(value),
        }
    }
    if let Some((at, _)) = open.last() {
        return err(*at, "unclosed '['");
    }
    match result {
        Some(n) => Ok(n),
        None => err(0, "empty input"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::HeapAlloc;
    use crate::text::Print;

    fn round(s: &str) -> String {
        let mut h = HeapAlloc::new();
        format!("{}", Print(parse_noun(&mut h, s).unwrap()))
    }

    #[test]
    fn syntax() {
        assert_eq!(round("42"), "42");
        assert_eq!(round("1.000.000"), "1000000");
        assert_eq!(round("0x10"), "16");
        assert_eq!(round("0xdead.beef"), "3735928559");
        assert_eq!(round("'a'"), "97");
        assert_eq!(round("%live"), "1702259052");
        assert_eq!(round("~"), "0");
        assert_eq!(round("[1 2 3]"), "[1 2 3]");
        assert_eq!(round("[[1 2] 3]"), "[[1 2] 3]");
        assert_eq!(round(" [1 [2 [3 4]]] "), "[1 2 3 4]");
        assert_eq!(round("[%.y %.n]"), "[0 1]");
        assert_eq!(round("18446744073709551616"), "18446744073709551616");
        assert_eq!(round("'it\\'s'"), round("0x73.2774.69"));
    }

    #[test]
    fn errors() {
        let mut h = HeapAlloc::new();
        for bad in [
            "", "[", "]", "[]", "[1 2", "1 2", "1.00", "01", "%", "%A", "'abc", "0x", "abc", "1a",
            "[1]]",
        ] {
            assert!(parse_noun(&mut h, bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn deep_nesting() {
        let mut h = HeapAlloc::new();
        let depth = 200_000;
        let s = format!("{}0{}", "[1 ".repeat(depth), "]".repeat(depth));
        let n = parse_noun(&mut h, &s).unwrap();
        let printed = format!("{}", Print(n));
        assert!(printed.starts_with("[1 1 1"));
    }
}
