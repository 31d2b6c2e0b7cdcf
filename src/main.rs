//! The `fleetsim` binary: parse the command line, hand the command to the
//! library, and turn its outcome into an exit status (decided in one place,
//! [`fleetsim::app::Status`]).

use clap::Parser;
use fleetsim::app::{self, Status};
use fleetsim::cli::Cli;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A signal stops the study at its next event, and nothing is written.
    if let Err(e) = fleetsim::interrupt::install() {
        let _ = writeln!(
            std::io::stderr(),
            "warning: cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave a staging folder"
        );
    }
    // Not `Cli::parse()`: its help and refusals exit on their own, and its
    // help to a full stdout would end with exit 0.
    let outcome = match Cli::try_parse() {
        Ok(cli) => app::execute(cli.command, &mut std::io::stdout().lock()),
        Err(parsed) => app::without_command(parsed),
    };
    ExitCode::from(Status::report(outcome))
}
