//! Structural equality of nouns, and unifying equality.
//!
//! [`unify`] compares like [`noun_eq`] and, where two distinct references turn out equal, rewrites the more junior
//! one to point at the more senior object, so later comparisons of the same nouns are pointer-equal. Seniority
//! follows where the memory lives: anything outside the NockStack (the home or persistent arena) is most senior, then
//! older frames, then (within the top frame) older allocations; on the stack only the current top frame may be
//! rewritten. Writes only ever go into objects of the top frame (or
//! into the caller's own variables), so no older object is made to point into a younger frame.

mod known_pairs;
mod map;

pub use known_pairs::KnownPairs;
pub use map::NounMap;

use crate::mug::mug;
use crate::noun::Noun;
use crate::stack::NockStack;

/// Cheap verdicts that need no traversal: `Some(answer)` or `None` if the structures must be walked.
#[inline(always)]
fn quick(a: Noun, b: Noun) -> Option<bool> {
    if a.same(b) {
        return Some(true);
    }
    match (a.as_atom(), b.as_atom()) {
        (Some(x), Some(y)) => {
            if x.is_direct() || y.is_direct() {
                return Some(false);
            }
            Some(x.words() == y.words())
        }
        (None, None) => match (a.cached_mug(), b.cached_mug()) {
            (Some(m), Some(n)) if m != n => Some(false),
            _ => None,
        },
        _ => Some(false),
    }
}

/// Cell pairs a comparison walks before it starts remembering the pairs it has seen.
const PAIRS_BEFORE_MEMO: usize = 4096;

/// The cell pairs a large comparison has already queued. Nouns are DAGs: Hoon batteries share subformulas, and two
/// copies of one battery need not share in the same places, so a plain tree walk can visit a shared subtree once per
/// path to it (exponentially often). The answer is the conjunction over all pairs, so a pair seen once need never be
/// walked again; small comparisons skip the bookkeeping.
struct SeenPairs<'a> {
    walked: usize,
    seen: &'a mut PairSet,
}

type PairSet = rustc_hash::FxHashSet<(u64, u64)>;

impl<'a> SeenPairs<'a> {
    fn new(seen: &'a mut PairSet) -> SeenPairs<'a> {
        SeenPairs { walked: 0, seen }
    }

    /// True the first time the pair of cells `(a, b)` is offered (or while the comparison is still small).
    #[inline]
    fn first_visit(&mut self, a: Noun, b: Noun) -> bool {
        self.walked += 1;
        self.walked <= PAIRS_BEFORE_MEMO || self.seen.insert((a.raw(), b.raw()))
    }
}

/// Structural equality without rewriting anything.
pub fn noun_eq(a: Noun, b: Noun) -> bool {
    if let Some(v) = quick(a, b) {
        return v;
    }
    let mut set = PairSet::default();
    let mut seen = SeenPairs::new(&mut set);
    let mut todo: Vec<(Noun, Noun)> = vec![(a, b)];
    while let Some((x, y)) = todo.pop() {
        match quick(x, y) {
            Some(true) => {}
            Some(false) => return false,
            None => {
                if !seen.first_visit(x, y) {
                    continue;
                }
                let (cx, cy) = (x.as_cell().expect("cell"), y.as_cell().expect("cell"));
                todo.push((cx.tail(), cy.tail()));
                todo.push((cx.head(), cy.head()));
            }
        }
    }
    true
}

/// Where a compared reference is stored: a caller's variable or a field of a cell.
#[derive(Copy, Clone)]
struct Slot {
    ptr: *mut Noun,
    /// Address of the cell holding the field, or 0 for a caller's variable (always writable).
    holder: u64,
}

enum Step {
    Compare(Slot, Slot),
    /// Both subtrees under these slots compared equal: rewrite one to the other.
    Merge(Slot, Slot),
    /// The nouns `a` and `b` compared equal, their walk having started when `from` pairs had been walked: remember
    /// the pair if that walk was long.
    Remember {
        a: Noun,
        b: Noun,
        from: usize,
    },
}

/// A comparison with [`KnownPairs`] looks pairs up, and remembers them, only within its first this many cell pairs:
/// near the root, where the big shared subtrees of memo keys hang, not at every node of a long walk.
const KNOWN_NEAR_ROOT: usize = 64;

/// A pair is remembered when its own walk took at least this many cell pairs.
const KNOWN_MIN_PAIRS: usize = 16;

/// Equality that also rewrites junior references to senior ones (see the module docs). `a` and `b` are updated.
pub fn unify(stack: &NockStack, a: &mut Noun, b: &mut Noun) -> bool {
    unify_with(stack, a, b, None)
}

/// [`unify`], consulting and feeding `known` near the root of the walk: for comparisons that meet the same pairs of
/// equal but distinct nouns again and again (the memo trie's keys).
pub fn unify_known(stack: &NockStack, a: &mut Noun, b: &mut Noun, known: &KnownPairs) -> bool {
    unify_with(stack, a, b, Some(known))
}

fn unify_with(stack: &NockStack, a: &mut Noun, b: &mut Noun, known: Option<&KnownPairs>) -> bool {
    if let Some(v) = quick(*a, *b) {
        if v {
            merge(
                stack,
                Slot { ptr: a, holder: 0 },
                Slot { ptr: b, holder: 0 },
            );
        }
        return v;
    }
    // Mugging first makes the walk reject unequal nouns at the first differing subtree.
    if mug(*a) != mug(*b) {
        return false;
    }
    // The walk's work list and pair set are reused from call to call (unify runs millions of times per boot, on
    // memo keys and batteries): no allocation for small comparisons, no regrowing the set for large ones.
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let Scratch { todo, seen } = &mut *scratch;
            let same = unify_walk(stack, a, b, todo, seen, known);
            todo.clear();
            if !seen.is_empty() {
                if seen.capacity() > SCRATCH_PAIRS_KEPT {
                    *seen = PairSet::default();
                } else {
                    seen.clear();
                }
            }
            same
        }
        Err(_) => unify_walk(stack, a, b, &mut Vec::new(), &mut PairSet::default(), known),
    })
}

