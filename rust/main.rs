fn main() {
    // The tools run computations on this thread: give it the interpreter's native stack (reserved, not committed).
    let code = std::thread::Builder::new()
        .name("mars".into())
        .stack_size(mars::interpreter::THREAD_STACK_BYTES)
        .spawn(mars::cli::main)
        .map(|t| t.join().unwrap_or(101))
        .unwrap_or_else(|e| {
            eprintln!("mars: cannot start the main thread: {e}");
            1
        });
    std::process::exit(code);
}
