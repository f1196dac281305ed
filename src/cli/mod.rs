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
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let opts = BuildOptions { out: cli.out.clone(), theme: cli.theme, params: cli.params };
    match site::build(&cli.path, &opts) {
        Ok(report) => {
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
            eprintln!("error: {n} {} found; nothing was written", plural(n, "error", "errors"));
            ExitCode::from(if failure.usage { 2 } else { 1 })
        }
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
