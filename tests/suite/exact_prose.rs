//! Exact prose (issue 13): templates, cells and headings never change what a writer typed.
//! Each test renders a notebook with the real binary and compares the whole `<article>`.

use crate::common;

use common::{Project, Run, article};

/// The values every notebook here defines, in a cell the page hides.
const VALUES: &str = "//| echo: false\n//| output: false\nlet rows = [\"one\", \"two\", \"three\"];\nlet v = \"base_lo\";\nlet neg = -1500;\nlet url = \"https://example.com/a_b\";\nlet x = 7;\nlet numbered = \"1) not a list\";\nlet qs = [\"Why\", \"How\"];";

/// Renders `prose` after the values cell; returns the run and the page.
fn render(prose: &str) -> (Run, String) {
    let p = Project::empty();
    p.write("notebooks/a.md", &format!("---\ntitle: A\n---\n```{{rhai}}\n{VALUES}\n```\n\n{prose}"));
    let run = p.run(&["notebooks/a.md", "-o", "out"]);
    let html = if run.code == 0 { p.read("out/a/index.html") } else { String::new() };
    (run, html)
}

/// The whole article of a page whose body is `body`.
fn whole(body: &str) -> String {
    format!(
        "<article class=\"article\">\n    <header class=\"article-header\">\n      <h1 class=\"title\">A</h1>\n    </header>\n    <div class=\"article-body\">\n{body}\n    </div>\n  </article>"
    )
}

fn assert_article(prose: &str, body: &str) {
    let (run, html) = render(prose);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(article(&html), whole(body), "prose:\n{prose}");
}

/// The notebook line of the first diagnostic, and its code.
fn refused(prose: &str) -> (String, String) {
    let (run, _) = render(prose);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let at = run.stderr.split("notebooks/a.md:").nth(1).map(|r| r.split(' ').next().unwrap_or("").to_string());
    let code = run.stderr.split("error[").nth(1).and_then(|r| r.split(']').next()).unwrap_or("").to_string();
    (code, at.unwrap_or_default().trim_end_matches(['\n']).to_string())
}

const LIST: &str = "<ul>\n<li>\n<p>one</p>\n</li>\n<li>\n<p>two</p>\n</li>\n<li>\n<p>three</p>\n</li>\n</ul>";

#[test]
fn a_loop_over_lines_keeps_all_its_output_and_what_follows() {
    // 1. At the end of a notebook, and with prose after it.
    assert_article("{% for r in rows %}\n- {{ r }}\n{% endfor %}\n", &format!("{LIST}\n"));
    assert_article(
        "Intro.\n\n{% for r in rows %}\n- {{ r }}\n{% endfor %}\nAfter the list.\n",
        &format!("<p>Intro.</p>\n{LIST}\n<p>After the list.</p>\n"),
    );
    // Tight, with whitespace control, as in Jinja.
    assert_article(
        "{% for r in rows -%}\n- {{ r }}\n{% endfor %}\nAfter.\n",
        "<ul>\n<li>one</li>\n<li>two</li>\n<li>three</li>\n</ul>\n<p>After.</p>\n",
    );
}

#[test]
fn a_loop_that_writes_faq_questions_keeps_the_last_one_on_the_page_and_in_json_ld() {
    let (run, html) =
        render("## FAQ {.faq .unnumbered}\n\n{% for q in qs %}\n### {{ q }}?\n\nBecause {{ q }}.\n\n{% endfor %}\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        article(&html),
        whole(
            "<h2 id=\"faq\" class=\"faq\">FAQ</h2>\n<div class=\"faq-item\">\n<h3 id=\"why\">Why?</h3>\n<p>Because Why.</p>\n</div>\n<div class=\"faq-item\">\n<h3 id=\"how\">How?</h3>\n<p>Because How.</p>\n</div>"
        )
    );
    for q in ["\"name\":\"Why?\"", "\"name\":\"How?\"", "\"text\":\"Because How.\""] {
        assert!(html.contains(q), "JSON-LD lacks {q}");
    }
}

