//! The command line as a reader meets it: `nbrender --help` and every subcommand's `--help`
//! are snapshots, so a change to the CLI's text shows in review. The subcommands are read from
//! `nbrender --help`'s `Commands:` list, so a new one gets its snapshot too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::Project;

/// The subcommands `nbrender --help` lists, but `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_help_text_is_a_snapshot() {
    let p = Project::empty();
    let run = p.run(&["--help"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let commands = subcommands(&run.stdout);
    assert_eq!(commands, ["chart", "check", "new", "serve", "diff", "completions"], "{}", run.stdout);
    insta::assert_snapshot!("help", &run.stdout);
    for command in commands {
        let run = p.run(&[&command, "--help"]);
        assert_eq!(run.code, 0, "{command} --help: {}", run.stderr);
        insta::assert_snapshot!(format!("help_{command}"), &run.stdout);
    }
    // `-h` is the short form of the same text.
    assert_eq!(p.run(&["-h"]).stdout, run.stdout);
}

/// The anchor GitHub gives a Markdown heading: lowercase, spaces to `-`, punctuation but `-`
/// and `_` dropped.
fn anchor(heading: &str) -> String {
    let text = heading.trim_start_matches('#').trim();
    let text = text.split(" {#").next().unwrap_or(text);
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// docs/format.md §9 is the reference of the command line: its synopsis names every
/// subcommand `nbrender --help` lists, and its sections are numbered 9.1, 9.2, … in order.
#[test]
fn the_command_line_reference_lists_every_subcommand_in_numbered_sections() {
    let p = Project::empty();
    let help = p.run(&["--help"]).stdout;
    let docs = std::fs::read_to_string(crate::common::crate_path("docs/format.md")).unwrap();
    let start = docs.find("\n## 9. Command line").expect("a §9");
    let end = docs.find("\n## 10.").expect("a §10");
    let section = &docs[start..end];
    let synopsis = section.split("```text\n").nth(1).and_then(|s| s.split("```").next()).unwrap();
    for command in subcommands(&help) {
        assert!(
            synopsis.lines().any(|l| l.starts_with(&format!("nbrender {command}"))),
            "§9's synopsis lacks `nbrender {command}`:\n{synopsis}"
        );
    }
    let numbers: Vec<&str> =
        section.lines().filter_map(|l| l.strip_prefix("### ")).filter_map(|l| l.split(' ').next()).collect();
    let expected: Vec<String> = (1..=numbers.len()).map(|i| format!("9.{i}")).collect();
    assert_eq!(numbers, expected, "§9's sections are numbered in sequence");
}

/// Every `#anchor` link of docs/format.md, and every `docs/format.md#anchor` link of the
/// README, leads to a heading of docs/format.md.
#[test]
fn links_into_the_format_reference_lead_to_its_headings() {
    let docs = std::fs::read_to_string(crate::common::crate_path("docs/format.md")).unwrap();
    let readme = std::fs::read_to_string(crate::common::crate_path("README.md")).unwrap();
    let mut in_code = false;
    let mut anchors = std::collections::HashSet::new();
    for line in docs.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            anchors.insert(anchor(line));
        }
    }
    let links = |text: &str, prefix: &str| -> Vec<String> {
        text.split(&format!("]({prefix}#"))
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .map(str::to_string)
            .collect()
    };
    let mut broken: Vec<String> = links(&docs, "").into_iter().filter(|a| !anchors.contains(a)).collect();
    broken.extend(
        links(&readme, "docs/format.md").into_iter().filter(|a| !anchors.contains(a)).map(|a| format!("README: {a}")),
    );
    assert!(broken.is_empty(), "links to no heading of docs/format.md: {broken:?}");
}
