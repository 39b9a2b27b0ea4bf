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
