//! Continuing a pier Vere 4.5 booted (`shared/fixtures/vere45-zod`: brass.pill as a fake ~zod, 25 events in the epoch
//! layout, no snapshot mars can use): `mars work --snap-dir` replays the whole log from scratch before `%ripe` and must
//! reproduce every mug Vere stored (events 14–25, `mugs.txt`), then continue the pier.
//!
//! One run of brass's boot: about two minutes of one core in release, up to 4 GB of memory:
//! `cargo test --release --test vere45_zod`.

use mars::eventlog::PierLog;
use mars::king::p2::{P2Options, WorkProcess};
use mars::king::Chatter;
use mars::noun::{tas, HeapAlloc, D, T};
use mars::protocol::p2::PokeReply;
use std::path::Path;

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
            let mut perm = std::fs::metadata(&to).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&to, perm).unwrap();
        }
    }
}

#[test]
fn mars_work_continues_a_pier_booted_by_vere_4_5() {
    let Some(fixture) = mars::test_support::vere45_zod_fixture() else {
        return;
    };
    let mugs: Vec<(u64, u32)> = std::fs::read_to_string(fixture.join("mugs.txt"))
        .unwrap()
        .lines()
        .map(|l| {
            let (n, m) = l.split_once(' ').unwrap();
            (n.parse().unwrap(), u32::from_str_radix(m, 16).unwrap())
        })
        .collect();
    let (last, last_mug) = *mugs.last().unwrap();
    assert_eq!(last, 25);
    let pier = std::env::temp_dir().join(format!("mars-vere45-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pier);
    copy_tree(&fixture, &pier);

    let mut o = P2Options::new(Path::new(env!("CARGO_BIN_EXE_mars")), &pier);
    // brass's %what events compile the whole base desk in one computation: more than Vere's default loom.
    o.loom_bits = 33;
    o.capture_stderr = true;
    o.flags = 64; // quiet: no boot chatter
    let w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug, w.who, w.fake), (last, last_mug, 0, true));
    let (_, stderr) = w.wait_with_stderr().unwrap();
    assert!(
        stderr.contains("play: events 6-25") && stderr.contains("12 mugs checked, 0 mismatches"),
        "{stderr}"
    );
    // The log rolled over to 0i25 after the replay in epoch 0, as Vere does; every stored mug is intact.
    let log = PierLog::open_read_only(&pier).unwrap();
    assert_eq!(log.latest().number(), 25);
    for (n, m) in &mugs {
        assert_eq!(log.get(*n).unwrap().unwrap().mug, *m, "event {n}");
    }
    drop(log);

    // The pier continues from mars's own snapshot: no replay, and a new event is logged in the new epoch.
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (last, last_mug));
    let wire = T(&mut h, &[tas("d"), tas("term"), tas("1"), D(0)]).unwrap();
    let ovum = T(&mut h, &[wire, tas("hail"), D(0)]).unwrap();
    assert!(matches!(
        w.poke(&mut h, 0, ovum).unwrap(),
        PokeReply::Done(_)
    ));
    assert!(w.exit(&mut h).unwrap().success());
    let log = PierLog::open_read_only(&pier).unwrap();
    assert_eq!(log.last().unwrap(), 26);
    assert_ne!(log.get(26).unwrap().unwrap().mug, 0);
    drop(log);
    let _ = std::fs::remove_dir_all(&pier);
}
