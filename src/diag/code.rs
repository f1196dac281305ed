//! Every diagnostic code, in one registry. A code names a class of problem; it is stable, shown
//! in `error[code]`, written in `check --format json`, and listed in docs/format.md §10 (a
//! test holds the two lists equal).

use std::fmt;

/// Who can cause a code: a writer's input (a notebook, its data, `_site.yaml`, a theme, the
/// command line), or only the system nbrender runs on (or a fault of nbrender itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Input,
    System,
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $cause:ident;)*) => {
        /// A diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the registry's order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The code as users see it: `notebook::unclosed-cell`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            pub fn cause(self) -> Cause {
                match self {
                    $(Code::$variant => Cause::$cause,)*
                }
            }
        }
    };
}

codes! {
    CellBadLabel = "cell::bad-label", Input;
    CellLabelKind = "cell::label-kind", Input;
    CellOptionSyntax = "cell::option-syntax", Input;
    CellOptionValue = "cell::option-value", Input;
    CellUnknownOption = "cell::unknown-option", Input;
    ChartDraw = "chart::draw", Input;
    ChartSpec = "chart::spec", Input;
    TableSpec = "table::spec", Input;
    CliNotAChart = "cli::not-a-chart", Input;
    CliNotANotebook = "cli::not-a-notebook", Input;
    CliUnknownLabel = "cli::unknown-label", Input;
    CliUnknownParam = "cli::unknown-param", Input;
    DataLoad = "data::load", Input;
    DiffBadManifest = "diff::bad-manifest", Input;
    DiffNoManifest = "diff::no-manifest", Input;
    DiffNotNotebooks = "diff::not-notebooks", Input;
    DiffVersion = "diff::version", Input;
    ExecAssert = "exec::assert", Input;
    ExecInput = "exec::input", System;
    ExecLimit = "exec::limit", Input;
    ExecMissingKey = "exec::missing-key", Input;
    ExecOperandTypes = "exec::operand-types", Input;
    ExecRuntime = "exec::runtime", Input;
    ExecSyntax = "exec::syntax", Input;
    ExecUndefinedVariable = "exec::undefined-variable", Input;
    ExecUnknownFunction = "exec::unknown-function", Input;
    FrontmatterBadHref = "frontmatter::bad-href", Input;
    FrontmatterBadPrefix = "frontmatter::bad-prefix", Input;
    FrontmatterBadSlug = "frontmatter::bad-slug", Input;
    FrontmatterMissingTitle = "frontmatter::missing-title", Input;
    FrontmatterPages = "frontmatter::pages", Input;
    FrontmatterRelated = "frontmatter::related", Input;
    FrontmatterUnknownKey = "frontmatter::unknown-key", Input;
    FrontmatterYaml = "frontmatter::yaml", Input;
    IoNotFound = "io::not-found", System;
    IoRead = "io::read", System;
    IoWrite = "io::write", System;
    NewBadCell = "new::bad-cell", Input;
    NewBadNotebook = "new::bad-notebook", Input;
    NewBadPrefix = "new::bad-prefix", Input;
    NewBadSlug = "new::bad-slug", Input;
    NewExists = "new::exists", Input;
    NotebookBadSlug = "notebook::bad-slug", Input;
    NotebookCellLanguage = "notebook::cell-language", Input;
    NotebookEncoding = "notebook::encoding", Input;
    NotebookNoFrontmatter = "notebook::no-frontmatter", Input;
    NotebookTooLarge = "notebook::too-large", Input;
    NotebookUnclosedCell = "notebook::unclosed-cell", Input;
    NotebookUnusedInput = "notebook::unused-input", Input;
    NotebookUnclosedFence = "notebook::unclosed-fence", Input;
    ProseCellInBlock = "prose::cell-in-block", Input;
    ProseCellLost = "prose::cell-lost", Input;
    ProseDuplicateId = "prose::duplicate-id", Input;
    ProseDuplicateLabel = "prose::duplicate-label", Input;
    ProseOrphanCaption = "prose::orphan-caption", Input;
    ProseReservedId = "prose::reserved-id", Input;
    ProseTemplate = "prose::template", Input;
    ProseTooLarge = "prose::too-large", Input;
    ProseTypedFigure = "prose::typed-figure", Input;
    ProseUnclosedComment = "prose::unclosed-comment", Input;
    ProseUndefined = "prose::undefined", Input;
    ProseUnknownLabel = "prose::unknown-label", Input;
    SiteConfig = "site::config", Input;
    SiteCycle = "site::cycle", Input;
    SiteDependencyFailed = "site::dependency-failed", Input;
    SiteDuplicateSlug = "site::duplicate-slug", Input;
    SiteFamilySlug = "site::family-slug", Input;
    SiteUnknownSlug = "site::unknown-slug", Input;
    ThemeLoad = "theme::load", Input;
    ThemeRender = "theme::render", Input;
    Internal = "internal", System;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            let ok = name == "internal"
                || name.split_once("::").is_some_and(|(area, kind)| {
                    !area.is_empty()
                        && area.bytes().all(|b| b.is_ascii_lowercase())
                        && !kind.is_empty()
                        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
            assert!(ok, "{name} is not `area::kind`");
        }
    }

    /// The codes docs/format.md §10 lists: every `` `code` `` in the first column of its table.
    fn documented() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/format.md");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let start = text.find("\n## 10.").expect("docs/format.md has a §10");
        let section = &text[start + 1..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        let mut found = Vec::new();
        for row in section.lines().filter(|l| l.starts_with("| `")) {
            let first = row.split('|').nth(1).unwrap_or("");
            found.extend(first.split('`').skip(1).step_by(2).map(str::to_string));
        }
        found
    }

    #[test]
    fn every_code_is_documented_and_every_documented_code_exists() {
        let documented = documented();
        let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let undocumented: Vec<&&str> = known.iter().filter(|c| !documented.iter().any(|d| d == *c)).collect();
        assert!(undocumented.is_empty(), "add these codes to docs/format.md §10: {undocumented:?}");
        let unknown: Vec<&String> = documented.iter().filter(|d| !known.contains(&d.as_str())).collect();
        assert!(unknown.is_empty(), "docs/format.md §10 lists codes nbrender does not have: {unknown:?}");
    }
}
