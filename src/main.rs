// The allocator is a measured choice: BENCHMARKS.md ("Global allocator") has the figures.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shipshape::cli::main()
}
