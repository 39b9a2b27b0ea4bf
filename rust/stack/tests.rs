use super::*;
use crate::noun::{Atom, Cell, CELL_WORDS, D, T};

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

/// Every distinct allocated object reachable from `n` (cells and indirect atoms), by address.
fn objects(n: Noun) -> std::collections::HashSet<u64> {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![n];
    while let Some(x) = todo.pop() {
        if x.is_allocated() && seen.insert(x.addr()) {
            if let Some(c) = x.as_cell() {
                todo.push(c.head());
                todo.push(c.tail());
            }
        }
    }
    seen
}

/// A DAG with 2^levels leaves but only `levels` distinct cells above a shared big atom.
fn doubling(stack: &mut NockStack, leaf: Noun, levels: usize) -> Noun {
    let mut n = leaf;
    for _ in 0..levels {
        n = T(stack, &[n, n]).unwrap();
    }
    n
}

#[test]
fn a_dag_keeps_its_sharing_through_five_pops() {
    let mut s = NockStack::new(1 << 22).unwrap();
    let base = T(&mut s, &[D(1), D(2)]).unwrap();
    // frame k (1..=5) allocates piece k-1; later frames point into earlier ones
    let mut pieces = Vec::new();
    for depth in 1..=5 {
        s.push_frame().unwrap();
        pieces.push(big(&mut s, 1 << 62 | depth));
    }
    let originals = pieces.clone();
    // the top frame builds a DAG over pieces from every frame, with heavy reuse: 2^30 paths, 30 cells
    let leaf = T(&mut s, &[pieces[0], pieces[2], pieces[4], base]).unwrap();
    let dag = doubling(&mut s, leaf, 30);
    let mut root = T(&mut s, &[dag, dag, pieces[1], pieces[3], leaf]).unwrap();
    let want_objects = objects(root).len();
    // 30 doubling cells, 3 leaf cells, 4 root cells, 5 pieces and the base cell
    assert_eq!(want_objects, 30 + 3 + 4 + 5 + 1);
    let want_mug = crate::mug::mug(root);
    let want_text = format!("{leaf}");
    let tail = |n: Noun, k: usize| (0..k).fold(n, |n, _| n.tail().unwrap());
    for pops in 1..=5 {
        s.pop_preserving(&mut root).unwrap();
        let depth = 5 - pops;
        assert_eq!(s.depth(), depth);
        // sharing kept: the same number of distinct objects, however many times each is referenced
        assert_eq!(objects(root).len(), want_objects, "after {pops} pops");
        let c = root.as_cell().unwrap();
        let dag = c.head();
        assert!(dag.same(c.tail().head().unwrap()));
        let mut leaf = dag;
        for _ in 0..30 {
            let h = leaf.head().unwrap();
            assert!(
                h.same(leaf.tail().unwrap()),
                "each level's two halves stay one object"
            );
            leaf = h;
        }
        assert!(
            leaf.same(tail(root, 4)),
            "the leaf reached through the dag is the root's last element"
        );
        assert_eq!(format!("{leaf}"), want_text);
        // pieces from popped frames now live in the current frame; pieces from live frames were not moved
        let now = [
            leaf.head().unwrap(),
            tail(root, 2).head().unwrap(),
            tail(leaf, 1).head().unwrap(),
            tail(root, 3).head().unwrap(),
            tail(leaf, 2).head().unwrap(),
        ];
        for (k, piece) in now.iter().enumerate() {
            if k < depth {
                assert!(piece.same(originals[k]), "piece {k} after {pops} pops");
            } else {
                assert!(s.in_frame(piece.addr()), "piece {k} after {pops} pops");
            }
            assert_eq!(
                piece.as_atom().unwrap().words()[0],
                1 << 62 | (k as u64 + 1)
            );
        }
        assert!(
            tail(leaf, 3).same(base),
            "the root frame's cell is never copied"
        );
        assert!(s.in_frame(root.addr()));
        assert_eq!(crate::mug::mug(root), want_mug);
    }
}

