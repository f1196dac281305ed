//! Values inserted into prose: `{{ x }}` must show the value as it is, whatever punctuation it
//! holds. In text, an inserted value renders exactly as the same value typed there with a `\`
//! before every ASCII punctuation character (Markdown's own way of writing text that is never
//! markup); in a code span, an indented code block, a link destination or an autolink, it
//! comes out as exactly the value.
//!
//! Everything goes through `nbrender::prose::render_fragment`, the whole prose path. The seed
//! is fixed so CI is repeatable; `PROPTEST_RNG_SEED=N` explores elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nbrender::prose::render_fragment;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const CASES: u32 = 128;

fn config() -> Config {
    let explore = std::env::var_os("PROPTEST_RNG_SEED").is_some();
    Config {
        cases: CASES,
        rng_seed: if explore { Config::default().rng_seed } else { RngSeed::Fixed(0x7072_6f73_6556_616c) },
        failure_persistence: None,
        ..Config::default()
    }
}

/// The characters of generated values: printable ASCII but `@` (an inserted `@sec-x` is not a
/// citation, tested elsewhere) and `:` (a scheme's colon makes bare-URL autolinks), and a few
/// others: an accented letter, an emoji, a no-break space.
fn value_chars(except: &str) -> Vec<String> {
    (' '..='~')
        .chain(['é', '🙂', '\u{a0}'])
        .filter(|c| *c != '@' && *c != ':' && !except.contains(*c))
        .map(String::from)
        .collect()
}

/// Pieces that are markup somewhere, so that values hold them more often than characters
/// drawn one by one would: list and block markers, attribute blocks, fences, template
/// delimiters, entities, money.
const PIECES: &[&str] = &[
    "1) ", "1. ", "12) ", "1)", "1.", "- ", "+ ", "* ", "# ", "> ", "{#a}", "{.c}", "```", "~~~", "[^1]", "](",
    "&amp;", "<b>", "\\", "  ", "-$1,500", "base_lo", "**", "__", "~~", "`", "|", "===", "![", "{{", "}}", "{%", "%}",
    "{#", "{##", "#}",
];

/// Values of 1 to 20 characters, without leading or trailing whitespace or a newline, and
/// without `www.` (a bare-URL autolink); no character of `except`.
fn value_from(except: &str) -> impl Strategy<Value = String> {
    let pieces: Vec<String> =
        PIECES.iter().filter(|p| !p.chars().any(|c| except.contains(c))).map(|p| p.to_string()).collect();
    let piece = prop_oneof![3 => prop::sample::select(value_chars(except)), 1 => prop::sample::select(pieces)];
    prop::collection::vec(piece, 1..=12)
        .prop_map(|pieces| pieces.concat().chars().take(20).collect::<String>())
        .prop_filter("no whitespace at either end", |v| v.trim() == v)
        .prop_filter("no bare-URL autolink", |v| !v.to_ascii_lowercase().contains("www."))
}

fn value() -> impl Strategy<Value = String> {
    value_from("")
}

/// `v` as typed text: a `\` before every ASCII punctuation character.
fn escaped(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    for c in v.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn render(md: &str, values: &[(&str, &str)]) -> Result<String, String> {
    render_fragment(md, values).map_err(|diagnostics| {
        let messages: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
        messages.join("; ")
    })
}

/// `md` with `{{ x }}` rendered over `x = v` and `md` with the value typed in, escaped.
fn inserted_and_typed(md: &str, v: &str) -> (Result<String, String>, Result<String, String>) {
    assert_eq!(md.matches("{{ x }}").count(), 1, "{md}");
    let inserted = render(md, &[("x", v)]);
    let typed = render(&md.replace("{{ x }}", &escaped(v)), &[]);
    (inserted, typed)
}

/// Decodes the character references comrak writes (and any numeric one).
fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let name = &rest[1..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                None => name.strip_prefix('#').and_then(|d| d.parse().ok()).and_then(char::from_u32),
            },
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The text between `before` and `after`, when `html` is exactly that and holds no tag.
fn only_text_between<'h>(html: &'h str, before: &str, after: &str) -> Option<&'h str> {
    html.strip_prefix(before).and_then(|r| r.strip_suffix(after)).filter(|t| !t.contains('<'))
}

