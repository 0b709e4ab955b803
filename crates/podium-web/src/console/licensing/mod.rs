//! A licensor's console: properties, agreements, the approval queue, codes and the audit log.
//! It must never import another area.

pub mod agreements;
pub mod audit;
pub mod codes;
pub mod codes_sheet;
pub mod console;
pub mod merchant;
pub mod properties;
pub mod queue;
pub mod submission;
