fn main() {
    std::process::exit(mars::cli::main());
}
