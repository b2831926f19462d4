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
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct RootArg {
    /// The site folder (holding site.toml).
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder.
    Build {
        #[command(flatten)]
        root: RootArg,
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
    Check {
        #[command(flatten)]
        root: RootArg,
    },
    /// Scaffold a release or an entry.
    New {
        #[command(flatten)]
        root: RootArg,
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
            root,
            output,
            base_url,
            drafts,
        } => {
            let opts = BuildOptions {
                root: root.root,
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
        Command::Check { root } => match gazette::check(&BuildOptions::new(root.root)) {
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
        Command::New { root, what } => {
            let r = match what {
                NewWhat::Release { id } => scaffold::new_release(&root.root, &id),
                NewWhat::Entry { release, title } => {
                    scaffold::new_entry(&root.root, &release, &title)
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
