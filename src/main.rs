fn main() -> std::process::ExitCode {
    shipshape::cli::main()
}
