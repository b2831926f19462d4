//! The `gazette` command line: parses arguments, calls the library, prints results and sets
//! the exit code (0 success, 1 problems in the site, 2 usage errors). No site logic here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gazette::{BuildOptions, scaffold};

#[derive(Parser)]
#[command(
    name = "gazette",
    version,
    about = "Static sites for periodic releases of scientific and technological results"
)]
struct Cli {
    /// The site folder (holding site.toml).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder.
    Build {
        /// Output folder (default: <root>/output).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Override base_url from site.toml.
        #[arg(long)]
        base_url: Option<String>,
        /// Include drafts and embargoed entries.
        #[arg(long)]
        drafts: bool,
    },
    /// Load, validate and render everything without writing; list every problem.
    Check,
    /// Scaffold a release or an entry.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Create a new, minimal, buildable site in DIR.
    Init { dir: PathBuf },
}

#[derive(Subcommand)]
enum NewWhat {
    /// A release folder with _release.toml.
    Release { id: String },
    /// An entry file in a release, every schema field present.
    Entry { release: String, title: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            output,
            base_url,
            drafts,
        } => {
            let opts = BuildOptions {
                root: cli.root,
                output,
                base_url,
                drafts,
            };
            match gazette::build(&opts) {
                Ok(summary) => {
                    for w in &summary.warnings {
                        eprintln!("{w}");
                    }
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    eprint!("{}", f.report());
                    eprintln!(
                        "build failed: {} error(s); output left unchanged",
                        f.errors()
                    );
                    ExitCode::from(1)
                }
            }
        }
        Command::Check => match gazette::check(&BuildOptions::new(cli.root)) {
            Ok(loaded) => {
                for w in &loaded.warnings {
                    eprintln!("{w}");
                }
                println!(
                    "ok: {} entries in {} releases, {} warning(s)",
                    loaded.site.entries.len(),
                    loaded.site.releases.len(),
                    loaded.warnings.len()
                );
                ExitCode::SUCCESS
            }
            Err(f) => {
                eprint!("{}", f.report());
                eprintln!("check failed: {} error(s)", f.errors());
                ExitCode::from(1)
            }
        },
        Command::New { what } => {
            let r = match what {
                NewWhat::Release { id } => scaffold::new_release(&cli.root, &id),
                NewWhat::Entry { release, title } => {
                    scaffold::new_entry(&cli.root, &release, &title)
                }
            };
            finish(r)
        }
        Command::Init { dir } => finish(scaffold::init(&dir)),
    }
}

fn finish(r: Result<PathBuf, scaffold::ScaffoldError>) -> ExitCode {
    match r {
        Ok(p) => {
            println!("created {}", p.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
