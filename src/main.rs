//! The `gazette` command line: parses arguments, calls the library, prints results and sets
//! the exit code (0 success, 1 problems in the site, 2 usage errors). No site logic here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gazette::{BuildOptions, scaffold};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in `mi_option_e` of the mimalloc (v3) that libmimalloc-sys
/// 0.1.49 builds (pinned in Cargo.toml); the crate has no name for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the allocator before it goes back to the system on a
/// large site, in milliseconds (mimalloc's default here is 1,000). A build frees the search
/// index and the bodies' HTML before it makes the cards; after a second that memory was still
/// resident when the cards were made, and a 100,000-entry build peaked at 1,675 MiB instead
/// of 1,340 MiB. Giving it back at once (0) costs a 4,016-entry build about a tenth more
/// system time (issue 6).
const LARGE_SITE_PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Content files from which a site counts as large. Below, the default delay stands: a
/// 4,016-entry site (9,234 files) peaks near 140 MiB either way, and builds about 5 % faster
/// with it, as memory freed between phases is reused instead of given back and faulted in
/// again. A 20,000-entry site has about 46,000 files, a 100,000-entry one about 230,000.
const LARGE_SITE_FILES: usize = 50_000;

/// The purge delay of a rebuild of a large site (`-1`: freed memory is never given back
/// before the process ends). A rebuild renders little, so what it frees is mostly read-back
/// work that the next phase allocates again: with 100 ms, an edit rebuild at 100,000 entries
/// faulted in 1.0 million pages, with none given back 0.61 million, and took 0.3–0.6 s less
/// (of 7–8 s), peaking 150 MiB higher (2.45 GiB; issue 21).
const LARGE_REBUILD_PURGE_DELAY_MS: std::ffi::c_long = -1;

/// Set the allocator's purge delay for a large site (see [`LARGE_SITE_PURGE_DELAY_MS`] and
/// [`LARGE_REBUILD_PURGE_DELAY_MS`]), unless `MIMALLOC_PURGE_DELAY` sets it.
fn fit_purge_delay(site: gazette::memory::SiteSize) {
    if site.files >= LARGE_SITE_FILES && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        let delay = match site.rebuild {
            true => LARGE_REBUILD_PURGE_DELAY_MS,
            false => LARGE_SITE_PURGE_DELAY_MS,
        };
        // SAFETY: a plain call into mimalloc's option API, which any thread may make at any
        // time, with the option's number in the pinned version (see above).
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay) };
    }
}

/// Turn transparent huge pages off for this process. mimalloc asks the kernel for huge pages
/// on its arenas (`madvise(MADV_HUGEPAGE)`), and on kernels set to `defrag=madvise` (Debian's
/// default) each first touch of such a 2 MiB page may compact memory synchronously and
/// always zeroes the whole page: a 4,016-entry rebuild spent a third of its CPU time
/// zeroing huge pages, its system time swung between 0.2 and 1.6 s, and it peaked at
/// 170 MiB instead of 140 MiB. The flag is checked at every fault, so the arena mimalloc
/// reserved before `main` is covered too. `GAZETTE_THP=1` leaves huge pages on.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("GAZETTE_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and changes only this
        // process's memory policy; a kernel without it returns an error, which is ignored.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// Survey the staging folder a build just left for the next one, in a process of its own that
