//! The `fleetsim` binary: parse the command line, hand the command to the
//! library, and turn its outcome into an exit status (decided in one place,
//! [`fleetsim::app::Status`]).

use clap::Parser;
use fleetsim::app::{self, Status};
use fleetsim::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Not `Cli::parse()`: its help and refusals exit on their own, and its
    // help to a full stdout would end with exit 0.
    let outcome = match Cli::try_parse() {
        Ok(cli) => app::execute(cli.command, &mut std::io::stdout().lock()),
        Err(parsed) => app::without_command(parsed),
    };
    ExitCode::from(Status::report(outcome))
}
