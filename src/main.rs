//! The `costwise` binary. Everything lives in `costwise_report::cli`, so the
//! command line can be tested and embedded; this file only hands over.

use std::process::ExitCode;

fn main() -> ExitCode {
    costwise_report::cli::main()
}