/// outlives this one (see `gazette::sink::ahead`), so the editor is not kept waiting for it.
/// `GAZETTE_SURVEY_AHEAD=0` leaves it to the next build.
fn survey_ahead_detached(out: &std::path::Path) {
    if std::env::var_os("GAZETTE_SURVEY_AHEAD").is_some_and(|v| v == "0") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut survey = std::process::Command::new(exe);
    survey
        .arg("survey-ahead")
        .arg("--output")
        .arg(out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // Not in the terminal's process group: Ctrl-C after the build does not stop it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut survey, 0);
    // Not waited for: it ends on its own, and if it never runs the next build surveys.
    let _ = survey.spawn();
}

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
    /// Survey the staging folder of an output for its next build (started by `build` in a
    /// process of its own; see `gazette::sink::ahead`).
    #[command(hide = true)]
    SurveyAhead {
        /// The output folder.
        #[arg(long)]
        output: PathBuf,
    },
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
    /// Load, validate and render everything without writing; list every problem, plus
    /// warnings worth a look before publishing. Exit 0 with warnings only, 1 with errors.
    Check {
        /// `text` for people, `json` for CI.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Also check links to other sites over HTTP (see [check] in site.toml).
        #[arg(long)]
        external: bool,
    },
    /// Import a spreadsheet (csv, xlsx, xls) of results into a release, or of items into a
    /// collection.
    Import {
        /// The spreadsheet.
        file: PathBuf,
        /// The release to import into (must exist).
        #[arg(
            long,
            required_unless_present = "collection",
            conflicts_with = "collection"
        )]
        release: Option<String>,
        /// The collection to import into (demands, bases…), instead of a release.
        #[arg(long)]
        collection: Option<String>,
        /// A mapping file: column headers → fields, value translations, separators.
        #[arg(long)]
        map: Option<PathBuf>,
        /// Check everything and print what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Update existing entries (only the fields the spreadsheet provides).
        #[arg(long)]
        update: bool,
        /// The sheet to read (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Export a release (or a collection) as a spreadsheet that `import` reads back.
    Export {
        #[arg(
            long,
            required_unless_present = "collection",
            conflicts_with = "collection"
        )]
        release: Option<String>,
        /// The collection to export (demands, bases…), instead of a release.
        #[arg(long)]
        collection: Option<String>,
        #[arg(long, value_enum, default_value_t = SheetFormat::Csv)]
        format: SheetFormat,
        /// Output file (default: <release>.<format>).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Scaffold a release, an entry or an item of a collection.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Preview the site: serve it from memory, rebuild as files change, reload the browser.
    Serve {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on. Only loopback unless you ask for another.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in a browser.
        #[arg(long)]
        open: bool,
    },
    /// Create a new, minimal, buildable site in DIR.
    Init { dir: PathBuf },
    /// Publish the built output to a target of site.toml's [[deploy.targets]]: only what
    /// changed, pages after what they link to, deletions last. Exit 0 done, 1 nothing
    /// changed (a problem found before starting), 3 stopped partway (rerun to finish).
    Deploy {
        /// The target's name (default: the first declared).
        #[arg(long)]
        target: Option<String>,
        /// List every planned change; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Upload every file, whatever the remote holds.
        #[arg(long)]
        force: bool,
        /// Also list the remote and compare every object's size and ETag (finds objects
        /// changed or deleted behind Gazette's back).
        #[arg(long)]
        verify: bool,
        /// Refuse to delete more remote files than this (-1: no limit).
        #[arg(long, default_value_t = gazette::deploy::DEFAULT_MAX_DELETES as i64, allow_negative_numbers = true)]
        max_deletes: i64,
        /// Uploads in flight at once.
        #[arg(long, default_value_t = gazette::deploy::DEFAULT_WORKERS, value_parser = clap::value_parser!(usize))]
        workers: usize,
        /// The built site (default: <root>/output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SheetFormat {
    Csv,
    Xlsx,
}

#[derive(Subcommand)]
enum NewWhat {
    /// A release folder with _release.toml.
    Release { id: String },
    /// An entry file in a release, every schema field present.
    Entry { release: String, title: String },
    /// An item of a collection (a demand, a pilot base…), every field of its schema present.
    Item { collection: String, title: String },
}

