//! Paths named on the command line: files, directories or globs, already made
//! relative to the work tree root. A directory names everything below it; a
//! glob (`*`, `?`, `[`) is matched like git's pathspecs, `*` crossing `/`.

use gix::bstr::{BStr, BString, ByteSlice};

use crate::error::Result;
use crate::repo::Repo;
use crate::snapshot::{self, State};

#[derive(Debug, Clone)]
pub struct PathSpec {
    patterns: Vec<BString>,
}

fn is_glob(pattern: &[u8]) -> bool {
    pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

impl PathSpec {
    pub fn new(patterns: impl IntoIterator<Item = String>) -> PathSpec {
        PathSpec {
            patterns: patterns
                .into_iter()
                .map(|p| BString::from(p.trim_end_matches('/').trim_start_matches("./")))
                .map(|p| if p == "." { BString::default() } else { p })
                .collect(),
        }
    }

    fn pattern_matches(pattern: &BStr, path: &BStr) -> bool {
        if pattern.is_empty() {
            return true;
        }
        if is_glob(pattern) {
            // The path itself, or one of its directories, matches.
            let glob = |candidate: &[u8]| {
                gix::glob::wildmatch(
                    pattern,
                    candidate.as_bstr(),
                    gix::glob::wildmatch::Mode::empty(),
                )
            };
            return glob(path)
                || path
                    .iter()
                    .enumerate()
                    .any(|(i, b)| *b == b'/' && glob(&path[..i]));
        }
        path == pattern || (path.starts_with(pattern) && path.get(pattern.len()) == Some(&b'/'))
    }

    /// Whether `path` is named by any pattern.
    pub fn matches(&self, path: &BStr) -> bool {
        self.patterns
            .iter()
            .any(|p| Self::pattern_matches(p.as_bstr(), path))
    }

    /// The patterns that name no file in any of `states` (tracked or untracked).
    /// Plain paths are looked up in the trees; only globs list them.
    pub fn unmatched(&self, repo: &Repo, states: &[&State]) -> Result<Vec<String>> {
        let trees: Vec<gix::ObjectId> = states
            .iter()
            .flat_map(|s| [Some(s.worktree_tree), Some(s.index_tree), s.untracked_tree])
            .flatten()
            .collect();
        let mut all_files: Option<Vec<BString>> = None;
        let mut out = Vec::new();
        for pattern in &self.patterns {
            let found = if pattern.is_empty() {
                true
            } else if is_glob(pattern) {
                if all_files.is_none() {
                    let mut files = Vec::new();
                    for tree in &trees {
                        files.extend(snapshot::tree_blobs(repo, Some(*tree))?.into_keys());
                    }
                    all_files = Some(files);
                }
                all_files
                    .iter()
                    .flatten()
                    .any(|f| Self::pattern_matches(pattern.as_bstr(), f.as_bstr()))
            } else {
                let path = gix::path::from_bstr(pattern.as_bstr())?;
                let mut found = false;
                for tree in &trees {
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
    fn glob_naming_a_directory_names_its_content() {
        let spec = PathSpec::new(["src/*".to_owned()]);
        assert!(spec.matches(b"src/nested/deep.txt".as_bstr()));
        let spec = PathSpec::new(["s?c".to_owned()]);
        assert!(spec.matches(b"src/nested/deep.txt".as_bstr()));
    }
}
