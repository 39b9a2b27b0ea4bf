//! Rebuilding part of a noun elsewhere without touching the original (no forwarding words): the copier behind the
//! memo cache and arena compaction.

use super::{Alloc, Cell, IndirectBuilder, Noun, Oom};
use std::collections::HashMap;

/// Rebuild the objects of `root` whose address `inside` selects, children before parents, iteratively. `place(old,
/// kids)` makes the copy of one object (`kids` = the rebuilt head and tail of a cell, `None` for an indirect atom).
/// `seen` maps old addresses to their copies, so shared objects are copied once and stay shared (also across calls
/// that pass the same table). Objects outside the selection are referenced as they are.
pub fn rebuild(
    root: Noun,
    seen: &mut HashMap<u64, Noun>,
    inside: impl Fn(u64) -> bool,
    mut place: impl FnMut(Noun, Option<(Noun, Noun)>) -> Result<Noun, Oom>,
) -> Result<Noun, Oom> {
    enum Step {
        Visit(Noun),
        Build(Noun),
    }
    let mut todo = vec![Step::Visit(root)];
    let mut out: Vec<Noun> = Vec::new();
    while let Some(step) = todo.pop() {
        match step {
            Step::Visit(x) => {
                if !x.is_allocated() || !inside(x.addr()) {
                    out.push(x);
                } else if let Some(&done) = seen.get(&x.addr()) {
                    out.push(done);
                } else if let Some(c) = x.as_cell() {
                    todo.push(Step::Build(x));
                    todo.push(Step::Visit(c.tail()));
                    todo.push(Step::Visit(c.head()));
                } else {
                    let copy = place(x, None)?;
                    seen.insert(x.addr(), copy);
                    out.push(copy);
                }
            }
            Step::Build(x) => {
                let t = out.pop().expect("tail");
                let h = out.pop().expect("head");
                let copy = place(x, Some((h, t)))?;
                seen.insert(x.addr(), copy);
                out.push(copy);
            }
        }
    }
    Ok(out.pop().expect("result"))
}

/// Deep-copy the objects of `n` whose address `inside` selects into `dest` (mugs kept), referencing the rest.
pub fn copy_selected<A: Alloc + ?Sized>(
    dest: &mut A,
    n: Noun,
    seen: &mut HashMap<u64, Noun>,
    inside: impl Fn(u64) -> bool,
) -> Result<Noun, Oom> {
    rebuild(n, seen, inside, |x, kids| {
        let copy = match kids {
            Some((h, t)) => Cell::new(dest, h, t)?.as_noun(),
            None => {
                let atom = x.as_atom().expect("atom");
                let words = atom.words();
                let (b, data) = IndirectBuilder::alloc(dest, words.len())?;
                data.copy_from_slice(words);
                b.finish().as_noun()
            }
        };
        if let Some(m) = x.cached_mug() {
            copy.set_cached_mug(m);
        }
        Ok(copy)
    })
}
