//! Checks both targets make on whatever diagnostics come back: each one is located inside
//! the text it names, and rendering them all (codespan) does not panic.

use nbrender::diag::Diagnostic;

pub fn check_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let Some(loc) = &d.location else { continue };
        let text = &loc.file.text;
        assert!(
            loc.span.start <= loc.span.end && loc.span.end <= text.len(),
            "[{}] span {:?} outside a text of {} bytes",
            d.code,
            loc.span,
            text.len()
        );
        assert!(
            text.is_char_boundary(loc.span.start) && text.is_char_boundary(loc.span.end),
            "[{}] span {:?} splits a character",
            d.code,
            loc.span
        );
        let lines = text.split('\n').count();
        let (line, _) = loc.file.line_col(loc.span.start);
        assert!(line <= lines, "[{}] line {line} of a file with {lines} lines", d.code);
    }
    let _ = nbrender::diag::render(diagnostics, false);
    let _ = nbrender::diag::render(diagnostics, true);
}
