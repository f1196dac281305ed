//! Text measurement, shortening and escaping for chart labels.
//!
//! plotters' SVG backend cannot measure text (it guesses 0.7 em per byte), and the browser
//! picks the real font, so layout uses our own estimate. The advance widths are DejaVu Sans,
//! the widest common `sans-serif` fallback: Arial, Helvetica and Liberation Sans are
//! narrower, so an estimate that fits DejaVu fits them too.

/// Estimated rendered width in px of `text` at `size` px.
pub fn width(text: &str, size: f64, bold: bool) -> f64 {
    let ems: f64 = text.chars().map(advance).sum();
    // DejaVu Sans Bold is about 8-12% wider than Regular.
    let weight = if bold { 1.12 } else { 1.0 };
    ems * size * weight
}

/// Advance width in em of one character.
fn advance(c: char) -> f64 {
    match c {
        ' ' => 0.32,
        '0'..='9' | '$' => 0.636,
        'a' => 0.613,
        'b' | 'd' | 'g' | 'h' | 'n' | 'p' | 'q' | 'u' => 0.635,
        'c' => 0.55,
        'e' | 'o' => 0.615,
        'f' => 0.352,
        'i' | 'j' | 'l' => 0.278,
        'k' => 0.579,
        'm' => 0.974,
        'r' => 0.411,
        's' => 0.521,
        't' => 0.392,
        'v' | 'x' | 'y' => 0.592,
        'w' => 0.818,
        'z' => 0.525,
        'I' | 'J' => 0.295,
        'L' => 0.557,
        'F' => 0.575,
        'E' | 'P' | 'S' | 'T' | 'Y' => 0.635,
        'A' | 'B' | 'C' | 'K' | 'R' | 'V' | 'X' | 'Z' => 0.7,
        'D' | 'G' | 'H' | 'N' | 'U' => 0.775,
        'O' | 'Q' => 0.787,
        'M' => 0.863,
        'W' => 0.989,
        '.' | ',' | ':' | ';' | '!' | '|' => 0.337,
        '\'' => 0.275,
        '"' => 0.46,
        '-' | '(' | ')' | '[' | ']' | '{' | '}' | '/' | '\\' => 0.39,
        '–' | '_' | '*' => 0.5,
        '?' => 0.531,
        '&' => 0.78,
        '%' => 0.95,
        '<' | '>' | '+' | '=' | '~' | '#' | '^' => 0.838,
        '—' | '…' | '@' => 1.0,
        // East Asian scripts and symbols are full-width.
        c if c as u32 >= 0x2E80 => 1.0,
        _ => 0.7,
    }
}

/// Replaces characters that XML 1.0 forbids or that would break a one-line label
/// (newlines, tabs, other controls) with spaces, and collapses runs of whitespace.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() { ' ' } else { c };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim_end().to_string()
}

/// Shortens `text` to at most `max_chars` characters and `max_width` px, ending it with an
/// ellipsis when anything was cut. Returns the text unchanged when it already fits.
pub fn shorten(text: &str, max_chars: usize, max_width: f64, size: f64, bold: bool) -> String {
    let count = text.chars().count();
    if count <= max_chars && width(text, size, bold) <= max_width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = count.min(max_chars.saturating_sub(1));
    loop {
        let head: String = chars.iter().take(keep).collect();
        let candidate = format!("{}…", head.trim_end());
        if keep == 0 || width(&candidate, size, bold) <= max_width {
            return candidate;
        }
        keep -= 1;
    }
}

/// Greedy word wrap into at most `max_lines` lines of `max_width` px; the last line is
/// shortened with an ellipsis if text remains.
pub fn wrap(text: &str, max_width: f64, max_lines: usize, size: f64, bold: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split(' ').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        let trial = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if current.is_empty() || width(&trial, size, bold) <= max_width {
            current = trial;
            continue;
        }
        if lines.len() + 1 == max_lines {
            // Out of lines: put the rest on this one and let `shorten` cut it.
            let rest: Vec<&str> = std::iter::once(word).chain(words.by_ref()).collect();
            current = format!("{current} {}", rest.join(" "));
            break;
        }
        lines.push(std::mem::take(&mut current));
        current = word.to_string();
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines.into_iter().map(|line| shorten(&line, usize::MAX, max_width, size, bold)).collect()
}

/// Escapes text for XML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, text: &str) {
    let mut copied = 0;
    for (at, c) in text.match_indices(['&', '<', '>', '"', '\'']) {
        out.push_str(text.get(copied..at).unwrap_or_default());
        out.push_str(match c {
            "&" => "&amp;",
            "<" => "&lt;",
            ">" => "&gt;",
            "\"" => "&quot;",
            _ => "&apos;",
        });
        copied = at + c.len();
    }
    out.push_str(text.get(copied..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_grows_with_text_and_size() {
        assert!(width("MLOps engineer", 13.0, false) > width("MLOps", 13.0, false));
        assert!(width("MLOps", 26.0, false) > width("MLOps", 13.0, false));
        assert!(width("MLOps", 13.0, true) > width("MLOps", 13.0, false));
        assert_eq!(width("", 13.0, false), 0.0);
    }

    #[test]
    fn shorten_keeps_short_text_and_cuts_long_text_with_an_ellipsis() {
        assert_eq!(shorten("LLM engineer", 28, 1000.0, 13.0, false), "LLM engineer");
        let long = "Machine learning infrastructure and platform engineer";
        let short = shorten(long, 28, 1000.0, 13.0, false);
        assert!(short.ends_with('…'));
        assert!(short.chars().count() <= 28);
        let narrow = shorten(long, 28, 60.0, 13.0, false);
        assert!(width(&narrow, 13.0, false) <= 60.0);
    }

    #[test]
    fn shorten_never_panics_on_multibyte_text() {
        let s = shorten("Ingénieur·e en apprentissage automatique — 機械学習", 10, 500.0, 13.0, false);
        assert!(s.ends_with('…'));
        assert_eq!(shorten("x", 28, 0.0, 13.0, false), "…");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_caps_lines() {
        let lines = wrap("one two three four five six", 60.0, 2, 13.0, false);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert_eq!(wrap("short", 600.0, 3, 13.0, false), vec!["short"]);
    }

    #[test]
    fn clean_removes_controls_and_collapses_space() {
        assert_eq!(clean(" a\n\tb\u{1}  c "), "a b c");
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(escape(r#"Backend & <Infra> "x""#), "Backend &amp; &lt;Infra&gt; &quot;x&quot;");
    }
}