#[test]
fn preserve_of_many_roots_shares_across_roots() {
    let mut s = NockStack::new(1 << 20).unwrap();
    s.push_frame().unwrap();
    let shared = big(&mut s, 99 << 40);
    let a = T(&mut s, &[shared, D(1)]).unwrap();
    let b = T(&mut s, &[D(2), shared]).unwrap();
    let mut roots = vec![a, b, shared, D(5)];
    s.pop_preserving(&mut roots).unwrap();
    assert!(roots[0].head().unwrap().same(roots[2]));
    assert!(roots[1].tail().unwrap().same(roots[2]));
    assert_eq!(roots[3], D(5));
    assert_eq!(objects(T(&mut s, &[roots[0], roots[1]]).unwrap()).len(), 4);
}

#[test]
fn alloc_exhaustion_is_oom() {
    let mut s = NockStack::new(1 << 16).unwrap();
    for frame in 0..3 {
        let free = s.free_words();
        assert_eq!(s.alloc_words(free + 1).err(), Some(Oom), "frame {frame}");
        assert_eq!(s.alloc_words(usize::MAX / 16).err(), Some(Oom));
        assert_eq!(s.free_words(), free, "a failed allocation takes nothing");
        let cp = s.checkpoint();
        assert!(s.alloc_words(free).is_ok());
        assert_eq!(s.free_words(), 0);
        assert_eq!(Cell::new(&mut s, D(1), D(2)).err(), Some(Oom));
        assert_eq!(Atom::new(&mut s, u64::MAX).err(), Some(Oom));
        s.restore(cp);
        s.alloc_words(free / 2).unwrap();
        s.push_frame().unwrap();
    }
}

#[test]
fn push_exhaustion_is_oom() {
    let mut s = NockStack::new(1 << 16).unwrap();
    for _frame in 0..2 {
        let cp = s.checkpoint();
        let free = s.free_words();
        let mut n = 0;
        while s.push(n as u64).is_ok() {
            n += 1;
        }
        assert_eq!(n, free);
        assert_eq!(s.push(7), Err(Oom));
        assert_eq!(s.alloc_words(1).err(), Some(Oom));
        assert_eq!(s.push_frame(), Err(Oom));
        // the words pushed are intact
        assert_eq!(s.pop(), free as u64 - 1);
        assert_eq!(s.peek(0), free as u64 - 2);
        s.restore(cp);
        s.push_frame().unwrap();
    }
}

#[test]
fn push_frame_exhaustion_is_oom() {
    let mut s = NockStack::new(1 << 16).unwrap();
    let mut depth = 0;
    loop {
        match s.push_frame() {
            Ok(()) => {
                depth += 1;
                // use up most of each frame so the gap shrinks quickly
                let take = s.free_words() / 2;
                s.alloc_words(take).unwrap();
            }
            Err(e) => {
                assert_eq!(e, Oom);
                break;
            }
        }
        assert!(depth < 100, "frames never ran out");
    }
    assert_eq!(s.depth(), depth);
    for _ in 0..depth {
        s.pop_frame();
    }
    assert_eq!(s.depth(), 0);
}

#[test]
fn preserve_exhaustion_is_oom_and_restore_recovers() {
    let mut s = NockStack::new(1 << 16).unwrap();
    let kept = T(&mut s, &[D(1), D(2)]).unwrap();
    let cp = s.checkpoint();
    s.push_frame().unwrap();
    // an atom over half the gap cannot be copied out next to itself
    let words = s.free_words() * 6 / 10;
    let data: Vec<u64> = (1..=words as u64 - 2).collect();
    let mut huge = Atom::from_words(&mut s, &data).unwrap().as_noun();
    assert_eq!(s.pop_preserving(&mut huge), Err(Oom));
    // a list too long to copy fails the same way, part way through
    s.restore(cp);
    s.push_frame().unwrap();
    let mut l = D(0);
    while s.free_words() > 3 * 1024 {
        l = T(&mut s, &[D(1), l]).unwrap();
    }
    assert_eq!(s.pop_preserving(&mut l), Err(Oom));
    s.restore(cp);
    assert_eq!(s.depth(), 0);
    assert_eq!(format!("{kept}"), "[1 2]");
    // and the stack is usable again
    s.push_frame().unwrap();
    let mut n = T(&mut s, &[kept, D(3)]).unwrap();
    s.pop_preserving(&mut n).unwrap();
    assert_eq!(format!("{n}"), "[[1 2] 3]");
}

