//! The command line: clap, colours and exit codes live here and nowhere else. Raw arguments
//! become validated options before the library sees them.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::diag;
use crate::site::{self, BuildOptions};

/// Render computed, notebook-styled articles from Markdown notebooks.
#[derive(Debug, Parser)]
#[command(name = "nbrender", version, about, long_about = None)]
struct Cli {
    /// A notebook file (renders it and what it needs) or a folder (renders the whole site).
    path: PathBuf,
    /// Output folder.
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// A theme folder whose files replace the default theme's.
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Override a notebook param, e.g. `--param level=L6` (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Also print the time each stage took.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,
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
/// errors, 2 usage errors.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let terminal = std::io::stderr().is_terminal();
    let color = terminal && std::env::var_os("NO_COLOR").is_none();
    let opts = BuildOptions { out: cli.out.clone(), theme: cli.theme, params: cli.params };
    let bar = Bar::new(terminal && !cli.quiet);
    let outcome = site::build(&cli.path, &opts, &bar);
    bar.0.finish_and_clear();
    match outcome {
        Ok(report) => {
            if cli.verbose {
                for (stage, ms) in &report.stages {
                    eprintln!("{stage:>8}: {ms:.1} ms");
                }
            }
            if !cli.quiet {
                eprintln!(
                    "rendered {} {}, {} {} in {:.0} ms -> {}",
                    report.pages,
                    plural(report.pages, "page", "pages"),
                    report.charts,
                    plural(report.charts, "chart", "charts"),
                    report.elapsed_ms,
                    cli.out.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprint!("{}", diag::render(&failure.diagnostics, color));
            let n = failure.diagnostics.len();
            let outcome = match failure.partial {
                true => "some files may have been written",
                false => "nothing was written",
            };
            eprintln!("error: {n} {} found; {outcome}", plural(n, "error", "errors"));
            ExitCode::from(if failure.usage { 2 } else { 1 })
        }
    }
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
        self.0.set_message(what.to_string());
        self.0.inc(1);
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_validated() {
        assert_eq!(parse_param("level=L6"), Ok(("level".into(), "L6".into())));
        assert!(parse_param("level").is_err());
        assert!(parse_param("a-b=1").is_err());
    }
}
