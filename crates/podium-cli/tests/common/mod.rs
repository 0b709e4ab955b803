//! Processes the tests start die with them: a passing test, a failing or panicking one, and a
//! test process killed outright (where no destructor runs) leave no `podium` behind.

#![allow(dead_code)]

pub mod node;

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command};
use std::sync::OnceLock;

/// A `podium` command. On Linux it runs through `setpriv --pdeathsig KILL`, so the kernel kills it
/// when the thread that started it ends: each test starts its processes on its own thread, which
/// lives exactly as long as the test. (The workspace forbids `unsafe`, hence no `pre_exec`.)
pub fn podium_command() -> Command {
    let bin = env!("CARGO_BIN_EXE_podium");
    if !pdeathsig() {
        return Command::new(bin);
    }
    let mut c = Command::new("setpriv");
    c.args(["--pdeathsig", "KILL", "--", bin]);
    c
}

fn pdeathsig() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--", "true"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// A running process that is killed and reaped when dropped, also when the test panics.
pub struct Running(Child);

impl Running {
    pub fn spawn(command: &mut Command) -> std::io::Result<Running> {
        command.spawn().map(Running)
    }
}

impl Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
