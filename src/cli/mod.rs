//! The command line: clap, colours and exit codes live here and nowhere else. Raw arguments
//! become validated options before the library sees them.

mod diff;
mod provenance;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::format::plural;
use crate::site::{self, BuildOptions, ChartFormat, ChartOptions};
use crate::{chart, diag};

/// Render computed, notebook-styled articles from Markdown notebooks.
///
/// `nbrender PATH` renders; the subcommands do the rest.
#[derive(Debug, Parser)]
#[command(name = "nbrender", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    render: Render,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Export one chart of a notebook as SVG or PNG, for another article or a slide.
    Chart(Chart),
    /// Parse, execute and check everything a build would, and write nothing.
    Check(Check),
    /// Scaffold a new section notebook that renders as it is.
    New(New),
    /// Build the site, serve it on 127.0.0.1 and rebuild and reload the page on every save.
    Serve(Serve),
    /// Say which published figures a build would change, or two builds differ in.
    Diff(Diff),
    /// Print a shell completion script: `nbrender completions bash > ~/.local/share/bash-completion/completions/nbrender`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `nbrender new SLUG`.
#[derive(Debug, Args)]
struct New {
    /// The new page's slug: lowercase letters, digits and `-` (the file is SLUG.md).
    slug: String,
    /// The page title; default: from the slug.
    #[arg(long)]
    title: Option<String>,
    /// The section number, e.g. `6.4`.
    #[arg(long)]
    section: Option<String>,
    /// The group on the site index, e.g. `Data engineering`.
    #[arg(long)]
    group: Option<String>,
    /// The cross-reference prefix (`table de-1`); default: the slug's initials.
    #[arg(long)]
    prefix: Option<String>,
    /// The file name the page's prompt line shows (`# data_engineer.ipynb`); default: SLUG.ipynb.
    #[arg(long, value_name = "NAME")]
    notebook: Option<String>,
    /// The page prompt's number (`In [28]:`); default: the page's place in the site order.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    cell: Option<String>,
    /// Where to write; default `notebooks/` when it exists, else the current folder.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// `nbrender diff NOTEBOOKS [-o DIR]` or `nbrender diff OLD NEW`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  nbrender diff notebooks/              build in memory, compare with out/
  nbrender diff notebooks/ -o public    build in memory, compare with public/
  nbrender diff old-site/ new-site/     compare two output folders

Exit status, as diff(1)'s: 0 when no published figure changed, 1 when one did, 2 on trouble.")]
struct Diff {
    /// Alone: the notebooks folder, built in memory (nothing is written) and compared with the
    /// output folder. With NEW: the older output folder, its manifest folder, or a page's manifest.
    #[arg(value_name = "NOTEBOOKS|OLD")]
    first: PathBuf,
    /// The newer output folder, its manifest folder, or a page's manifest.
    #[arg(value_name = "NEW")]
    second: Option<PathBuf>,
    /// With NOTEBOOKS: the output folder published now; default `out`.
    #[arg(short, long, value_name = "DIR", conflicts_with = "second")]
    out: Option<PathBuf>,
    /// `text` for a terminal, `json` for scripts, `markdown` for a pull request comment.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// With NOTEBOOKS: override a notebook param as the published build did (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param, conflicts_with = "second")]
    params: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// `nbrender serve [PATH]`.
#[derive(Debug, Args)]
struct Serve {
    /// The notebooks folder; default `notebooks/` when it exists, else `.`.
    path: Option<PathBuf>,
    /// The port.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// The address to listen on. Anything but loopback (127.0.0.1, ::1) also needs --public.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    host: std::net::IpAddr,
    /// Allow a --host other than loopback: every machine that can reach this one sees the site.
    #[arg(long)]
    public: bool,
    /// Open the site in the default browser.
    #[arg(long)]
    open: bool,
    /// Where to build the site; default: a folder in the system's temp folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// A theme folder whose files replace the default theme's (watched too).
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Override a notebook param, e.g. `--param level=L6` (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// After each rebuild, also print where its time went, from the save to the pages told.
    #[arg(short, long)]
    verbose: bool,
}

/// `nbrender check [PATH]`.
#[derive(Debug, Args)]
struct Check {
    /// A notebook or a folder of notebooks; default `notebooks/` when it exists, else `.`.
    path: Option<PathBuf>,
    /// `human` diagnostics on stderr, or `json`: one JSON object per diagnostic on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Count warnings as errors: exit 1 when there is any.
    #[arg(long)]
    strict: bool,
    /// A theme folder whose files replace the default theme's (its templates are checked too).
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Override a notebook param, e.g. `--param level=L6` (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Print nothing but problems.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// `nbrender PATH`: render a notebook or the whole site.
#[derive(Debug, Args)]
struct Render {
    /// A notebook file (renders it and what it needs) or a folder (renders the whole site).
    #[arg(required = true)]
    path: Option<PathBuf>,
    /// Output folder.
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// A theme folder whose files replace the default theme's.
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Override a notebook param, e.g. `--param level=L6` (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Also write every chart as PNG (2x, light) beside its SVG.
    #[arg(long)]
    png: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Also print the time each stage took.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,
}

/// `nbrender chart NOTEBOOK LABEL -o FILE.svg|png`.
#[derive(Debug, Args)]
struct Chart {
    /// The notebook that computes the chart (it runs with what it reads through results()).
    notebook: PathBuf,
    /// The chart cell's `//| label:`, such as `fig-bands`.
    label: String,
    /// The file to write: `.svg`, or `.png` (drawn at twice the size).
    #[arg(short, long, value_name = "FILE.svg|png", value_parser = parse_chart_file)]
    out: (PathBuf, ChartFormat),
    /// Width in CSS px (320 to 4000), instead of the chart's own; as the `width` option.
    #[arg(long, value_name = "W", value_parser = clap::value_parser!(u32).range(i64::from(chart::MIN_WIDTH)..=i64::from(chart::MAX_SET)))]
    width: Option<u32>,
    /// Height in CSS px (100 to 4000), instead of the chart's own; as the `height` option.
    #[arg(long, value_name = "H", value_parser = clap::value_parser!(u32).range(i64::from(chart::MIN_HEIGHT)..=i64::from(chart::MAX_SET)))]
    height: Option<u32>,
    /// Colours: `light` (an SVG also follows a dark page) or `dark` (dark wherever shown).
    #[arg(long, value_enum, default_value_t = Scheme::Light)]
    theme: Scheme,
    /// Override a notebook param, e.g. `--param level=L6` (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scheme {
    Light,
    Dark,
}

fn parse_chart_file(s: &str) -> Result<(PathBuf, ChartFormat), String> {
    let path = PathBuf::from(s);
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("svg") => Ok((path, ChartFormat::Svg)),
        Some("png") => Ok((path, ChartFormat::Png)),
        _ => Err(format!("`{s}` must end in .svg or .png: the extension chooses the format")),
    }
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    let (key, value) = s.split_once('=').ok_or_else(|| format!("`{s}` is not of the form KEY=VALUE"))?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{key}` is not a param name (letters, digits and `_`)"));
    }
    Ok((key.to_string(), value.to_string()))
}

/// Runs the command line and returns the process exit code: 0 success, 1 the inputs have
/// errors, 2 usage errors; `nbrender diff` has diff(1)'s (`cli/diff.rs`).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match cli.command {
        Some(Command::Chart(chart)) => export(chart, color),
        Some(Command::Check(check)) => run_check(check, color),
        Some(Command::New(new)) => scaffold(new, color),
        Some(Command::Diff(cli)) => diff::run(diff_options(cli), color),
        Some(Command::Serve(cli)) => run_serve(cli, color),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "nbrender", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        None => render(cli.render, color),
    }
}

fn diff_options(cli: Diff) -> diff::DiffOptions {
    use crate::manifest::diff::Format as F;
    let format = match cli.format {
        DiffFormat::Text => F::Text,
        DiffFormat::Json => F::Json,
        DiffFormat::Markdown => F::Markdown,
    };
    diff::DiffOptions { first: cli.first, second: cli.second, out: cli.out, format, params: cli.params }
}

fn scaffold(cli: New, color: bool) -> ExitCode {
    use crate::notebook::scaffold::{NewNotebook, create};
    let dir = notebooks_folder(cli.dir);
    let new = NewNotebook {
        slug: cli.slug,
        title: cli.title,
        section: cli.section,
        group: cli.group,
        prefix: cli.prefix,
        notebook: cli.notebook,
        cell: cli.cell,
        updated: today(),
    };
    match create(&dir, &new) {
        Ok(path) => {
            say(&format!("created {}; render it with: nbrender {}", path.display(), path.display()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", diag::render(std::slice::from_ref(&*e.diagnostic), color));
            ExitCode::from(if e.usage { 2 } else { 1 })
        }
    }
}

/// Today's date, `YYYY-MM-DD` (UTC), for a new notebook's `updated:`.
fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn run_serve(cli: Serve, color: bool) -> ExitCode {
    let path = notebooks_folder(cli.path);
    if !path.exists() {
        say(&format!("error: `{}` is neither a notebook file nor a folder", path.display()));
        return ExitCode::from(2);
    }
    if !cli.host.is_loopback() && !cli.public {
        say(&format!(
            "error: `--host {}` would serve the site to other machines; add --public if that is what you want",
            cli.host
        ));
        return ExitCode::from(2);
    }
    let remove_out = cli.out.is_none();
    let out = cli.out.unwrap_or_else(|| std::env::temp_dir().join(format!("nbrender-serve-{}", std::process::id())));
    let build = BuildOptions { out, theme: cli.theme, params: cli.params, manifests: true, ..BuildOptions::default() };
    let opts = serve::ServeOptions {
        path,
        host: cli.host,
        port: cli.port,
        build,
        open: cli.open,
        remove_out,
        verbose: cli.verbose,
    };
    match serve::serve(opts, color) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            say(&format!("error: {message}"));
            ExitCode::from(1)
        }
    }
}

fn run_check(cli: Check, color: bool) -> ExitCode {
    let path = notebooks_folder(cli.path);
    let opts = BuildOptions { theme: cli.theme, params: cli.params, dry_run: true, ..BuildOptions::default() };
    match site::build(&path, &opts, &site::Silent) {
        Ok(report) => {
            let n = report.warnings.len();
            match cli.format {
                Format::Json => report.warnings.iter().for_each(|d| println!("{}", d.to_json_line())),
                Format::Human => eprint!("{}", diag::render(&report.warnings, color)),
            }
            let found =
                if n == 0 { "no problems".to_string() } else { format!("{n} {}", plural(n, "warning", "warnings")) };
            if cli.strict && n > 0 {
                if cli.format == Format::Human {
                    say(&format!("error: {found} found, and --strict counts them as errors"));
                }
                return ExitCode::from(1);
            }
            if !cli.quiet && cli.format == Format::Human {
                say(&format!(
                    "checked {} in {:.0} ms: {found}{}",
                    counts(&report, " and ", false),
                    report.elapsed_ms,
                    companions(&report, "checked")
                ));
            }
            ExitCode::SUCCESS
        }
        Err(failure) if cli.format == Format::Json => {
            for d in &failure.diagnostics {
                println!("{}", d.to_json_line());
            }
            exit_code(&failure)
        }
        Err(failure) => {
            eprint!("{}", diag::render(&failure.diagnostics, color));
            let n = failure.errors();
            say(&format!("error: {n} {} found", plural(n, "error", "errors")));
            exit_code(&failure)
        }
    }
}

fn render(cli: Render, color: bool) -> ExitCode {
    let Some(path) = cli.path else {
        return ExitCode::from(2);
    };
    let terminal = std::io::stderr().is_terminal();
    let opts = BuildOptions {
        out: cli.out.clone(),
        theme: cli.theme,
        params: cli.params,
        png: cli.png,
        ..BuildOptions::default()
    };
    let bar = Bar::new(terminal && !cli.quiet);
    let outcome = site::build(&path, &opts, &bar);
    bar.0.finish_and_clear();
    match outcome {
        Ok(report) => {
            eprint!("{}", diag::render(&report.warnings, color));
            if cli.verbose {
                for (stage, ms) in &report.stages {
                    say(&format!("{stage:>8}: {ms:.1} ms"));
                }
            }
            if !cli.quiet {
                say(&format!(
                    "rendered {} in {:.0} ms -> {}{}",
                    counts(&report, ", ", cli.png),
                    report.elapsed_ms,
                    cli.out.display(),
                    companions(&report, "wrote")
                ));
            }
            ExitCode::SUCCESS
        }
        Err(failure) => fail(&failure, color),
    }
}

fn export(cli: Chart, color: bool) -> ExitCode {
    let started = std::time::Instant::now();
    let (out, format) = cli.out;
    let opts = ChartOptions {
        out,
        format,
        width: cli.width,
        height: cli.height,
        dark: cli.theme == Scheme::Dark,
        params: cli.params,
    };
    match site::export_chart(&cli.notebook, &cli.label, &opts) {
        Ok(report) => {
            if !cli.quiet {
                let scale = match format {
                    ChartFormat::Svg => String::new(),
                    ChartFormat::Png => format!(" at {}x", crate::render::cell::PNG_SCALE),
                };
                say(&format!(
                    "wrote {} ({} x {} px{scale}, {} {}) in {:.0} ms",
                    report.path.display(),
                    report.width,
                    report.height,
                    report.bytes,
                    plural(report.bytes, "byte", "bytes"),
                    started.elapsed().as_secs_f64() * 1000.0
                ));
            }
            ExitCode::SUCCESS
        }
        Err(failure) => fail(&failure, color),
    }
}

/// Prints every diagnostic and the closing line; returns the exit code.
fn fail(failure: &site::Failure, color: bool) -> ExitCode {
    eprint!("{}", diag::render(&failure.diagnostics, color));
    let n = failure.errors();
    let outcome = match failure.partial {
        true => "some files may have been written",
        false => "nothing was written",
    };
    say(&format!("error: {n} {} found; {outcome}", plural(n, "error", "errors")));
    exit_code(failure)
}

/// 2 when the command line was wrong, 1 when the notebooks were.
fn exit_code(failure: &site::Failure) -> ExitCode {
    ExitCode::from(if failure.usage { 2 } else { 1 })
}

/// `6 pages, 10 charts`, joined by `sep`; the charts from other notebooks and, with `--png`
/// (`png`), the PNG files said in brackets: `2 charts (1 embedded, 1 PNG)`.
fn counts(report: &site::Report, sep: &str, png: bool) -> String {
    let mut notes = Vec::new();
    if report.embedded > 0 {
        notes.push(format!("{} embedded", report.embedded));
    }
    if png {
        notes.push(format!("{} PNG", report.pngs));
    }
    let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
    format!(
        "{} {}{sep}{} {}{notes}",
        report.pages,
        plural(report.pages, "page", "pages"),
        report.charts,
        plural(report.charts, "chart", "charts")
    )
}

/// `; also wrote derived/, the page its embedded figure links to`: the pages a one-page build
/// rendered besides the one asked for, and why; nothing when there are none.
fn companions(report: &site::Report, verb: &str) -> String {
    let folders: Vec<String> = report.companions.iter().map(|slug| format!("{slug}/")).collect();
    let (last, rest) = match folders.split_last() {
        Some(split) => split,
        None => return String::new(),
    };
    let listed = match rest {
        [] => last.clone(),
        _ => format!("{} and {last}", rest.join(", ")),
    };
    let pages = plural(folders.len(), "the page", "the pages");
    let figures = plural(report.embedded, "figure links", "figures link");
    format!("; also {verb} {listed}, {pages} its embedded {figures} to")
}

/// The folder a command works on: the one given, else `notebooks/` when it exists, else `.`.
fn notebooks_folder(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let default = PathBuf::from("notebooks");
        if default.is_dir() { default } else { PathBuf::from(".") }
    })
}

/// The progress bar: drawn on a terminal only, and cleared before the summary line.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new(visible: bool) -> Bar {
        if !visible {
            return Bar(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(0);
        let style = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Bar(bar)
    }
}

impl site::Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }

    fn advance(&self, what: &str) {
        self.0.set_message(diag::printable(what).into_owned());
        self.0.inc(1);
    }
}

/// Prints one line for the user on stderr, with the terminal controls of any file name or
/// notebook text in it escaped ([`diag::printable`]). Diagnostics are escaped as they are
/// rendered; every other line goes through here.
fn say(line: &str) {
    eprintln!("{}", diag::printable(line));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_render_form_and_subcommands_both_parse() {
        let cli = Cli::try_parse_from(["nbrender", "notebooks/", "-o", "site", "--png"]).map_err(|e| e.to_string());
        let Ok(Cli { command: None, render }) = cli else { panic!("{cli:?}") };
        assert_eq!((render.path, render.png), (Some(PathBuf::from("notebooks/")), true));
        let cli = Cli::try_parse_from(["nbrender", "chart", "a.md", "fig-x", "-o", "x.PNG", "--theme", "dark"]);
        let Ok(Cli { command: Some(Command::Chart(chart)), .. }) = cli else { panic!("chart did not parse") };
        assert_eq!(chart.out, (PathBuf::from("x.PNG"), ChartFormat::Png));
        assert_eq!(chart.theme, Scheme::Dark);
        assert!(Cli::try_parse_from(["nbrender"]).is_err());
        assert!(Cli::try_parse_from(["nbrender", "chart", "a.md", "fig-x", "-o", "x.jpg"]).is_err());
        assert!(Cli::try_parse_from(["nbrender", "chart", "a.md", "fig-x"]).is_err(), "-o is required");
        assert!(Cli::try_parse_from(["nbrender", "chart", "a.md", "fig-x", "-o", "x.svg", "--width", "0"]).is_err());
    }

    #[test]
    fn the_progress_bar_shows_file_names_with_terminal_controls_escaped() {
        use site::Progress as _;
        let bar = Bar::new(false);
        bar.advance("notebooks/a\u{1b}]0;PWNED\u{7}.md");
        assert_eq!(bar.0.message(), "notebooks/a\\u{1b}]0;PWNED\\u{7}.md");
    }

    #[test]
    fn params_are_validated() {
        assert_eq!(parse_param("level=L6"), Ok(("level".into(), "L6".into())));
        assert!(parse_param("level").is_err());
        assert!(parse_param("a-b=1").is_err());
    }
}
