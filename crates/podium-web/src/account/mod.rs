//! A person's own account: signing up, passwords, sessions. It must never import another area.

pub mod follows;
pub mod security;
pub mod signin;
pub mod signup;
