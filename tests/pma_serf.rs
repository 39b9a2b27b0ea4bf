//! The serf with the persistent-arena store, end to end: events, `%pack` reclaiming space, SIGKILL and restart with
//! identical `%ripe`, and `mars pma inspect|check|gc`.

use mars::king::{parse_pill, test_pill, BootOptions, Chatter, King, SpawnOptions, WorkReply};
use mars::noun::{tas, D, T};
use std::path::Path;
use std::process::Command;

fn king(pier: &Path) -> King {
    let mut o = SpawnOptions::new(Path::new(env!("CARGO_BIN_EXE_mars")), pier);
    o.snapshot = Some("pma".into());
    o.capture_stderr = true;
    King::start(o, Chatter::Collect).unwrap()
}

fn mars(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn bytes_in_use(pier: &Path) -> u64 {
    let (code, out) = mars(&["pma", "check", pier.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let i = out.find(" bytes in use").expect("bytes in use");
    out[..i].rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn pack_reclaims_and_restart_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("zod");
    let mut k = king(&pier);
    let pill = parse_pill(&mut k.heap, &test_pill::pill_bytes()).unwrap();
    k.boot(&pill, &BootOptions::new(0)).unwrap();
    let wire = T(&mut k.heap, &[tas("mars"), D(0)]).unwrap();
    let mut last = 0;
    for i in 0..300u64 {
        let ovum = T(&mut k.heap, &[wire, tas("note"), D(i)]).unwrap();
        match k.work(0, ovum).unwrap() {
            WorkReply::Done { mug, .. } => last = mug,
            other => panic!("{other:?}"),
        }
    }
    k.save().unwrap();
    k.kill();
    let before = bytes_in_use(&pier);
    assert_eq!(k.restart().unwrap(), (308, last));
    // %pack collects the arena: the per-event state records and replaced kernel nodes are reclaimed.
    let h = &mut k.heap;
    k.serf.as_mut().unwrap().pack(h).unwrap();
    k.save().unwrap();
    k.kill();
    let after = bytes_in_use(&pier);
    assert!(after < before, "pack freed nothing: {before} -> {after}");
    // %meld shares equal subtrees: never more space than after the pack, and the same state.
    assert_eq!(k.restart().unwrap(), (308, last));
    let h = &mut k.heap;
    k.serf.as_mut().unwrap().meld(h).unwrap();
    k.save().unwrap();
    k.kill();
    let melded = bytes_in_use(&pier);
    assert!(melded <= after, "meld grew the arena: {after} -> {melded}");
    eprintln!("arena bytes in use: {before} before %pack, {after} after, {melded} after %meld");
    // SIGKILL, restart: the saved event and mug come back, and the next event works.
    let (eve, mug) = k.restart().unwrap();
    assert_eq!((eve, mug), (308, last));
    let ovum = T(&mut k.heap, &[wire, tas("note"), D(999)]).unwrap();
    assert!(matches!(
        k.work(0, ovum).unwrap(),
        WorkReply::Done { eve: 309, .. }
    ));
    k.kill();
    // The arena is consistent; offline GC keeps it loadable with the same state.
    let (code, out) = mars(&["pma", "inspect", pier.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("event 308"), "{out}");
    let (code, out) = mars(&["pma", "gc", pier.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (eve2, mug2) = k.restart().unwrap();
    assert_eq!((eve2, mug2), (308, last));
    k.kill();
}

#[test]
fn pma_commands_report_missing_arenas() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = mars(&["pma", "check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no persistent arena"), "{out}");
}
