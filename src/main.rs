// The dataflow allocates and frees many short-lived batches and hash tables;
// mimalloc serves that pattern with far less time in the allocator than glibc's.
// It is built without transparent huge pages (`no_thp`): with them, every page
// it returned and touched again was a 2 MiB page for the kernel to zero, a
// quarter of a run's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (`mimalloc.h`), which
/// `libmimalloc-sys` does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before mimalloc returns it.
/// Against its default, a second, 100 ms lowered a 5M-event run's peak
/// resident memory by 70-100 MB for a few percent of the time
/// (bench/HISTORY.md); immediate return (0) lowered it further but made the run a
/// fifth slower.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

fn main() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a plain integer option; mimalloc reads it each time it purges.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    let code = cartflow::cli::main();
    // Every file cartflow writes is complete by now: reports and state are
    // synced before they count, other files are written and closed before
    // `cli::main` returns, and the standard streams are flushed here.
    use std::io::Write as _;
    _ = std::io::stdout().flush();
    _ = std::io::stderr().flush();
    // SAFETY: ends the process without running exit handlers. The one that
    // matters is mimalloc's, which at exit hands every page it still holds back to
    // the system one `madvise` at a time (most of the 47-68 ms a 5M-event run
    // took from its last epoch to its end) only for the process to drop them all.
    unsafe { libc::_exit(code) }
}
