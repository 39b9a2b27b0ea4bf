//! Model-based property test: random sequences of alloc, write (with dirty), free, set_root,
//! GC, commit and reopen (an uncommitted close is a process crash) against an in-memory model.
//! Checks: contents equal after every reopen; live blocks never overlap; `pma_check` clean;
//! GC keeps every marked block and frees every unmarked one.
mod pma_util;

use mars::pma::Pma;
use pma_util::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Alloc { size: usize, keep: bool },
    Write { pick: usize, tag: u64 },
    Free { pick: usize },
    SetRoot { slot: usize, value: u64 },
    Gc,
    Commit,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![
        6 => 1usize..200,
        3 => 200usize..8200,
        1 => 8200usize..300_000,
    ];
    prop_oneof![
        8 => (size, any::<bool>()).prop_map(|(size, k)| Op::Alloc { size, keep: k }),
        3 => (any::<usize>(), any::<u64>()).prop_map(|(pick, tag)| Op::Write { pick, tag }),
        3 => any::<usize>().prop_map(|pick| Op::Free { pick }),
        1 => (0usize..16, any::<u64>()).prop_map(|(slot, value)| Op::SetRoot { slot, value }),
        1 => Just(Op::Gc),
        2 => Just(Op::Commit),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Clone, Default)]
struct State {
    blocks: BTreeMap<u64, (usize, u64, bool)>, // addr -> (words, tag, keep)
    roots: [u64; 16],
}

fn check_contents(p: &mut Pma, st: &State) -> Result<(), TestCaseError> {
    for (&a, &(words, tag, _)) in &st.blocks {
        prop_assert!(p.block_size(a as *const u64) >= words * 8);
        // SAFETY: a is a live block of at least `words` words.
        let bad = unsafe { verify(a as *const u64, words, tag) };
        prop_assert_eq!(bad, None, "block {:x}", a);
    }
    prop_assert_eq!(p.roots(), st.roots);
    let r = p.check();
    prop_assert!(r.is_clean(), "{}", r.first_error);
    Ok(())
}

fn run(ops: Vec<Op>, base: (u64, u64)) -> Result<(), TestCaseError> {
    let s = Scratch::new("model");
    let mut p = Some(open(s.path(), base));
    let mut cur = State::default();
    let mut committed = State::default();
    let mut event = 0;
    let mut next_tag = 1u64;
    for op in ops {
        let pm = p.as_mut().unwrap();
        match op {
            Op::Alloc { size, keep } => {
                let b = pm.alloc(size).unwrap().as_ptr() as u64;
                let words = size.div_ceil(8);
                let end = b + (words as u64) * 8;
                // no overlap with any live block
                if let Some((&a, &(w, _, _))) = cur.blocks.range(..end).next_back() {
                    prop_assert!(a + (w as u64) * 8 <= b, "overlap {a:x} {b:x}");
                }
                next_tag += 1;
                // SAFETY: fresh block of at least `words` words.
                unsafe { fill(b as *mut u64, words, next_tag) };
                cur.blocks.insert(b, (words, next_tag, keep));
            }
            Op::Write { pick, tag } => {
                if cur.blocks.is_empty() {
                    continue;
                }
                let (&a, &(words, _, keep)) =
                    cur.blocks.iter().nth(pick % cur.blocks.len()).unwrap();
                pm.dirty(a as *const u8, words * 8).unwrap();
                // SAFETY: live block, just dirtied.
                unsafe { fill(a as *mut u64, words, tag) };
                cur.blocks.insert(a, (words, tag, keep));
            }
            Op::Free { pick } => {
                if cur.blocks.is_empty() {
                    continue;
                }
                let a = *cur.blocks.keys().nth(pick % cur.blocks.len()).unwrap();
                pm.free(a as *mut u64).unwrap();
                cur.blocks.remove(&a);
            }
            Op::SetRoot { slot, value } => {
                pm.root_set(slot, value);
                cur.roots[slot] = value;
            }
            Op::Gc => {
                let keep: Vec<u64> = cur.blocks.iter().filter(|b| b.1 .2).map(|b| *b.0).collect();
                let dead = cur.blocks.len() - keep.len();
                let st = pm
                    .gc(|m| {
                        for &a in &keep {
                            m.mark(a as *const u8);
                        }
                    })
                    .unwrap();
                prop_assert_eq!(st.blocks_freed as usize, dead);
                prop_assert_eq!(st.blocks_live as usize, keep.len());
                cur.blocks.retain(|_, b| b.2);
                let r = pm.check();
                prop_assert!(r.is_clean(), "after gc: {}", r.first_error);
            }
            Op::Commit => {
                event += 1;
                pm.commit(event, 0, 0).unwrap();
                committed = cur.clone();
                let r = pm.check();
                prop_assert!(r.is_clean(), "after commit: {}", r.first_error);
            }
            Op::Reopen => {
                drop(p.take());
                p = Some(open(s.path(), base));
                cur = committed.clone();
                check_contents(p.as_mut().unwrap(), &cur)?;
            }
        }
    }
    let pm = p.as_mut().unwrap();
    event += 1;
    pm.commit(event, 0, 0).unwrap();
    drop(p.take());
    let mut p = open(s.path(), base);
    check_contents(&mut p, &cur)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn model_equivalence(ops in proptest::collection::vec(op(), 1..80)) {
        thread_local! {
            static BASE: (u64, u64) = unique_base();
        }
        let base = BASE.with(|b| *b);
        run(ops, base)?;
    }
}
