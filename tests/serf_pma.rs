//! The serf end to end with the persistent-arena snapshot store (the default).

const STORE: &str = "pma";

include!("common/serf_cases.rs");
