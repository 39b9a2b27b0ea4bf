use super::*;
use crate::noun::{Atom, Cell, D, T};

fn big(stack: &mut NockStack, seed: u64) -> Noun {
    Atom::from_words(stack, &[seed, seed + 1, seed + 2])
        .unwrap()
        .as_noun()
}

#[test]
fn alloc_both_orientations() {
    let mut s = NockStack::new(1 << 20).unwrap();
    let a = T(&mut s, &[D(1), D(2)]).unwrap();
    s.push_frame().unwrap();
    let b = T(&mut s, &[a, D(3)]).unwrap();
    assert!(s.in_frame(b.addr()));
    assert!(!s.in_frame(a.addr()));
    s.push_frame().unwrap();
    let c = T(&mut s, &[b, b]).unwrap();
    assert_eq!(c.head().unwrap().head().unwrap().tail(), Some(D(2)));
    s.pop_frame();
    s.pop_frame();
    assert_eq!(s.depth(), 0);
}

#[test]
fn preserve_keeps_values_and_sharing() {
    let mut s = NockStack::new(1 << 20).unwrap();
    let outer = T(&mut s, &[D(7), D(8)]).unwrap();
    for _ in 0..3 {
        s.push_frame().unwrap();
    }
    let shared = big(&mut s, 1 << 62);
    let inner = T(&mut s, &[shared, shared, outer]).unwrap();
    let mut roots = [inner, shared];
    s.pop_preserving(&mut roots).unwrap();
    let [inner, shared] = roots;
    let c1 = inner.as_cell().unwrap();
    // both references to `shared` now point at the same copy
    assert!(c1.head().same(shared));
    assert!(c1.tail().head().unwrap().same(shared));
    // the outer noun was not copied
    assert!(c1.tail().tail().unwrap().same(outer));
    assert_eq!(
        shared.as_atom().unwrap().words(),
        &[1 << 62, (1 << 62) + 1, (1 << 62) + 2]
    );
    // and the copies survive two more pops
    s.pop_preserving(&mut [inner]).unwrap();
    let mut r = inner;
    s.pop_preserving(&mut r).unwrap();
    assert_eq!(
        format!("{r}"),
        format!("[{0} {0} 7 8]", crate::text::Print(shared))
    );
    assert_eq!(s.depth(), 0);
}

#[test]
fn exhaustion_is_an_error() {
    let mut s = NockStack::new(1 << 16).unwrap();
    let mut n = D(0);
    let mut failed = false;
    for i in 0..100_000 {
        match Cell::new(&mut s, D(i), n) {
            Ok(c) => n = c.as_noun(),
            Err(Oom) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed);
    let cp = s.checkpoint();
    let mut pushes = 0;
    while s.push_frame().is_ok() {
        pushes += 1;
    }
    assert!(pushes < 10);
    s.restore(cp);
    assert!(s.push(1).is_err() || s.free_words() < 16);
}

#[test]
fn collect_top_frees_garbage_and_keeps_roots() {
    let mut s = NockStack::new(1 << 22).unwrap();
    s.push_frame().unwrap();
    let keep = T(&mut s, &[D(1), D(2), D(3)]).unwrap();
    s.push(keep.raw()).unwrap();
    let mut extra = big(&mut s, 1 << 63 >> 1);
    for i in 0..10_000 {
        T(&mut s, &[D(i), D(i)]).unwrap();
    }
    let before = s.frame_alloc_words();
    let after = s.collect_top(&mut extra).unwrap();
    assert!(after < before / 100, "{after} vs {before}");
    // SAFETY: the word was pushed as a noun above.
    let kept = unsafe { Noun::from_raw(s.peek(0)) };
    assert_eq!(format!("{kept}"), "[1 2 3]");
    assert_eq!(extra.as_atom().unwrap().words()[0], 1 << 62);
    s.pop();
    s.pop_frame();
}

#[test]
fn collect_top_in_east_and_west_frames_runs_in_constant_space() {
    let mut s = NockStack::new(1 << 20).unwrap();
    for _depth in 0..2 {
        s.push_frame().unwrap();
        let mut acc = D(0);
        for i in 0..200_000u64 {
            acc = T(&mut s, &[D(i), D(i + 1)]).unwrap();
            if s.frame_alloc_words() > 4096 {
                s.collect_top(&mut acc).unwrap();
            }
        }
        assert_eq!(format!("{acc}"), "[199999 200000]");
    }
}
