//! The `secop` binary: parses the command line and runs one command.

use std::process::ExitCode;

// mimalloc: the ingest allocates and frees many small objects on several threads (HTTP,
// normalisation, tantivy's indexing threads); glibc's per-thread arenas kept hundreds of MB
// of freed memory resident, mimalloc returns it and allocates faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    no_transparent_huge_pages();
    secop_bridge::cli::main()
}

/// Turns transparent huge pages off for this process. mimalloc asks for them on its
/// arenas, and it returns freed memory to the system: each reuse then faults in and zeroes a
/// whole 2 MiB page. Profiled on the 247k-row import, `clear_page_erms` alone took 12 % of
/// the samples and the kernel 7.4-10.5 CPU-s; without huge pages the kernel takes 4.9-6.1 s,
/// and the peak RSS is a little lower (BENCHMARKS.md, "Transparent huge pages off").
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this
        // process. Should it fail, the import is slower, nothing else.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}
