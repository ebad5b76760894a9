//! (being written)
pub mod lib;
