//! Shared test support: the mock SODA API and harvest helpers.

pub mod harvest_util;
pub mod soda_mock;