/// The href and the text of a page that is one paragraph holding one link.
fn lone_link(html: &str) -> Option<(&str, &str)> {
    let rest = html.strip_prefix("<p><a href=\"")?.strip_suffix("</a></p>\n")?;
    let (href, text) = rest.split_once("\">")?;
    (!href.contains('"') && !text.contains('<')).then_some((href, text))
}

/// Values that are markup somewhere or that broke an insertion once: every property checks
/// those that fit its generator after the generated ones, so that they are always tried.
const KNOWN: &[&str] = &[
    "base_lo",
    "-$1,500",
    "1) a",
    "12)",
    "1. a",
    "1.5",
    "a`b",
    "``",
    "` a `",
    "{#a}",
    "x {.c}",
    "](",
    "(",
    "a)",
    "a\\",
    "*a*",
    "_a_",
    "&amp;",
    "&#42;",
    "<b>",
    "- a",
    "+ a",
    "# a",
    "> a",
    "===",
    "| a |",
    "[^1]",
    "![a]",
    "~~a~~",
    "{{ y }}",
    "{% if %}",
    "{## c ##}",
    "é 🙂\u{a0}x",
];

/// URLs for the autolink property, as its generator makes them.
const KNOWN_URLS: &[&str] = &["https://e.com/a_b", "https://e.com/-x-", "https://e.com/~*.", "https://e.com/"];

/// Checks `check` over values from `strategy`, then over the `known` values that `fits`.
fn holds(
    strategy: impl Strategy<Value = String>,
    known: &[&str],
    fits: impl Fn(&str) -> bool,
    check: impl Fn(&str) -> Result<(), TestCaseError>,
) {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    if let Err(e) = runner.run(&strategy, |v| check(&v)) {
        panic!("{e}");
    }
    for v in known.iter().filter(|v| fits(v)) {
        if let Err(e) = check(v) {
            panic!("known value {v:?}: {e}");
        }
    }
}

/// A value its generator could make: no `@` or `:`, no whitespace at either end, no `www.`.
fn fits_text(v: &str) -> bool {
    !v.is_empty() && !v.contains(['@', ':']) && v.trim() == v && !v.contains("www.") && v.chars().count() <= 20
}

/// The oracle: a value typed with its punctuation escaped is plain text, `{{`, `{%` and `{#`
/// included (`\{\{` is no template delimiter).
#[test]
fn typed_escaped_values_are_plain_text() {
    for (v, html) in [
        ("{{ y }}", "<p>a {{ y }} b</p>\n"),
        ("{% if %}", "<p>a {% if %} b</p>\n"),
        ("{## c ##}", "<p>a {## c ##} b</p>\n"),
        ("*_`x`_* <b> &amp; [l](u)", "<p>a *_`x`_* &lt;b&gt; &amp;amp; [l](u) b</p>\n"),
        ("1. -$1,500 | ~~s~~ #", "<p>a 1. -$1,500 | ~~s~~ # b</p>\n"),
    ] {
        assert_eq!(render(&format!("a {} b\n", escaped(v)), &[]).as_deref(), Ok(html), "{v}");
    }
    holds(value(), KNOWN, fits_text, |v| {
        let html = render(&format!("a {} b\n", escaped(v)), &[]);
        let text = html.as_deref().ok().and_then(|h| only_text_between(h, "<p>a ", " b</p>\n")).map(html_unescape);
        prop_assert_eq!(text.as_deref(), Some(v), "{:?}", html);
        Ok(())
    });
}

/// One property: in `$md`, `{{ x }}` renders as the value typed there, escaped.
macro_rules! renders_as_typed {
    ($name:ident, $md:expr) => {
        #[test]
        fn $name() {
            holds(value(), KNOWN, fits_text, |v| {
                let (inserted, typed) = inserted_and_typed($md, v);
                prop_assert_eq!(inserted, typed, "value {:?} in {:?}", v, $md);
                Ok(())
            });
        }
    };
}

