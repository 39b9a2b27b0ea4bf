//! Migrating Vere 1.16's P1 log (`shared/fixtures/vere-zod`: brass.pill as a fake ~zod, 25 events) on the first
//! `mars work --snap-dir`, as Vere 4.x does, then replaying it from scratch with every stored mug reproduced.
//!
//! A second full brass replay besides `tests/vere_zod.rs` (a few minutes in release), so it is not run by default:
//! `cargo test --release --test vere_zod_migrate -- --ignored`. The cheap migration test through the binary is
//! `p1_pier_is_migrated_on_first_work` in `tests/common/serf_p2_cases.rs`.

use mars::eventlog::{Layout, PierLog};
use mars::king::p2::{P2Options, WorkProcess};
use mars::king::Chatter;
use std::path::Path;

#[test]
#[ignore = "a full brass replay: cargo test --release --test vere_zod_migrate -- --ignored"]
fn vere_1_16_log_is_migrated_and_replayed_by_mars_work() {
    let Some(fixture) = mars::test_support::vere_zod_fixture() else {
        return;
    };
    let pier = std::env::temp_dir().join(format!("mars-vere-zod-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pier);
    let log = pier.join(".urb/log");
    std::fs::create_dir_all(&log).unwrap();
    // The fixture is read-only; LMDB wants a writable copy.
    std::fs::copy(fixture.join(".urb/log/data.mdb"), log.join("data.mdb")).unwrap();
    let mut perm = std::fs::metadata(log.join("data.mdb"))
        .unwrap()
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(log.join("data.mdb"), perm).unwrap();
    let before: Vec<_> = PierLog::open_read_only(&pier)
        .unwrap()
        .iter()
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(before.len(), 25);

    let mut o = P2Options::new(Path::new(env!("CARGO_BIN_EXE_mars")), &pier);
    o.loom_bits = 33;
    o.capture_stderr = true;
    o.flags = 64;
    let w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (25, before[24].mug));
    let (_, stderr) = w.wait_with_stderr().unwrap();
    assert!(stderr.contains("migrated the P1 event log"), "{stderr}");
    assert!(stderr.contains("12 mugs checked, 0 mismatches"), "{stderr}");
    let log = PierLog::open_read_only(&pier).unwrap();
    assert_eq!(log.layout(), Layout::Epochs);
    let after: Vec<_> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(before, after);
    drop(log);
    let _ = std::fs::remove_dir_all(&pier);
}