#[test]
fn preserve_into_an_east_parent() {
    // Pops from a west frame into an east frame and back, checking both copy directions.
    let mut s = NockStack::new(1 << 20).unwrap();
    s.push_frame().unwrap(); // east
    s.push_frame().unwrap(); // west
    let a = big(&mut s, 5 << 60);
    let mut n = T(&mut s, &[a, a, D(9)]).unwrap();
    s.pop_preserving(&mut n).unwrap();
    assert!(s.in_frame(n.addr()));
    assert!(s.in_frame(n.head().unwrap().addr()));
    s.pop_preserving(&mut n).unwrap();
    assert!(s.in_frame(n.addr()));
    let c = n.as_cell().unwrap();
    assert!(c.head().same(c.tail().head().unwrap()));
    assert_eq!(c.tail().tail(), Some(D(9)));
}

/// A minor collection keeps the frame's old part in place, frees young garbage and keeps young survivors (which
/// may point at old objects), in both orientations.
#[test]
fn minor_collection_keeps_old_objects_in_place() {
    let mut s = NockStack::new(64 << 20).unwrap();
    for depth in 0..2 {
        if depth == 1 {
            s.push_frame().unwrap();
        }
        let mut old = T(&mut s, &[D(1), D(2)]).unwrap();
        let old_big = big(&mut s, 1 << 62);
        let mut roots = [old, old_big];
        let live = s.collect_top(&mut roots).unwrap();
        [old, _] = roots;
        let old_addr = old.addr();
        for i in 0..10_000 {
            T(&mut s, &[D(i), D(i)]).unwrap();
        }
        let mut young = T(&mut s, &[old, D(3)]).unwrap();
        let before = s.frame_alloc_words();
        let after = s.collect_young(live, &mut young).unwrap();
        assert!(after < before / 100, "garbage freed: {before} -> {after}");
        assert_eq!(after, live + CELL_WORDS);
        // The old cell did not move, the young one did and still points at it.
        assert_eq!(old.addr(), old_addr);
        assert!(young.head().unwrap().same(old));
        assert_eq!(format!("{young}"), "[[1 2] 3]");
        // Old garbage stays until a major collection.
        let mut keep = young;
        let major = s.collect_top(&mut keep).unwrap();
        assert_eq!(major, 2 * CELL_WORDS);
        assert_eq!(format!("{keep}"), "[[1 2] 3]");
    }
}

/// Is the page holding `addr` resident?
fn resident(addr: u64) -> bool {
    let page = addr & !4095;
    let mut v = 0u8;
    // SAFETY: mincore on one page of our own mapping, writing one byte into `v`.
    let r = unsafe { libc::mincore(page as *mut libc::c_void, 4096, &mut v) };
    assert_eq!(r, 0);
    v & 1 == 1
}

/// Popping a frame that touched a lot of memory gives the pages back; the margins next to what is in use stay.
#[test]
fn large_pops_give_pages_back() {
    // An east frame (allocating upward from the low end) and a west one (downward from the high end).
    for depth in [1, 2] {
        large_pop_gives_pages_back(depth);
    }
}

