//! The full Arvo of `brass.pill` booted through the real serf binary, used as a ship: the drivers' start events,
//! the dojo typed into over dill, a clay scry, and `%save`, SIGKILL and restart with the dojo still answering.
//!
//! About two and a half minutes of one core, at Vere's default loom (2^31 bytes): `cargo test --release --test brass`.

use mars::king::{
    cards, parse_pill, BootOptions, Chatter, King, PeekReply, PlayReply, SpawnOptions, WorkReply,
};
use mars::noun::{tas, Noun, D, T};
use mars::test_support::{pills_dir, read_shared};

fn mars_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_mars"))
}

/// Does some subtree of `n` satisfy `pred`?
fn contains(n: Noun, mut pred: impl FnMut(Noun) -> bool) -> bool {
    let mut todo = vec![n];
    while let Some(x) = todo.pop() {
        if pred(x) {
            return true;
        }
        if let Some(c) = x.as_cell() {
            todo.push(c.head());
            todo.push(c.tail());
        }
    }
    false
}

/// Send one ovum; it must compute. Returns its effects.
fn work(king: &mut King, ovum: Noun) -> Noun {
    match king.work(0, ovum).unwrap() {
        WorkReply::Done { effects, .. } => effects,
        other => panic!("event {} did not compute: {other:?}", king.event() + 1),
    }
}

/// Type `line` into the dojo and return what the terminal drew.
fn dojo(king: &mut King, line: &str) -> Vec<String> {
    let ova = cards::type_line(&mut king.heap, line).unwrap();
    let mut drawn = Vec::new();
    for ovum in ova {
        let effects = work(king, ovum);
        drawn.extend(cards::blit_text(effects));
    }
    drawn
}

#[test]
fn brass_boots_to_a_working_ship() {
    let Some(bytes) = read_shared(&pills_dir().join("brass.pill")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut opts = SpawnOptions::new(&mars_bin(), dir.path());
    opts.loom_bits = 31;
    let mut king = King::start(opts, Chatter::Collect).unwrap();
    let pill = parse_pill(&mut king.heap, &bytes).unwrap();
    let o = BootOptions::new(0);
    match king.boot(&pill, &o).unwrap() {
        PlayReply::Done { mug } => assert_ne!(mug, 0),
        PlayReply::Bail { goof, .. } => panic!("brass boot failed: {}", goof.mote_name()),
    }
    assert_eq!(king.event(), 13, "fake ~zod boots in 13 events");

    // What a Vere 1.16 king sends on start: every one must compute (no %swap, no bail).
    let now = king.now();
    for ovum in cards::start_ova(&mut king.heap, &o, now).unwrap() {
        work(&mut king, ovum);
    }
    assert_eq!(king.event(), 25);

    let drawn = dojo(&mut king, "(add 2 2)");
    assert!(drawn.iter().any(|l| l == "4"), "{drawn:?}");
    let drawn = dojo(&mut king, "(turn (gulf 1 5) dec)");
    assert!(drawn.iter().any(|l| l == "~[0 1 2 3 4]"), "{drawn:?}");

    // An event that runs out of memory (a list far larger than the loom, built by unjetted recursion) fails as
    // Vere's do, with %meme, and is replaced by its %crud (or bails); the ship lives on and the next line works.
    let line = "(lent (reap 200.000.000 [1 2]))";
    let ova = cards::type_line(&mut king.heap, line).unwrap();
    let mut failed = 0;
    for ovum in ova {
        match king.work(0, ovum).unwrap() {
            WorkReply::Done { .. } => {}
            WorkReply::Swap { job, .. } => {
                assert!(contains(job, |n| n == tas("meme")), "the %crud names %meme");
                failed += 1;
            }
            WorkReply::Bail { goofs } => {
                assert!(goofs.iter().any(|g| g.mote_name() == "meme"), "{goofs:?}");
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 1, "the line's event ran out of memory");
    // The dojo still shows the line it could not take: erase it, as a user would.
    for ovum in cards::erase_chars(&mut king.heap, line.len()).unwrap() {
        work(&mut king, ovum);
    }
    let drawn = dojo(&mut king, "(add 3 4)");
    assert!(drawn.iter().any(|l| l == "7"), "{drawn:?}");

    // Clay: the %base desk's /sys/kelvin file.
    let sam = cards::peek_once(&mut king.heap, "cx/base/sys/kelvin").unwrap();
    let res = match king.peek(0, sam).unwrap() {
        PeekReply::Done(res) => res,
        PeekReply::Bail(goof) => panic!("peek crashed: {}", goof.mote_name()),
    };
    // `[~ %omen /cx/~zod/base/<date>/sys/kelvin %kelvin ...]`, holding the file's `[%zuse 417]`
    let shown = cards::render_peek(res);
    assert!(shown.starts_with("%omen /cx/~zod/base/"), "{shown}");
    assert!(shown.contains("/sys/kelvin %kelvin"), "{shown}");
    let kelvin = T(&mut king.heap, &[tas("zuse"), D(417)]).unwrap();
    assert!(
        contains(res, |n| mars::equality::noun_eq(n, kelvin)),
        "{shown}"
    );

    // %save, SIGKILL, restart: %ripe reports the saved event and mug, and the dojo still answers.
    let saved = king.event();
    let saved_mug = king.serf().unwrap().mug;
    king.save().unwrap();
    let (eve, mug) = king.restart().unwrap();
    assert_eq!((eve, mug), (saved, saved_mug));
    let drawn = dojo(&mut king, "(add 2 2)");
    assert!(drawn.iter().any(|l| l == "4"), "{drawn:?}");
    king.shutdown().unwrap();
}
