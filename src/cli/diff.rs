//! `nbrender diff`: the figures a build would publish compared with those published now
//! (`nbrender diff NOTEBOOKS [-o OUT]`), or two builds' compared (`nbrender diff OLD NEW`).
//! Exit codes as diff(1)'s, not the tool's usual ones: 0 nothing changed, 1 something did, 2
//! trouble of any kind, so that CI can gate a data update on it.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::diag::{self, Code, Diagnostic};
use crate::format::plural;
use crate::manifest::PageManifest;
use crate::manifest::diff::{self, Format};
use crate::site::{self, BuildOptions};

/// What `nbrender diff` was asked, once clap has read it.
pub struct DiffOptions {
    /// `OLD`, or `NOTEBOOKS` when it is alone.
    pub first: PathBuf,
    pub second: Option<PathBuf>,
    /// `-o`: the live output folder of the `NOTEBOOKS` form.
    pub out: Option<PathBuf>,
    pub format: Format,
    pub params: Vec<(String, String)>,
}

/// Exit code for trouble: anything that kept the two sides from being compared.
const TROUBLE: u8 = 2;

pub fn run(opts: DiffOptions, color: bool) -> ExitCode {
    let sides = match &opts.second {
        Some(new) => read_both(&opts.first, new),
        None => build_and_read(&opts),
    };
    let (old, new) = match sides {
        Ok(sides) => sides,
        Err(failure) => {
            eprint!("{}", diag::render(&failure.diagnostics, color));
            let n = failure.errors();
            super::say(&format!("error: {n} {} found; nothing was compared", plural(n, "error", "errors")));
            return ExitCode::from(TROUBLE);
        }
    };
    let changes = diff::compare(&old, &new);
    let painted =
        opts.format == Format::Text && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let shown = diff::render(&changes, opts.format, painted);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(shown.as_bytes()).and_then(|()| stdout.flush()) {
        // The comparison was not all said. A reader that stopped reading (`| head`) knows.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            super::say(&format!("error: cannot write the comparison: {e}"));
        }
        return ExitCode::from(TROUBLE);
    }
    ExitCode::from(if changes.is_empty() { 0 } else { 1 })
}

/// `OLD NEW`: both read, and the errors of both reported.
fn read_both(old: &Path, new: &Path) -> Result<(Vec<PageManifest>, Vec<PageManifest>), site::Failure> {
    match (diff::read(old), diff::read(new)) {
        (Ok(old), Ok(new)) => Ok((old, new)),
        (old, new) => Err(old.err().into_iter().chain(new.err()).collect::<Vec<Diagnostic>>().into()),
    }
}

/// `NOTEBOOKS [-o OUT]`: the live output's manifest read, then the notebooks built in memory.
fn build_and_read(opts: &DiffOptions) -> Result<(Vec<PageManifest>, Vec<PageManifest>), site::Failure> {
    not_an_output(&opts.first)?;
    let out = opts.out.clone().unwrap_or_else(|| PathBuf::from("out"));
    if std::fs::symlink_metadata(&out).is_err() {
        let shown = out.display();
        let d = Diagnostic::error(Code::DiffNoManifest, format!("no output folder `{shown}` to compare with"))
            .with_hint(format!(
                "name the output folder published now with -o, or build it first: `nbrender {} -o {shown}`",
                opts.first.display()
            ))
            .at_argument(&out.to_string_lossy());
        return Err(d.into());
    }
    let live = diff::read(&out)?;
    let built = diff_against_build(&opts.first, &out, &opts.params)?;
    Ok((live, built))
}

/// Refuses as `NOTEBOOKS` what is not a notebooks folder but is easily given for one: an output
/// or manifest folder, or a manifest file (the second side forgotten), or one notebook.
fn not_an_output(path: &Path) -> Result<(), Diagnostic> {
    let given = path.to_string_lossy();
    let meta = std::fs::symlink_metadata(path);
    let output = path.join(site::write::MARKER);
    let (what, hint) = match meta {
        Ok(m) if m.is_file() => (
            "a file, not a notebooks folder".to_string(),
            "to compare two builds, give both: `nbrender diff OLD NEW`; alone, give the notebooks folder: `nbrender diff notebooks/`".to_string(),
        ),
        Ok(m) if m.is_dir() && std::fs::symlink_metadata(&output).is_ok_and(|m| m.is_file()) => (
            format!("a folder nbrender wrote (it holds a `{}` file), not a notebooks folder", site::write::MARKER),
            format!("to compare two outputs, give both: `nbrender diff OLD NEW`; to compare a build of the notebooks with this one: `nbrender diff notebooks/ -o {given}`"),
        ),
        // Anything else is the build's to judge: a folder that does not exist is its error.
        _ => return Ok(()),
    };
    Err(Diagnostic::error(Code::DiffNotNotebooks, format!("`{given}` is {what}"))
        .with_label("alone, this is the notebooks folder to build")
        .with_hint(hint)
        .at_argument(&given))
}

/// The figures a site build of `notebooks` would publish, built in memory: nothing is written,
/// and the output folder `out` is read only to compare with.
fn diff_against_build(
    notebooks: &Path,
    out: &Path,
    params: &[(String, String)],
) -> Result<Vec<PageManifest>, site::Failure> {
    let opts = BuildOptions {
        out: out.to_path_buf(),
        params: params.to_vec(),
        dry_run: true,
        manifests: true,
        ..BuildOptions::default()
    };
    let report = site::build(notebooks, &opts, &site::Silent)?;
    // The report's own: nothing else holds them.
    Ok(report.manifests.into_iter().map(|m| std::sync::Arc::try_unwrap(m).unwrap_or_else(|m| (*m).clone())).collect())
}
