//! The `nbrender` binary: everything happens in the library's `cli` module.

fn main() -> std::process::ExitCode {
    nbrender::cli::main()
}