#[test]
fn an_error_inside_a_loop_points_at_its_line() {
    assert_eq!(
        refused("Intro.\n\n{% for r in rows %}\n- {{ r }}\n- {{ nope }}\n{% endfor %}\n"),
        ("prose::undefined".to_string(), "20:6".to_string())
    );
}

#[test]
fn values_read_exactly_in_code_spans_code_blocks_and_links() {
    // 2.
    assert_article(
        "Code `{{ v }}`, money {{ neg | money }}, link <{{ url }}>, [text]({{ url }}).\n\n    indented {{ v }}\n",
        "<p>Code <code>base_lo</code>, money -$1,500, link <a href=\"https://example.com/a_b\">https://example.com/a_b</a>, <a href=\"https://example.com/a_b\">text</a>.</p>\n<pre><code>indented base_lo\n</code></pre>\n",
    );
}

#[test]
fn braces_that_are_not_attributes_stay_in_the_heading() {
    // 3.
    assert_article(
        "## Sets {a, b}\n\n## Function f{x}\n\n## Kept {#sec-kept}\n",
        "<h2 id=\"sets-a-b\"><span class=\"sec-num\">1.</span>Sets {a, b}</h2>\n<h2 id=\"function-f-x\"><span class=\"sec-num\">2.</span>Function f{x}</h2>\n<h2 id=\"sec-kept\"><span class=\"sec-num\">3.</span>Kept</h2>\n<p class=\"xref-label\">section a-3</p>\n",
    );
}

#[test]
fn citations_resolve_in_alt_text() {
    // 4.
    assert_article(
        "## Setup {#sec-a}\n\n![see @sec-a](x.png)\n",
        "<h2 id=\"sec-a\"><span class=\"sec-num\">1.</span>Setup</h2>\n<p class=\"xref-label\">section a-1</p>\n<p><img src=\"x.png\" alt=\"see section a-1\" /></p>\n",
    );
}

#[test]
fn a_cell_in_a_list_item_runs_and_shows_where_it_stands() {
    // 5. Shown in place, `echo: false` kept; the prose after it is still prose.
    assert_article(
        "1. item\n\n   ```{rhai}\n   //| echo: false\n   x * 6\n   ```\n\nAfter {{ x }}.\n",
        "<ol>\n<li>\n<p>item</p>\n<div class=\"cell\" id=\"cell-2\">\n<div class=\"cell-output\"><div class=\"prompt\"></div><div class=\"output-body\"><pre class=\"output-text\">42</pre></div></div>\n</div>\n</li>\n</ol>\n<p>After 7.</p>\n",
    );
    // An undefined name after such a cell is still an error at its line.
    assert_eq!(
        refused("- item\n\n  ```{rhai}\n  1\n  ```\n\nAfter {{ nope }}.\n"),
        ("prose::undefined".to_string(), "22:10".to_string())
    );
    // An error in a cell in a list item points at its column in the file.
    assert_eq!(
        refused("- item\n\n  ```{rhai}\n  let y = ;\n  ```\n"),
        ("exec::syntax".to_string(), "19:11".to_string())
    );
}

#[test]
fn an_open_fence_in_a_list_item_does_not_swallow_the_next_cell() {
    // 5. The fence ends with its list item, as CommonMark says (the blank line is the
    // code's): the cell after it runs.
    assert_article(
        "- a\n\n  ```\n  open\n\n```{rhai}\n//| echo: false\nx + 1\n```\n",
        "<ul>\n<li>\n<p>a</p>\n<pre><code>open\n\n</code></pre>\n</li>\n</ul>\n<div class=\"cell\" id=\"cell-2\">\n<div class=\"cell-output\"><div class=\"prompt\"></div><div class=\"output-body\"><pre class=\"output-text\">8</pre></div></div>\n</div>\n",
    );
    // At the top level it would swallow the cell: an error at the fence, never a silent page.
    assert_eq!(
        refused("```\nopen\n\n```{rhai}\n1\n```\n"),
        ("notebook::unclosed-fence".to_string(), "16:1".to_string())
    );
}

