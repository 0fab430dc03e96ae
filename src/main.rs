// The dataflow allocates and frees many short-lived batches and hash tables;
// mimalloc serves that pattern with far less time in the allocator than glibc's.
// It is built without transparent huge pages (`no_thp`): with them, every page
// it returned and touched again was a 2 MiB page for the kernel to zero, a
// quarter of a run's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cartflow::cli::main());
}
