//! Link options for the commit-msg hook binary, which git starts on every
//! commit: most of its time is the kernel and the dynamic loader getting it
//! running, not its own work (see `guard/hooks.rs`).
//!
//! On Linux it is linked as a fixed-address executable (`-no-pie`): as a
//! position-independent one it carries ~12k relocations that the loader
//! applies, and the pages it dirties, at every start. The hook reads one local
//! file and nothing from the network, so the address randomization PIE buys
//! is worth less here than a quarter of the hook's own time on every commit.
//! `git-carto` itself stays position-independent.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu_like = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "gnu" || e == "musl");
    if linux && gnu_like {
        println!("cargo:rustc-link-arg-bin=git-carto-commit-msg=-no-pie");
    }
}
