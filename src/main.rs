use std::process::ExitCode;

fn main() -> ExitCode {
    scorelab::cli::main()
}
