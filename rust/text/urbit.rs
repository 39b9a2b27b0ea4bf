//! Urbit-style renderings used by the debugging tools: `@da` dates, `@p` ship names, paths, terms, tanks and trace
//! entries.

use crate::noun::{list_iter, Atom, Noun};

/// Offset between the Unix epoch and Urbit's `@da` epoch, in seconds.
const DA_UNIX_EPOCH: u64 = 0x8000_000c_ce9e_0d80;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Render an `@da` like Hoon: `~2023.11.14..22.13.20..8000`. Atoms that are not plausible dates print as decimal.
pub fn render_da(a: Atom) -> String {
    let w = a.words();
    if w.len() != 2 || w[1] < DA_UNIX_EPOCH {
        return format!("{}", crate::text::Print(a.as_noun()));
    }
    let secs = w[1] - DA_UNIX_EPOCH;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "~{y}.{m}.{d}..{:02}.{:02}.{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
    let frac = w[0];
    if frac != 0 {
        let groups = [
            (frac >> 48) & 0xffff,
            (frac >> 32) & 0xffff,
            (frac >> 16) & 0xffff,
            frac & 0xffff,
        ];
        let last = groups.iter().rposition(|g| *g != 0).unwrap_or(0);
        s.push_str("..");
        let parts: Vec<String> = groups[..=last].iter().map(|g| format!("{g:04x}")).collect();
        s.push_str(&parts.join("."));
    }
    s
}

/// A term or cord as text if it is printable, else the decimal atom.
pub fn render_term(n: Noun) -> String {
    match n.as_atom() {
        Some(a) if a.as_direct() == Some(0) => "%$".to_string(),
        Some(a) => {
            let b = a.to_bytes();
            if b.iter().all(|c| c.is_ascii_graphic()) {
                String::from_utf8_lossy(&b).into_owned()
            } else {
                format!("{}", crate::text::Print(n))
            }
        }
        None => format!("{}", crate::text::Print(n)),
    }
}

