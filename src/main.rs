#![forbid(unsafe_code)]

use airtime::cli;
use airtime::server::{config::Settings, startup::Application, telemetry};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: airtime [serve]
       airtime analyze VIDEO --jump cmj|dj|sj [--mass KG] [--height M] [--json] [--frames DIR]

  serve    Run the web app (the default). Settings come from Leptos.toml and the
           environment; see README.md.
  analyze  Measure the jump in a video and print a summary or the JSON result.";

fn main() -> ExitCode {
    airtime_engine::host::use_one_arena();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
        Some("analyze") => cli::analyze::run(&args[1..]),
        // Started by the server for each analysis (see server::engine), not by hand.
        Some("engine") => airtime::server::engine::child::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("airtime: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("airtime: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format, std::io::stdout);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("airtime: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(e) => {
                tracing::error!(error = %e, "start-up failed");
                eprintln!("airtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(addr = %app.addr(), "listening on http://{}", app.addr());
        match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "server stopped");
                ExitCode::FAILURE
            }
        }
    })
}