renders_as_typed!(in_a_paragraph, "a {{ x }} b\n");
renders_as_typed!(in_emphasis, "*{{ x }}*\n");
renders_as_typed!(in_strong_emphasis, "**{{ x }}**\n");
renders_as_typed!(in_link_text, "[{{ x }}](https://e.com)\n");
renders_as_typed!(in_a_heading, "### {{ x }}\n");
renders_as_typed!(in_a_list_item, "- {{ x }}\n");
renders_as_typed!(in_a_blockquote, "> {{ x }}\n");
renders_as_typed!(in_a_table_cell, "| h |\n|---|\n| {{ x }} |\n");
renders_as_typed!(in_an_image_description, "![{{ x }}](i.png)\n");
renders_as_typed!(in_a_footnote, "a[^1]\n\n[^1]: {{ x }}\n");

/// A heading shows the value, not a heading attribute block: `{#id}` or `{.class}` in a
/// value stays text (the H3's id is its title's slug, whatever the value says).
#[test]
fn in_a_heading_as_it_is() {
    holds(value(), KNOWN, fits_text, |v| {
        let html = render("### {{ x }}\n", &[("x", v)]);
        let text = html.as_deref().ok().and_then(|h| {
            let open = h.strip_prefix("<h3 id=\"")?;
            let content = &open[open.find("\">")? + 2..];
            content.strip_suffix("</h3>\n").filter(|t| !t.contains('<'))
        });
        let text = text.map(html_unescape);
        prop_assert_eq!(text.as_deref(), Some(v), "{:?}", html);
        Ok(())
    });
}

#[test]
fn in_a_code_span_as_it_is() {
    holds(value(), KNOWN, fits_text, |v| {
        let html = render("`{{ x }}`\n", &[("x", v)]);
        let code = html.as_deref().ok().and_then(|h| only_text_between(h, "<p><code>", "</code></p>\n"));
        let code = code.map(html_unescape);
        prop_assert_eq!(code.as_deref(), Some(v), "{:?}", html);
        Ok(())
    });
}

#[test]
fn in_an_indented_code_block_as_it_is() {
    holds(value(), KNOWN, fits_text, |v| {
        let html = render("a\n\n    {{ x }}\n", &[("x", v)]);
        let code =
            html.as_deref().ok().and_then(|h| only_text_between(h, "<p>a</p>\n<pre><code>", "\n</code></pre>\n"));
        let code = code.map(html_unescape);
        prop_assert_eq!(code.as_deref(), Some(v), "{:?}", html);
        Ok(())
    });
}

/// `&` then a name or number and `;`: in a link destination comrak reads it as a character
/// reference even after a `\` (`[t](\&amp;)` links to `&`, `[t](\&ouml;)` to `\ö`), so that
/// no escaping can write it there; those values are left out.
fn has_reference(v: &str) -> bool {
    v.match_indices('&').any(|(i, _)| {
        let name = v[i + 1..].split(';').next().unwrap_or("");
        v[i + 1..].contains(';') && !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
    })
}

#[test]
fn in_a_link_destination_as_it_is() {
    let fits = |v: &str| fits_text(v) && !v.contains([' ', '%']) && !has_reference(v);
    holds(value_from(" %").prop_filter("no character reference", |v| !has_reference(v)), KNOWN, fits, |v| {
        let html = render("[t]({{ x }})\n", &[("x", v)]);
        let href = html.as_deref().ok().and_then(lone_link).filter(|(_, text)| *text == "t").map(|(h, _)| h);
        let href = href.map(|h| percent_decode(&html_unescape(h)));
        prop_assert_eq!(href.as_deref(), Some(v), "{:?}", html);
        Ok(())
    });
}

#[test]
fn in_an_autolink_as_it_is() {
    let path = prop::collection::vec(
        prop::sample::select(('A'..='Z').chain('a'..='z').chain('0'..='9').chain("_.~*-".chars()).collect::<Vec<_>>()),
        0..=16,
    );
    let url = path.prop_map(|path| format!("https://e.com/{}", path.into_iter().collect::<String>()));
    holds(
        url,
        KNOWN_URLS,
        |_| true,
        |v| {
            let html = render("<{{ x }}>\n", &[("x", v)]);
            let link = html.as_deref().ok().and_then(lone_link);
            let text = link.map(|(_, text)| html_unescape(text));
            prop_assert_eq!(text.as_deref(), Some(v), "text: {:?}", html);
            let href = link.map(|(href, _)| percent_decode(&html_unescape(href)));
            prop_assert_eq!(href.as_deref(), Some(v), "href: {:?}", html);
            Ok(())
        },
    );
}
