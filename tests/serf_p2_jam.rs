//! The P2 serf end to end with the double-buffered jam snapshot store.

const STORE: &str = "jam";

include!("common/serf_p2_cases.rs");
