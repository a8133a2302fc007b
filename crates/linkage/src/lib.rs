//! Probabilistic record linkage for Indonesian person records (work in progress).

pub mod bench;
