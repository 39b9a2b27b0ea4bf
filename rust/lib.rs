//! mars: a Nock runtime that runs as Urbit's serf.
pub mod pma;
