//! A licensor's console: properties, agreements, the approval queue, codes and the audit log.
//! It must never import another area.

pub mod audit;
pub mod codes;
pub mod console;