/// The reusable working memory of [`unify`].
#[derive(Default)]
struct Scratch {
    todo: Vec<Step>,
    seen: PairSet,
}

/// A pair set larger than this is freed after its comparison rather than kept for the next one.
const SCRATCH_PAIRS_KEPT: usize = 1 << 16;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn unify_walk(
    stack: &NockStack,
    a: &mut Noun,
    b: &mut Noun,
    todo: &mut Vec<Step>,
    set: &mut PairSet,
    known: Option<&KnownPairs>,
) -> bool {
    let mut seen = SeenPairs::new(set);
    todo.push(Step::Compare(
        Slot { ptr: a, holder: 0 },
        Slot { ptr: b, holder: 0 },
    ));
    while let Some(step) = todo.pop() {
        match step {
            Step::Merge(x, y) => merge(stack, x, y),
            Step::Remember { a, b, from } => {
                if let Some(k) = known.filter(|_| seen.walked - from >= KNOWN_MIN_PAIRS) {
                    k.put(stack, a, b);
                }
            }
            Step::Compare(x, y) => {
                // SAFETY: slots point at the caller's variables or at fields of live cells.
                let (nx, ny) = unsafe { (*x.ptr, *y.ptr) };
                match quick(nx, ny) {
                    Some(true) => merge(stack, x, y),
                    Some(false) => return false,
                    None if !seen.first_visit(nx, ny) => {}
                    None => {
                        let near_root = known.filter(|_| seen.walked <= KNOWN_NEAR_ROOT);
                        if let Some(k) = near_root {
                            if k.get(stack, nx, ny) {
                                merge(stack, x, y);
                                continue;
                            }
                            todo.push(Step::Remember {
                                a: nx,
                                b: ny,
                                from: seen.walked,
                            });
                        }
                        let (cx, cy) = (nx.as_cell().expect("cell"), ny.as_cell().expect("cell"));
                        let (px, py) = (cx.mem_ptr(), cy.mem_ptr());
                        todo.push(Step::Merge(x, y));
                        // SAFETY: px and py are live cells; field addresses stay valid while we walk.
                        unsafe {
                            todo.push(Step::Compare(
                                Slot {
                                    ptr: &mut (*px).tail,
                                    holder: nx.addr(),
                                },
                                Slot {
                                    ptr: &mut (*py).tail,
                                    holder: ny.addr(),
                                },
                            ));
                            todo.push(Step::Compare(
                                Slot {
                                    ptr: &mut (*px).head,
                                    holder: nx.addr(),
                                },
                                Slot {
                                    ptr: &mut (*py).head,
                                    holder: ny.addr(),
                                },
                            ));
                        }
                    }
                }
            }
        }
    }
    true
}

