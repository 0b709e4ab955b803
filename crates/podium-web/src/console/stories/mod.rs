//! Stories: writing and publishing them, licensors' reviews. It must never import another area.

pub mod pages;
pub mod review;
