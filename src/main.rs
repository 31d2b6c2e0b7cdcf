//! The `fleetsim` binary: parse the command line, hand the command to the
//! library, and turn its outcome into an exit status (decided in one place,
//! [`fleetsim::app::Status`]).

use clap::Parser;
use fleetsim::app::{self, Status};
use fleetsim::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = app::execute(cli.command, &mut std::io::stdout().lock());
    ExitCode::from(Status::report(outcome))
}
