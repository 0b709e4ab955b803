//! The consoles, one folder per role's work: `shop`, `licensing`, `stories`, `operator`, `money`.
//! Each folder is an area of its own; they must never import one another.

pub mod licensing;
pub mod money;
pub mod operator;
pub mod shop;
pub mod start;
pub mod stories;
