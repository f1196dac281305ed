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
    assert_eq!(commands, ["chart", "check", "new", "serve", "completions"], "{}", run.stdout);
    insta::assert_snapshot!("help", &run.stdout);
    for command in commands {
        let run = p.run(&[&command, "--help"]);
        assert_eq!(run.code, 0, "{command} --help: {}", run.stderr);
        insta::assert_snapshot!(format!("help_{command}"), &run.stdout);
    }
    // `-h` is the short form of the same text.
    assert_eq!(p.run(&["-h"]).stdout, run.stdout);
}
