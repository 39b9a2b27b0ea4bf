//! The Kernel through its library API, on the own test pill, with each store: the jet registrations made while
//! booting survive settling, `%pack`, `%meld` and a save and restore (the dashboard follows the state wherever the
//! store moves it), and forgetting the state forgets them.

use mars::kernel::{new_context, Kernel};
use mars::king::{boot_sequence, parse_pill, test_pill, BootOptions};
use mars::noun::{list, tas, Atom, HeapAlloc, Noun, D, T};
use mars::serial::{cue_bytes, jam_to_bytes};
use mars::snapshot::StoreKind;
use std::path::Path;

/// The registrations of the own pill's lifecycle: the root `%a50` and the gate `%lth`.
const REGISTERED: usize = 2;

fn kernel(pier: &Path, store: StoreKind) -> Kernel {
    Kernel::new(
        new_context(64 << 20, 1000).unwrap(),
        store.open(pier, false),
    )
}

/// Copy a noun built in the heap into the kernel's root frame (the state must never point into process memory).
fn onto_stack(k: &mut Kernel, n: Noun) -> Noun {
    cue_bytes(&mut k.ctx.stack, &jam_to_bytes(n)).unwrap()
}

fn boot(k: &mut Kernel) {
    let mut h = HeapAlloc::new();
    let pill = parse_pill(&mut h, &test_pill::pill_bytes()).unwrap();
    let events = boot_sequence(&mut h, &pill, &BootOptions::new(0)).unwrap();
    let lit = list(&mut h, &events).unwrap();
    let lit = onto_stack(k, lit);
    k.boot(lit).unwrap();
    k.settle(&mut ()).unwrap();
}

/// Poke `[now [/mars/test [%jets 1000]]]`; returns the jet hits it took.
fn jets_event(k: &mut Kernel, now: u64) -> u64 {
    let mut h = HeapAlloc::new();
    let date = Atom::from_u128(&mut h, (0x8000_000d_33f1_fe80u128 + now as u128) << 64).unwrap();
    let wire = T(&mut h, &[tas("mars"), tas("test"), D(0)]).unwrap();
    let job = T(&mut h, &[date.as_noun(), wire, tas("jets"), D(1000)]).unwrap();
    let job = onto_stack(k, job);
    let hits = k.ctx.stats.jet_hits;
    k.poke(0, job).unwrap();
    k.settle(&mut ()).unwrap();
    k.ctx.stats.jet_hits - hits
}

#[test]
fn jets_survive_settle_pack_meld_and_a_restart() {
    for store in [StoreKind::Pma, StoreKind::Jam] {
        let dir = tempfile::tempdir().unwrap();
        let mut k = kernel(dir.path(), store);
        assert!(!k.restore().unwrap(), "{store:?}: a fresh pier");
        boot(&mut k);
        assert_eq!(k.ctx.jets.registered(), REGISTERED, "{store:?}");
        assert!(
            k.state().cold.is_cell(),
            "{store:?}: the cold state is part of the state"
        );
        assert_eq!(jets_event(&mut k, 1), 1, "{store:?}");
        k.pack().unwrap();
        assert_eq!(k.ctx.jets.registered(), REGISTERED, "{store:?} after %pack");
        assert_eq!(jets_event(&mut k, 2), 1, "{store:?} after %pack");
        k.meld().unwrap();
        assert_eq!(jets_event(&mut k, 3), 1, "{store:?} after %meld");
        k.save().unwrap();
        let saved = *k.state();
        drop(k);

        let mut k = kernel(dir.path(), store);
        assert!(k.restore().unwrap(), "{store:?}: the saved state");
        assert_eq!(
            (k.state().event, k.state().mug),
            (saved.event, saved.mug),
            "{store:?}"
        );
        assert_eq!(k.ctx.jets.registered(), REGISTERED, "{store:?} restored");
        assert_eq!(jets_event(&mut k, 4), 1, "{store:?} restored");
        let with_jets = k.state().mug;
        drop(k);

        // The same event without the registrations: the gate's Nock runs, to the same kernel.
        let mut k = kernel(dir.path(), store);
        assert!(k.restore().unwrap());
        k.ctx.jets.reload(&k.ctx.stack, Noun::ZERO);
        assert_eq!(k.ctx.jets.registered(), 0);
        assert_eq!(jets_event(&mut k, 4), 0, "{store:?} without jets");
        assert_eq!(
            k.state().mug,
            with_jets,
            "{store:?}: jets change nothing but speed"
        );

        k.forget();
        assert!(!k.state().has_kernel());
        assert_eq!(
            k.ctx.jets.registered(),
            0,
            "{store:?}: forgotten with the state"
        );
    }
}

#[test]
fn the_memory_store_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = kernel(dir.path(), StoreKind::Memory);
    boot(&mut k);
    assert_eq!(jets_event(&mut k, 1), 1);
    k.save().unwrap();
    let mut k = kernel(dir.path(), StoreKind::Memory);
    assert!(!k.restore().unwrap());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
