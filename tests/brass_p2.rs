//! brass.pill booted the P2 way, as Vere 4.x's king does it with mars as `--serf-bin`: `mars boot --snap-dir` with a
//! boot frame (the serf assembles the sequence and runs the lifecycle over all of it), then `mars work --snap-dir`;
//! the dojo answers; and a replay from scratch (the lifecycle on the 5 boot formulas, then `+poke`) reaches the same
//! kernel mug: the two paths Vere relies on agreeing.
//!
//! Two brass boots (about four minutes of one core in release, up to 4 GB of memory), so not run by default:
//! `cargo test --release --test brass_p2 -- --ignored`.

use mars::king::p2::{boot, P2Options, WorkProcess};
use mars::king::{cards, Chatter};
use mars::noun::HeapAlloc;
use mars::protocol::p2::PokeReply;
use mars::test_support::{pills_dir, read_shared};
use std::path::Path;

#[test]
#[ignore = "two brass boots: cargo test --release --test brass_p2 -- --ignored"]
fn brass_boots_through_mars_boot_snap_dir_and_replays_to_the_same_mug() {
    let Some(pill) = read_shared(&pills_dir().join("brass.pill")) else {
        return;
    };
    let pier = std::env::temp_dir().join(format!("mars-brass-p2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pier);
    let mut o = P2Options::new(Path::new(env!("CARGO_BIN_EXE_mars")), &pier);
    o.loom_bits = 33;
    o.capture_stderr = true;
    o.flags = 64;
    boot(&o, &pill, 0, Chatter::Collect).unwrap();
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((w.event, w.who, w.fake), (13, 0, true));
    let boot_mug = w.mug;
    // The drivers' start events, then the dojo.
    let ova = cards::start_ova(
        &mut h,
        &mars::king::BootOptions::new(0),
        mars::king::date::now_da(),
    )
    .unwrap();
    for ovum in ova {
        assert!(matches!(
            w.poke(&mut h, 0, ovum).unwrap(),
            PokeReply::Done(_)
        ));
    }
    let mut drawn = Vec::new();
    for ovum in cards::type_line(&mut h, "(add 2 2)").unwrap() {
        if let PokeReply::Done(fx) = w.poke(&mut h, 0, ovum).unwrap() {
            drawn.extend(cards::blit_text(fx));
        }
    }
    assert!(drawn.iter().any(|l| l.trim() == "4"), "{drawn:?}");
    let (eve, mug) = w.sync(&mut h).unwrap();
    assert!(w.exit(&mut h).unwrap().success());
    assert!(eve > 13);
    // From scratch: the lifecycle on events 1..5, every later event poked, every stored mug checked.
    std::fs::remove_dir_all(pier.join(".urb/chk")).unwrap();
    let w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (eve, mug));
    let (_, stderr) = w.wait_with_stderr().unwrap();
    assert!(stderr.contains(" 0 mismatches"), "{stderr}");
    assert_ne!(boot_mug, 0);
    let _ = std::fs::remove_dir_all(&pier);
}
