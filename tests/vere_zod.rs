//! Bit-exactness with Vere: replaying the event log Vere 1.16 wrote while booting a fake ~zod from brass.pill
//! (`shared/fixtures/vere-zod`) must reproduce every mug Vere stored (events 14–25), through the same lifecycle and
//! `+poke` path the serf uses.
//!
//! About four minutes of one core and up to 4 GB of memory: `cargo test --release --test vere_zod`.

use std::process::Command;

#[test]
fn replay_of_vere_zod_reproduces_every_stored_mug() {
    let Some(pier) = mars::test_support::vere_zod_fixture() else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(["play", "--from-scratch", "--snapshot", "none"])
        .arg(&pier)
        .output()
        .expect("run mars play");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("replayed 20 events to event 25")
            && err.contains("mugs checked 12, mismatches 0"),
        "{err}"
    );
}
