//! Paths named on the command line: files, directories or globs, already made
//! relative to the work tree root. A directory names everything below it; a
//! glob (`*`, `?`, `[`) is matched like git's pathspecs, `*` crossing `/`.

use std::collections::HashSet;

use gix::bstr::{BStr, BString, ByteSlice};

use crate::error::Result;
use crate::repo::Repo;

#[derive(Debug, Clone)]
pub struct PathSpec {
    /// The patterns in the order given.
    patterns: Vec<BString>,
    /// Plain paths (files or directories), for lookups by path and ancestors.
    plain: HashSet<BString>,
    /// Glob patterns.
    globs: Vec<BString>,
    /// `.` (the whole work tree) was given.
    everything: bool,
}

/// git's pathspec magic for a pattern read as a plain path.
const LITERAL: &str = ":(literal)";

fn is_glob(pattern: &[u8]) -> bool {
    pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// `path` itself, then each of its parent directories.
fn self_and_ancestors(path: &BStr) -> impl Iterator<Item = &BStr> {
    std::iter::once(path).chain(
        path.iter()
            .enumerate()
            .rev()
            .filter(|(_, b)| **b == b'/')
            .map(move |(i, _)| path[..i].as_bstr()),
    )
}

/// Whether `path` is `dir` or below it.
pub fn is_under(path: &BStr, dir: impl AsRef<[u8]>) -> bool {
    path.strip_prefix(dir.as_ref())
        .is_some_and(|rest| rest.is_empty() || rest[0] == b'/')
}

fn glob_matches(pattern: &BStr, path: &BStr) -> bool {
    self_and_ancestors(path).any(|candidate| {
        gix::glob::wildmatch(pattern, candidate, gix::glob::wildmatch::Mode::empty())
    })
}

impl PathSpec {
    /// Patterns relative to the work tree root; one written `:(literal)path`
    /// (git's pathspec magic) is a plain path even with glob characters.
    pub fn new(patterns: impl IntoIterator<Item = String>) -> PathSpec {
        let mut spec = PathSpec {
            patterns: Vec::new(),
            plain: HashSet::new(),
            globs: Vec::new(),
            everything: false,
        };
        for pattern in patterns {
            let (literal, pattern) = match pattern.strip_prefix(LITERAL) {
                Some(rest) => (true, rest.to_owned()),
                None => (false, pattern),
            };
            let pattern = BString::from(pattern.trim_end_matches('/').trim_start_matches("./"));
            let pattern = if pattern == "." {
                BString::default()
            } else {
                pattern
            };
            spec.everything |= pattern.is_empty();
            if literal || !is_glob(&pattern) {
                spec.plain.insert(pattern.clone());
            } else {
                spec.globs.push(pattern.clone());
            }
            spec.patterns.push(pattern);
        }
        spec
    }

    /// The patterns as git pathspecs (what [`PathSpec::new`] reads back, and
    /// what gix's status takes): a plain path with glob characters gets the
    /// `:(literal)` magic. Empty when the whole work tree is named.
    pub fn to_patterns(&self) -> Vec<BString> {
        if self.everything {
            return Vec::new();
        }
        self.patterns
            .iter()
            .map(|p| {
                if self.plain.contains(p) && is_glob(p) {
                    let mut literal = BString::from(LITERAL);
                    literal.extend_from_slice(p);
                    literal
                } else {
                    p.clone()
                }
            })
            .collect()
    }

    /// Literal pathspecs (git's `:(literal)` magic) that name at least what
    /// this spec names, for a walk limited to them: each plain path, and for
    /// each glob the directory before its first glob character. `None` when
    /// that is the whole work tree. What the walk finds is then filtered
    /// with [`PathSpec::matches`], so no difference between gix's glob
    /// rules and these can narrow what is seen.
    pub fn walk_patterns(&self) -> Option<Vec<BString>> {
        if self.everything {
            return None;
        }
        let mut out = Vec::new();
        for pattern in &self.patterns {
            let prefix = if self.plain.contains(pattern) {
                pattern.as_slice()
            } else {
                let first_glob = pattern
                    .iter()
                    .position(|b| matches!(b, b'*' | b'?' | b'['))
                    .unwrap_or(pattern.len());
                let directory = pattern[..first_glob]
                    .iter()
                    .rposition(|b| *b == b'/')
                    .unwrap_or(0);
                &pattern[..directory]
            };
            if prefix.is_empty() {
                return None;
            }
            let mut literal = BString::from(LITERAL);
            literal.extend_from_slice(prefix);
            out.push(literal);
        }
        Some(out)
    }

    /// Read a pattern with glob characters as a plain path when a file or
    /// directory of that very name exists (on disk, in the index or in one
    /// of `trees`): `'[bracket].txt'` names that file, not `a.txt`.
    pub fn literal_where_present(
        mut self,
        repo: &Repo,
        trees: &[gix::ObjectId],
    ) -> Result<PathSpec> {
        if self.globs.is_empty() {
            return Ok(self);
        }
        let index = repo.git.index_or_empty()?;
        let mut literal = Vec::new();
        for glob in &self.globs {
            let path = gix::path::from_bstr(glob.as_bstr())?;
            let mut present = repo.workdir().join(&path).symlink_metadata().is_ok()
                || index.entry_by_path(glob.as_bstr()).is_some()
                || index
                    .prefixed_entries_range(format!("{glob}/").as_bytes().as_bstr())
                    .is_some();
            for tree in trees {
                if present {
                    break;
                }
                present = repo
                    .git
                    .find_tree(*tree)?
                    .lookup_entry_by_path(&path)?
                    .is_some();
            }
            if present {
                literal.push(glob.clone());
            }
        }
        self.globs.retain(|g| !literal.contains(g));
        self.plain.extend(literal);
        Ok(self)
    }

    /// The patterns when every one is a plain path (no glob, not the whole
    /// work tree).
    pub fn plain_paths(&self) -> Option<&[BString]> {
        (!self.everything && self.globs.is_empty()).then_some(self.patterns.as_slice())
    }

    /// Whether it names the whole work tree (`.`).
    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// Whether it names nothing at all (an operation on refs only).
    pub fn is_nothing(&self) -> bool {
        !self.everything && self.patterns.is_empty()
    }

    pub fn matches(&self, path: &BStr) -> bool {
        self.everything
            || self_and_ancestors(path).any(|p| self.plain.contains(p))
            || self.globs.iter().any(|g| glob_matches(g.as_bstr(), path))
    }

    /// The patterns that name no file in `known` (paths already seen to
    /// match) nor in any of `trees` (tracked or untracked files). Plain paths are
    /// looked up in the trees; only globs make it list them.
    pub fn unmatched<'a>(
        &self,
        repo: &Repo,
        known: impl IntoIterator<Item = &'a BStr>,
        trees: &[gix::ObjectId],
    ) -> Result<Vec<String>> {
        let mut matched: HashSet<&BStr> = HashSet::new();
        let mut globs_matched: HashSet<&BStr> = HashSet::new();
        for path in known {
            for candidate in self_and_ancestors(path) {
                if let Some(plain) = self.plain.get(candidate) {
                    matched.insert(plain.as_bstr());
                }
            }
            for glob in &self.globs {
                if glob_matches(glob.as_bstr(), path) {
                    globs_matched.insert(glob.as_bstr());
                }
            }
        }
        let mut all_files: Option<Vec<BString>> = None;
        let mut out = Vec::new();
        for pattern in &self.patterns {
            let pattern = pattern.as_bstr();
            if pattern.is_empty() || matched.contains(pattern) || globs_matched.contains(pattern) {
                continue;
            }
            let found = if !self.plain.contains(pattern) {
                if all_files.is_none() {
                    let mut files = Vec::new();
                    for tree in trees {
                        let mut recorder = gix::traverse::tree::Recorder::default();
                        repo.git
                            .find_tree(*tree)?
                            .traverse()
                            .breadthfirst(&mut recorder)?;
                        files.extend(
                            recorder
                                .records
                                .into_iter()
                                .filter(|entry| !entry.mode.is_tree())
                                .map(|entry| entry.filepath),
                        );
                    }
                    all_files = Some(files);
                }
                all_files
                    .iter()
                    .flatten()
                    .any(|f| glob_matches(pattern, f.as_bstr()))
            } else {
                let path = gix::path::from_bstr(pattern)?;
                let mut found = false;
                for tree in trees {
                    if repo
                        .git
                        .find_tree(*tree)?
                        .lookup_entry_by_path(&path)?
                        .is_some()
                    {
                        found = true;
                        break;
                    }
                }
                found
            };
            if !found {
                out.push(pattern.to_str_lossy().into_owned());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::PathSpec;
    use gix::bstr::ByteSlice;

    #[test]
    fn files_directories_and_globs() {
        let spec = PathSpec::new([
            "src/a.rs".to_owned(),
            "docs/".to_owned(),
            "lib/*.rs".to_owned(),
        ]);
        for path in [
            "src/a.rs",
            "docs/guide.md",
            "docs/deep/x",
            "lib/x.rs",
            "lib/sub/y.rs",
        ] {
            assert!(spec.matches(path.as_bytes().as_bstr()), "{path}");
        }
        for path in ["src/a.rs.bak", "src/b.rs", "docsx/y", "lib/x.txt"] {
            assert!(!spec.matches(path.as_bytes().as_bstr()), "{path}");
        }
    }

    #[test]
    fn patterns_round_trip_with_literal_magic() {
        let spec = PathSpec::new(["[bracket].txt".to_owned(), "src/*.rs".to_owned()]);
        assert!(!spec.matches(b"[bracket].txt".as_bstr()), "read as a glob");
        let literal = PathSpec::new([":(literal)[bracket].txt".to_owned(), "src/*.rs".to_owned()]);
        assert!(literal.matches(b"[bracket].txt".as_bstr()));
        assert!(!literal.matches(b"a.txt".as_bstr()));
        assert!(literal.matches(b"src/a.rs".as_bstr()));
        let again = PathSpec::new(literal.to_patterns().into_iter().map(|p| p.to_string()));
        assert_eq!(again.to_patterns(), literal.to_patterns());
        assert!(again.matches(b"[bracket].txt".as_bstr()));
        assert!(PathSpec::new([".".to_owned()]).to_patterns().is_empty());
        assert_eq!(
            literal.walk_patterns().unwrap(),
            [":(literal)[bracket].txt", ":(literal)src"]
        );
        assert_eq!(PathSpec::new(["s?c".to_owned()]).walk_patterns(), None);
    }

    #[test]
    fn glob_naming_a_directory_names_its_content() {
        let spec = PathSpec::new(["src/*".to_owned()]);
        assert!(spec.matches(b"src/nested/deep.txt".as_bstr()));
        let spec = PathSpec::new(["s?c".to_owned()]);
        assert!(spec.matches(b"src/nested/deep.txt".as_bstr()));
    }
}