fn large_pop_gives_pages_back(depth: usize) {
    let mut s = NockStack::new(1 << 30).unwrap();
    for _ in 1..depth {
        s.push_frame().unwrap();
    }
    s.push_frame().unwrap();
    let mut probe = Noun::ZERO;
    for i in 0..(8 << 20) / 3 {
        let c = T(&mut s, &[D(i), D(i)]).unwrap();
        if i == (6 << 20) / 3 {
            probe = c;
        }
    }
    let far = probe.addr();
    assert!(resident(far));
    s.pop_frame();
    assert!(!resident(far), "the popped frame's pages were released");
    // The memory is usable again and reads back as fresh allocations.
    s.push_frame().unwrap();
    for i in 0..(8 << 20) / 3 {
        T(&mut s, &[D(i), D(i + 1)]).unwrap();
    }
    s.pop_frame();
}

/// Major collections compact in place: random DAGs (shared cells, big atoms) interleaved with garbage keep their
/// values, their sharing and their allocation order, in east and west frames, and only what is live stays allocated.
#[test]
fn compaction_keeps_values_sharing_and_order() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for depth in 0..3 {
        let mut s = NockStack::new(64 << 20).unwrap();
        for _ in 0..depth {
            s.push_frame().unwrap();
        }
        let mut pool: Vec<Noun> = Vec::new();
        let mut roots: Vec<Noun> = Vec::new();
        for i in 0..20_000u64 {
            let r = rand();
            let n = match r % 4 {
                0 => big(&mut s, r >> 8),
                1 | 2 if pool.len() > 1 => {
                    let a = pool[(rand() % pool.len() as u64) as usize];
                    let b = pool[(rand() % pool.len() as u64) as usize];
                    Cell::new(&mut s, a, b).unwrap().as_noun()
                }
                _ => T(&mut s, &[D(i), D(r >> 2)]).unwrap(),
            };
            // Most of it becomes garbage; some is kept as roots.
            if r % 7 == 0 {
                roots.push(n);
            }
            pool.push(n);
            if pool.len() > 64 {
                pool.remove((rand() % 64) as usize);
            }
        }
        let texts: Vec<String> = roots.iter().map(|n| format!("{n}")).collect();
        let shared = |roots: &[Noun]| -> Vec<bool> {
            roots
                .windows(2)
                .map(|w| match (w[0].as_cell(), w[1].as_cell()) {
                    (Some(a), Some(b)) => a.head().same(b.head()),
                    _ => false,
                })
                .collect()
        };
        let sharing = shared(&roots);
        let order: Vec<bool> = roots
            .windows(2)
            .map(|w| s.allocated_before_in_top(w[0].addr(), w[1].addr()))
            .collect();
        let before = s.frame_alloc_words();
        let after = s.collect_top(&mut roots).unwrap();
        assert!(after < before, "garbage freed: {before} -> {after}");
        let reached: usize = {
            let mut seen = std::collections::HashSet::new();
            let mut todo = roots.clone();
            let mut words = 0;
            while let Some(n) = todo.pop() {
                if !n.is_allocated() || !seen.insert(n.raw()) {
                    continue;
                }
                match n.as_cell() {
                    Some(c) => {
                        words += CELL_WORDS;
                        todo.push(c.head());
                        todo.push(c.tail());
                    }
                    None => words += 2 + n.as_atom().unwrap().words().len(),
                }
            }
            words
        };
        assert_eq!(after, reached, "exactly the live words are kept");
        let now: Vec<String> = roots.iter().map(|n| format!("{n}")).collect();
        assert_eq!(now, texts);
        assert_eq!(shared(&roots), sharing);
        let order_now: Vec<bool> = roots
            .windows(2)
            .map(|w| s.allocated_before_in_top(w[0].addr(), w[1].addr()))
            .collect();
        assert_eq!(order_now, order, "allocation order kept");
        // The frame is usable afterwards.
        let extra = T(&mut s, &[roots[0], D(1)]).unwrap();
        assert_eq!(format!("{}", extra.head().unwrap()), texts[0]);
    }
}
