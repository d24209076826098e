//! The `secop` binary: parses the command line and runs one command.

use std::process::ExitCode;

fn main() -> ExitCode {
    secop_bridge::cli::main()
}
