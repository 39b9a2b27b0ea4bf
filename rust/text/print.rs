//! Canonical noun text, printed iteratively (nouns may be arbitrarily deep).

use crate::noun::{atom_to_ubig, Noun};
use std::fmt;

/// Displays a noun canonically: `[1 2 3]` for `[1 [2 3]]`, decimal atoms without separators.
pub struct Print(pub Noun);

enum Item {
    Noun(Noun, bool),
    Text(&'static str),
}

impl fmt::Display for Print {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut todo = vec![Item::Noun(self.0, false)];
        while let Some(item) = todo.pop() {
            match item {
                Item::Text(s) => f.write_str(s)?,
                Item::Noun(n, in_tail) => match n.as_cell() {
                    None => {
                        let a = n.as_atom().expect("atom");
                        match a.as_direct() {
                            Some(v) => write!(f, "{v}")?,
                            None => write!(f, "{}", atom_to_ubig(a))?,
                        }
                    }
                    Some(c) => {
                        if !in_tail {
                            f.write_str("[")?;
                            todo.push(Item::Text("]"));
                        }
                        todo.push(Item::Noun(c.tail(), true));
                        todo.push(Item::Text(" "));
                        todo.push(Item::Noun(c.head(), false));
                    }
                },
            }
        }
        Ok(())
    }
}

/// [`Print`] cut off after `max` bytes (with `...` appended), for messages about nouns of any size: printing stops
/// as soon as the limit is reached, so a huge or heavily shared noun costs no more than `max` bytes of output.
pub fn print_bounded(n: Noun, max: usize) -> String {
    struct Capped {
        out: String,
        max: usize,
    }
    impl fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = self.max - self.out.len();
            if s.len() <= room {
                self.out.push_str(s);
                return Ok(());
            }
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.out.push_str(&s[..cut]);
            Err(fmt::Error)
        }
    }
    let mut c = Capped {
        out: String::new(),
        max,
    };
    if fmt::write(&mut c, format_args!("{}", Print(n))).is_err() {
        c.out.push_str("...");
    }
    c.out
}

#[cfg(test)]
mod bounded_tests {
    use super::*;
    use crate::noun::{HeapAlloc, D, T};

    #[test]
    fn bounded_printing_stops_at_the_limit() {
        let mut h = HeapAlloc::new();
        let mut n = D(1);
        // 2^60 leaves when unfolded: only a bounded printer finishes.
        for _ in 0..60 {
            n = T(&mut h, &[n, n]).unwrap();
        }
        let s = print_bounded(n, 40);
        assert_eq!(s, format!("{}...", "[".repeat(40)));
        let small = T(&mut h, &[D(1), D(2), D(3)]).unwrap();
        assert_eq!(print_bounded(small, 40), "[1 2 3]");
    }
}
