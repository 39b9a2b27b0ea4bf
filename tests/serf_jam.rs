//! The serf end to end with the double-buffered jam snapshot store.

const STORE: &str = "jam";

include!("common/serf_cases.rs");