fn main() -> ExitCode {
    no_huge_pages();
    gazette::memory::on_site_size(fit_purge_delay);
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            output,
            base_url,
            drafts,
        } => {
            // The build runs in a child process, which the command does not wait for to
            // give its memory back (see `gazette::handoff`). No thread exists yet.
            let handoff = gazette::handoff::split();
            let opts = BuildOptions {
                root: cli.root,
                output,
                base_url,
                drafts,
            };
            let code = match gazette::build(&opts) {
                Ok(summary) => {
                    for w in &summary.warnings {
                        eprintln!("{w}");
                    }
                    println!("{summary}");
                    survey_ahead_detached(&summary.output);
                    0
                }
                Err(f) => {
                    eprint!("{}", f.report());
                    eprintln!(
                        "build failed: {} error(s); output left unchanged",
                        f.errors()
                    );
                    1
                }
            };
            match handoff {
                Some(handoff) => handoff.finish(code),
                None => ExitCode::from(code),
            }
        }
        Command::SurveyAhead { output } => match gazette::sink::ahead::survey(&output) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("survey of the staging folder of {}: {e}", output.display());
                ExitCode::from(1)
            }
        },
        Command::Check { format, external } => {
            let options = gazette::CheckOptions { external };
            let checked = gazette::check_with(&BuildOptions::new(cli.root), &options);
            let (result, summary) = (checked.result, checked.external);
            match format {
                ReportFormat::Json => {
                    let (diags, ok) = match &result {
                        Ok(l) => (l.warnings.clone(), true),
                        Err(f) => (f.diagnostics.clone(), false),
                    };
                    let errors = diags.iter().filter(|d| d.is_error()).count();
                    let mut report = serde_json::json!({
                        "ok": ok,
                        "errors": errors,
                        "warnings": diags.len() - errors,
                        "diagnostics": diags.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
                    });
                    if let Some(s) = &summary {
                        report["external"] = serde_json::json!({
                            "urls": s.urls,
                            "requested": s.requested,
                            "cached": s.cached,
                            "skipped": s.skipped,
                            "broken": s.broken,
                            "redirected": s.redirected,
                        });
                    }
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                    if ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                ReportFormat::Text => match result {
                    Ok(loaded) => {
                        for w in &loaded.warnings {
                            eprintln!("{w}");
                        }
                        if let Some(s) = &summary {
                            println!("{s}");
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
                        if let Some(s) = &summary {
                            eprintln!("{s}");
                        }
                        eprintln!("check failed: {} error(s)", f.errors());
                        ExitCode::from(1)
                    }
                },
            }
        }
        Command::Import {
            file,
            release,
            collection,
            map,
            dry_run,
            update,
            sheet,
        } => {
            let opts = gazette::import::ImportOptions {
                root: cli.root,
                file,
                into: destination(release, collection),
                map,
                dry_run,
                update,
                sheet,
            };
            match gazette::import::import(&opts) {
                Ok(summary) => {
                    for (col, header) in &summary.unmapped {
                        eprintln!(
                            "warning: column {col} \"{header}\" is not mapped to any field and was left out (map it or list it under `ignore` in a --map file)"
                        );
                    }
                    if summary.dry_run {
                        for p in &summary.planned {
                            println!("row {}: {:?} {}", p.row, p.action, p.path.display());
                        }
                    }
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    eprint!("{}", f.report());
                    eprintln!(
                        "import failed: {} error(s); nothing was written",
                        f.errors()
                    );
                    ExitCode::from(1)
                }
            }
        }
        Command::Export {
            release,
            collection,
            format,
            output,
        } => {
            let (fmt, ext) = match format {
                SheetFormat::Csv => (gazette::import::export::Format::Csv, "csv"),
                SheetFormat::Xlsx => (gazette::import::export::Format::Xlsx, "xlsx"),
            };
            let what = destination(release, collection);
            let (kind, name) = match &what {
                gazette::import::Destination::Release(r) => ("release", r.clone()),
                gazette::import::Destination::Collection(c) => ("collection", c.clone()),
            };
            let out = output.unwrap_or_else(|| PathBuf::from(format!("{name}.{ext}")));
            match gazette::import::export::export(&cli.root, &what, fmt, &out) {
                Ok(p) => {
                    println!("exported {kind} {name} to {}", p.display());
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    eprint!("{}", f.report());
                    ExitCode::from(1)
                }
            }
        }
        Command::New { what } => {
            let r = match what {
                NewWhat::Release { id } => scaffold::new_release(&cli.root, &id),
                NewWhat::Entry { release, title } => {
                    scaffold::new_entry(&cli.root, &release, &title)
                }
                NewWhat::Item { collection, title } => {
                    scaffold::new_item(&cli.root, &collection, &title)
                }
            };
            finish(r)
        }
        Command::Init { dir } => finish(scaffold::init(&dir)),
        Command::Deploy {
            target,
            dry_run,
            force,
            verify,
            max_deletes,
            workers,
            output,
        } => deploy(gazette::deploy::DeployOptions {
            root: cli.root,
            output,
            target,
            dry_run,
            force,
            verify,
            max_deletes: usize::try_from(max_deletes).ok(),
            workers: workers.max(1),
        }),
        Command::Serve { port, bind, open } => {
            let opts = gazette::serve::ServeOptions {
                root: cli.root,
                bind,
                port,
                open,
            };
            match gazette::serve::serve(&opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn deploy(opts: gazette::deploy::DeployOptions) -> ExitCode {
    use std::io::IsTerminal;
    let fail = |e: gazette::deploy::DeployError| {
        eprint!("{}", e.report());
        ExitCode::from(if e.partial() { 3 } else { 1 })
    };
    let prepared = match gazette::deploy::prepare(&opts) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    for w in &prepared.warnings {
        eprintln!("warning: {w}");
    }
    if opts.dry_run {
        for line in prepared.changes() {
            println!("{line}");
        }
    }
    match prepared.run(std::io::stderr().is_terminal()) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
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

/// `--release` or `--collection` (clap lets exactly one through).
fn destination(
    release: Option<String>,
    collection: Option<String>,
) -> gazette::import::Destination {
    match collection {
        Some(c) => gazette::import::Destination::Collection(c),
        None => gazette::import::Destination::Release(release.unwrap_or_default()),
    }
}
