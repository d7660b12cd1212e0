//! The tree of the index, as `git write-tree` computes it, and the index's
//! cache-tree extension that makes it cheap.
//!
//! gix has no index→tree function. Computing it from `HEAD^{tree}` plus a
//! tree/index diff costs a walk of every tree in the repository. Git instead
//! keeps a cache tree in the index: the tree id of every directory whose
//! entries have not changed since it was computed. This module does the same:
//! valid cache-tree nodes are reused as they are, only invalidated directories
//! are hashed again, and the result is a complete, valid cache tree to write
//! back into the index.

use gix::bstr::{BStr, ByteSlice};
use gix::index::extension::Tree;
use gix::index::{entry, Entry, State};
use gix::objs::tree::{Entry as TreeEntry, EntryKind};
use gix::ObjectId;

use crate::error::Result;

/// Write the index's tree (and every subtree not already known) into the
/// object database; return its id and a valid cache tree for the index.
pub fn write(repo: &gix::Repository, index: &State) -> Result<(ObjectId, Tree)> {
    let mut builder = Builder {
        repo,
        entries: index.entries(),
        backing: index.path_backing(),
    };
    let (tree, _) = builder.build(0, 0, b"", index.tree())?;
    Ok((tree.id, tree))
}

/// Mark every directory on the way to `path` as changed, so [`write()`]
/// recomputes them and nothing else.
pub fn invalidate(tree: &mut Tree, path: &BStr) {
    tree.num_entries = None;
    if let Some((first, rest)) = path.split_once_str(b"/") {
        if let Some(child) = tree
            .children
            .iter_mut()
            .find(|c| c.name.as_slice() == first)
        {
            invalidate(child, rest.as_bstr());
        }
    }
}

struct Builder<'a> {
    repo: &'a gix::Repository,
    entries: &'a [Entry],
    backing: &'a gix::index::PathStorageRef,
}

impl Builder<'_> {
    fn path(&self, position: usize) -> &BStr {
        self.entries[position].path_in(self.backing)
    }

    /// Build the directory whose entries start at `start` and share the
    /// `prefix_len`-byte prefix; return its cache node and the next position.
    fn build(
        &mut self,
        start: usize,
        prefix_len: usize,
        name: &[u8],
        cache: Option<&Tree>,
    ) -> Result<(Tree, usize)> {
        let prefix = if start < self.entries.len() {
            self.path(start)[..prefix_len].to_vec()
        } else {
            Vec::new()
        };
        let under = |builder: &Self, position: usize| {
            position < builder.entries.len() && builder.path(position).starts_with(&prefix)
        };
        if let Some(cache) = cache {
            if let Some(count) = cache.num_entries {
                let end = start + count as usize;
                // Trust the cache only when its count lines up with the entries.
                if count > 0
                    && end <= self.entries.len()
                    && under(self, end - 1)
                    && !under(self, end)
                {
                    let mut node = cache.clone();
                    node.name = name.into();
                    return Ok((node, end));
                }
            }
        }
        let mut tree = gix::objs::Tree::empty();
        let mut children = Vec::new();
        let mut count = 0u32;
        let mut position = start;
        while under(self, position) {
            let rest = &self.path(position)[prefix_len..];
            if let Some(slash) = rest.find_byte(b'/') {
                let child_name = rest[..slash].to_vec();
                let child_cache =
                    cache.and_then(|c| c.children.iter().find(|t| t.name.as_slice() == child_name));
                let (child, next) =
                    self.build(position, prefix_len + slash + 1, &child_name, child_cache)?;
                position = next;
                // Git leaves out directories that hold nothing.
                if child.num_entries != Some(0) {
                    count += child.num_entries.unwrap_or_default();
                    tree.entries.push(TreeEntry {
                        mode: EntryKind::Tree.into(),
                        filename: child_name.into(),
                        oid: child.id,
                    });
                    children.push(child);
                }
                continue;
            }
            let entry = &self.entries[position];
            position += 1;
            if entry.stage() != entry::Stage::Unconflicted
                || entry.flags.contains(entry::Flags::INTENT_TO_ADD)
            {
                continue;
            }
            let Some(mode) = entry.mode.to_tree_entry_mode() else {
                continue;
            };
            count += 1;
            tree.entries.push(TreeEntry {
                mode,
                filename: rest.into(),
                oid: entry.id,
            });
        }
        tree.entries.sort();
        let id = self.repo.write_object(&tree)?.detach();
        Ok((
            Tree {
                name: name.into(),
                id,
                num_entries: Some(count),
                children,
            },
            position,
        ))
    }
}
