use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../c-src/pma");
    let mut build = cc::Build::new();
    build
        .std("c11")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .include(&dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("c-src/pma")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    files.sort();
    for f in &files {
        build.file(f);
        println!("cargo:rerun-if-changed={}", f.display());
    }
    for h in ["pma.h", "pma_int.h"] {
        println!("cargo:rerun-if-changed={}", dir.join(h).display());
    }
    if std::env::var_os("CARGO_FEATURE_FAULT_INJECTION").is_some() {
        build.define("PMA_FAULT_INJECTION", None);
    }
    build.compile("marspma");
}
