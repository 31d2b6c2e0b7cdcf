//! The `fleetsim` binary: parse the command line, hand the command to the
//! library, and turn its outcome into an exit status (decided in one place,
//! [`fleetsim::app::Status`]).

use clap::Parser;
use fleetsim::app::{self, Status};
use fleetsim::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A signal stops the study at its next event, and nothing is written.
    if let Err(e) = fleetsim::interrupt::install() {
        eprintln!(
            "warning: cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave a staging folder"
        );
    }
    let outcome = app::execute(cli.command, &mut std::io::stdout().lock());
    ExitCode::from(Status::report(outcome))
}
