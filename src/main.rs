//! The `secop` binary: parses the command line and runs one command.

use std::process::ExitCode;

// mimalloc: the ingest allocates and frees many small objects on several threads (HTTP,
// normalisation, tantivy's indexing threads); glibc's per-thread arenas kept hundreds of MB
// of freed memory resident, mimalloc returns it and allocates faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    secop_bridge::cli::main()
}
