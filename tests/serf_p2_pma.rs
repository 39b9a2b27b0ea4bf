//! The P2 serf end to end with the persistent arena snapshot store.

const STORE: &str = "pma";

include!("common/serf_p2_cases.rs");
