//! Running the real `costwise` binary from the end-to-end tests.
#![allow(dead_code)] // each test binary uses part of it

use std::path::Path;
use std::process::{Command, Output};

/// Runs `costwise args...` in `cwd` (with `RUST_LOG` cleared, so the log level is the CLI's own) and waits.
pub fn costwise(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_costwise"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .output()
        .expect("the costwise binary runs")
}

/// The command's stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The command's stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
