fn main() {
    std::process::exit(cartflow::cli::main());
}