#[test]
fn values_never_become_markup_and_fenced_code_is_left_alone_everywhere() {
    // 7. `1)` from a value is text; a fence in a quote is not expanded; U+E000 stays itself.
    assert_article(
        "{{ numbered }}\n\n> ```\n> {{ not_expanded }}\n> ```\n\nPrivate \u{E000} use {{ x }}.\n",
        "<p>1) not a list</p>\n<blockquote>\n<pre><code>{{ not_expanded }}\n</code></pre>\n</blockquote>\n<p>Private \u{E000} use 7.</p>\n",
    );
}

#[test]
fn jinja_comments_are_never_published() {
    // 8.
    let (run, html) = render(
        "Text {# a note for editors #} here.\n\n{#- trimmed\nover lines -#}\n\n## FAQ {.faq .unnumbered}\n\n### Why?\n\nBecause. {# not in JSON-LD #}\n\n{## old ##}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        article(&html),
        whole(
            "<p>Text  here.</p>\n<h2 id=\"faq\" class=\"faq\">FAQ</h2>\n<div class=\"faq-item\">\n<h3 id=\"why\">Why?</h3>\n<p>Because.</p>\n</div>"
        )
    );
    assert!(
        !html.contains("for editors") && !html.contains("JSON-LD") && !html.contains("trimmed"),
        "a comment reached the page"
    );
    // `{#` followed by a space that is never closed is an error at it.
    assert_eq!(refused("Text {# open\n"), ("prose::unclosed-comment".to_string(), "16:6".to_string()));
}

#[test]
fn every_heading_has_a_unique_id_the_theme_does_not_use() {
    // 9.
    assert_article(
        "## ???\n\n## 🙂\n\n## Notes\n\n## Notes\n\n## Content\n\n## Refs\n\n### Later {#refs}\n",
        "<h2 id=\"section\"><span class=\"sec-num\">1.</span>???</h2>\n<h2 id=\"section-1\"><span class=\"sec-num\">2.</span>🙂</h2>\n<h2 id=\"notes\"><span class=\"sec-num\">3.</span>Notes</h2>\n<h2 id=\"notes-1\"><span class=\"sec-num\">4.</span>Notes</h2>\n<h2 id=\"content-1\"><span class=\"sec-num\">5.</span>Content</h2>\n<h2 id=\"refs-1\"><span class=\"sec-num\">6.</span>Refs</h2>\n<h3 id=\"refs\">Later</h3>\n",
    );
    assert_eq!(refused("## Mine {#content}\n"), ("prose::reserved-id".to_string(), "16:1".to_string()));
    assert_eq!(refused("## A {#x}\n\n## B {#x}\n"), ("prose::duplicate-id".to_string(), "18:1".to_string()));
}

#[test]
fn table_alignment_is_css() {
    // 9.
    assert_article(
        "| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |\n",
        "<table>\n<thead>\n<tr>\n<th style=\"text-align: left\">a</th>\n<th style=\"text-align: right\">b</th>\n<th style=\"text-align: center\">c</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td style=\"text-align: left\">1</td>\n<td style=\"text-align: right\">2</td>\n<td style=\"text-align: center\">3</td>\n</tr>\n</tbody>\n</table>\n",
    );
}

#[test]
fn a_cell_a_statement_block_hides_or_repeats_is_an_error() {
    // Shown once where it stands, it is a cell like any other.
    let (run, _) = render("{% if x > 3 %}\n```{rhai}\n//| echo: false\nx\n```\n{% endif %}\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        refused("{% if x > 30 %}\n```{rhai}\n1\n```\n{% endif %}\n"),
        ("prose::cell-in-block".to_string(), "17:1".to_string())
    );
    assert_eq!(
        refused("{% for r in rows %}\n```{rhai}\n1\n```\n{% endfor %}\n"),
        ("prose::cell-in-block".to_string(), "17:1".to_string())
    );
}

#[test]
fn a_cell_the_expanded_prose_no_longer_holds_is_an_error() {
    // A `| safe` value opening an HTML block swallows the cell after it: never a silent page.
    assert_eq!(
        refused("{{ \"<div>\" | safe }}\n```{rhai}\n1\n```\n"),
        ("prose::cell-lost".to_string(), "17:1".to_string())
    );
}
