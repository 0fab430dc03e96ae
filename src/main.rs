// The dataflow allocates and frees many short-lived batches and hash tables;
// mimalloc serves that pattern with far less time in the allocator than glibc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cartflow::cli::main());
}