/// A path (list of knots) like `/b/behn`; `//arvo` for a leading empty term.
pub fn render_path(n: Noun) -> String {
    let mut s = String::new();
    for item in list_iter(n) {
        match item {
            Ok(k) => {
                s.push('/');
                if k.raw() != 0 {
                    s.push_str(&render_term(k));
                }
            }
            Err(()) => {
                s.push_str("/<not a path>");
                break;
            }
        }
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Longest one-line rendering of a tank: a tank may hold a whole printed vase.
pub const TANK_BYTES: usize = 4000;

/// A tape (a list of character atoms) as text, or `None` if it is not one. Stops after `max` bytes.
pub fn tape_text(t: Noun, max: usize) -> Option<String> {
    let mut s = String::new();
    for b in list_iter(t) {
        let v = b.ok()?.as_u64()?;
        s.push(char::from_u32(u32::try_from(v).ok()?)?);
        if s.len() >= max {
            s.push_str("...");
            break;
        }
    }
    Some(s)
}

/// Render a tank on one line: `[%leaf tape]` as its text, `[%palm ...]`/`[%rose [sep open close] items]` as their
/// items joined, anything else as a noun. Iterative over the item lists; nesting depth is bounded by 64 levels and the
/// text by [`TANK_BYTES`].
pub fn render_tank(tank: Noun) -> String {
    let mut s = render_tank_unbounded(tank);
    if s.len() > TANK_BYTES {
        let mut cut = TANK_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

fn render_tank_unbounded(tank: Noun) -> String {
    let mut budget = TANK_BYTES;
    fn go(tank: Noun, depth: usize, budget: &mut usize) -> String {
        let tape = |t| tape_text(t, TANK_BYTES);
        let fallback = || crate::text::print_bounded(tank, 2000);
        let Some(c) = tank.as_cell() else {
            // Kernels also slog bare cords (`'clay: kernel updated'`).
            return tank
                .as_atom()
                .and_then(|a| String::from_utf8(a.to_bytes()).ok())
                .filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
                .unwrap_or_else(fallback);
        };
        let tag = c.head();
        if tag == crate::noun::tas("leaf") {
            return tape(c.tail()).unwrap_or_else(fallback);
        }
        if depth > 64 || (tag != crate::noun::tas("palm") && tag != crate::noun::tas("rose")) {
            return fallback();
        }
        let Some(body) = c.tail().as_cell() else {
            return fallback();
        };
        let sep = body
            .head()
            .head()
            .and_then(tape)
            .unwrap_or_else(|| " ".into());
        let mut items: Vec<String> = Vec::new();
        for t in list_iter(body.tail()).flatten() {
            if *budget == 0 {
                items.push("...".into());
                break;
            }
            let item = go(t, depth + 1, budget);
            *budget = budget.saturating_sub(item.len() + 1);
            items.push(item);
        }
        items.join(if sep.is_empty() { " " } else { &sep })
    }
    go(tank, 0, &mut budget)
}

/// At most `max` of `lines`: if there are more, the first `max - 1` and a line saying how many were left out.
pub fn bound_lines(mut lines: Vec<String>, max: usize) -> Vec<String> {
    let max = max.max(1);
    if lines.len() > max {
        let left = lines.len() - (max - 1);
        lines.truncate(max - 1);
        lines.push(format!("... ({left} more lines)"));
    }
    lines
}

/// Hoon's `+scan` fails with two tanks, the position `{LINE COL}` and then `syntax error`; as lines, they read as the
/// one line `syntax error at [LINE COL]` (the form Hoon's own file parsers print). Other lines are kept.
pub fn join_syntax_error(lines: Vec<String>) -> Vec<String> {
    fn position(l: &str) -> Option<(u64, u64)> {
        let (a, b) = l.strip_prefix('{')?.strip_suffix('}')?.split_once(' ')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        if line == "syntax error" {
            if let Some((l, c)) = out.last().and_then(|p| position(p)) {
                out.pop();
                out.push(format!("syntax error at [{l} {c}]"));
                continue;
            }
        }
        out.push(line);
    }
    out
}

/// Longest rendering of one trace entry: a `%mean` may hold a whole vase.
const TRACE_ENTRY_BYTES: usize = 2000;

/// One trace entry `[tag data]` as a line, as it is when nothing better is known: the tag as a term, then the data as
/// a noun, cut short at 2,000 bytes.
pub fn render_trace_entry(entry: Noun) -> String {
    match entry.as_cell() {
        Some(c) => {
            let tag = c
                .head()
                .as_atom()
                .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned());
            format!(
                "%{} {}",
                tag.unwrap_or_else(|| "?".into()),
                crate::text::print_bounded(c.tail(), TRACE_ENTRY_BYTES)
            )
        }
        None => crate::text::print_bounded(entry, TRACE_ENTRY_BYTES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{HeapAlloc, T};
    use crate::text::parse_noun;

    #[test]
    fn dates() {
        let mut h = HeapAlloc::new();
        // Unix 1700000000.5 (king-protocol.md §5.6)
        let a = Atom::from_words(&mut h, &[0x8000_0000_0000_0000, 0x8000_000d_33f1_fe80]).unwrap();
        assert_eq!(render_da(a), "~2023.11.14..22.13.20..8000");
        let b = Atom::from_words(&mut h, &[0, DA_UNIX_EPOCH]).unwrap();
        assert_eq!(render_da(b), "~1970.1.1..00.00.00");
    }

    #[test]
    fn tanks() {
        let mut h = HeapAlloc::new();
        let leaf = parse_noun(&mut h, "[%leaf 104 105 0]").unwrap();
        assert_eq!(render_tank(leaf), "hi");
        let cord = crate::noun::cord(&mut h, "clay: kernel updated").unwrap();
        assert_eq!(render_tank(cord), "clay: kernel updated");
        assert_eq!(render_tank(Noun::ZERO), "0");
        assert_eq!(render_tank(crate::noun::D(7)), "7");
        // A rose of 100,000 leaves renders within the bound.
        let leaf = parse_noun(&mut h, "[%leaf 104 105 0]").unwrap();
        let items: Vec<Noun> = (0..100_000).map(|_| leaf).collect();
        let items = crate::noun::list(&mut h, &items).unwrap();
        let seps = parse_noun(&mut h, "[[32 0] 0 0]").unwrap();
        let rose = T(&mut h, &[crate::noun::tas("rose"), seps, items]).unwrap();
        let text = render_tank(rose);
        assert!(text.starts_with("hi hi hi"), "{text}");
        assert!(text.len() <= TANK_BYTES + 3, "{}", text.len());
    }

    #[test]
    fn trace_entries() {
        let mut h = HeapAlloc::new();
        let spot = parse_noun(&mut h, "[%spot [1 2] 3]").unwrap();
        assert_eq!(render_trace_entry(spot), "%spot [[1 2] 3]");
        assert_eq!(render_trace_entry(crate::noun::D(5)), "5");
        let huge: Vec<Noun> = (0..10_000).map(crate::noun::D).collect();
        let tail = crate::noun::list(&mut h, &huge).unwrap();
        let mean = T(&mut h, &[crate::noun::tas("mean"), tail]).unwrap();
        assert!(render_trace_entry(mean).len() <= TRACE_ENTRY_BYTES + 16);
    }

    #[test]
    fn syntax_errors_read_as_one_line() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            join_syntax_error(v(&["/eval", "{1 7}", "syntax error"])),
            v(&["/eval", "syntax error at [1 7]"])
        );
        assert_eq!(
            join_syntax_error(v(&["syntax error", "{1 7}"])),
            v(&["syntax error", "{1 7}"])
        );
        assert_eq!(
            join_syntax_error(v(&["{a b}", "syntax error"])),
            v(&["{a b}", "syntax error"])
        );
    }

    #[test]
    fn bounded_lines() {
        let lines: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        assert_eq!(bound_lines(lines.clone(), 20), lines);
        let cut = bound_lines(lines, 4);
        assert_eq!(cut, ["0", "1", "2", "... (7 more lines)"]);
    }

    #[test]
    fn paths() {
        let mut h = HeapAlloc::new();
        let p = parse_noun(&mut h, "[%b %behn 0]").unwrap();
        assert_eq!(render_path(p), "/b/behn");
        let p = T(&mut h, &[Noun::ZERO, crate::noun::tas("arvo"), Noun::ZERO]).unwrap();
        assert_eq!(render_path(p), "//arvo");
    }
}
