//! The `fleetsim` binary: parse the command line, hand the command to the
//! library, and turn its outcome into an exit status (decided in one place,
//! [`fleetsim::app::Status`]).

use clap::Parser;
use fleetsim::app::{self, Status};
use fleetsim::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match app::execute(cli.command, &mut std::io::stdout().lock()) {
        Ok(()) => Status::Success,
        Err(e) => {
            let status = Status::of(&e);
            if let Some(message) = status.message(&e) {
                eprint!("{message}");
            }
            status
        }
    };
    ExitCode::from(status.code())
}