/// Two slots hold equal nouns: point the junior one at the senior object, where that write is allowed.
fn merge(stack: &NockStack, x: Slot, y: Slot) {
    // SAFETY: slots point at the caller's variables or at fields of live cells.
    let (nx, ny) = unsafe { (*x.ptr, *y.ptr) };
    if nx.same(ny) || nx.is_direct() {
        return;
    }
    let writable = |s: Slot| s.holder == 0 || stack.in_frame(s.holder);
    let senior_x = !stack.in_frame(nx.addr());
    let senior_y = !stack.in_frame(ny.addr());
    // Prefer keeping a noun that lives outside the top frame; if both are outside it, their relative age is unknown
    // (unless one is outside the stack entirely), so only the caller's variables are unified.
    let keep_x = if senior_x != senior_y {
        senior_x
    } else if senior_x {
        // both outside the top frame: the one outside the stack altogether is the most senior
        let home_x = !stack.in_stack(nx.addr());
        let home_y = !stack.in_stack(ny.addr());
        if home_x == home_y {
            if x.holder == 0 && y.holder == 0 {
                // SAFETY: both are the caller's variables.
                unsafe { *y.ptr = nx };
            }
            return;
        }
        home_x
    } else {
        // Both in the top frame: keep the older object, so that no reference is ever pointed at an object younger
        // than the one it held (minor collections rely on older objects never pointing at younger ones).
        stack.allocated_before_in_top(nx.addr(), ny.addr())
    };
    // SAFETY: we only write into a caller's variable or into a cell of the current top frame.
    unsafe {
        if keep_x && writable(y) {
            *y.ptr = nx;
        } else if !keep_x && writable(x) {
            *x.ptr = ny;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{Atom, HeapAlloc, D, T};

    #[test]
    fn equality() {
        let mut h = HeapAlloc::new();
        let a = T(&mut h, &[D(1), D(2), D(3)]).unwrap();
        let b = T(&mut h, &[D(1), D(2), D(3)]).unwrap();
        let c = T(&mut h, &[D(1), D(2), D(4)]).unwrap();
        assert!(noun_eq(a, b));
        assert!(!noun_eq(a, c));
        assert!(!noun_eq(a, D(1)));
        let x = Atom::from_words(&mut h, &[1, 2]).unwrap().as_noun();
        let y = Atom::from_words(&mut h, &[1, 2]).unwrap().as_noun();
        assert!(noun_eq(x, y));
    }

    /// Two separately built copies of a DAG whose tree unfolding has 2^200 leaves: each shared subtree is walked
    /// once per distinct pair, not once per path.
    #[test]
    fn equality_of_shared_dags_is_linear() {
        let mut h = HeapAlloc::new();
        let s = NockStack::new(1 << 20).unwrap();
        let dag = |h: &mut HeapAlloc, last: u64| {
            let mut n = D(7);
            for i in 0..200 {
                n = T(h, &[D(i), n, n]).unwrap();
            }
            T(h, &[n, D(last)]).unwrap()
        };
        let (mut a, mut b, c) = (dag(&mut h, 1), dag(&mut h, 1), dag(&mut h, 2));
        assert!(noun_eq(a, b));
        assert!(!noun_eq(a, c));
        assert!(unify(&s, &mut a, &mut b));
        let mut c2 = c;
        assert!(!unify(&s, &mut a, &mut c2));
    }

    #[test]
    fn unify_rewrites_junior_references() {
        let mut s = NockStack::new(1 << 20).unwrap();
        let mut old = T(&mut s, &[D(1), D(2), D(3)]).unwrap();
        s.push_frame().unwrap();
        let inner = T(&mut s, &[D(2), D(3)]).unwrap();
        let mut young = T(&mut s, &[D(1), inner]).unwrap();
        let young_cell = young.as_cell().unwrap();
        assert!(unify(&s, &mut old, &mut young));
        // the caller's variable now names the senior noun
        assert!(young.same(old));
        // and the young cell's tail was redirected to the old one's tail
        assert!(young_cell.tail().same(old.as_cell().unwrap().tail()));
        let mut other = T(&mut s, &[D(1), D(2), D(4)]).unwrap();
        assert!(!unify(&s, &mut old, &mut other));
        s.pop_frame();
    }

    #[test]
    fn unify_atoms() {
        let mut s = NockStack::new(1 << 20).unwrap();
        let (mut a, mut b) = (D(5), D(5));
        assert!(unify(&s, &mut a, &mut b));
        let (mut a, mut b) = (D(5), D(6));
        assert!(!unify(&s, &mut a, &mut b));
        let mut old = Atom::from_words(&mut s, &[1, 2]).unwrap().as_noun();
        s.push_frame().unwrap();
        let mut young = Atom::from_words(&mut s, &[1, 2]).unwrap().as_noun();
        let mut other = Atom::from_words(&mut s, &[1, 3]).unwrap().as_noun();
        let mut direct = D(1);
        assert!(!unify(&s, &mut old, &mut other));
        assert!(!unify(&s, &mut old, &mut direct));
        assert!(!unify(&s, &mut direct, &mut old));
        assert!(!old.same(young));
        // whichever side the junior one is on, it is the one rewritten
        assert!(unify(&s, &mut young, &mut old));
        assert!(young.same(old) && !s.in_frame(young.addr()));
        s.pop_frame();
    }

    #[test]
    fn unify_within_one_frame_keeps_the_first() {
        let mut s = NockStack::new(1 << 20).unwrap();
        s.push_frame().unwrap();
        let mut a = T(&mut s, &[D(1), D(2), D(3)]).unwrap();
        let mut b = T(&mut s, &[D(1), D(2), D(3)]).unwrap();
        let (a0, b0) = (a, b);
        assert!(unify(&s, &mut a, &mut b));
        assert!(a.same(a0) && b.same(a0));
        // the second noun's own cells were redirected too (both are in the top frame)
        assert!(b0.tail().unwrap().same(a0.tail().unwrap()));
        assert_eq!(format!("{b0}"), "[1 2 3]");
        s.pop_frame();
    }

    #[test]
    fn unify_never_writes_into_senior_frames() {
        let mut s = NockStack::new(1 << 20).unwrap();
        s.push_frame().unwrap();
        let mut x = T(&mut s, &[D(1), D(2), D(3)]).unwrap();
        let x_tail = x.tail().unwrap();
        s.push_frame().unwrap();
        let mut y = T(&mut s, &[D(1), D(2), D(3)]).unwrap();
        s.push_frame().unwrap();
        // both nouns are outside the top frame, and their relative age is not known from the top frame: only the
        // caller's variables are unified
        let y_tail = y.tail().unwrap();
        let y0 = y;
        assert!(unify(&s, &mut x, &mut y));
        assert!(y.same(x));
        assert!(x.tail().unwrap().same(x_tail));
        assert!(
            y0.tail().unwrap().same(y_tail),
            "a cell outside the top frame is never rewritten"
        );
        s.pop_frame();
        // now y is in the top frame: its cells point at x's, and x's are untouched
        let mut y = y0;
        assert!(unify(&s, &mut y, &mut x));
        assert!(y.same(x));
        assert!(y0.tail().unwrap().same(x_tail));
        assert!(x.tail().unwrap().same(x_tail));
        s.pop_frame();
        s.pop_frame();
    }

    #[test]
    fn unify_prefers_nouns_outside_the_stack() {
        let mut h = HeapAlloc::new();
        let mut s = NockStack::new(1 << 20).unwrap();
        let mut home = T(&mut h, &[D(7), D(8), D(9)]).unwrap();
        let home0 = home;
        s.push_frame().unwrap();
        let mut mine = T(&mut s, &[D(7), D(8), D(9)]).unwrap();
        let mine0 = mine;
        assert!(unify(&s, &mut home, &mut mine));
        assert!(home.same(home0) && mine.same(home0));
        assert!(mine0.tail().unwrap().same(home0.tail().unwrap()));
        // two nouns in the home arena: only the variables are unified
        let mut a = T(&mut h, &[D(1), D(2)]).unwrap();
        let mut b = T(&mut h, &[D(1), D(2)]).unwrap();
        let a0 = a;
        assert!(unify(&s, &mut a, &mut b));
        assert!(a.same(a0) && b.same(a0));
        s.pop_frame();
    }

    #[test]
    fn unify_rejects_by_mug_and_at_the_first_difference() {
        let mut s = NockStack::new(1 << 20).unwrap();
        s.push_frame().unwrap();
        let mut a = T(&mut s, &[D(1), D(2), D(3), D(4)]).unwrap();
        let mut b = T(&mut s, &[D(1), D(2), D(3), D(5)]).unwrap();
        assert!(!unify(&s, &mut a, &mut b));
        assert_eq!(format!("{a} {b}"), "[1 2 3 4] [1 2 3 5]");
        // an equal prefix shared before the difference may be merged, and values stay intact
        let p = T(&mut s, &[D(1), D(2)]).unwrap();
        let q = T(&mut s, &[D(1), D(2)]).unwrap();
        let mut a = T(&mut s, &[p, D(3)]).unwrap();
        let mut b = T(&mut s, &[q, D(4)]).unwrap();
        assert!(!unify(&s, &mut a, &mut b));
        assert_eq!(format!("{a} {b}"), "[[1 2] 3] [[1 2] 4]");
        // a cell and an atom
        let mut c = D(3);
        assert!(!unify(&s, &mut a, &mut c));
        s.pop_frame();
    }

    #[test]
    fn unify_deep_lists() {
        let mut s = NockStack::new(1 << 26).unwrap();
        s.push_frame().unwrap();
        let mut a = D(0);
        let mut b = D(0);
        for i in 0..200_000 {
            a = T(&mut s, &[D(i), a]).unwrap();
            b = T(&mut s, &[D(i), b]).unwrap();
        }
        let b0 = b;
        assert!(unify(&s, &mut a, &mut b));
        assert!(b.same(a));
        assert!(b0.tail().unwrap().same(a.tail().unwrap()));
        assert!(noun_eq(a, b0));
        s.pop_frame();
    }

    /// Two equal cells in the top frame: the reference to the younger one is pointed at the older one, never the
    /// other way (a minor collection does not scan old objects, so no old object may come to point at a young one).
    #[test]
    fn unify_in_one_frame_keeps_the_older_object() {
        for east in [false, true] {
            let mut s = NockStack::new(1 << 20).unwrap();
            if east {
                s.push_frame().unwrap();
            }
            let leaf = T(&mut s, &[D(5), D(6)]).unwrap();
            let older = T(&mut s, &[leaf, D(1)]).unwrap();
            let leaf2 = T(&mut s, &[D(5), D(6)]).unwrap();
            let younger = T(&mut s, &[leaf2, D(1)]).unwrap();
            // The older cell's field is compared against the younger's, in both argument orders.
            let (mut a, mut b) = (younger, older);
            assert!(unify(&s, &mut a, &mut b));
            assert!(a.same(older) && b.same(older));
            assert!(older.head().unwrap().same(leaf), "older cell not rewritten");
            let (mut a, mut b) = (older, younger);
            assert!(unify(&s, &mut a, &mut b));
            assert!(a.same(older) && b.same(older));
        }
    }

    /// Two equal types below the top frame cannot be unified; the known pairs let the second comparison stop at the
    /// pair instead of walking it, and a pair whose memory was freed and reused is never trusted.
    #[test]
    fn unify_known_remembers_pairs_below_the_top_frame() {
        let mut s = NockStack::new(1 << 22).unwrap();
        let known = KnownPairs::default();
        let big = |s: &mut NockStack, last: u64| {
            let mut n = D(last);
            for i in 0..100 {
                n = T(s, &[D(i), n]).unwrap();
            }
            n
        };
        s.push_frame().unwrap();
        let stored = big(&mut s, 7);
        s.push_frame().unwrap();
        let probe = big(&mut s, 7);
        s.push_frame().unwrap();
        // Keys are built afresh in the top frame around the same subtrees, as the memo jets' keys are.
        let key = |s: &mut NockStack, n: Noun| T(s, &[D(1), n]).unwrap();
        let (mut a, mut b) = (key(&mut s, stored), key(&mut s, probe));
        assert!(unify_known(&s, &mut a, &mut b, &known));
        assert!(known.get(&s, stored, probe));
        let (mut a, mut b) = (key(&mut s, stored), key(&mut s, probe));
        assert!(unify_known(&s, &mut a, &mut b, &known));
        s.pop_frame();
        // The frame holding `probe` goes, and a different noun is built where it was.
        s.pop_frame();
        s.push_frame().unwrap();
        let other = big(&mut s, 8);
        assert!(!known.get(&s, stored, other));
        let (mut a, mut b) = (stored, other);
        assert!(!unify_known(&s, &mut a, &mut b, &known));
        s.pop_frame();
        s.pop_frame();
    }
}
